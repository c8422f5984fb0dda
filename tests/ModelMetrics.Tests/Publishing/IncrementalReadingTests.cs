// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using ModelMetrics.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Publishing;

/// <summary>
/// A reading reads only what can have changed: an unchanged monitor's publishing pass reuses its last snapshot, an
/// unchanged signal its last parts, until something is recorded or a window can move (one window of 60 s here, so
/// checkpoints at most every 15 s; see WindowsTests).
/// </summary>
public class IncrementalReadingTests
{
    private static long s_pass = long.MaxValue / 2;

    [Test]
    public void ReadForPublishing_NothingRecorded_ReusesTheSnapshotUntilARecord()
    {
        var clock = new FakeTimeProvider();
        using ModelMonitor monitor = Create(nameof(ReadForPublishing_NothingRecorded_ReusesTheSnapshotUntilARecord), clock);
        monitor.RecordCall(0.010);

        ModelMonitorSnapshot first = monitor.ReadForPublishing(NextPass());
        Assert.That(first.Calls, Is.EqualTo(1));

        // The first reading took a change, so the next one reads again to confirm it (a write racing the mark shows then).
        ModelMonitorSnapshot confirmed = monitor.ReadForPublishing(NextPass());
        Assert.That(confirmed, Is.Not.SameAs(first));
        Assert.That(confirmed.Calls, Is.EqualTo(1));

        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.That(monitor.ReadForPublishing(NextPass()), Is.SameAs(confirmed), "nothing recorded and no window can move yet");

        monitor.RecordCall(0.020);
        ModelMonitorSnapshot after = monitor.ReadForPublishing(NextPass());
        Assert.That(after, Is.Not.SameAs(confirmed));
        Assert.That(after.Calls, Is.EqualTo(2));
        Assert.That(after.Latency.Max, Is.EqualTo(0.020).Within(0.02 * 0.020));
    }

    [Test]
    public void ReadForPublishing_AnotherThreadsPassesInBetween_KeepsThisPassOnItsSnapshot()
    {
        var clock = new FakeTimeProvider();
        using ModelMonitor monitor = Create(nameof(ReadForPublishing_AnotherThreadsPassesInBetween_KeepsThisPassOnItsSnapshot), clock);
        monitor.RecordCall(0.010);
        long pass = NextPass();
        ModelMonitorSnapshot first = monitor.ReadForPublishing(pass);

        // Another listener, on its own thread, reads twice after a new call: the second reading confirms the first, so
        // afterwards nothing is marked and the monitor's last snapshot is the other listener's.
        monitor.RecordCall(0.020);
        System.Threading.Tasks.Task.Run(() =>
        {
            _ = monitor.ReadForPublishing(NextPass());
            _ = monitor.ReadForPublishing(NextPass());
        }).Wait();

        ModelMonitorSnapshot later = monitor.ReadForPublishing(pass);
        Assert.That(later, Is.SameAs(first), "one pass, one snapshot: calls, buckets and count agree across its instruments");
        Assert.That(later.Calls, Is.EqualTo(1));
        Assert.That(monitor.ReadForPublishing(NextPass()).Calls, Is.EqualTo(2));
    }

    [Test]
    public void ReadForPublishing_OneSignalChanged_ReusesTheOthersParts()
    {
        var clock = new FakeTimeProvider();
        using ModelMonitor monitor = Create(nameof(ReadForPublishing_OneSignalChanged_ReusesTheOthersParts), clock);
        monitor.RecordCall(0.010);
        monitor.RecordGroundTruth(predicted: 1, actual: 1);
        _ = monitor.ReadForPublishing(NextPass());
        ModelMonitorSnapshot before = monitor.ReadForPublishing(NextPass());

        monitor.RecordCall(0.010);
        ModelMonitorSnapshot after = monitor.ReadForPublishing(NextPass());

        Assert.That(after.Calls, Is.EqualTo(2));
        Assert.That(after.Classification, Is.SameAs(before.Classification), "no ground truth recorded: the classification part is reused");
        Assert.That(after.Windows[0].Classification, Is.SameAs(before.Windows[0].Classification));

        monitor.RecordGroundTruth(predicted: 0, actual: 1);
        ModelMonitorSnapshot labelled = monitor.ReadForPublishing(NextPass());
        Assert.That(labelled.Classification, Is.Not.SameAs(before.Classification));
        Assert.That(labelled.Classification!.Total, Is.EqualTo(2));
        Assert.That(labelled.Classification.Accuracy, Is.EqualTo(0.5));
    }

