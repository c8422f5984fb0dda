// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Linq;
using NUnit.Framework;

namespace ModelMetrics.Tests.Monitoring;

/// <summary>
/// The recent window of a monitor, driven by a fake clock. With Windows = [60 s], checkpoints are taken by
/// snapshots at most every 15 s (window / 4); a snapshot's window is everything since the oldest checkpoint
/// that is not older than 60 s, or since the newest one when none is that young (RollingWindow's remarks).
/// The monitor's creation is an all-zero checkpoint at 0 s.
/// </summary>
public class WindowsTests
{
    [Test]
    public void GetSnapshot_AfterTheWindowPasses_DropsOldCallsAndGroundTruth()
    {
        var clock = new FakeTimeProvider();
        using ModelMonitor monitor = Create(nameof(GetSnapshot_AfterTheWindowPasses_DropsOldCallsAndGroundTruth), clock);

        // 0 s: 5 calls, 3 labelled predictions. Base: creation. 0 - 0 < 15 s: no checkpoint. [0:0]
        Record(monitor, calls: 5, pairs: 3);
        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Timestamp, Is.EqualTo(clock.GetUtcNow()));
        AssertWindow(snapshot, recentCalls: 5, totalCalls: 5, recentPairs: 3, totalPairs: 3);

        // 20 s: 7 more calls, 4 more pairs. Base: creation (20 s old). Checkpoint 20:(12, 7). [0:0, 20:12]
        clock.Advance(TimeSpan.FromSeconds(20));
        Record(monitor, calls: 7, pairs: 4);
        AssertWindow(monitor.GetSnapshot(), recentCalls: 12, totalCalls: 12, recentPairs: 7, totalPairs: 7);

        // 90 s: the creation checkpoint (90 s old) is dropped; 20:12 is 70 s old but the only one left, so it is
        // the fallback base: nothing recent. Checkpoint 90:(12, 7). [20:12, 90:12]
        clock.Advance(TimeSpan.FromSeconds(70));
        ModelMonitorSnapshot late = monitor.GetSnapshot();
        Assert.That(late.Timestamp, Is.EqualTo(clock.GetUtcNow()));
        AssertWindow(late, recentCalls: 0, totalCalls: 12, recentPairs: 0, totalPairs: 7);
        Assert.That(late.RecentLatency.P99, Is.Zero);
        Assert.That(late.RecentClassification!.Accuracy, Is.Zero);

        // Still 90 s: 2 calls, 1 pair. 20:12 is dropped now that a younger checkpoint exists; base 90:12.
        Record(monitor, calls: 2, pairs: 1);
        AssertWindow(monitor.GetSnapshot(), recentCalls: 2, totalCalls: 14, recentPairs: 1, totalPairs: 8);

