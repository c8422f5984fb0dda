// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Classification;

/// <summary>Every expected number here is computed by hand in the comments from the pairs recorded.</summary>
public class ClassificationMetricsTests
{
    private static readonly string[] Animals = ["cat", "dog", "bird"];

    [Test]
    public void ThreeClasses_AveragesMccAndBalancedAccuracy_MatchHandComputedValues()
    {
        using var monitor = NewMonitor(Animals);

        // (predicted, actual): cat→cat ×3, dog→cat ×1, dog→dog ×2, cat→dog ×1, bird→bird ×1, dog→bird ×2.
        Record(monitor, (0, 0, 3), (1, 0, 1), (1, 1, 2), (0, 1, 1), (2, 2, 1), (1, 2, 2));
        ClassificationSnapshot q = monitor.GetSnapshot().Classification!;

        // Actual counts t = (4, 3, 3), predicted p = (4, 5, 1), correct c = 6, total s = 10.
        // Per class: cat P 3/4 R 3/4 F1 .75; dog P 2/5 R 2/3 F1 .5; bird P 1 R 1/3 F1 .5.
        Assert.Multiple(() =>
        {
            Assert.That(q.Accuracy, Is.EqualTo(0.6).Within(1e-12));
            Assert.That(q.MicroPrecision, Is.EqualTo(0.6).Within(1e-12));
            Assert.That(q.MicroF1, Is.EqualTo(0.6).Within(1e-12));

            // Weighted by support 4, 3, 3: P (4·.75 + 3·.4 + 3·1)/10 = .72; R (3 + 2 + 1)/10 = .6; F1 (3 + 1.5 + 1.5)/10 = .6.
            Assert.That(q.WeightedPrecision, Is.EqualTo(0.72).Within(1e-12));
            Assert.That(q.WeightedRecall, Is.EqualTo(0.6).Within(1e-12));
            Assert.That(q.WeightedF1, Is.EqualTo(0.6).Within(1e-12));

            // Balanced accuracy: mean recall (.75 + 2/3 + 1/3)/3 = 1.75/3.
            Assert.That(q.BalancedAccuracy, Is.EqualTo(1.75 / 3).Within(1e-12));

            // MCC = (c·s − Σp·t)/sqrt((s² − Σp²)(s² − Σt²)) = (60 − 34)/sqrt((100 − 42)(100 − 34)) = 26/sqrt(3828) ≈ 0.42023.
            Assert.That(q.MatthewsCorrelation, Is.EqualTo(26 / Math.Sqrt(3828)).Within(1e-12));
            Assert.That(q.PositiveClass, Is.Null);
            Assert.That(q.Specificity, Is.Zero);
        });
    }

    [Test]
    public void Binary_PositiveClassSpecificityAndMcc_MatchHandComputedValues()
    {
        using var monitor = NewMonitor(["neg", "pos"]);

        // TP 6 (pos→pos), FP 2 (pos predicted, neg actual), FN 1, TN 3.
        Record(monitor, (1, 1, 6), (1, 0, 2), (0, 1, 1), (0, 0, 3));
        ClassificationSnapshot q = monitor.GetSnapshot().Classification!;

        Assert.Multiple(() =>
        {
            Assert.That(q.PositiveClass, Is.EqualTo(new ClassMetrics("pos", 6, 2, 1)));
            Assert.That(q.PositiveClass!.Value.Precision, Is.EqualTo(6.0 / 8));
            Assert.That(q.PositiveClass.Value.Recall, Is.EqualTo(6.0 / 7));

            // Specificity TN/(TN + FP) = 3/5.
            Assert.That(q.Specificity, Is.EqualTo(0.6).Within(1e-12));

            // Binary MCC (TP·TN − FP·FN)/sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)) = (18 − 2)/sqrt(8·7·5·4) = 16/sqrt(1120).
            Assert.That(q.MatthewsCorrelation, Is.EqualTo(16 / Math.Sqrt(1120)).Within(1e-12));

            // Balanced accuracy (recall pos 6/7 + recall neg 3/5)/2.
            Assert.That(q.BalancedAccuracy, Is.EqualTo(((6.0 / 7) + 0.6) / 2).Within(1e-12));
        });
    }

    [Test]
    public void Probabilities_LogLossAndTopK_MatchHandComputedValues()
    {
        using var monitor = NewMonitor(Animals);
        float[][] rows =
        [
            [0.7f, 0.2f, 0.1f], // actual cat: rank 0, predicted cat (right)
            [0.1f, 0.6f, 0.3f], // actual bird: rank 1, predicted dog
            [0.2f, 0.3f, 0.5f], // actual cat: rank 2, predicted bird
            [0.0f, 1.0f, 0.0f], // actual cat: p = 0 counts as the double's epsilon (2.22e-16, scikit-learn's clip since issue 10; was 1e-15); rank 1 (dog is more probable; bird ties but has a higher index)
        ];
        int[] actual = [0, 2, 0, 0];
        for (int i = 0; i < rows.Length; i++)
        {
            monitor.RecordGroundTruth(rows[i], actual[i]);
        }

        ClassificationSnapshot q = monitor.GetSnapshot().Classification!;
        double expectedLoss = (-Math.Log(0.7f) - Math.Log(0.3f) - Math.Log(0.2f) - Math.Log(2.220446049250313e-16)) / 4;

        Assert.Multiple(() =>
        {
            Assert.That(q.ScoredCount, Is.EqualTo(4));
            Assert.That(q.Total, Is.EqualTo(4));
            Assert.That(q.Accuracy, Is.EqualTo(0.25));
            Assert.That(q.GetCount(predicted: 1, actual: 2), Is.EqualTo(1));
            Assert.That(q.GetCount(predicted: 2, actual: 0), Is.EqualTo(1));
            Assert.That(q.LogLoss, Is.EqualTo(expectedLoss).Within(1e-6));
            Assert.That(q.GetTopKAccuracy(1), Is.EqualTo(0.25));
            Assert.That(q.GetTopKAccuracy(2), Is.EqualTo(0.75));
            Assert.That(q.GetTopKAccuracy(3), Is.EqualTo(1.0));
            Assert.Throws<ArgumentOutOfRangeException>(() => q.GetTopKAccuracy(4));
            Assert.Throws<ArgumentOutOfRangeException>(() => q.GetTopKAccuracy(0));
        });
    }