    [Test]
    public void ReadForPublishing_NothingRecorded_WindowsStillMoveWithTime()
    {
        var clock = new FakeTimeProvider();
        using ModelMonitor monitor = Create(nameof(ReadForPublishing_NothingRecorded_WindowsStillMoveWithTime), clock);
        for (int i = 0; i < 10; i++)
        {
            monitor.RecordCall(0.010);
        }

        // 0 s: read (no checkpoint: 0 - 0 < 15 s). [0:0]
        Assert.That(monitor.ReadForPublishing(NextPass()).Windows[0].Latency.Count, Is.EqualTo(10));

        // 30 s: a checkpoint is due, so the monitor is read although nothing was recorded. [0:0, 30:10]
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.That(monitor.ReadForPublishing(NextPass()).Windows[0].Latency.Count, Is.EqualTo(10));

        // 89 s: the 30 s checkpoint is 59 s old: nothing moved, the snapshot is reused.
        clock.Advance(TimeSpan.FromSeconds(59));
        ModelMonitorSnapshot stable = monitor.ReadForPublishing(NextPass());
        Assert.That(stable.Windows[0].Latency.Count, Is.EqualTo(10));
        Assert.That(monitor.ReadForPublishing(NextPass()), Is.SameAs(stable));

        // 95 s: the 30 s checkpoint is a window old, so it becomes the base: the window empties, with no record at all.
        clock.Advance(TimeSpan.FromSeconds(6));
        ModelMonitorSnapshot moved = monitor.ReadForPublishing(NextPass());
        Assert.That(moved.Windows[0].Latency.Count, Is.Zero);
        Assert.That(moved.Windows[0].Calls, Is.Zero);
        Assert.That(moved.Latency.Count, Is.EqualTo(10), "the cumulative histogram keeps every call");
        Assert.That(moved.Latency, Is.SameAs(stable.Latency), "windows advanced from the last reading: its cells were not summed again");

        // A call now: read in full, and the window holds just it.
        monitor.RecordCall(0.030);
        ModelMonitorSnapshot recorded = monitor.ReadForPublishing(NextPass());
        Assert.That(recorded.Latency, Is.Not.SameAs(stable.Latency));
        Assert.That(recorded.Windows[0].Latency.Count, Is.EqualTo(1));
        Assert.That(recorded.Windows[0].Latency.Max, Is.EqualTo(0.030).Within(0.02 * 0.030));
        Assert.That(recorded.Latency.Count, Is.EqualTo(11));
    }

    [Test]
    public void MeterListener_PendingPredictionsExpire_WithoutAnyRecord()
    {
        var clock = new FakeTimeProvider();
        string name = nameof(MeterListener_PendingPredictionsExpire_WithoutAnyRecord);
        using ModelMonitor monitor = new(new ModelMonitorOptions
        {
            ModelName = name,
            ClassLabels = ["no", "yes"],
            TimeProvider = clock,
            PendingTimeToLive = TimeSpan.FromMinutes(5),
            MeterName = "ModelMetrics.Tests.Incremental." + name,
        });
        using var collector = new MeasurementCollector("ModelMetrics.Tests.Incremental." + name);
        monitor.RecordPrediction("a", predictedClass: 1);

        Assert.That(Value(collector.Collect(name), "model.predictions.pending"), Is.EqualTo(1));
        Assert.That(Value(collector.Collect(name), "model.predictions.pending"), Is.EqualTo(1));

        clock.Advance(TimeSpan.FromMinutes(6));
        List<Observed> expired = collector.Collect(name);
        Assert.That(Value(expired, "model.predictions.pending"), Is.Zero);
        Assert.That(expired.Single(o => o.Instrument == "model.predictions.dropped" && o.Tag("reason") == "expired").Value, Is.EqualTo(1));
    }

