// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Linq;
using ModelMetrics.Recording;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Calls;

/// <summary>The one-pass readings publishing uses agree with the per-value ones a user calls.</summary>
public class LatencySnapshotTests
{
    [Test]
    public void GetQuantiles_OnePass_EqualsGetQuantileForEach()
    {
        var layout = new HistogramLayout(1_000, 3_600_000_000_000, 2);
        var random = new Random(7);
        long[] counts = new long[layout.BucketCount];
        for (int i = 0; i < 5_000; i++)
        {
            // Log-uniform durations from 1 µs to 10 s, in a few clusters, so that quantiles land in different buckets.
            counts[layout.IndexOf((long)Math.Exp(random.NextDouble() * Math.Log(1e10)) + 1_000)] += 1 + random.Next(3);
        }

        var snapshot = new LatencySnapshot(layout, counts);
        double[] quantiles = [0, 0.001, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1];
        double[] values = new double[quantiles.Length];
        snapshot.GetQuantiles(quantiles, values);
        for (int q = 0; q < quantiles.Length; q++)
        {
            Assert.That(values[q], Is.EqualTo(snapshot.GetQuantile(quantiles[q])), $"quantile {quantiles[q]}");
        }

        Assert.That(values, Is.Ordered);
        Assert.That(values[0], Is.GreaterThan(0));
    }

    /// <summary>
    /// Published quantiles of a monitor's paged readings and of its windows (a reading minus a checkpoint, page by page)
    /// equal <see cref="LatencySnapshot.GetQuantile"/> for each, reading after reading as pages are shared and bases move.
    /// </summary>
    [Test]
    public void GetQuantiles_PagedReadingsAndWindowsOverThem_EqualGetQuantileForEach()
    {
        var clock = new FakeTimeProvider();
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = nameof(GetQuantiles_PagedReadingsAndWindowsOverThem_EqualGetQuantileForEach),
            MeterName = nameof(LatencySnapshotTests),
            Windows = [TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10)],
            TimeProvider = clock,
        });
        var random = new Random(5);
        double[] quantiles = [0, 0.001, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 1];
        double[] values = new double[quantiles.Length];
        int checkedWindows = 0;
        for (int phase = 0; phase < 10; phase++)
        {
            // Each phase its own range (a window then holds a different distribution from the cumulative reading).
            double low = 1e-5 * Math.Pow(10, phase % 4);
            for (int i = 0; i < 300; i++)
            {
                monitor.RecordCall(low * Math.Pow(10, 2 * random.NextDouble()));
            }

            ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
            foreach (LatencySnapshot latency in new[] { snapshot.Latency }.Concat(snapshot.Windows.Select(w => w.Latency)))
            {
                if (latency.Count == 0)
                {
                    continue;
                }

                checkedWindows++;
                latency.GetQuantiles(quantiles, values);
                for (int q = 0; q < quantiles.Length; q++)
                {
                    Assert.That(values[q], Is.EqualTo(latency.GetQuantile(quantiles[q])), $"phase {phase}, count {latency.Count}, quantile {quantiles[q]}");
                }
            }

            clock.Advance(TimeSpan.FromSeconds(25));
        }

        Assert.That(checkedWindows, Is.EqualTo(30));
        Assert.That(monitor.GetSnapshot().Recent.Latency.Count, Is.LessThan(monitor.GetSnapshot().Latency.Count), "the 1-minute window's base moved");
    }

    [Test]
    public void CountsAtOrBelow_OnePass_EqualsCountAtOrBelowForEachBoundary()
    {
        var layout = new HistogramLayout(1_000, 3_600_000_000_000, 2);
        long[] boundaries = [-1, 0, 999, 1_000_000, 1_004_999, 1_005_000, 123_456_789, 123_456_790, 3_600_000_000_000, long.MaxValue];
        var histogram = new StripedHistogram(layout, new Rejections(), boundaries);
        var random = new Random(11);
        for (int i = 0; i < 20_000; i++)
        {
            histogram.Record(random.Next(4) == 0 ? boundaries[1 + random.Next(boundaries.Length - 2)] + random.Next(-2, 3) : (long)Math.Exp(random.NextDouble() * Math.Log(1e12)));
        }

        long[] reading = new long[histogram.Length];
        histogram.AddTo(reading);
        long[] all = new long[boundaries.Length];
        histogram.CountsAtOrBelow(reading, all);
        for (int b = 0; b < boundaries.Length; b++)
        {
            Assert.That(all[b], Is.EqualTo(histogram.CountAtOrBelow(reading, b)), $"boundary {boundaries[b]}");
        }

        Assert.That(all, Is.Ordered);
        Assert.That(all[0], Is.Zero, "nothing is at or below -1");
        Assert.That(all[^1], Is.EqualTo(20_000), "everything is at or below long.MaxValue");
    }
}
