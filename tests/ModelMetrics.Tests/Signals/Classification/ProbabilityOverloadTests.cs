// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Classification;

/// <summary>
/// The API fixes of issue 10 on the classification side: <see cref="ClassificationSnapshot.GetCount"/> takes
/// (predicted, actual) like <c>RecordGroundTruth</c>; double, string-actual and binary-score overloads; top-k
/// ties rank by class index so top-1 is accuracy; log-loss clipped at the double's machine epsilon.
/// </summary>
public class ProbabilityOverloadTests
{
    private const double MachineEpsilon = 2.220446049250313e-16;

    [Test]
    public void GetCount_AsymmetricMatrix_TakesPredictedThenActualLikeRecordGroundTruth()
    {
        using ModelMonitor monitor = Create(["a", "b", "c"]);

        // (predicted, actual): a→b once, b→a three times, c→a twice, c→c four times.
        Record(monitor, 0, 1, 1);
        Record(monitor, 1, 0, 3);
        Record(monitor, 2, 0, 2);
        Record(monitor, 2, 2, 4);

        ClassificationSnapshot q = monitor.GetSnapshot().Classification!;
        Assert.Multiple(() =>
        {
            Assert.That(q.GetCount(predicted: 0, actual: 1), Is.EqualTo(1));
            Assert.That(q.GetCount(predicted: 1, actual: 0), Is.EqualTo(3));
            Assert.That(q.GetCount(1, 0), Is.EqualTo(3), "positional: predicted first");
            Assert.That(q.GetCount(0, 1), Is.EqualTo(1));
            Assert.That(q.GetCount(predicted: 2, actual: 0), Is.EqualTo(2));
            Assert.That(q.GetCount(predicted: 0, actual: 2), Is.Zero);
            Assert.That(q.GetCount(predicted: 2, actual: 2), Is.EqualTo(4));

            // The per-class counts agree: a was predicted once (wrongly) and is actually a five times.
            Assert.That(q.Classes[0], Is.EqualTo(new ClassMetrics("a", 0, 1, 5)));
            Assert.That(q.Classes[2], Is.EqualTo(new ClassMetrics("c", 4, 2, 0)));
        });
    }

    [Test]
    public void RecordGroundTruth_DoubleProbabilities_ScoreLikeFloatOnes()
    {
        using ModelMonitor doubles = Create(["a", "b", "c"]);
        using ModelMonitor floats = Create(["a", "b", "c"]);
        double[][] rows = [[0.7, 0.2, 0.1], [0.1, 0.6, 0.3], [0.25, 0.25, 0.5]];
        int[] actual = [0, 2, 2];
        for (int i = 0; i < rows.Length; i++)
        {
            doubles.RecordGroundTruth(rows[i], actual[i]);
            floats.RecordGroundTruth(rows[i].Select(p => (float)p).ToArray(), actual[i]);
        }

        ClassificationSnapshot d = doubles.GetSnapshot().Classification!, f = floats.GetSnapshot().Classification!;
        Assert.Multiple(() =>
        {
            Assert.That(d.ScoredCount, Is.EqualTo(3));
            Assert.That(d.Correct, Is.EqualTo(2), "a and c predicted right, b for c wrong");
            Assert.That(d.GetCount(predicted: 1, actual: 2), Is.EqualTo(1));
            Assert.That(d.LogLoss, Is.EqualTo((-Math.Log(0.7) - Math.Log(0.3) - Math.Log(0.5)) / 3).Within(1e-6));
            Assert.That(d.GetTopKHits(2), Is.EqualTo(3));
            Assert.That(d.LogLoss, Is.EqualTo(f.LogLoss).Within(1e-6));
            Assert.That(d.Accuracy, Is.EqualTo(f.Accuracy));
        });
    }