    [Test]
    public void Probabilities_Invalid_CountedAndNotRecorded()
    {
        using var monitor = NewMonitor(Animals);

        monitor.RecordGroundTruth([0.5f, 0.5f], 0);
        monitor.RecordGroundTruth([float.NaN, 0.5f, 0.5f], 0);
        monitor.RecordGroundTruth([-0.1f, 0.5f, 0.6f], 0);
        monitor.RecordGroundTruth([float.PositiveInfinity, 0f, 0f], 0);
        monitor.RecordGroundTruth([0.2f, 0.3f, 0.5f], 3);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Rejected["invalid_probabilities"], Is.EqualTo(4));
        Assert.That(snapshot.Rejected["label_out_of_range"], Is.EqualTo(1));
        Assert.That(snapshot.Classification!.Total, Is.Zero);
        Assert.That(snapshot.Classification.ScoredCount, Is.Zero);
        Assert.That(snapshot.Classification.LogLoss, Is.Zero);
    }

    [TestCase(ZeroDivision.Zero, 0.0)]
    [TestCase(ZeroDivision.One, 1.0)]
    public void ZeroDivision_Option_AppliesToEveryUndefinedRatio(ZeroDivision option, double zeroDivision)
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "zd-" + option + "-" + Guid.NewGuid(),
            ClassLabels = ["a", "b", "c"],
            ZeroDivision = option,
        });

        // a→a ×2 and a predicted for b ×1; c never occurs nor is predicted; b is never predicted.
        Record(monitor, (0, 0, 2), (0, 1, 1));
        ClassificationSnapshot q = monitor.GetSnapshot().Classification!;

        Assert.Multiple(() =>
        {
            Assert.That(q.Classes[1].Precision, Is.EqualTo(zeroDivision));  // b never predicted: 0/0
            Assert.That(q.Classes[1].Recall, Is.Zero);                      // b occurred once, never found: 0/1
            Assert.That(q.Classes[1].F1, Is.Zero);                          // 0/(0 + 0 + 1)
            Assert.That(q.Classes[2].Precision, Is.EqualTo(zeroDivision));
            Assert.That(q.Classes[2].Recall, Is.EqualTo(zeroDivision));
            Assert.That(q.Classes[2].F1, Is.EqualTo(zeroDivision));
            Assert.That(q.Classes[0].Precision, Is.EqualTo(2.0 / 3));

            // Macro over present classes a and b only: precision (2/3 + zd)/2.
            Assert.That(q.MacroPrecision, Is.EqualTo(((2.0 / 3) + zeroDivision) / 2).Within(1e-12));
            Assert.That(q.ZeroDivision, Is.EqualTo(option));
            Assert.That(q.Classes[2].ZeroDivision, Is.EqualTo(option));
        });
    }

    [Test]
    [TestCase(2)]
    [TestCase(-1)]
    public void ZeroDivision_OtherThanZeroOrOne_Throws(int value)
    {
        var error = Assert.Throws<ArgumentException>(() => new ModelMonitor(new ModelMonitorOptions { ModelName = "zd-bad", ZeroDivision = (ZeroDivision)value }));
        Assert.That(error!.ParamName, Is.EqualTo("ZeroDivision"));
        Assert.That(error.Message, Does.StartWith("ZeroDivision must be Zero or One."));
    }

    [Test]
    public void EmptyMatrix_EveryMetricIsZeroNeverNaN()
    {
        using var monitor = NewMonitor(Animals);
        ClassificationSnapshot q = monitor.GetSnapshot().Classification!;

        double[] all = [q.Accuracy, q.MacroPrecision, q.MacroRecall, q.MacroF1, q.WeightedPrecision, q.WeightedRecall, q.WeightedF1, q.BalancedAccuracy, q.MatthewsCorrelation, q.LogLoss, q.GetTopKAccuracy(1)];
        Assert.That(all, Is.All.EqualTo(0.0));
    }

    private static ModelMonitor NewMonitor(string[] labels) =>
        new(new ModelMonitorOptions { ModelName = "metrics-" + TestContext.CurrentContext.Test.Name + "-" + Guid.NewGuid(), ClassLabels = labels });

    private static void Record(ModelMonitor monitor, params (int Predicted, int Actual, int Times)[] pairs)
    {
        foreach ((int predicted, int actual, int times) in pairs)
        {
            for (int i = 0; i < times; i++)
            {
                monitor.RecordGroundTruth(predicted, actual);
            }
        }
    }
}
