// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics.Metrics;
using System.Linq;
using NUnit.Framework;

namespace ModelMetrics.Tests.Publishing;

/// <summary>
/// A listener's prepared passes refill one snapshot per monitor (and the calls signal's parts) from pass to pass, so a
/// busy fleet is published without garbage; a snapshot a user gets is still never changed afterwards.
/// </summary>
public class ReusedSnapshotTests
{
    private static long s_pass = long.MaxValue / 4;
    private static long s_ids;

    [Test]
    public void MeterListener_PassesOverBusyMonitors_AllocateNothingPerMonitorOnceWarm()
    {
        const int Monitors = 50;
        string meter = "ModelMetrics.Tests.Reused." + Guid.NewGuid().ToString("N");
        var clock = new FakeTimeProvider(); // windows never move: the test is about readings of calls, not checkpoints
        var monitors = Enumerable.Range(0, Monitors).Select(i => new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "m" + i,
            ClassLabels = ["setosa", "versicolor", "virginica"],
            MeterName = meter,
            Windows = [TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(15)],
            TimeProvider = clock,
            GenAI = new GenAIOptions(),
        })).ToArray();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == meter)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        long measurements = 0;
        listener.SetMeasurementEventCallback<long>((_, _, _, _) => measurements++);
        listener.SetMeasurementEventCallback<double>((_, _, _, _) => measurements++);
        listener.Start();
        try
        {
            var random = new Random(5);
            foreach (ModelMonitor monitor in monitors)
            {
                for (int c = 0; c < 2000; c++)
                {
                    monitor.RecordCall(1e-4 * Math.Pow(10, 3 * random.NextDouble()), c % 50 == 0 ? new TimeoutException() : null);
                    monitor.RecordGroundTruth(random.Next(3), random.Next(3));
                }
            }

            foreach (ModelMonitor monitor in monitors)
            {
                monitor.SetDriftReference([0.5, 0.3, 0.2]);
            }

            // Warm: the first pass observes each instrument alone; the next ones are prepared and build what they refill.
            for (int p = 0; p < 3; p++)
            {
                RecordBusyCalls(monitors, random);
                listener.RecordObservableInstruments();
            }

            long least = long.MaxValue;
            for (int p = 0; p < 5; p++)
            {
                RecordBusyCalls(monitors, random);
                measurements = 0;
                long before = GC.GetAllocatedBytesForCurrentThread();
                listener.RecordObservableInstruments();
                least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
                Assert.That(measurements, Is.GreaterThan(Monitors * 100), "every monitor's instruments were observed");
            }

            // Before reused snapshots a busy monitor's pass built ~2.7 KB of snapshot objects (135 KB for these 50). What
            // is left is the listener's own per-pass constant (about 1 KB, whatever the number of monitors).
            Assert.That(least, Is.LessThan(4096), $"bytes allocated by a pass over {Monitors} busy monitors");
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
    /// Snapshots a user gets between prepared passes (from <see cref="ModelMonitor.GetSnapshot"/>, or a pass's snapshot for
    /// an instrument observed alone) must not share what later passes refill: calls recorded, windows moved and passes
    /// published afterwards leave them as they were.
    /// </summary>
    [Test]
    public void Snapshots_TakenBetweenPreparedPasses_NeverChangeAfterward()
    {
        string meter = "ModelMetrics.Tests.Reused." + Guid.NewGuid().ToString("N");
        var clock = new FakeTimeProvider();
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "kept",
            ClassLabels = ["no", "yes"],
            MeterName = meter,
            Windows = [TimeSpan.FromSeconds(60)],
            TimeProvider = clock,
            GenAI = new GenAIOptions(),
            CpuTimeSampling = 1,
        });
        using var collector = new MeasurementCollector(meter);
        monitor.SetDriftReference([0.9, 0.1]);
        for (int i = 1; i <= 20; i++)
        {
            monitor.RecordCall(0.001 * i);
            monitor.RecordGroundTruth(predicted: i % 2, actual: i % 3 == 0 ? 1 : 0);
            monitor.RecordRegression(predicted: i, actual: i + (i % 3));
            monitor.RecordPrediction(300 + i, predictedClass: i % 4 == 0 ? 1 : 0);
            GenAICall call = monitor.GenAI!.StartCall();
            clock.Advance(TimeSpan.FromMilliseconds(i));
            call.RecordChunk();
            call.Complete(new GenAIUsage(InputTokens: i, OutputTokens: 1), i % 5 == 0 ? GenAIFinishReason.Length : GenAIFinishReason.Stop);
        }

        // Prepared passes, the last one confirming the change: nothing is marked changed when the user reads. Two seconds
        // after the first, so that a prepared pass reads the polled signals too (CPU time, pending predictions).
        _ = collector.CollectAll();
        clock.Advance(TimeSpan.FromSeconds(2));
        for (int p = 0; p < 3; p++)
        {
            _ = collector.CollectAll();
        }

        // The pass's snapshot first: a fresh reading (GetSnapshot) reads polled signals anew, which would hide the case.
        ModelMonitorSnapshot alone = monitor.ReadForPublishing(System.Threading.Interlocked.Increment(ref s_pass));
        ModelMonitorSnapshot kept = monitor.GetSnapshot();
        string keptBefore = Describe(kept);
        string aloneBefore = Describe(alone);
        Assert.That(keptBefore, Does.StartWith("calls 20 "));
        Assert.That(aloneBefore, Does.StartWith("calls 20 "), "the process's CPU time aside (read anew by GetSnapshot), the same reading");

        // More calls, read by prepared passes (the calls signal's last parts are now the refilled ones); then a checkpoint
        // falls due with nothing recorded, and an instrument observed alone advances the windows from that reading.
        for (int i = 0; i < 5; i++)
        {
            monitor.RecordCall(0.002);
            monitor.RecordGroundTruth(predicted: 1, actual: 1);
            monitor.RecordRegression(predicted: 7, actual: 5);
            monitor.RecordPrediction(100 + i, predictedClass: 0);
        }

        clock.Advance(TimeSpan.FromSeconds(2));
        _ = monitor.RecordLabel(100, actualClass: 0);

        _ = collector.CollectAll();
        _ = collector.CollectAll();
        clock.Advance(TimeSpan.FromSeconds(30));
        ModelMonitorSnapshot moved = monitor.ReadForPublishing(System.Threading.Interlocked.Increment(ref s_pass));
        string movedBefore = Describe(moved);
        Assert.That(movedBefore, Does.StartWith("calls 25 "));

        // The window empties at 95 s, then calls at new latencies: every later pass refills the reused snapshot.
        _ = collector.CollectAll();
        clock.Advance(TimeSpan.FromSeconds(65));
        _ = collector.CollectAll();
        for (int i = 0; i < 30; i++)
        {
            monitor.RecordCall(0.5);
            monitor.RecordGroundTruth(predicted: 0, actual: 1);
            monitor.RecordRegression(predicted: 100, actual: 1);
            monitor.RecordPrediction(200 + i, predictedClass: 1);
            monitor.EndCall(monitor.StartCall());
            GenAICall call = monitor.GenAI!.StartCall();
            call.RecordChunk();
            call.Fail(new TimeoutException());
        }

        for (int i = 101; i < 105; i++)
        {
            _ = monitor.RecordLabel(i, actualClass: 1);
        }

        Assert.That(collector.CollectAll().Single(o => o.Instrument == "model.inference.duration.count").Value, Is.EqualTo(85), "the passes saw the new calls");
        _ = collector.CollectAll();

        Assert.That(Describe(kept), Is.EqualTo(keptBefore), "GetSnapshot's snapshot");
        Assert.That(Describe(alone), Is.EqualTo(aloneBefore), "a pass's snapshot for an instrument observed alone");
        Assert.That(Describe(moved), Is.EqualTo(movedBefore), "a pass's snapshot whose windows advanced from a refilled reading");
        Assert.That(Describe(monitor.GetSnapshot()), Does.StartWith("calls 85 "));
    }

    private static void RecordBusyCalls(ModelMonitor[] monitors, Random random)
    {
        long id = ++s_ids;
        foreach (ModelMonitor monitor in monitors)
        {
            monitor.RecordPrediction(id, predictedClass: 1);
            _ = monitor.RecordLabel(id - 1, actualClass: 2);
            GenAICall call = monitor.GenAI!.StartCall("m");
            call.RecordChunk();
            call.RecordChunk();
            call.Complete(new GenAIUsage(InputTokens: 10, OutputTokens: 2), GenAIFinishReason.Stop);
            monitor.RecordCall(1e-4 * Math.Pow(10, 3 * random.NextDouble()));
            monitor.RecordGroundTruth(random.Next(3), random.Next(3));
            monitor.RecordRegression(random.NextDouble(), random.NextDouble());
        }
    }

    private static string Describe(ModelMonitorSnapshot s) =>
        $"calls {s.Calls} count {s.Latency.Count} sum {s.Latency.Sum} p50 {s.Latency.P50} p99 {s.Latency.P99} max {s.Latency.Max} " +
        $"le5ms {s.Latency.CountAtOrBelow(0.005)} buckets {s.Latency.GetBuckets().Count} window {s.Windows[0].Calls} " +
        $"{s.Windows[0].Latency.Count} {s.Windows[0].Latency.P99} {s.Windows[0].Latency.CountAtOrBelow(0.005)} " +
        $"labels {s.Classification!.Total} {s.Classification.Correct} {s.Classification.MacroF1} {s.Classification.Classes[1]} " +
        $"{s.Classification.GetCount(predicted: 0, actual: 1)} window {s.Windows[0].Classification!.Total} {s.Windows[0].Classification!.MatthewsCorrelation} " +
        $"drift {s.Drift?.Predictions} {s.Drift?.ClassPsi} {s.Drift?.ClassShares[0]} " +
        $"labels {s.Labels.Joined} {s.Labels.Pending} {s.Labels.Delay.Count} {s.Labels.Delay.Max} {s.Labels.RecentDelay.Count} {s.Windows[0].LabelDelay.Count} " +
        $"genai {s.GenAI!.Calls} {s.GenAI.Failed} {s.GenAI.InputTokens} {s.GenAI.Duration.Count} {s.GenAI.Duration.Max} {string.Join(",", s.GenAI.FinishReasons.OrderBy(r => r.Key))} " +
        $"{string.Join(",", s.GenAI.Failures.OrderBy(r => r.Key))} window {s.Windows[0].GenAI!.Calls} {s.Windows[0].GenAI!.TimeToFirstToken.Count} " +
        $"cpu {s.CpuTime!.ProcessCpuSeconds} {s.CpuTime.Samples} {s.Windows[0].CpuTime!.ProcessCpuSeconds} " +
        $"pairs {s.Regression!.Count} {s.Regression.MeanAbsoluteError} {s.Regression.RSquared} {s.Regression.SquaredErrorSum} window {s.Windows[0].Regression!.Count} {s.Windows[0].Regression!.MeanError}";
}