    [Test]
    public void Window_AfterItsBaseMoved_EqualsAMonitorThatSawOnlyTheRecentCalls()
    {
        var clock = new FakeTimeProvider();
        using ModelMonitor monitor = Create(nameof(Window_AfterItsBaseMoved_EqualsAMonitorThatSawOnlyTheRecentCalls), clock);
        using ModelMonitor recentOnly = Create(nameof(Window_AfterItsBaseMoved_EqualsAMonitorThatSawOnlyTheRecentCalls) + "-recent", new FakeTimeProvider());
        var random = new Random(11);

        // Old calls, read at 0 s and 20 s (checkpoint 20), then 90 s later the base is the 20 s checkpoint.
        for (int i = 0; i < 500; i++)
        {
            monitor.RecordCall(1e-4 * Math.Pow(10, 3 * random.NextDouble()));
        }

        _ = monitor.GetSnapshot();
        clock.Advance(TimeSpan.FromSeconds(20));
        _ = monitor.GetSnapshot();
        clock.Advance(TimeSpan.FromSeconds(90));
        for (int i = 0; i < 300; i++)
        {
            double seconds = 1e-3 * Math.Pow(10, 2 * random.NextDouble());
            monitor.RecordCall(seconds);
            recentOnly.RecordCall(seconds);
        }

        LatencySnapshot window = monitor.GetSnapshot().Windows[0].Latency;
        LatencySnapshot expected = recentOnly.GetSnapshot().Latency;

        Assert.That(window.Count, Is.EqualTo(300));
        Assert.That(window.Sum, Is.EqualTo(expected.Sum).Within(1e-12));
        Assert.That(new[] { window.P50, window.P90, window.P99, window.Max }, Is.EqualTo(new[] { expected.P50, expected.P90, expected.P99, expected.Max }));
        Assert.That(window.GetBuckets(), Is.EqualTo(expected.GetBuckets()));
        Assert.That(window.CountAtOrBelow(0.005), Is.EqualTo(expected.CountAtOrBelow(0.005)), "an le boundary: exact");
        Assert.That(window.CountAtOrBelow(0.0123), Is.EqualTo(expected.CountAtOrBelow(0.0123)), "between boundaries: by bucket");
    }

    [Test]
    public void SharedTagsMeasurement_SharesTheAttributeArray_AndKeepsTheValue()
    {
        KeyValuePair<string, object?>[] tags = [new("model.name", "m"), new("window", "60")];

        Assert.That(SharedTagsMeasurement<long>.Shares, Is.True, "the layout of Measurement<long> on this runtime");
        Assert.That(SharedTagsMeasurement<double>.Shares, Is.True, "the layout of Measurement<double> on this runtime");

        Measurement<long> count = SharedTagsMeasurement<long>.Create(-42, tags);
        Measurement<double> ratio = SharedTagsMeasurement<double>.Create(0.125, tags);

        Assert.That(count.Value, Is.EqualTo(-42));
        Assert.That(ratio.Value, Is.EqualTo(0.125));
        Assert.That(Unsafe.AreSame(ref MemoryMarshal.GetReference(count.Tags), ref tags[0]), Is.True, "no copy");
        Assert.That(count.Tags.ToArray(), Is.EqualTo(tags));
        Assert.That(ratio.Tags.ToArray(), Is.EqualTo(tags));
    }

    private static long NextPass() => System.Threading.Interlocked.Increment(ref s_pass);

    private static double Value(List<Observed> observed, string instrument) => observed.Single(o => o.Instrument == instrument).Value;