    [Test]
    public void RecordGroundTruth_ProbabilitiesWithStringActual_ScoresByLabelAndRejectsUnknownLabels()
    {
        using ModelMonitor monitor = Create(["cat", "dog", "bird"]);

        monitor.RecordGroundTruth([0.1f, 0.8f, 0.1f], "dog");
        monitor.RecordGroundTruth([0.6, 0.3, 0.1], "bird");
        monitor.RecordGroundTruth([0.6f, 0.3f, 0.1f], "cow");
        monitor.RecordGroundTruth([0.6, 0.3, 0.1], "Dog");

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        ClassificationSnapshot q = snapshot.Classification!;
        Assert.Multiple(() =>
        {
            Assert.That(q.ScoredCount, Is.EqualTo(2));
            Assert.That(q.GetCount(predicted: 1, actual: 1), Is.EqualTo(1));
            Assert.That(q.GetCount(predicted: 0, actual: 2), Is.EqualTo(1));
            Assert.That(q.LogLoss, Is.EqualTo((-Math.Log(0.8f) - Math.Log(0.1)) / 2).Within(1e-6));
            Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["unknown_label"] = 2 }));
        });
    }

    [Test]
    public void RecordBinaryGroundTruth_PositiveAboveHalf_HalfIsNegative_ScoresLogLoss()
    {
        using ModelMonitor monitor = Create(["legit", "fraud"]);

        monitor.RecordBinaryGroundTruth(0.9, actual: true);   // TP, −ln 0.9
        monitor.RecordBinaryGroundTruth(0.5, actual: false);  // predicted negative: TN, −ln 0.5
        monitor.RecordBinaryGroundTruth(0.5, actual: true);   // predicted negative: FN, −ln 0.5
        monitor.RecordBinaryGroundTruth(0.51, actual: false); // FP, −ln 0.49
        monitor.RecordBinaryGroundTruth(0.0, actual: false);  // TN, −ln 1 = 0

        ClassificationSnapshot q = monitor.GetSnapshot().Classification!;
        Assert.Multiple(() =>
        {
            Assert.That(q.GetCount(predicted: 1, actual: 1), Is.EqualTo(1));
            Assert.That(q.GetCount(predicted: 0, actual: 0), Is.EqualTo(2));
            Assert.That(q.GetCount(predicted: 0, actual: 1), Is.EqualTo(1), "p = 0.5 is not above 0.5: negative");
            Assert.That(q.GetCount(predicted: 1, actual: 0), Is.EqualTo(1));
            Assert.That(q.ScoredCount, Is.EqualTo(5));
            Assert.That(q.LogLossSum, Is.EqualTo(-Math.Log(0.9) - (2 * Math.Log(0.5)) - Math.Log(0.49)).Within(5 * 5e-7));
            Assert.That(q.GetTopKAccuracy(1), Is.EqualTo(q.Accuracy));
        });
    }

    [TestCase(1.2)]
    [TestCase(-0.1)]
    [TestCase(double.NaN)]
    [TestCase(double.PositiveInfinity)]
    public void RecordBinaryGroundTruth_ScoreOutsideZeroToOne_IsRejectedAsInvalidProbabilities(double score)
    {
        using ModelMonitor monitor = Create(["legit", "fraud"]);

        monitor.RecordBinaryGroundTruth(score, actual: true);
        monitor.RecordBinaryPrediction("id", score);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Classification!.Total, Is.Zero);
        Assert.That(snapshot.Labels.Pending, Is.Zero);
        Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["invalid_probabilities"] = 2 }));
    }

    [Test]
    public void RecordBinaryGroundTruth_NonBinaryOrUnlabelledMonitor_IsRejected()
    {
        using ModelMonitor threeClasses = Create(["a", "b", "c"]);
        using ModelMonitor unlabelled = Create(null);

        threeClasses.RecordBinaryGroundTruth(0.7, actual: true);
        threeClasses.RecordBinaryPrediction("id", 0.7);
        unlabelled.RecordBinaryGroundTruth(0.7, actual: true);

        Assert.That(threeClasses.GetSnapshot().Classification!.Total, Is.Zero);
        Assert.That(threeClasses.GetSnapshot().Rejected, Is.EqualTo(new Dictionary<string, long> { ["invalid_probabilities"] = 2 }));
        Assert.That(unlabelled.GetSnapshot().Rejected, Is.EqualTo(new Dictionary<string, long> { ["no_labels_declared"] = 1 }));
    }

    [Test]
    public void RecordBinaryPrediction_WithId_JoinsItsBoolLabelAndScoresTheProbability()
    {
        using ModelMonitor monitor = Create(["legit", "fraud"]);

        monitor.RecordBinaryPrediction("tx-1", 0.8);
        monitor.RecordBinaryPrediction("tx-2", 0.3);
        Assert.That(monitor.RecordLabel("tx-1", true), Is.True);
        Assert.That(monitor.RecordLabel("tx-2", true), Is.True);

        ClassificationSnapshot q = monitor.GetSnapshot().Classification!;
        Assert.Multiple(() =>
        {
            Assert.That(q.GetCount(predicted: 1, actual: 1), Is.EqualTo(1));
            Assert.That(q.GetCount(predicted: 0, actual: 1), Is.EqualTo(1));

            // Kept in single precision until the label arrives.
            Assert.That(q.LogLoss, Is.EqualTo((-Math.Log(0.8f) - Math.Log(0.3f)) / 2).Within(1e-6));
        });
    }

    [Test]
    public void RecordPrediction_DoubleProbabilitiesWithAndWithoutId_CountForDriftAndJoinLater()
    {
        using ModelMonitor monitor = Create(["a", "b"]);
        monitor.SetDriftReference([0.5, 0.5]);

        monitor.RecordPrediction([0.2, 0.8]);
        monitor.RecordPrediction("p-1", [0.9, 0.1]);
        Assert.That(monitor.RecordLabel("p-1", "b"), Is.True);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Drift!.Predictions, Is.EqualTo(2));
            Assert.That(snapshot.Drift.ClassShares, Is.EqualTo(new[] { 0.5, 0.5 }));
            Assert.That(snapshot.Classification!.GetCount(predicted: 0, actual: 1), Is.EqualTo(1));
            Assert.That(snapshot.Classification.LogLoss, Is.EqualTo(-Math.Log(0.1f)).Within(1e-6));
        });
    }

    [Test]
    public void TopK_TiesForTheMaximum_TopOneEqualsAccuracy()
    {
        using ModelMonitor monitor = Create(["a", "b", "c", "d"]);

        // Tree-like probabilities (multiples of 1/4) full of ties; the predicted class is the first maximum.
        float[][] rows = [[0.5f, 0.5f, 0, 0], [0.5f, 0.5f, 0, 0], [0.25f, 0.25f, 0.25f, 0.25f], [0, 0.5f, 0.5f, 0], [0.25f, 0.25f, 0.25f, 0.25f]];
        int[] actual = [1, 0, 3, 1, 0];
        for (int i = 0; i < rows.Length; i++)
        {
            monitor.RecordGroundTruth(rows[i], actual[i]);
        }

        ClassificationSnapshot q = monitor.GetSnapshot().Classification!;
        Assert.Multiple(() =>
        {
            // Right: row 2 (a, first of the tie) , row 4 (b, first of the tie), row 5 (a). Ties no longer count as hits.
            Assert.That(q.Correct, Is.EqualTo(3));
            Assert.That(q.GetTopKHits(1), Is.EqualTo(q.Correct));
            Assert.That(q.GetTopKAccuracy(1), Is.EqualTo(q.Accuracy));

            // Ranks: row 1: b behind a (tie, lower index): 1; row 3: d behind a, b, c: 3; others 0.
            Assert.That(q.GetTopKHits(2), Is.EqualTo(4));
            Assert.That(q.GetTopKHits(3), Is.EqualTo(4));
            Assert.That(q.GetTopKHits(4), Is.EqualTo(5));
        });
    }

    [Test]
    public void LogLoss_ZeroTrueClassProbability_IsMinusLnOfTheMachineEpsilon()
    {
        using ModelMonitor monitor = Create(["a", "b"]);

        monitor.RecordGroundTruth([1f, 0f], 1);

        ClassificationSnapshot q = monitor.GetSnapshot().Classification!;
        Assert.That(-Math.Log(MachineEpsilon), Is.EqualTo(36.04365338911715).Within(1e-12), "the test's own constant");
        Assert.That(q.LogLoss, Is.EqualTo(36.04365338911715).Within(5e-7), "rounded to the micro-nat (was −ln 1e-15 = 34.54)");
        Assert.That(q.LogLossSum, Is.EqualTo(36.043653));
    }

    private static void Record(ModelMonitor monitor, int predicted, int actual, int times)
    {
        for (int i = 0; i < times; i++)
        {
            monitor.RecordGroundTruth(predicted, actual);
        }
    }

    private static ModelMonitor Create(string[]? labels) =>
        new(new ModelMonitorOptions { ModelName = "overloads-" + Guid.NewGuid(), ClassLabels = labels });
}
