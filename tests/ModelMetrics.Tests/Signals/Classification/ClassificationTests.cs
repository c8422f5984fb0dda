// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Classification;

public class ClassificationTests
{
    private const double Tolerance = 1e-12;

    public enum BinaryLabel
    {
        Neg,
        Pos,
    }

    public enum Animal
    {
        Cat,
        Dog,
        Bird,
    }

    [Test]
    public void RecordGroundTruth_BinaryModelThroughEveryOverload_GivesTheHandComputedMatrixAndMetrics()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = nameof(RecordGroundTruth_BinaryModelThroughEveryOverload_GivesTheHandComputedMatrixAndMetrics),
            ClassLabels = ["neg", "pos"],
        });

        // (predicted, actual): 6 true positives, 3 true negatives, 2 false positives (predicted pos, was neg),
        // 1 false negative (predicted neg, was pos). Each pair goes through the int, string, bool and enum
        // overloads in turn.
        var pairs = new List<(int Predicted, int Actual)>();
        pairs.AddRange(Enumerable.Repeat((1, 1), 6));
        pairs.AddRange(Enumerable.Repeat((0, 0), 3));
        pairs.AddRange(Enumerable.Repeat((1, 0), 2));
        pairs.AddRange(Enumerable.Repeat((0, 1), 1));
        string[] names = ["neg", "pos"];
        for (int i = 0; i < pairs.Count; i++)
        {
            (int p, int a) = pairs[i];
            switch (i % 4)
            {
                case 0: monitor.RecordGroundTruth(p, a); break;
                case 1: monitor.RecordGroundTruth(names[p], names[a]); break;
                case 2: monitor.RecordGroundTruth(p == 1, a == 1); break;
                default: monitor.RecordGroundTruth((BinaryLabel)p, (BinaryLabel)a); break;
            }
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        ClassificationSnapshot quality = snapshot.Classification!;

        Assert.That(snapshot.Rejected, Is.Empty);
        Assert.That(quality.HasMatrix, Is.True);
        Assert.That(quality.Labels, Is.EqualTo(new[] { "neg", "pos" }));

        // GetCount(predicted, actual), in the order of RecordGroundTruth.
        Assert.That(quality.GetCount(predicted: 0, actual: 0), Is.EqualTo(3));
        Assert.That(quality.GetCount(predicted: 1, actual: 0), Is.EqualTo(2));
        Assert.That(quality.GetCount(predicted: 0, actual: 1), Is.EqualTo(1));
        Assert.That(quality.GetCount(predicted: 1, actual: 1), Is.EqualTo(6));
        Assert.That(quality.Total, Is.EqualTo(12));
        Assert.That(quality.Correct, Is.EqualTo(9));

        // Accuracy = (6 + 3) / 12 = 0.75.
        Assert.That(quality.Accuracy, Is.EqualTo(0.75).Within(Tolerance));

        // pos: TP 6, FP 2, FN 1. Precision 6/8 = 0.75, recall 6/7, F1 = 2*6 / (2*6 + 2 + 1) = 12/15 = 0.8, support 7.
        ClassMetrics pos = quality.Classes[1];
        Assert.That(pos, Is.EqualTo(new ClassMetrics("pos", 6, 2, 1)));
        Assert.That(pos.Precision, Is.EqualTo(0.75).Within(Tolerance));
        Assert.That(pos.Recall, Is.EqualTo(6.0 / 7).Within(Tolerance));
        Assert.That(pos.F1, Is.EqualTo(0.8).Within(Tolerance));
        Assert.That(pos.Support, Is.EqualTo(7));

        // neg: TP 3, FP 1 (predicted neg, was pos), FN 2. Precision 3/4, recall 3/5, F1 = 6 / (6 + 1 + 2) = 2/3, support 5.
        ClassMetrics neg = quality.Classes[0];
        Assert.That(neg, Is.EqualTo(new ClassMetrics("neg", 3, 1, 2)));
        Assert.That(neg.Precision, Is.EqualTo(0.75).Within(Tolerance));
        Assert.That(neg.Recall, Is.EqualTo(0.6).Within(Tolerance));
        Assert.That(neg.F1, Is.EqualTo(2.0 / 3).Within(Tolerance));
        Assert.That(neg.Support, Is.EqualTo(5));

        // Macro: precision (0.75 + 0.75) / 2 = 0.75; recall (0.6 + 6/7) / 2 = 0.7285714...; F1 (2/3 + 0.8) / 2 = 0.7333...
        Assert.That(quality.MacroPrecision, Is.EqualTo(0.75).Within(Tolerance));
        Assert.That(quality.MacroRecall, Is.EqualTo((0.6 + (6.0 / 7)) / 2).Within(Tolerance));
        Assert.That(quality.MacroRecall, Is.EqualTo(0.728571428571).Within(1e-11));
        Assert.That(quality.MacroF1, Is.EqualTo(((2.0 / 3) + 0.8) / 2).Within(Tolerance));
        Assert.That(quality.MacroF1, Is.EqualTo(0.733333333333).Within(1e-11));
    }

    [Test]
    public void RecordGroundTruth_ThreeClassModel_GivesTheHandComputedMatrixAndMetrics()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = nameof(RecordGroundTruth_ThreeClassModel_GivesTheHandComputedMatrixAndMetrics),
            ClassLabels = ["cat", "dog", "bird"],
        });

        // Matrix, rows actual, columns predicted (cat, dog, bird):
        //   cat:  5 2 1   (support 8)
        //   dog:  1 4 0   (support 5)
        //   bird: 0 3 2   (support 5)
        // Predicted totals: cat 6, dog 9, bird 3. Total 18.
        long[,] matrix = { { 5, 2, 1 }, { 1, 4, 0 }, { 0, 3, 2 } };
        string[] names = ["cat", "dog", "bird"];
        int n = 0;
        for (int a = 0; a < 3; a++)
        {
            for (int p = 0; p < 3; p++)
            {
                for (int k = 0; k < matrix[a, p]; k++, n++)
                {
                    switch (n % 3)
                    {
                        case 0: monitor.RecordGroundTruth(p, a); break;
                        case 1: monitor.RecordGroundTruth(names[p], names[a]); break;
                        default: monitor.RecordGroundTruth((Animal)p, (Animal)a); break;
                    }
                }
            }
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        ClassificationSnapshot quality = snapshot.Classification!;
        Assert.That(snapshot.Rejected, Is.Empty);
        for (int a = 0; a < 3; a++)
        {
            for (int p = 0; p < 3; p++)
            {
                Assert.That(quality.GetCount(predicted: p, actual: a), Is.EqualTo(matrix[a, p]), $"actual {names[a]}, predicted {names[p]}");
            }
        }

        // Accuracy = (5 + 4 + 2) / 18 = 11/18.
        Assert.That(quality.Total, Is.EqualTo(18));
        Assert.That(quality.Correct, Is.EqualTo(11));
        Assert.That(quality.Accuracy, Is.EqualTo(11.0 / 18).Within(Tolerance));

        // cat:  TP 5, FP 6-5 = 1, FN 8-5 = 3: precision 5/6, recall 5/8, F1 = 10 / (10 + 1 + 3) = 5/7.
        // dog:  TP 4, FP 9-4 = 5, FN 5-4 = 1: precision 4/9, recall 4/5, F1 = 8 / (8 + 5 + 1) = 4/7.
        // bird: TP 2, FP 3-2 = 1, FN 5-2 = 3: precision 2/3, recall 2/5, F1 = 4 / (4 + 1 + 3) = 1/2.
        Assert.That(quality.Classes, Is.EqualTo(new[]
        {
            new ClassMetrics("cat", 5, 1, 3),
            new ClassMetrics("dog", 4, 5, 1),
            new ClassMetrics("bird", 2, 1, 3),
        }));
        double[] precision = [5.0 / 6, 4.0 / 9, 2.0 / 3];
        double[] recall = [5.0 / 8, 4.0 / 5, 2.0 / 5];
        double[] f1 = [5.0 / 7, 4.0 / 7, 1.0 / 2];
        long[] support = [8, 5, 5];
        for (int c = 0; c < 3; c++)
        {
            Assert.That(quality.Classes[c].Precision, Is.EqualTo(precision[c]).Within(Tolerance), names[c]);
            Assert.That(quality.Classes[c].Recall, Is.EqualTo(recall[c]).Within(Tolerance), names[c]);
            Assert.That(quality.Classes[c].F1, Is.EqualTo(f1[c]).Within(Tolerance), names[c]);
            Assert.That(quality.Classes[c].Support, Is.EqualTo(support[c]), names[c]);
        }

        // Macro precision (5/6 + 4/9 + 2/3) / 3 = (15 + 8 + 12) / 18 / 3 = 35/54 = 0.648148...
        // Macro recall (0.625 + 0.8 + 0.4) / 3 = 1.825 / 3 = 0.608333...
        // Macro F1 (5/7 + 4/7 + 1/2) / 3 = (18/14 + 7/14) / 3 = 25/42 = 0.595238...
        Assert.That(quality.MacroPrecision, Is.EqualTo(35.0 / 54).Within(Tolerance));
        Assert.That(quality.MacroRecall, Is.EqualTo(1.825 / 3).Within(Tolerance));
        Assert.That(quality.MacroF1, Is.EqualTo(25.0 / 42).Within(Tolerance));
    }

    [Test]
    public void Metrics_ClassNeverPredictedOrNeverPresent_UseZeroDivisionZero_AndMacroSkipsAbsentClasses()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = nameof(Metrics_ClassNeverPredictedOrNeverPresent_UseZeroDivisionZero_AndMacroSkipsAbsentClasses),
            ClassLabels = ["a", "b", "c", "d"],
        });

        // (predicted, actual): (a, a) x2, (a, b) x1, (c, a) x1. d never occurs nor is predicted.
        monitor.RecordGroundTruth("a", "a");
        monitor.RecordGroundTruth("a", "a");
        monitor.RecordGroundTruth("a", "b");
        monitor.RecordGroundTruth("c", "a");

        ClassificationSnapshot quality = monitor.GetSnapshot().Classification!;

        // a: TP 2, FP 1, FN 1: precision 2/3, recall 2/3, F1 4/6 = 2/3.
        // b: never predicted: precision 0/0 -> 0; recall 0/1 = 0; F1 0.
        // c: never present: recall 0/0 -> 0; precision 0/1 = 0; F1 0.
        // d: neither: every metric 0, and it is left out of the macro averages.
        Assert.That(quality.Classes[0].Precision, Is.EqualTo(2.0 / 3).Within(Tolerance));
        Assert.That(quality.Classes[0].Recall, Is.EqualTo(2.0 / 3).Within(Tolerance));
        Assert.That(quality.Classes[0].F1, Is.EqualTo(2.0 / 3).Within(Tolerance));
        Assert.That(quality.Classes[1], Is.EqualTo(new ClassMetrics("b", 0, 0, 1)));
        Assert.That(quality.Classes[1].Precision, Is.Zero);
        Assert.That(quality.Classes[1].Recall, Is.Zero);
        Assert.That(quality.Classes[1].F1, Is.Zero);
        Assert.That(quality.Classes[2], Is.EqualTo(new ClassMetrics("c", 0, 1, 0)));
        Assert.That(quality.Classes[2].Precision, Is.Zero);
        Assert.That(quality.Classes[2].Recall, Is.Zero);
        Assert.That(quality.Classes[2].F1, Is.Zero);
        Assert.That(quality.Classes[3], Is.EqualTo(new ClassMetrics("d", 0, 0, 0)));
        Assert.That(quality.Classes[3].Precision, Is.Zero);
        Assert.That(quality.Classes[3].Recall, Is.Zero);
        Assert.That(quality.Classes[3].F1, Is.Zero);

        // Macro over the classes present in actual or predicted (a, b, c), as scikit-learn's default
        // (labels=None uses the union of y_true and y_pred; zero_division=0): (2/3 + 0 + 0) / 3 = 2/9,
        // not (2/3) / 4 = 1/6 over all declared labels.
        Assert.That(quality.MacroPrecision, Is.EqualTo(2.0 / 9).Within(Tolerance));
        Assert.That(quality.MacroRecall, Is.EqualTo(2.0 / 9).Within(Tolerance));
        Assert.That(quality.MacroF1, Is.EqualTo(2.0 / 9).Within(Tolerance));

        // Accuracy 2 / 4.
        Assert.That(quality.Accuracy, Is.EqualTo(0.5).Within(Tolerance));
    }

    [Test]
    public void Metrics_NothingRecorded_AreZero()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = nameof(Metrics_NothingRecorded_AreZero),
            ClassLabels = ["neg", "pos"],
        });

        ClassificationSnapshot quality = monitor.GetSnapshot().Classification!;

        Assert.That(quality.Total, Is.Zero);
        Assert.That(quality.Accuracy, Is.Zero);
        Assert.That(quality.MacroPrecision, Is.Zero);
        Assert.That(quality.MacroRecall, Is.Zero);
        Assert.That(quality.MacroF1, Is.Zero);
        Assert.That(quality.GetCount(predicted: 1, actual: 1), Is.Zero);
    }

    [Test]
    public void Classification_ModelWithoutLabels_IsNull()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(Classification_ModelWithoutLabels_IsNull) });

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();

        Assert.That(snapshot.Classification, Is.Null);
        Assert.That(snapshot.RecentClassification, Is.Null);
        Assert.That(monitor.ClassLabels, Is.Empty);
    }

    [Test]
    public void GetCount_IndexOutOfRange_Throws()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(GetCount_IndexOutOfRange_Throws), ClassLabels = ["neg", "pos"] });
        ClassificationSnapshot quality = monitor.GetSnapshot().Classification!;

        Assert.That(() => quality.GetCount(predicted: 0, actual: 2), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => quality.GetCount(predicted: -1, actual: 0), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void CompactMode_MoreLabelsThanMaxMatrixClasses_GivesTheSameMetricsAsTheFullMatrix()
    {
        string[] labels = Enumerable.Range(0, 40).Select(i => $"class{i}").ToArray();
        using var compact = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = nameof(CompactMode_MoreLabelsThanMaxMatrixClasses_GivesTheSameMetricsAsTheFullMatrix) + ".compact",
            ClassLabels = labels,
            MaxMatrixClasses = 32,
        });
        using var full = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = nameof(CompactMode_MoreLabelsThanMaxMatrixClasses_GivesTheSameMetricsAsTheFullMatrix) + ".full",
            ClassLabels = labels,
            MaxMatrixClasses = 64,
        });

        // Skewed data: mostly right, errors biased towards low classes, classes 37..39 never occur and 39 is never predicted.
        var random = new Random(42);
        var tp = new long[40];
        var fp = new long[40];
        var fn = new long[40];
        long correct = 0;
        const int Pairs = 20_000;
        for (int i = 0; i < Pairs; i++)
        {
            int actual = (int)Math.Min(36, Math.Floor(-Math.Log(1 - random.NextDouble()) * 8));
            int predicted = random.NextDouble() < 0.7 ? actual : random.Next(0, 39);
            compact.RecordGroundTruth(predicted, actual);
            full.RecordGroundTruth(labels[predicted], labels[actual]);
            if (predicted == actual)
            {
                tp[actual]++;
                correct++;
            }
            else
            {
                fp[predicted]++;
                fn[actual]++;
            }
        }

        ClassificationSnapshot c = compact.GetSnapshot().Classification!;
        ClassificationSnapshot f = full.GetSnapshot().Classification!;

        Assert.That(c.HasMatrix, Is.False);
        Assert.That(f.HasMatrix, Is.True);
        Assert.That(() => c.GetCount(predicted: 0, actual: 0), Throws.InvalidOperationException);
        Assert.That(c.Total, Is.EqualTo(Pairs));
        Assert.That(c.Correct, Is.EqualTo(correct));
        Assert.That(c.Accuracy, Is.EqualTo((double)correct / Pairs).Within(Tolerance));
        Assert.That(c.Classes, Is.EqualTo(f.Classes));
        for (int k = 0; k < 40; k++)
        {
            Assert.That(c.Classes[k], Is.EqualTo(new ClassMetrics(labels[k], tp[k], fp[k], fn[k])), labels[k]);
        }

        Assert.That(c.Accuracy, Is.EqualTo(f.Accuracy));
        Assert.That(c.MacroPrecision, Is.EqualTo(f.MacroPrecision));
        Assert.That(c.MacroRecall, Is.EqualTo(f.MacroRecall));
        Assert.That(c.MacroF1, Is.EqualTo(f.MacroF1));

        // The macro averages skip class 39 (never seen, never predicted) and no others.
        int present = Enumerable.Range(0, 40).Count(k => tp[k] + fp[k] + fn[k] > 0);
        Assert.That(present, Is.EqualTo(39));
        double macroRecall = Enumerable.Range(0, 40).Where(k => tp[k] + fn[k] > 0).Sum(k => (double)tp[k] / (tp[k] + fn[k])) / present;
        Assert.That(c.MacroRecall, Is.EqualTo(macroRecall).Within(Tolerance));
    }

    [TestCase(32, true)]
    [TestCase(33, false)]
    public void HasMatrix_IsTrueUpToMaxMatrixClassesInclusive(int labelCount, bool hasMatrix)
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = nameof(HasMatrix_IsTrueUpToMaxMatrixClassesInclusive) + labelCount,
            ClassLabels = Enumerable.Range(0, labelCount).Select(i => $"l{i}").ToArray(),
            MaxMatrixClasses = 32,
        });
        monitor.RecordGroundTruth(labelCount - 1, 0);

        ClassificationSnapshot quality = monitor.GetSnapshot().Classification!;

        Assert.That(quality.HasMatrix, Is.EqualTo(hasMatrix));
        Assert.That(quality.Classes[labelCount - 1], Is.EqualTo(new ClassMetrics($"l{labelCount - 1}", 0, 1, 0)));
        Assert.That(quality.Classes[0], Is.EqualTo(new ClassMetrics("l0", 0, 0, 1)));
    }

    [Test]
    public void GetLabelIndex_ReturnsIndexOrMinusOne()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(GetLabelIndex_ReturnsIndexOrMinusOne), ClassLabels = ["cat", "dog", "bird"] });

        Assert.That(monitor.GetLabelIndex("bird"), Is.EqualTo(2));
        Assert.That(monitor.GetLabelIndex("Bird"), Is.EqualTo(-1), "string labels are case-sensitive");
        Assert.That(monitor.GetLabelIndex(null!), Is.EqualTo(-1));
    }

    [Test]
    public void RecordGroundTruth_Enum_MatchesLabelsIgnoringCase()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(RecordGroundTruth_Enum_MatchesLabelsIgnoringCase), ClassLabels = ["bird", "CAT", "Dog"] });

        // Label indices: bird 0, CAT 1, Dog 2 - the enum's own numeric values (Cat 0, Dog 1, Bird 2) do not matter.
        monitor.RecordGroundTruth(Animal.Cat, Animal.Bird);
        monitor.RecordGroundTruth(Animal.Dog, Animal.Dog);

        ClassificationSnapshot quality = monitor.GetSnapshot().Classification!;
        Assert.That(quality.GetCount(predicted: 1, actual: 0), Is.EqualTo(1), "actual bird (0), predicted CAT (1)");
        Assert.That(quality.GetCount(predicted: 2, actual: 2), Is.EqualTo(1), "actual Dog (2), predicted Dog (2)");
        Assert.That(quality.Total, Is.EqualTo(2));
    }
}
