// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Calls;

/// <summary>
/// The calls signal over every window (issue 10): calls, failures by type and the error ratio, items, latency
/// quantiles and time to first chunk per window, and the quantile gauges' <c>window</c> attribute.
/// </summary>
public class CallsWindowTests
{
    private static readonly TimeSpan[] OneAndFiveMinutes = [TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5)];

    [Test]
    public void Failures_PerWindow_CountsByTypeAndErrorRatioExact_AndAnOldFailureLeavesOnlyTheShortWindow()
    {
        var clock = new FakeTimeProvider();
        using ModelMonitor monitor = Create(nameof(Failures_PerWindow_CountsByTypeAndErrorRatioExact_AndAnOldFailureLeavesOnlyTheShortWindow), clock);

        // At 0 s: 3 successes, 2 InvalidOperationException, 1 timeout, and a batch of 4 items.
        for (int i = 0; i < 3; i++)
        {
            monitor.RecordCall(0.010);
        }

        monitor.RecordCall(0.020, new InvalidOperationException("a"));
        monitor.RecordCall(0.020, new InvalidOperationException("b"));
        monitor.RecordCall(0.030, new TimeoutException());
        monitor.EndBatchCall(monitor.StartCall(), itemCount: 4);

        // A reading at 20 s is the 1-minute window's checkpoint (at most every 15 s); the 5-minute window takes
        // its checkpoints at most every 75 s, so its base stays the start.
        clock.Advance(TimeSpan.FromSeconds(20));
        ModelMonitorSnapshot early = monitor.GetSnapshot();

        // At 90 s: 1 success and 1 ArgumentException.
        clock.Advance(TimeSpan.FromSeconds(70));
        monitor.RecordCall(0.010);
        monitor.RecordCall(0.040, new ArgumentException("c"));
        ModelMonitorSnapshot late = monitor.GetSnapshot();

        WindowSnapshot shortWindow = late.Windows[0], longWindow = late.Windows[1];
        Assert.Multiple(() =>
        {
            // At 20 s both windows hold everything so far: 4 successes (3 + the batch call), 3 failures.
            Assert.That(early.Windows.Select(w => w.Calls), Is.All.EqualTo(7));
            Assert.That(early.Windows.Select(w => w.Failed), Is.All.EqualTo(3));
            Assert.That(early.Windows.Select(w => w.Items), Is.All.EqualTo(10), "7 calls, one of them a batch of 4");

            // At 90 s the 1-minute window's base is the 20 s checkpoint: only the two calls of 90 s.
            Assert.That(shortWindow.Window, Is.EqualTo(TimeSpan.FromMinutes(1)));
            Assert.That(shortWindow.Calls, Is.EqualTo(2));
            Assert.That(shortWindow.Succeeded, Is.EqualTo(1));
            Assert.That(shortWindow.Failed, Is.EqualTo(1));
            Assert.That(shortWindow.Failures, Is.EqualTo(new Dictionary<string, long> { ["System.ArgumentException"] = 1 }), "the older failures dropped out");
            Assert.That(shortWindow.FailureRate, Is.EqualTo(0.5));
            Assert.That(shortWindow.Items, Is.EqualTo(2));
            Assert.That(shortWindow.Latency.Count, Is.EqualTo(2), "window latency holds every completed call of the window");
            Assert.That(shortWindow.Latency.Max, Is.EqualTo(0.040).Within(1).Percent, "the failed call's 40 ms");

            // The 5-minute window still holds every call.
            Assert.That(longWindow.Window, Is.EqualTo(TimeSpan.FromMinutes(5)));
            Assert.That(longWindow.Calls, Is.EqualTo(9));
            Assert.That(longWindow.Succeeded, Is.EqualTo(5));
            Assert.That(longWindow.Failed, Is.EqualTo(4));
            Assert.That(longWindow.Failures, Is.EqualTo(new Dictionary<string, long>
            {
                ["System.InvalidOperationException"] = 2,
                ["timeout"] = 1,
                ["System.ArgumentException"] = 1,
            }));
            Assert.That(longWindow.FailureRate, Is.EqualTo(4.0 / 9));
            Assert.That(longWindow.Items, Is.EqualTo(12));

            // Cumulative values are unchanged by the windows.
            Assert.That(late.Calls, Is.EqualTo(9));
            Assert.That(late.Failed, Is.EqualTo(4));
            Assert.That(late.Failures, Is.EqualTo(longWindow.Failures));
            Assert.That(late.FailureRate, Is.EqualTo(4.0 / 9));
            Assert.That(late.Items, Is.EqualTo(12));
            Assert.That(late.Recent, Is.SameAs(late.Windows[0]));
        });
    }

    [Test]
    public void Failures_AfterBothWindowsPass_EveryWindowIsEmptyAndTheCumulativeCountsStay()
    {
        var clock = new FakeTimeProvider();
        using ModelMonitor monitor = Create(nameof(Failures_AfterBothWindowsPass_EveryWindowIsEmptyAndTheCumulativeCountsStay), clock);
        monitor.RecordCall(0.01, new InvalidOperationException());
        monitor.RecordCall(0.01);

        // Readings every 75 s give both windows checkpoints; at 450 s both bases are past the two calls.
        for (int t = 0; t < 6; t++)
        {
            clock.Advance(TimeSpan.FromSeconds(75));
            monitor.GetSnapshot();
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Windows.Select(w => w.Calls), Is.All.Zero);
            Assert.That(snapshot.Windows.Select(w => w.Failures.Count), Is.All.Zero);
            Assert.That(snapshot.Windows.Select(w => w.FailureRate), Is.All.Zero, "no calls: 0, never NaN");
            Assert.That(snapshot.Calls, Is.EqualTo(2));
            Assert.That(snapshot.FailureRate, Is.EqualTo(0.5));
        });
    }

    [Test]
    public void LatencyAndTimeToFirstChunk_PerWindow_QuantilesDescribeEachWindow()
    {
        var clock = new FakeTimeProvider();
        using ModelMonitor monitor = Create(nameof(LatencyAndTimeToFirstChunk_PerWindow_QuantilesDescribeEachWindow), clock);
        long frequency = Stopwatch.Frequency;

        // At 0 s: 10 calls of 1 s, and a stream whose first chunk came after 0.5 s.
        for (int i = 0; i < 10; i++)
        {
            monitor.RecordCall(1.0);
        }

        long start = monitor.StartCall();
        monitor.EndStreamingCall(start - frequency, firstChunkTimestamp: start - (frequency / 2), chunkCount: 3);

        clock.Advance(TimeSpan.FromSeconds(20));
        monitor.GetSnapshot();
        clock.Advance(TimeSpan.FromSeconds(70));

        // At 90 s: 10 calls of 10 ms, and a stream with its first chunk after 20 ms.
        for (int i = 0; i < 10; i++)
        {
            monitor.RecordCall(0.010);
        }

        start = monitor.StartCall();
        monitor.EndStreamingCall(start - (frequency / 10), firstChunkTimestamp: start - (frequency / 10) + (frequency / 50), chunkCount: 2);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            WindowSnapshot recent = snapshot.Windows[0], older = snapshot.Windows[1];
            Assert.That(recent.Latency.Count, Is.EqualTo(11));
            Assert.That(recent.Latency.P50, Is.EqualTo(0.010).Within(1).Percent);
            Assert.That(recent.Latency.Max, Is.EqualTo(0.1).Within(1).Percent, "the stream's own duration (100 ms) is the window's maximum");
            Assert.That(recent.TimeToFirstChunk.Count, Is.EqualTo(1));
            Assert.That(recent.TimeToFirstChunk.Max, Is.EqualTo(0.020).Within(1).Percent);
            Assert.That(recent.Chunks, Is.EqualTo(2));
            Assert.That(snapshot.RecentLatency, Is.SameAs(recent.Latency));
            Assert.That(snapshot.RecentTimeToFirstChunk, Is.SameAs(recent.TimeToFirstChunk));

            Assert.That(older.Latency.Count, Is.EqualTo(22));
            Assert.That(older.Latency.Max, Is.EqualTo(1.0).Within(1).Percent);
            Assert.That(older.Latency.GetQuantile(0.9), Is.EqualTo(1.0).Within(1).Percent);
            Assert.That(older.TimeToFirstChunk.Count, Is.EqualTo(2));
            Assert.That(older.TimeToFirstChunk.Max, Is.EqualTo(0.5).Within(1).Percent);
            Assert.That(older.Chunks, Is.EqualTo(5));
            Assert.That(snapshot.Chunks, Is.EqualTo(5));
            Assert.That(snapshot.TimeToFirstChunk.Count, Is.EqualTo(2));
        });
    }

    [Test]
    public void QuantileGauges_CarryTheWindow_OneSeriesPerWindowAndQuantile()
    {
        var clock = new FakeTimeProvider();
        string name = nameof(QuantileGauges_CarryTheWindow_OneSeriesPerWindowAndQuantile);
        using var collector = new MeasurementCollector(name);
        using ModelMonitor monitor = Create(name, clock);
        long frequency = Stopwatch.Frequency;

        monitor.RecordCall(1.0);
        long start = monitor.StartCall();
        monitor.EndStreamingCall(start - frequency, firstChunkTimestamp: start - (frequency / 2), chunkCount: 1);
        clock.Advance(TimeSpan.FromSeconds(20));
        collector.Collect(name);
        clock.Advance(TimeSpan.FromSeconds(70));
        monitor.RecordCall(0.010);

        List<Observed> all = collector.Collect(name);
        List<Observed> duration = all.Where(o => o.Instrument == "model.inference.duration.quantile").ToList();
        List<Observed> firstChunk = all.Where(o => o.Instrument == "model.inference.time_to_first_chunk.quantile").ToList();
        double Max(List<Observed> series, string window) => series.Single(o => o.Tag("window") == window && o.Tag("quantile") == "1").Value;

        Assert.Multiple(() =>
        {
            Assert.That(duration, Has.Count.EqualTo(2 * 6), "two windows, six quantiles");
            Assert.That(duration.Select(o => (o.Tag("window"), o.Tag("quantile"))).Distinct().Count(), Is.EqualTo(12), "one series per window and quantile");
            Assert.That(duration.Select(o => o.Tag("window")).Distinct(), Is.EquivalentTo(new[] { "60", "300" }));
            Assert.That(Max(duration, "60"), Is.EqualTo(0.010).Within(1).Percent, "the 1-minute window holds only the 10 ms call");
            Assert.That(Max(duration, "300"), Is.EqualTo(1.0).Within(1).Percent);

            // The stream's first chunk (0 s) is only in the 5-minute window: the 1-minute window reports no quantiles.
            Assert.That(firstChunk.Select(o => o.Tag("window")).Distinct(), Is.EquivalentTo(new[] { "300" }));
            Assert.That(Max(firstChunk, "300"), Is.EqualTo(0.5).Within(1).Percent);
            Assert.That(duration.Concat(firstChunk).All(o => o.Tag("model.name") == name && o.Unit == "s"), Is.True);
        });
    }

    [Test]
    public void EndBatchCall_CountsOneCallAndItsItems_AndAFailedBatchByItsErrorType()
    {
        using ModelMonitor monitor = Create(nameof(EndBatchCall_CountsOneCallAndItsItems_AndAFailedBatchByItsErrorType), new FakeTimeProvider());

        monitor.EndBatchCall(monitor.StartCall(), itemCount: 16);
        monitor.EndBatchCall(monitor.StartCall(), itemCount: 1);
        monitor.EndBatchCall(monitor.StartCall(), itemCount: 8, new FormatException());
        monitor.EndBatchCall(monitor.StartCall(), itemCount: 0);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Calls, Is.EqualTo(3), "an empty batch is not a call");
            Assert.That(snapshot.Items, Is.EqualTo(25));
            Assert.That(snapshot.Succeeded, Is.EqualTo(2));
            Assert.That(snapshot.Failures, Is.EqualTo(new Dictionary<string, long> { ["System.FormatException"] = 1 }));
            Assert.That(snapshot.InFlight, Is.Zero);
            Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["empty_batch"] = 1 }));
            Assert.That(snapshot.Recent.Items, Is.EqualTo(25));
        });
    }

    [Test]
    public void EndStreamingCall_RecordsTimeToFirstChunkAndChunks_AndAStreamWithoutChunksHasNoFirstChunk()
    {
        using ModelMonitor monitor = Create(nameof(EndStreamingCall_RecordsTimeToFirstChunkAndChunks_AndAStreamWithoutChunksHasNoFirstChunk), new FakeTimeProvider());
        long frequency = Stopwatch.Frequency;

        long start = monitor.StartCall();
        monitor.EndStreamingCall(start - frequency, firstChunkTimestamp: start - (frequency * 3 / 4), chunkCount: 7);
        monitor.EndStreamingCall(monitor.StartCall(), firstChunkTimestamp: 0, chunkCount: 0, new InvalidOperationException());

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Calls, Is.EqualTo(2));
            Assert.That(snapshot.Items, Is.EqualTo(2), "a stream is one item");
            Assert.That(snapshot.Chunks, Is.EqualTo(7));
            Assert.That(snapshot.TimeToFirstChunk.Count, Is.EqualTo(1));
            Assert.That(snapshot.TimeToFirstChunk.Max, Is.EqualTo(0.25).Within(1).Percent, "first chunk 0.25 s after the start");
            Assert.That(snapshot.Latency.Count, Is.EqualTo(2), "both streams' durations");
            Assert.That(snapshot.Latency.Max, Is.GreaterThanOrEqualTo(0.99));
            Assert.That(snapshot.Failures, Is.EqualTo(new Dictionary<string, long> { ["System.InvalidOperationException"] = 1 }));
            Assert.That(snapshot.InFlight, Is.Zero);
        });
    }

    [Test]
    public void CallsAndItems_NeverCalledMonitor_PublishNothing_AndOneCallPublishesThem()
    {
        string name = nameof(CallsAndItems_NeverCalledMonitor_PublishNothing_AndOneCallPublishesThem);
        using var collector = new MeasurementCollector(name);
        using ModelMonitor monitor = Create(name, new FakeTimeProvider());
        string[] instruments = ["model.inference.calls", "model.inference.items", "model.inference.active_calls"];

        List<Observed> idle = collector.Collect(name);
        monitor.EndBatchCall(monitor.StartCall(), itemCount: 3);
        List<Observed> called = collector.Collect(name);

        Assert.Multiple(() =>
        {
            Assert.That(idle.Where(o => instruments.Contains(o.Instrument)), Is.Empty);
            Assert.That(called.Single(o => o.Instrument == "model.inference.calls").Value, Is.EqualTo(1));
            Assert.That(called.Single(o => o.Instrument == "model.inference.items").Value, Is.EqualTo(3));
            Assert.That(called.Single(o => o.Instrument == "model.inference.active_calls").Value, Is.Zero, "reported once a call completed");
        });
    }

    [Test]
    public void ActiveCalls_CallInFlight_IsReportedBeforeAnyCallCompleted()
    {
        string name = nameof(ActiveCalls_CallInFlight_IsReportedBeforeAnyCallCompleted);
        using var collector = new MeasurementCollector(name);
        using ModelMonitor monitor = Create(name, new FakeTimeProvider());

        long start = monitor.StartCall();
        List<Observed> during = collector.Collect(name);
        monitor.EndCall(start);

        Assert.That(during.Single(o => o.Instrument == "model.inference.active_calls").Value, Is.EqualTo(1));
        Assert.That(during.Where(o => o.Instrument == "model.inference.calls"), Is.Empty);
    }

    private static ModelMonitor Create(string name, FakeTimeProvider clock) =>
        new(new ModelMonitorOptions
        {
            ModelName = name,
            Windows = OneAndFiveMinutes,
            TimeProvider = clock,

            // A meter of its own, so that no other listener reads (and checkpoints) this monitor at other times.
            MeterName = name,
        });
}
