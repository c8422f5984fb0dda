// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using ModelMetrics.Signals;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Classification;

/// <summary>The striped confusion cells of the classification signal: full matrix or per-class counts.</summary>
public class ConfusionCountsTests
{
    [Test]
    public void ConfusionCounts_FullMatrix_KeepsOneCellPerActualPredictedPair()
    {
        var confusion = new ConfusionCounts(3, fullMatrix: true);
        confusion.Record(actual: 0, predicted: 0);
        confusion.Record(actual: 0, predicted: 2);
        confusion.Record(actual: 0, predicted: 2);
        confusion.Record(actual: 2, predicted: 1);

        var cells = new long[confusion.CellCount];
        confusion.AddTo(cells);

        // Row-major: cell (actual * K) + predicted.
        Assert.That(confusion.CellCount, Is.EqualTo(9));
        Assert.That(cells, Is.EqualTo(new long[] { 1, 0, 2, 0, 0, 0, 0, 1, 0 }));
    }

    [Test]
    public void ConfusionCounts_Compact_KeepsPerClassTruePositivesFalsePositivesAndFalseNegatives()
    {
        var confusion = new ConfusionCounts(3, fullMatrix: false);
        confusion.Record(actual: 0, predicted: 0);
        confusion.Record(actual: 0, predicted: 2);
        confusion.Record(actual: 0, predicted: 2);
        confusion.Record(actual: 2, predicted: 1);

        var cells = new long[confusion.CellCount];
        confusion.AddTo(cells);
        var quality = new ClassificationSnapshot(["a", "b", "c"], cells, fullMatrix: false);

        // a: TP 1, FN 2 (predicted c twice); b: FP 1 (predicted for actual c); c: FP 2, FN 1.
        Assert.That(quality.Classes, Is.EqualTo(new[]
        {
            new ClassMetrics("a", 1, 0, 2),
            new ClassMetrics("b", 0, 1, 0),
            new ClassMetrics("c", 0, 2, 1),
        }));
        Assert.That(quality.Total, Is.EqualTo(4));
        Assert.That(quality.Correct, Is.EqualTo(1));
        Assert.That(quality.HasMatrix, Is.False);
    }

    [Test]
    public void ConfusionCounts_Compact_UsesThreeCellsPerClass()
    {
        var confusion = new ConfusionCounts(1000, fullMatrix: false);

        // 1000 classes: 3000 cells (24 KB per stripe), not 10^6.
        Assert.That(confusion.CellCount, Is.EqualTo(3000));
        Assert.That(confusion.IsFullMatrix, Is.False);
        Assert.That(confusion.ClassCount, Is.EqualTo(1000));
    }
}
