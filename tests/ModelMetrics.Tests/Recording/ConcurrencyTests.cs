// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Linq;
using ModelMetrics.Recording;
using ModelMetrics.Signals;
using NUnit.Framework;

namespace ModelMetrics.Tests.Recording;

/// <summary>
/// Writers on several threads record into the striped core while a reader merges it; nothing may be lost
/// and no merged reading may be inconsistent or run backwards.
/// </summary>
public class ConcurrencyTests
{
    private const int PerThread = 1_000_000;
    private const int MaxSnapshots = 5_000;
    private const int FullClasses = 3;
    private const int CompactClasses = 40;

    private static readonly string[] CompactLabels = Enumerable.Range(0, CompactClasses).Select(i => $"c{i}").ToArray();

    [Test]
    public void Record_TwoWritersWithConcurrentReader_TotalsAreExactAndSnapshotsConsistent() =>
        RunWritersAndReader(2);

    [Test]
    public void Record_ProcessorCountWritersWithConcurrentReader_TotalsAreExactAndSnapshotsConsistent() =>
        RunWritersAndReader(Environment.ProcessorCount);

    [Test]
    public void FullMatrix_ConcurrentCorrectPairs_SnapshotsNeverShowFalsePositivesOrNegatives()
    {
        string[] labels = Enumerable.Range(0, 8).Select(i => $"c{i}").ToArray();
        var confusion = new ConfusionCounts(labels.Length, fullMatrix: true);
        RunCorrectPairs(confusion, labels).AssertClean();
    }

    [Test]
    public void CompactCounts_ConcurrentCorrectPairs_SnapshotsNeverShowFalsePositivesOrNegatives()
    {
        // Only correct pairs (actual == predicted) are recorded, so every FP and FN is 0 at all times. The
        // compact layout increments predicted[c], actual[c] and TP[c] separately and the reader derives
        // FP = predicted - TP and FN = actual - TP: a reader that reads TP[c] before and predicted[c] after
        // a record of class c reports FP = 1 (and FN = 1 when it also read actual[c] after the record), and the next
        // reading 0 again: the published FP and FN counters decrease.
        string[] labels = Enumerable.Range(0, 40).Select(i => $"c{i}").ToArray();
        var confusion = new ConfusionCounts(labels.Length, fullMatrix: false);
        RunCorrectPairs(confusion, labels).AssertClean();
    }