        // 100 s: 1 call, 1 pair. Base 90:12 (10 s old). 100 - 90 < 15: no checkpoint.
        clock.Advance(TimeSpan.FromSeconds(10));
        Record(monitor, calls: 1, pairs: 1);
        AssertWindow(monitor.GetSnapshot(), recentCalls: 3, totalCalls: 15, recentPairs: 2, totalPairs: 9);
    }

    [Test]
    public void GetSnapshot_RegularReadings_UseTheNewestCheckpointAtLeastAWindowOld()
    {
        var clock = new FakeTimeProvider();
        using ModelMonitor monitor = Create(nameof(GetSnapshot_RegularReadings_UseTheNewestCheckpointAtLeastAWindowOld), clock);

        // (advance to, calls recorded = pairs recorded, expected recent, why; cumulative in brackets)
        (int At, int Recorded, int Recent, string Why)[] steps =
        [
            (0, 1, 1, "[1] base creation; no checkpoint (0 s since it)"),
            (20, 2, 3, "[3] base creation; checkpoint 20:3"),
            (40, 4, 7, "[7] base creation; checkpoint 40:7"),
            (70, 8, 15, "[15] 20:3 is only 50 s old: the creation stays the base (window covers 70 s); checkpoint 70:15"),
            (100, 16, 24, "[31] creation and 20:3 dropped; 40:7, exactly 60 s old, is the base -> 31 - 7; checkpoint 100:31"),
            (250, 0, 0, "[31] every checkpoint is older than 60 s; the newest of them, 100:31, is the base -> 0; checkpoint 250:31"),
            (250, 32, 32, "[63] 250:31 is 0 s old: base stays 100:31 -> 32"),
        ];

        int now = 0;
        long total = 0;
        foreach ((int at, int recorded, int recent, string why) in steps)
        {
            clock.Advance(TimeSpan.FromSeconds(at - now));
            now = at;
            Record(monitor, recorded, recorded);
            total += recorded;
            ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
            Assert.That(snapshot.RecentLatency.Count, Is.EqualTo(recent), $"calls at {at} s: {why}");
            Assert.That(snapshot.RecentClassification!.Total, Is.EqualTo(recent), $"pairs at {at} s: {why}");
            Assert.That(snapshot.Latency.Count, Is.EqualTo(total), $"at {at} s");
            Assert.That(snapshot.Classification!.Total, Is.EqualTo(total), $"at {at} s");
        }
    }

    [Test]
    public void RecentLatency_QuantilesAndSum_DescribeOnlyTheWindow()
    {
        var clock = new FakeTimeProvider();
        using ModelMonitor monitor = Create(nameof(RecentLatency_QuantilesAndSum_DescribeOnlyTheWindow), clock);

        // Old calls of 1 s, then (after the window) recent calls of 10 ms.
        for (int i = 0; i < 100; i++)
        {
            monitor.RecordCall(1.0);
        }

        clock.Advance(TimeSpan.FromSeconds(20));
        monitor.GetSnapshot(); // checkpoint 20 s: 100 calls of 1 s
        clock.Advance(TimeSpan.FromSeconds(61));
        for (int i = 0; i < 50; i++)
        {
            monitor.RecordCall(0.010);
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();

        Assert.That(snapshot.RecentLatency.Count, Is.EqualTo(50));
        Assert.That(snapshot.RecentLatency.Max, Is.EqualTo(0.010).Within(0.010 * 0.01));
        Assert.That(snapshot.RecentLatency.P50, Is.EqualTo(0.010).Within(0.010 * 0.01));
        Assert.That(snapshot.RecentLatency.Sum, Is.EqualTo(0.5).Within(0.5 * 0.01));
        Assert.That(snapshot.Latency.Count, Is.EqualTo(150));
        Assert.That(snapshot.Latency.Max, Is.EqualTo(1.0).Within(0.01));
        Assert.That(snapshot.Latency.Sum, Is.EqualTo(100.5).Within(1).Percent);
    }

    [Test]
    public void RecentClassification_AfterTheWindowPasses_ReflectsOnlyRecentQuality()
    {
        var clock = new FakeTimeProvider();
        using ModelMonitor monitor = Create(nameof(RecentClassification_AfterTheWindowPasses_ReflectsOnlyRecentQuality), clock);

        // Early: 10 wrong predictions. Then (after the window) 4 right ones.
        for (int i = 0; i < 10; i++)
        {
            monitor.RecordGroundTruth(1, 0);
        }

        clock.Advance(TimeSpan.FromSeconds(15));
        monitor.GetSnapshot(); // checkpoint 15 s
        clock.Advance(TimeSpan.FromSeconds(61));
        for (int i = 0; i < 4; i++)
        {
            monitor.RecordGroundTruth(0, 0);
        }

        // 76 s: the 15 s checkpoint is at least a window old, so it is the base: only the 4 right predictions.
        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.RecentClassification!.Total, Is.EqualTo(4));
        Assert.That(snapshot.RecentClassification.Accuracy, Is.EqualTo(1.0));
        Assert.That(snapshot.RecentClassification.GetCount(predicted: 1, actual: 0), Is.Zero);
        Assert.That(snapshot.Classification!.Total, Is.EqualTo(14));
        Assert.That(snapshot.Classification.Accuracy, Is.EqualTo(4.0 / 14).Within(1e-12));
        Assert.That(snapshot.Classification.GetCount(predicted: 1, actual: 0), Is.EqualTo(10));
    }

    [Test]
    public void Windows_EachWindowDropsOnlyWhatIsOlderThanIt()
    {
        var clock = new FakeTimeProvider();
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "windows-" + Guid.NewGuid(),
            ClassLabels = ["neg", "pos"],
            Windows = [TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1)],
            TimeProvider = clock,
        });

        // 10 wrong at 0 s; a reading every 30 s; 4 right at 150 s; read at 150 s.
        for (int i = 0; i < 10; i++)
        {
            monitor.RecordGroundTruth(1, 0);
        }

        for (int t = 30; t <= 150; t += 30)
        {
            clock.Advance(TimeSpan.FromSeconds(30));
            if (t == 150)
            {
                for (int i = 0; i < 4; i++)
                {
                    monitor.RecordGroundTruth(1, 1);
                }
            }

            monitor.GetSnapshot();
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();

        // The 1-minute window's base is the 90 s checkpoint (the newest at least 60 s old): the 4 right ones.
        // The 5-minute window has no checkpoint that old: it still holds everything.
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Windows.Select(w => w.Window), Is.EqualTo(new[] { TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5) }), "shortest first");
            Assert.That(snapshot.Windows[0].Classification!.Total, Is.EqualTo(4));
            Assert.That(snapshot.Windows[0].Classification!.Accuracy, Is.EqualTo(1.0));
            Assert.That(snapshot.Windows[1].Classification!.Total, Is.EqualTo(14));
            Assert.That(snapshot.Windows[1].Classification!.Accuracy, Is.EqualTo(4.0 / 14).Within(1e-12));
            Assert.That(snapshot.RecentClassification, Is.SameAs(snapshot.Windows[0].Classification));
            Assert.That(snapshot.Classification!.Total, Is.EqualTo(14));
        });
    }

    private static ModelMonitor Create(string name, FakeTimeProvider clock) =>
        new(new ModelMonitorOptions
        {
            ModelName = $"{nameof(WindowsTests)}.{name}",
            ClassLabels = ["neg", "pos"],
            TimeProvider = clock,
            Windows = [TimeSpan.FromSeconds(60)],

            // A meter of its own, so that no listener of the shared meter reads (and checkpoints) this monitor
            // at fake times the test does not expect.
            MeterName = $"{nameof(WindowsTests)}.{name}",
        });

    private static void Record(ModelMonitor monitor, int calls, int pairs)
    {
        for (int i = 0; i < calls; i++)
        {
            monitor.RecordCall(0.001 * (i + 1));
        }

        for (int i = 0; i < pairs; i++)
        {
            monitor.RecordGroundTruth(i % 2, 1);
        }
    }

    private static void AssertWindow(ModelMonitorSnapshot snapshot, long recentCalls, long totalCalls, long recentPairs, long totalPairs)
    {
        Assert.That(snapshot.RecentLatency.Count, Is.EqualTo(recentCalls), "RecentLatency.Count");
        Assert.That(snapshot.Latency.Count, Is.EqualTo(totalCalls), "Latency.Count");
        Assert.That(snapshot.Calls, Is.EqualTo(totalCalls), "Calls");
        Assert.That(snapshot.RecentClassification!.Total, Is.EqualTo(recentPairs), "RecentClassification.Total");
        Assert.That(snapshot.Classification!.Total, Is.EqualTo(totalPairs), "Classification.Total");
    }
}
