// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Linq;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace ModelMetrics.Tests.Signals.Calls;

/// <summary>
/// The <c>le</c> counters are exact at each boundary (issue 10: the HDR bucket holding a boundary used to count
/// whole), <see cref="LatencySnapshot.CountAtOrBelow"/> and <see cref="LatencySnapshot.GetBuckets"/>, and the
/// native histogram's boundaries.
/// </summary>
public class LatencyBoundaryTests
{
    // Boundaries that fall inside HDR buckets (at 2 significant digits a bucket near 12.3 ms is ~100 µs wide).
    private static readonly double[] Boundaries = [0.000_777, 0.0123, 0.3333, 2.5];

    [Test]
    public void LeCounters_DurationsAtOneTickBelowAndOneTickAboveEachBoundary_CountExactlyThoseAtOrBelow()
    {
        string name = nameof(LeCounters_DurationsAtOneTickBelowAndOneTickAboveEachBoundary_CountExactlyThoseAtOrBelow);
        using var collector = new MeasurementCollector(name);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = name, MeterName = name, BucketBoundaries = Boundaries });
        double frequency = Stopwatch.Frequency;
        var recorded = new List<long>();
        foreach (double boundary in Boundaries)
        {
            // Durations are whole ticks: a duration is at or below the boundary when its ticks are at most floor(b × f).
            long at = (long)Math.Floor(boundary * frequency);
            foreach (long ticks in new[] { at - 1, at, at + 1 })
            {
                monitor.RecordCall(ticks / frequency);
                recorded.Add(ticks);
            }
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Dictionary<string, double> published = collector.Collect(name)
            .Where(o => o.Instrument == "model.inference.duration.bucket")
            .ToDictionary(o => o.Tag("le")!, o => o.Value);

        Assert.Multiple(() =>
        {
            for (int i = 0; i < Boundaries.Length; i++)
            {
                long at = (long)Math.Floor(Boundaries[i] * frequency);
                long expected = recorded.Count(t => t <= at);
                Assert.That(expected, Is.EqualTo((3 * i) + 2), "the test's own arithmetic");
                string le = Boundaries[i].ToString(CultureInfo.InvariantCulture);
                Assert.That(published[le], Is.EqualTo(expected), $"published le={le}");
                Assert.That(snapshot.Latency.CountAtOrBelow(Boundaries[i]), Is.EqualTo(expected), $"CountAtOrBelow({le})");
                Assert.That(snapshot.Recent.Latency.CountAtOrBelow(Boundaries[i]), Is.EqualTo(expected), $"window CountAtOrBelow({le})");
            }

            Assert.That(published["+Inf"], Is.EqualTo(recorded.Count));
            Assert.That(published, Has.Count.EqualTo(Boundaries.Length + 1));
        });
    }

    /// <summary>
    /// Readings share unchanged pages with the reading before and add up the counts and sums each page keeps: after batch
    /// upon batch of durations (each changing a few pages), the count, sum and every published <c>le</c> count equal those
    /// computed from the durations themselves.
    /// </summary>
    [Test]
    public void PagedReadings_BatchAfterBatch_CountSumAndLeCountsEqualTheDurationsOwn()
    {
        string name = nameof(PagedReadings_BatchAfterBatch_CountSumAndLeCountsEqualTheDurationsOwn);
        double[] boundaries = [.. ModelMonitorOptions.DefaultBucketBoundaries.Concat(Boundaries).Distinct().Order()];
        using var collector = new MeasurementCollector(name);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = name, MeterName = name, BucketBoundaries = boundaries });
        double frequency = Stopwatch.Frequency;
        var random = new Random(11);
        var recorded = new List<long>();
        for (int batch = 0; batch < 12; batch++)
        {
            // Early batches spread over four decades; later ones hit a narrow range, so most pages stay shared.
            int count = batch < 3 ? 500 : 7;
            for (int i = 0; i < count; i++)
            {
                double seconds = batch < 3 ? 1e-5 * Math.Pow(10, 4 * random.NextDouble()) : 0.002 + (0.0001 * random.NextDouble());
                long ticks = (long)Math.Round(seconds * frequency);
                monitor.RecordCall(ticks / frequency);
                recorded.Add(ticks);
            }

            LatencySnapshot latency = monitor.GetSnapshot().Latency;
            double bucketSum = latency.GetBuckets().Sum(b => b.Count * (b.LowerBound + ((b.UpperBound - b.LowerBound - (1 / frequency)) / 2)));
            Dictionary<string, double> published = collector.Collect(name)
                .Where(o => o.Instrument == "model.inference.duration.bucket")
                .ToDictionary(o => o.Tag("le")!, o => o.Value);
            Assert.Multiple(() =>
            {
                Assert.That(latency.Count, Is.EqualTo(recorded.Count), $"batch {batch}: count");
                Assert.That(latency.Sum, Is.EqualTo(bucketSum).Within(1e-12).Percent, $"batch {batch}: sum of bucket midpoints");
                foreach (double boundary in boundaries)
                {
                    long at = (long)Math.Floor(boundary * frequency);
                    string le = boundary.ToString(CultureInfo.InvariantCulture);
                    Assert.That(published[le], Is.EqualTo(recorded.Count(t => t <= at)), $"batch {batch}: le={le}");
                }

                Assert.That(published["+Inf"], Is.EqualTo(recorded.Count), $"batch {batch}: +Inf");
            });
        }
    }

    [Test]
    public void CountAtOrBelow_BeyondTheRangeAndBelowZero_CountsAllOrNone()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(CountAtOrBelow_BeyondTheRangeAndBelowZero_CountsAllOrNone), BucketBoundaries = Boundaries });
        monitor.RecordCall(0.001);
        monitor.RecordCall(0.2);
        monitor.RecordCall(3);

        LatencySnapshot latency = monitor.GetSnapshot().Latency;
        Assert.Multiple(() =>
        {
            Assert.That(latency.CountAtOrBelow(2.5), Is.EqualTo(2), "a declared boundary, exact");
            Assert.That(latency.CountAtOrBelow(10_000), Is.EqualTo(3), "past the histogram's range: everything");
            Assert.That(latency.CountAtOrBelow(-1), Is.Zero);
        });
    }

    [Test]
    public void GetBuckets_VariedDurations_NonEmptyOrderedBucketsThatSumToCountAndHoldEachValue()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(GetBuckets_VariedDurations_NonEmptyOrderedBucketsThatSumToCountAndHoldEachValue) });
        double[] durations = [0.000_05, 0.000_05, 0.0012, 0.0123, 0.0123, 0.0125, 0.3, 1.7, 42];
        foreach (double d in durations)
        {
            monitor.RecordCall(d);
        }

        LatencySnapshot latency = monitor.GetSnapshot().Latency;
        IReadOnlyList<LatencyBucket> buckets = latency.GetBuckets();
        Assert.Multiple(() =>
        {
            Assert.That(buckets.Sum(b => b.Count), Is.EqualTo(latency.Count));
            Assert.That(latency.Count, Is.EqualTo(durations.Length));
            Assert.That(buckets.Select(b => b.Count), Is.All.Positive, "only non-empty buckets");
            Assert.That(buckets.Select(b => b.LowerBound), Is.Ordered.Ascending);
            Assert.That(buckets.All(b => b.LowerBound <= b.UpperBound), Is.True);
            for (int i = 1; i < buckets.Count; i++)
            {
                Assert.That(buckets[i].LowerBound, Is.GreaterThanOrEqualTo(buckets[i - 1].UpperBound), "buckets do not overlap");
            }

            foreach (double d in durations.Distinct())
            {
                long expected = durations.Count(x => x == d);
                LatencyBucket holding = buckets.Single(b => b.LowerBound <= d * 1.0001 && d <= b.UpperBound * 1.0001);
                Assert.That(holding.Count, Is.GreaterThanOrEqualTo(expected), $"bucket of {d}");
            }

        });

        using var idle = new ModelMonitor(new ModelMonitorOptions { ModelName = "empty-buckets" });
        Assert.That(idle.GetSnapshot().Latency.GetBuckets(), Is.Empty);
    }

    [Test]
    public void NativeHistogram_MonitorsBoundaries_AreTheInstrumentsAdviceAndTheExportersBuckets()
    {
        string meter = "ModelMetrics.Tests.NativeBoundaries." + Guid.NewGuid();
        IReadOnlyList<double>? advised = null;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == meter && instrument is Histogram<double> histogram)
                {
                    advised = histogram.Advice?.HistogramBucketBoundaries;
                }
            },
        };
        listener.Start();
        var exported = new List<MetricSnapshot>();
        using MeterProvider provider = Sdk.CreateMeterProviderBuilder().AddModelMetrics(meter).AddInMemoryExporter(exported).Build();
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "native-bounds", MeterName = meter, EnableNativeHistogram = true, BucketBoundaries = Boundaries });

        monitor.RecordCall(0.010);
        monitor.RecordCall(0.020);
        monitor.RecordCall(1.0);
        provider.ForceFlush();

        MetricSnapshot native = exported.Last(m => m.Name == "model.inference.duration");
        var bounds = new List<double>();
        long count = 0;
        foreach (MetricPoint point in native.MetricPoints)
        {
            count += point.GetHistogramCount();
            bounds.Clear();
            foreach (HistogramBucket bucket in point.GetHistogramBuckets())
            {
                bounds.Add(bucket.ExplicitBound);
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(advised, Is.EqualTo(Boundaries), "the instrument's advice (net9+)");
            Assert.That(bounds.Take(bounds.Count - 1), Is.EqualTo(Boundaries), "the exporter's buckets, through AddModelMetrics' view");
            Assert.That(count, Is.EqualTo(3));
        });
    }

    [Test]
    public void NativeHistogram_SecondMonitorOnTheSameMeterWithOtherBoundaries_ThrowsForBucketBoundaries()
    {
        string meter = "ModelMetrics.Tests.NativeMismatch." + Guid.NewGuid();
        using var first = new ModelMonitor(new ModelMonitorOptions { ModelName = "first", MeterName = meter, EnableNativeHistogram = true, BucketBoundaries = Boundaries });

        Assert.That(
            () => new ModelMonitor(new ModelMonitorOptions { ModelName = "second", MeterName = meter, EnableNativeHistogram = true, BucketBoundaries = [0.1, 1] }).Dispose(),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("BucketBoundaries"));

        // The same boundaries share the instrument; a monitor without the native histogram may use any boundaries.
        Assert.That(() => new ModelMonitor(new ModelMonitorOptions { ModelName = "same", MeterName = meter, EnableNativeHistogram = true, BucketBoundaries = [.. Boundaries] }).Dispose(), Throws.Nothing);
        Assert.That(() => new ModelMonitor(new ModelMonitorOptions { ModelName = "plain", MeterName = meter, BucketBoundaries = [0.1, 1] }).Dispose(), Throws.Nothing);
    }
}