    private static ModelMonitor Create(string name, TimeProvider clock) => new(new ModelMonitorOptions
    {
        ModelName = name,
        ClassLabels = ["no", "yes"],
        TimeProvider = clock,
        Windows = [TimeSpan.FromSeconds(60)],
        MeterName = "ModelMetrics.Tests.Incremental." + name,
    });
}

/// <summary>A listener's later passes fill every instrument in one sweep over the monitors: the same measurements as its first pass.</summary>
public class PreparedPassTests
{
    [Test]
    public void MeterListener_LaterPasses_ReportWhatTheFirstPassReported_AndNewRecords()
    {
        string meter = "ModelMetrics.Tests.Prepared." + Guid.NewGuid().ToString("N");
        var monitors = Enumerable.Range(0, 5).Select(i => new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "m" + i,
            ClassLabels = ["no", "yes"],
            MeterName = meter,
        })).ToArray();
        try
        {
            using var collector = new MeasurementCollector(meter);
            for (int i = 0; i < monitors.Length; i++)
            {
                for (int c = 0; c <= i; c++)
                {
                    monitors[i].RecordCall(0.001 * (c + 1));
                    monitors[i].RecordGroundTruth(predicted: c % 2, actual: 1);
                }
            }

            // The first pass observes each instrument alone; the later ones prepare them all in one sweep.
            string[] first = Describe(collector, monitors);
            string[] second = Describe(collector, monitors);
            string[] third = Describe(collector, monitors);
            Assert.That(second, Is.EqualTo(first));
            Assert.That(third, Is.EqualTo(first));
            Assert.That(first, Has.Some.StartsWith("m4 model.inference.calls 5"));

            monitors[4].RecordCall(0.5);
            string[] after = Describe(collector, monitors);
            Assert.That(after, Has.Some.StartsWith("m4 model.inference.calls 6"));
            Assert.That(after, Has.Some.StartsWith("m3 model.inference.calls 4"));
        }
        finally
        {
            foreach (ModelMonitor monitor in monitors)
            {
                monitor.Dispose();
            }
        }
    }

    /// <summary>
    /// A listener's pass replays the measurements of signals whose parts did not change since its pass before (and copies
    /// nothing while no monitor changed): every pass must equal what a listener that never collected before reports, whose
    /// first pass observes every measurement anew.
    /// </summary>
    [Test]
    public void MeterListener_ReplayedPasses_EqualAFreshListenersPass_AsSignalsRejectionsWindowsAndMonitorsChange()
    {
        string meter = "ModelMetrics.Tests.Replay." + Guid.NewGuid().ToString("N");
        var clock = new FakeTimeProvider();
        ModelMonitor Create(int i) => new(new ModelMonitorOptions
        {
            ModelName = "m" + i,
            ClassLabels = ["no", "yes"],
            MeterName = meter,
            Windows = [TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10)],
            TimeProvider = clock,
        });

        var monitors = Enumerable.Range(0, 6).Select(Create).ToList();
        try
        {
            using var collector = new MeasurementCollector(meter);
            for (int i = 0; i < monitors.Count; i++)
            {
                for (int c = 0; c <= i; c++)
                {
                    monitors[i].RecordCall(0.001 * (c + 1), c == 2 ? new TimeoutException() : null);
                    monitors[i].RecordGroundTruth(predicted: c % 2, actual: 1);
                }
            }

            void AssertSameAsFresh(string step)
            {
                string[] replayed = DescribeAll(collector.CollectAll(), meter);
                string[] fresh = FreshPass(meter);
                Assert.That(replayed, Is.EqualTo(fresh), step);
            }

            AssertSameAsFresh("first pass (each instrument alone)");
            AssertSameAsFresh("nothing changed: the pass before, replayed whole");
            AssertSameAsFresh("nothing changed again");

            // Calls of one monitor in the middle: its calls instruments change, its classification ones replay.
            monitors[2].RecordCall(0.25);
            string[] afterCall = DescribeAll(collector.CollectAll(), meter);
            Assert.That(afterCall, Has.Some.StartsWith("m2 model.inference.calls 3 ")); // 2 successes and a timeout before
            Assert.That(afterCall, Is.EqualTo(FreshPass(meter)), "one monitor's calls changed");

            // A rejection alone (no signal changes): the rejected counter must not be replayed.
            monitors[3].RecordCall(double.NaN);
            string[] afterRejection = DescribeAll(collector.CollectAll(), meter);
            Assert.That(afterRejection, Has.Some.StartsWith("m3 model.metrics.rejected 1 "));
            Assert.That(afterRejection, Is.EqualTo(FreshPass(meter)), "a rejection");

            // Ground truth only: classification instruments change, calls replay.
            monitors[5].RecordGroundTruth(predicted: 0, actual: 0);
            AssertSameAsFresh("one monitor's ground truth");

            // A monitor leaves in the middle and another joins at the end: the others still replay their own segments.
            monitors[1].Dispose();
            monitors.RemoveAt(1);
            ModelMonitor joined = Create(6);
            monitors.Add(joined);
            joined.RecordCall(0.002);
            string[] afterChurn = DescribeAll(collector.CollectAll(), meter);
            Assert.That(afterChurn, Has.None.StartsWith("m1 "));
            Assert.That(afterChurn, Has.Some.StartsWith("m6 model.inference.calls 1 "));
            Assert.That(afterChurn, Is.EqualTo(FreshPass(meter)), "a monitor left, one joined");
            AssertSameAsFresh("after the churn, nothing changed");

            // Windows move with no record: after a checkpoint at 30 s, the 1-minute window empties (its quantiles go) and
            // the 10-minute one keeps every call.
            clock.Advance(TimeSpan.FromSeconds(30));
            AssertSameAsFresh("a checkpoint falls due");
            clock.Advance(TimeSpan.FromMinutes(2));
            string[] afterTime = DescribeAll(collector.CollectAll(), meter);
            Assert.That(afterTime.Count(l => l.Contains("duration.quantile", StringComparison.Ordinal) && l.EndsWith("window=60", StringComparison.Ordinal)), Is.Zero);
            Assert.That(afterTime.Count(l => l.Contains("duration.quantile", StringComparison.Ordinal) && l.EndsWith("window=600", StringComparison.Ordinal)), Is.EqualTo(6 * 6));
            Assert.That(afterTime, Is.EqualTo(FreshPass(meter)), "windows moved");
        }
        finally
        {
            foreach (ModelMonitor monitor in monitors)
            {
                monitor.Dispose();
            }
        }
    }

    /// <summary>
    /// A listener's pass updates in place only the monitors that made a new reading since its pass before: a signal that
    /// joins a monitor afterwards (its monitor had no segment for that family) and a monitor that joins must make the
    /// pass sweep every monitor again, or their measurements would be missing.
    /// </summary>
    [Test]
    public void MeterListener_ReplayedPasses_EqualAFreshListenersPass_WhenASignalJoinsAMonitorLater()
    {
        string meter = "ModelMetrics.Tests.Replay." + Guid.NewGuid().ToString("N");
        var monitors = Enumerable.Range(0, 3).Select(i => new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "m" + i,
            ClassLabels = ["no", "yes"],
            MeterName = meter,
        })).ToList();
        var caches = new List<ModelMetrics.Signals.CacheCounters>();
        try
        {
            using var collector = new MeasurementCollector(meter);
            foreach (ModelMonitor monitor in monitors)
            {
                monitor.RecordCall(0.004);
            }

            ModelMetrics.Signals.CacheCounters first = new();
            first.Attach(monitors[0]);
            caches.Add(first);
            first.Hit();
            first.Miss();
            for (int p = 0; p < 3; p++)
            {
                Assert.That(DescribeAll(collector.CollectAll(), meter), Is.EqualTo(FreshPass(meter)), "before: pass " + p);
            }

            // The last monitor gets a cache (a signal of a family its segments never had), and records nothing else.
            ModelMetrics.Signals.CacheCounters late = new();
            late.Attach(monitors[2]);
            caches.Add(late);
            late.Miss();
            string[] joined = DescribeAll(collector.CollectAll(), meter);
            Assert.That(joined, Has.Some.StartsWith("m2 model.cache."), "the cache that joined m2 is published");
            Assert.That(joined, Is.EqualTo(FreshPass(meter)), "a signal joined a monitor");

            // A monitor joins at the end, nothing else changes; then only it records.
            monitors.Add(new ModelMonitor(new ModelMonitorOptions { ModelName = "m3", ClassLabels = ["no", "yes"], MeterName = meter }));
            Assert.That(DescribeAll(collector.CollectAll(), meter), Is.EqualTo(FreshPass(meter)), "a monitor joined");
            monitors[3].RecordCall(0.008);
            string[] recorded = DescribeAll(collector.CollectAll(), meter);
            Assert.That(recorded, Has.Some.StartsWith("m3 model.inference.calls 1 "));
            Assert.That(recorded, Is.EqualTo(FreshPass(meter)), "the monitor that joined recorded");

            // Three monitors with the same history (so the same number of readings) join; then the middle one leaves and
            // nothing else changes: the one after it must not pass for it.
            var twins = Enumerable.Range(0, 3).Select(i => new ModelMonitor(new ModelMonitorOptions { ModelName = "t" + i, ClassLabels = ["no", "yes"], MeterName = meter })).ToList();
            monitors.AddRange(twins);
            foreach (ModelMonitor twin in twins)
            {
                twin.RecordCall(0.002);
            }

            for (int p = 0; p < 3; p++)
            {
                Assert.That(DescribeAll(collector.CollectAll(), meter), Is.EqualTo(FreshPass(meter)), "twins: pass " + p);
            }

            twins[1].Dispose();
            monitors.Remove(twins[1]);
            string[] left = DescribeAll(collector.CollectAll(), meter);
            Assert.That(left, Has.None.StartsWith("t1 "));
            Assert.That(left, Is.EqualTo(FreshPass(meter)), "the middle twin left");
        }
        finally
        {
            foreach (ModelMetrics.Signals.CacheCounters cache in caches)
            {
                cache.Detach();
            }

            foreach (ModelMonitor monitor in monitors)
            {
                monitor.Dispose();
            }
        }
    }

    /// <summary>Collects once with a listener that never collected before, on a thread of its own (no pass to replay).</summary>
    private static string[] FreshPass(string meter)
    {
        string[] described = [];
        var thread = new Thread(() =>
        {
            using var fresh = new MeasurementCollector(meter);
            described = DescribeAll(fresh.CollectAll(), meter);
        });
        thread.Start();
        thread.Join();
        return described;
    }

    private static string[] DescribeAll(List<Observed> observed, string meter) =>
        [.. observed
            .Where(o => o.Tag("model.name") is not null)
            .Select(o => $"{o.Tag("model.name")} {o.Instrument} {o.Value} {string.Join(",", o.Tags.OrderBy(t => t.Key).Select(t => t.Key + "=" + t.Value))}")
            .OrderBy(l => l, StringComparer.Ordinal)];

    private static string[] Describe(MeasurementCollector collector, ModelMonitor[] monitors)
    {
        var names = monitors.Select(m => m.ModelName).ToHashSet();
        return [.. collector.CollectAll()
            .Where(o => o.Tag("model.name") is { } name && names.Contains(name) && o.Tag("error.type") is null)
            .Select(o => $"{o.Tag("model.name")} {o.Instrument} {o.Value} {string.Join(",", o.Tags.OrderBy(t => t.Key).Select(t => t.Key + "=" + t.Value))}")
            .OrderBy(l => l, StringComparer.Ordinal)];
    }
}