    private static void RunWritersAndReader(int threadCount)
    {
        var layout = new HistogramLayout(1000, 3_600_000_000_000, 2);
        var rejections = new Rejections();
        var histogram = new StripedHistogram(layout, rejections);
        var full = new ConfusionCounts(FullClasses, fullMatrix: true);
        var compact = new ConfusionCounts(CompactClasses, fullMatrix: false);

        var expectedCounts = new long[threadCount][];
        var expectedSums = new long[threadCount];
        var expectedFull = new long[threadCount][];
        var expectedCompact = new long[threadCount][];
        long[] previousCounts = new long[layout.BucketCount];
        long[] previousFull = new long[full.CellCount];
        long[] previousCompact = new long[compact.CellCount];
        long previousCount = 0;
        double previousSum = 0;
        var run = new ConcurrentRun(threadCount) { MaxReadings = MaxSnapshots };
        run.Execute(
            id =>
            {
                var counts = new long[layout.BucketCount];
                var fullCells = new long[full.CellCount];
                var compactTp = new long[CompactClasses];
                var compactFp = new long[CompactClasses];
                var compactFn = new long[CompactClasses];
                long sum = 0;
                for (int i = 0; i < PerThread; i++)
                {
                    // A spread of values from 1 µs to about 2.1 s, different per thread.
                    long value = 1000 + (((i * 2_654_435_761L) + (id * 40_503L)) & ((1L << 31) - 1));
                    histogram.Record(value);
                    counts[layout.IndexOf(value)]++;
                    sum += value;

                    int actual = i % FullClasses, predicted = ((i / FullClasses) + id) % FullClasses;
                    full.Record(actual, predicted);
                    fullCells[(actual * FullClasses) + predicted]++;

                    int compactActual = ((i * 7) + id) % CompactClasses, compactPredicted = i % CompactClasses;
                    compact.Record(compactActual, compactPredicted);
                    if (compactActual == compactPredicted)
                    {
                        compactTp[compactActual]++;
                    }
                    else
                    {
                        compactFp[compactPredicted]++;
                        compactFn[compactActual]++;
                    }
                }

                expectedCounts[id] = counts;
                expectedSums[id] = sum;
                expectedFull[id] = fullCells;
                expectedCompact[id] = [.. compactTp, .. compactFp, .. compactFn];
            },
            reading =>
            {
                var counts = new long[layout.BucketCount];
                histogram.AddTo(counts);
                var snapshot = new LatencySnapshot(layout, counts);
                double sum = snapshot.Sum;
                var fullCells = new long[full.CellCount];
                full.AddTo(fullCells);
                var compactCells = new long[compact.CellCount];
                compact.AddTo(compactCells);

                if (snapshot.Count != counts.Sum())
                {
                    run.Problem($"snapshot {reading}: Count {snapshot.Count} != sum of buckets {counts.Sum()}");
                }

                if (snapshot.Count < previousCount || sum < previousSum)
                {
                    run.Problem($"snapshot {reading}: count {snapshot.Count} / sum {sum} after {previousCount} / {previousSum}");
                }

                AddDecreases(run, "bucket", reading, previousCounts, counts);
                AddDecreases(run, "full cell", reading, previousFull, fullCells);
                AddDecreases(run, "compact cell", reading, previousCompact, compactCells);
                foreach (ClassMetrics metrics in new ClassificationSnapshot(CompactLabels, compactCells, fullMatrix: false).Classes)
                {
                    // Documented: a reader that sees a true positive also sees its actual and predicted counts.
                    if (metrics.FalsePositives < 0 || metrics.FalseNegatives < 0)
                    {
                        run.Problem($"snapshot {reading}: {metrics}");
                    }
                }

                previousCounts = counts;
                previousFull = fullCells;
                previousCompact = compactCells;
                previousCount = snapshot.Count;
                previousSum = sum;
            });
        run.AssertClean();

        var finalCounts = new long[layout.BucketCount];
        histogram.AddTo(finalCounts);
        var finalSnapshot = new LatencySnapshot(layout, finalCounts);
        var finalFull = new long[full.CellCount];
        full.AddTo(finalFull);
        var finalCompact = new long[compact.CellCount];
        compact.AddTo(finalCompact);

        Assert.That(finalSnapshot.Count, Is.EqualTo((long)threadCount * PerThread));
        Assert.That(finalSnapshot.Sum * System.Diagnostics.Stopwatch.Frequency, Is.EqualTo((double)expectedSums.Sum()).Within(layout.MaxRelativeError * 100).Percent);
        Assert.That(finalCounts, Is.EqualTo(SumColumns(expectedCounts, layout.BucketCount)));
        Assert.That(finalFull, Is.EqualTo(SumColumns(expectedFull, full.CellCount)));
        Assert.That(finalFull.Sum(), Is.EqualTo((long)threadCount * PerThread));
        ClassificationSnapshot finalQuality = new(CompactLabels, finalCompact, fullMatrix: false);
        long[] expectedPerClass = SumColumns(expectedCompact, 3 * CompactClasses);
        for (int c = 0; c < CompactClasses; c++)
        {
            var expected = new ClassMetrics(CompactLabels[c], expectedPerClass[c], expectedPerClass[CompactClasses + c], expectedPerClass[(2 * CompactClasses) + c]);
            Assert.That(finalQuality.Classes[c], Is.EqualTo(expected));
        }

        Assert.That(finalQuality.Total, Is.EqualTo((long)threadCount * PerThread));
        Assert.That(rejections.NonZero(), Is.Empty);
    }

    private static ConcurrentRun RunCorrectPairs(ConfusionCounts confusion, string[] labels)
    {
        const int Writers = 2;
        const int PairsPerWriter = 1_000_000;
        var run = new ConcurrentRun(Writers) { MaxReadings = 20_000, MaxProblems = 5 };
        run.Execute(
            id =>
            {
                // Each writer keeps recording its own class, so a reader always finds one mid-record.
                int c = (id * 7) % labels.Length;
                for (int i = 0; i < PairsPerWriter; i++)
                {
                    confusion.Record(c, c);
                }
            },
            reading =>
            {
                var cells = new long[confusion.CellCount];
                confusion.AddTo(cells);
                var quality = new ClassificationSnapshot(labels, cells, confusion.IsFullMatrix);
                foreach (ClassMetrics metrics in quality.Classes)
                {
                    if (metrics.FalsePositives != 0 || metrics.FalseNegatives != 0)
                    {
                        run.Problem($"snapshot {reading}: {metrics}");
                        break;
                    }
                }
            });

        var final = new long[confusion.CellCount];
        confusion.AddTo(final);
        var finalQuality = new ClassificationSnapshot(labels, final, confusion.IsFullMatrix);
        Assert.That(finalQuality.Total, Is.EqualTo(Writers * PairsPerWriter));
        Assert.That(finalQuality.Accuracy, Is.EqualTo(1.0));
        return run;
    }

    private static void AddDecreases(ConcurrentRun run, string what, int snapshot, long[] previous, long[] current)
    {
        for (int i = 0; i < current.Length; i++)
        {
            if (current[i] < previous[i])
            {
                run.Problem($"snapshot {snapshot}: {what} {i} went from {previous[i]} to {current[i]}");
                return;
            }
        }
    }

    private static long[] SumColumns(long[][] rows, int length)
    {
        var total = new long[length];
        foreach (long[] row in rows)
        {
            for (int i = 0; i < length; i++)
            {
                total[i] += row[i];
            }
        }

        return total;
    }
}
