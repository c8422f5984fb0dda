// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Linq;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Calls;

public class LatencyTests
{
    [Test]
    public void RecordCall_KnownDurations_QuantilesCountAndSumMatchTheExactValuesWithinOnePercent()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(RecordCall_KnownDurations_QuantilesCountAndSumMatchTheExactValuesWithinOnePercent) });

        // 1 ms, 2 ms, ..., 1000 ms in a shuffled order. Nearest rank: P50 = 500 ms (rank 500), P90 = 900 ms,
        // P95 = 950 ms, P99 = 990 ms, P99.9 = 999 ms, max 1000 ms. Sum = 1000 * 1001 / 2 ms = 500.5 s.
        int[] milliseconds = Enumerable.Range(1, 1000).ToArray();
        new Random(7).Shuffle(milliseconds);
        foreach (int ms in milliseconds)
        {
            monitor.RecordCall(ms / 1000.0);
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        LatencySnapshot latency = snapshot.Latency;

        Assert.That(snapshot.Calls, Is.EqualTo(1000));
        Assert.That(snapshot.Succeeded, Is.EqualTo(1000));
        Assert.That(snapshot.Items, Is.EqualTo(1000));
        Assert.That(snapshot.InFlight, Is.Zero);
        Assert.That(latency.Count, Is.EqualTo(1000));
        Assert.That(latency.P50, Is.EqualTo(0.500).Within(0.500 * 0.01));
        Assert.That(latency.P90, Is.EqualTo(0.900).Within(0.900 * 0.01));
        Assert.That(latency.P95, Is.EqualTo(0.950).Within(0.950 * 0.01));
        Assert.That(latency.P99, Is.EqualTo(0.990).Within(0.990 * 0.01));
        Assert.That(latency.P999, Is.EqualTo(0.999).Within(0.999 * 0.01));
        Assert.That(latency.Max, Is.EqualTo(1.000).Within(1.000 * 0.01));
        Assert.That(latency.GetQuantile(0), Is.EqualTo(0.001).Within(0.001 * 0.01));

        // The sum is kept exactly (to the Stopwatch tick), not from bucket midpoints.
        Assert.That(latency.Sum, Is.EqualTo(500.5).Within(1).Percent, "the sum of bucket midpoints is within the 1% precision");
        Assert.That(latency.Mean, Is.EqualTo(0.5005).Within(1).Percent);

        // Right after start-up the recent window holds everything recorded.
        Assert.That(snapshot.RecentLatency.Count, Is.EqualTo(1000));
        Assert.That(snapshot.RecentLatency.P99, Is.EqualTo(latency.P99));
        Assert.That(snapshot.RecentLatency.Sum, Is.EqualTo(500.5).Within(500.5 * 0.01));
        Assert.That(snapshot.Rejected, Is.Empty);
    }

    [Test]
    public void RecordCall_Microseconds_AreResolvedWithinOnePercent()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(RecordCall_Microseconds_AreResolvedWithinOnePercent) });

        // 99 calls of 3 µs and 1 of 250 µs: P50 = P99 = 3 µs, max = 250 µs.
        for (int i = 0; i < 99; i++)
        {
            monitor.RecordCall(3e-6);
        }

        monitor.RecordCall(250e-6);

        LatencySnapshot latency = monitor.GetSnapshot().Latency;
        Assert.That(latency.P50, Is.EqualTo(3e-6).Within(3e-8));
        Assert.That(latency.P99, Is.EqualTo(3e-6).Within(3e-8));
        Assert.That(latency.Max, Is.EqualTo(250e-6).Within(2.5e-6));
        Assert.That(latency.Sum, Is.EqualTo((99 * 3e-6) + 250e-6).Within(1).Percent, "the sum of bucket midpoints is within the 1% precision");
    }

    [Test]
    public void RecordCall_DurationsOfWholeTicks_AreRecordedExactly()
    {
        // Precision 5 gives width-1 buckets below 2^17 ticks, so every tick value has a bucket of its own.
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(RecordCall_DurationsOfWholeTicks_AreRecordedExactly), LatencyPrecision = 5 });

        // Durations of k ticks whose seconds value k / frequency, multiplied back, lands just below k in binary
        // (at 1 GHz, k = 15 gives 14.999999999999998; 1.5 µs at 10 MHz is another such value). Truncation records k - 1.
        double frequency = Stopwatch.Frequency;
        long[] ticks = Enumerable.Range(1000, 130_000).Where(k => Math.Floor(k / frequency * frequency) < k).Take(1000).Select(k => (long)k).ToArray();
        Assume.That(ticks, Is.Not.Empty, "no such duration at this Stopwatch frequency");
        foreach (long k in ticks)
        {
            monitor.RecordCall(k / frequency);
        }

        LatencySnapshot latency = monitor.GetSnapshot().Latency;
        var counts = new long[monitor.Calls.Latency.Histogram.Length];
        monitor.Calls.AddLatencyTo(counts);

        Assert.That(ticks.Select(k => latency.Layout.UpperBound(latency.Layout.IndexOf(k)) - latency.Layout.LowerBound(latency.Layout.IndexOf(k))), Is.All.Zero, "width-1 buckets");
        Assert.That(ticks.Select(k => counts[latency.Layout.IndexOf(k)]), Is.All.EqualTo(1), "each duration recorded at its own tick count, not one tick short");
        Assert.That(latency.GetQuantile(0) * frequency, Is.EqualTo((double)ticks[0]).Within(ticks[0] * latency.Layout.MaxRelativeError));
    }

    [Test]
    public void RecordCall_HigherPrecision_NarrowsTheError()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = nameof(RecordCall_HigherPrecision_NarrowsTheError),
            LatencyPrecision = 4,
            LatencyHighest = TimeSpan.FromSeconds(10),
        });

        monitor.RecordCall(1.2345);

        Assert.That(monitor.GetSnapshot().Latency.Max, Is.EqualTo(1.2345).Within(1.2345e-4));
    }

    [Test]
    public void RecordCall_WithException_CountsAFailureAndItsLatency()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(RecordCall_WithException_CountsAFailureAndItsLatency) });

        monitor.RecordCall(0.1);
        monitor.RecordCall(0.2, new InvalidOperationException());
        monitor.RecordCall(0.3, new TimeoutException());

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Calls, Is.EqualTo(3));
        Assert.That(snapshot.Succeeded, Is.EqualTo(1));
        Assert.That(snapshot.Failed, Is.EqualTo(2));
        Assert.That(snapshot.FailureRate, Is.EqualTo(2.0 / 3).Within(1e-12));
        Assert.That(snapshot.Failures["System.InvalidOperationException"], Is.EqualTo(1));
        Assert.That(snapshot.Failures["timeout"], Is.EqualTo(1));
        Assert.That(snapshot.Latency.Count, Is.EqualTo(3));
        Assert.That(snapshot.Latency.Sum, Is.EqualTo(0.6).Within(1).Percent);
        Assert.That(snapshot.Latency.Max, Is.EqualTo(0.3).Within(0.003));
    }

    /// <summary>
    /// The failed calls' histogram is summed again only after a failure (else its last reading's range is added): readings
    /// before, between and after failures in new buckets hold every failure's duration, and every later success's.
    /// </summary>
    [TestCase(2)]
    [TestCase(5)] // a histogram too long to share its scratch between threads keeps its own
    public void Readings_AroundFailuresInNewBuckets_HoldEveryDurationOnce(int precision)
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(Readings_AroundFailuresInNewBuckets_HoldEveryDurationOnce) + precision, MeterName = nameof(LatencyTests), LatencyPrecision = precision });
        monitor.RecordCall(0.001);
        Assert.That(monitor.GetSnapshot().Latency.Count, Is.EqualTo(1));

        monitor.RecordCall(0.5, new InvalidOperationException());
        monitor.RecordCall(0.25, new TimeoutException());
        ModelMonitorSnapshot withFailures = monitor.GetSnapshot();
        Assert.That(withFailures.Latency.Count, Is.EqualTo(3));
        Assert.That(withFailures.Latency.Max, Is.EqualTo(0.5).Within(1).Percent);
        Assert.That(withFailures.Failed, Is.EqualTo(2));

        // Successes only: the failures' durations come from the last reading of their histogram, added once.
        for (int i = 0; i < 3; i++)
        {
            monitor.RecordCall(0.002);
            ModelMonitorSnapshot later = monitor.GetSnapshot();
            Assert.That(later.Latency.Count, Is.EqualTo(4 + i));
            Assert.That(later.Latency.CountAtOrBelow(0.3), Is.EqualTo(3 + i), "the 0.25 s timeout, once");
            Assert.That(later.Latency.Max, Is.EqualTo(0.5).Within(1).Percent);
            Assert.That(later.Failed, Is.EqualTo(2));
        }

        monitor.RecordCall(0.0001, new InvalidOperationException());
        ModelMonitorSnapshot last = monitor.GetSnapshot();
        Assert.That(last.Latency.Count, Is.EqualTo(7));
        Assert.That(last.Latency.CountAtOrBelow(0.00025), Is.EqualTo(1), "the new failure below every other duration");
        Assert.That(last.Failures["System.InvalidOperationException"], Is.EqualTo(2));
    }

    /// <summary>
    /// Calls recorded whole (<see cref="ModelMonitor.RecordCall(double, Exception?)"/>) are in the histograms but were never
    /// started: in flight is the started calls not yet ended, whatever else was recorded, from this thread or another.
    /// </summary>
    [Test]
    public void InFlight_WithCallsRecordedWhole_CountsOnlyTheStartedCallsNotEnded()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(InFlight_WithCallsRecordedWhole_CountsOnlyTheStartedCallsNotEnded), MeterName = nameof(LatencyTests) });
        long first = monitor.StartCall();
        long second = monitor.StartCall();
        long third = monitor.StartCall();
        monitor.EndCall(third);
        for (int i = 0; i < 100; i++)
        {
            monitor.RecordCall(0.001, i % 10 == 0 ? new InvalidOperationException() : null);
        }

        var other = new System.Threading.Thread(() => monitor.RecordCall(0.002));
        other.Start();
        other.Join();

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.InFlight, Is.EqualTo(2));
            Assert.That(snapshot.Calls, Is.EqualTo(102));
        });

        monitor.EndCall(first);
        monitor.EndCall(second, new TimeoutException());
        ModelMonitorSnapshot ended = monitor.GetSnapshot();
        Assert.That(ended.InFlight, Is.Zero);
        Assert.That(ended.Calls, Is.EqualTo(104));
    }

    [Test]
    public void StartAndEndCall_CountInFlightCallsAndItems()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(StartAndEndCall_CountInFlightCallsAndItems) });

        long first = monitor.StartCall();
        long second = monitor.StartCall();
        ModelMonitorSnapshot during = monitor.GetSnapshot();
        monitor.EndCall(first);
        monitor.EndBatchCall(second, itemCount: 8);
        ModelMonitorSnapshot after = monitor.GetSnapshot();

        Assert.That(during.InFlight, Is.EqualTo(2));
        Assert.That(during.Calls, Is.Zero);
        Assert.That(after.InFlight, Is.Zero);
        Assert.That(after.Calls, Is.EqualTo(2));
        Assert.That(after.Items, Is.EqualTo(9));
        Assert.That(after.Latency.Count, Is.EqualTo(2));
        Assert.That(after.Latency.Sum, Is.GreaterThanOrEqualTo(0));
    }
}
