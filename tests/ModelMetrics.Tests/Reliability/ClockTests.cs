// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Reliability;

/// <summary>
/// Clocks that go the wrong way: a start timestamp from the future, and a monitor clock (TimeProvider) that
/// jumps backwards, even to before the monitor was created. Nothing throws and no count goes negative.
/// </summary>
[NonParallelizable]
public class ClockTests
{
    private static readonly string[] Labels = ["neg", "pos"];

    [Test]
    public void EndCall_StartTimestampInTheFuture_RecordsZeroAndCountsNegativeDuration()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = ReliabilityHelpers.ModelName(), MeterName = ReliabilityHelpers.MeterName() });
        var failure = new InvalidOperationException();

        // As if StartCall's timestamp came from a clock ahead of this one by 10 s (or by the whole range of a long).
        for (int i = 0; i < 1_000; i++)
        {
            long start = monitor.StartCall();
            long future = i % 3 == 2 ? long.MaxValue : start + (10 * Stopwatch.Frequency);
            if (i % 2 == 0)
            {
                monitor.EndCall(future);
            }
            else
            {
                monitor.EndCall(future, failure);
            }
        }

        ModelMonitorSnapshot s = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(s.Rejected, Is.EqualTo(new Dictionary<string, long> { ["negative_duration"] = 1_000 }));
            Assert.That(s.Succeeded, Is.EqualTo(500));
            Assert.That(s.Failed, Is.EqualTo(500));
            Assert.That(s.Latency.Count, Is.EqualTo(1_000));
            Assert.That(s.InFlight, Is.Zero);

            // Recorded as zero: the first bucket, whose midpoint is below the 1 µs lowest.
            Assert.That(s.Latency.Max, Is.LessThan(1e-6));
            Assert.That(s.Latency.Sum, Is.LessThan(1e-3).And.GreaterThanOrEqualTo(0));
        });
    }

    [Test]
    public void RecentWindows_ClockJumpsBackwards_NeverThrowNorGoNegativeAndRecoverOnceTheClockMovesOn()
    {
        var clock = new SettableClock();
        string meter = ReliabilityHelpers.MeterName();
        string model = ReliabilityHelpers.ModelName();
        using var collector = new MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = model,
            MeterName = meter,
            ClassLabels = Labels,
            TimeProvider = clock,
            Windows = [TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(300)],
        });
        long calls = 0, pairs = 0, regressions = 0;
        var problems = new List<string>();
        var counters = new Dictionary<string, double>();

        void Record(int n)
        {
            for (int i = 0; i < n; i++)
            {
                monitor.RecordCall(0.01);
                monitor.RecordGroundTruth(i % 2, (i / 2) % 2);
                monitor.RecordRegression(i, i + 1);
                monitor.RecordPrediction(i % 2);
            }

            calls += n;
            pairs += n;
            regressions += n;
        }

        void Check(string when)
        {
            ModelMonitorSnapshot s = monitor.GetSnapshot();
            string where = $"{when}: recent latency {s.RecentLatency.Count}, recent pairs {s.RecentClassification!.Total}";
            if (s.Calls != calls || s.Latency.Count != calls || s.Classification!.Total != pairs || s.Regression!.Count != regressions)
            {
                problems.Add($"{where}: cumulative calls {s.Calls}, pairs {s.Classification!.Total}, expected {calls}, {pairs}");
            }

            if (s.RecentLatency.Count is < 0 || s.RecentLatency.Count > s.Latency.Count)
            {
                problems.Add(where);
            }

            foreach (WindowSnapshot w in s.Windows)
            {
                ClassificationSnapshot c = w.Classification!;
                bool cellsValid = Enumerable.Range(0, 2).All(a => Enumerable.Range(0, 2).All(p => c.GetCount(predicted: p, actual: a) >= 0));
                if (c.Total < 0 || c.Total > pairs || !cellsValid || c.Classes.Any(k => k.Support < 0 || k.FalsePositives < 0)
                    || (w.Regression is { } r && (r.Count < 0 || r.Count > regressions || !double.IsFinite(r.MeanAbsoluteError) || r.MeanAbsoluteError < 0)))
                {
                    problems.Add($"{where}: window {w.Window}: pairs {c.Total}, regression pairs {w.Regression?.Count}");
                }
            }

            // Published: every counter non-decreasing, every value finite, no negative count anywhere.
            foreach (Observed o in collector.Collect(model))
            {
                string series = o.Instrument + string.Join(",", o.Tags.OrderBy(t => t.Key).Select(t => t.Key + "=" + t.Value));
                // MCC and R² are the only published values that may be negative.
                if (!double.IsFinite(o.Value) || (o.Instrument is not ("model.classification.mcc" or "model.regression.r2") && o.Value < 0))
                {
                    problems.Add($"{when}: {series} = {o.Value}");
                }

                if (o.InstrumentType.Name.StartsWith("ObservableCounter", StringComparison.Ordinal))
                {
                    if (counters.TryGetValue(series, out double last) && o.Value < last)
                    {
                        problems.Add($"{when}: {series} fell from {last} to {o.Value}");
                    }

                    counters[series] = o.Value;
                }
            }
        }

        Record(5);
        Check("at 0 s");
        clock.Move(TimeSpan.FromSeconds(40));
        Record(7);
        Check("at 40 s");
        clock.Move(TimeSpan.FromSeconds(-30));
        Record(3);
        Check("back to 10 s");
        clock.Move(TimeSpan.FromDays(-2));
        Record(4);
        Check("2 days before the monitor was created");
        clock.Move(TimeSpan.FromSeconds(-1));
        Check("a second earlier still");
        clock.Move(TimeSpan.FromDays(2) + TimeSpan.FromSeconds(31));
        Record(2);
        Check("forward again, to 40 s");

        // Once the clock has moved on by more than the longest window plus its checkpoint spacing with nothing
        // recorded, every window is empty again; then each holds exactly what is recorded next.
        clock.Move(TimeSpan.FromSeconds(300));
        Check("at 340 s");
        clock.Move(TimeSpan.FromSeconds(400));
        Check("at 740 s");
        ModelMonitorSnapshot quiet = monitor.GetSnapshot();
        Record(6);
        ModelMonitorSnapshot recovered = monitor.GetSnapshot();
        Check("at 740 s, after 6 more");

        Assert.Multiple(() =>
        {
            Assert.That(problems, Is.Empty);
            Assert.That(quiet.RecentLatency.Count, Is.Zero);
            Assert.That(quiet.Windows.Select(w => w.Classification!.Total), Is.All.Zero);
            Assert.That(recovered.RecentLatency.Count, Is.EqualTo(6));
            Assert.That(recovered.Windows.Select(w => w.Classification!.Total), Is.All.EqualTo(6));
            Assert.That(recovered.Windows.Select(w => w.Regression!.Count), Is.All.EqualTo(6));
            Assert.That(recovered.Calls, Is.EqualTo(27));
            Assert.That(recovered.Rejected, Is.Empty, "a clock going backwards is not a rejected value");
        });
    }

    /// <summary>
    /// Issue 18, item 11: after the clock steps back two days, windows go on moving with it rather than freezing until it
    /// catches up (a 1 s window read every second used to hold everything since the step).
    /// </summary>
    [Test]
    public void Windows_ClockStepsBackTwoDays_KeepMovingFromThere()
    {
        var clock = new SettableClock();
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = ReliabilityHelpers.ModelName(),
            MeterName = ReliabilityHelpers.MeterName(),
            ClassLabels = Labels,
            TimeProvider = clock,
            Windows = [TimeSpan.FromSeconds(1)],
        });
        void Record(int n)
        {
            for (int i = 0; i < n; i++)
            {
                monitor.RecordGroundTruth(i % 2, i % 2);
                monitor.RecordCall(0.01);
            }
        }

        Record(100);
        monitor.GetSnapshot();
        clock.Move(TimeSpan.FromDays(-2));
        var recent = new List<long>();
        for (int second = 1; second <= 10; second++)
        {
            clock.Move(TimeSpan.FromSeconds(1));
            Record(100);
            WindowSnapshot window = monitor.GetSnapshot().Recent;
            recent.Add(window.Classification!.Total);
            Assert.That(window.Calls, Is.EqualTo(window.Classification.Total), $"second {second}");
        }

        // The step back happened between two readings and outweighed the second that followed it, so the first reading
        // after it sees no time pass, and the second one a window that still reaches back to the monitor's start (1 s
        // earlier: 300 pairs). From then on, read every second, a 1 s window covers at most its length plus the interval
        // between readings: 2 readings' worth. (Before, it kept growing by 100 a second until the clock caught up.)
        Assert.That(recent.Take(2), Is.All.InRange(100, 300));
        Assert.That(recent.Skip(2), Is.All.InRange(100, 200));
        Assert.That(monitor.GetSnapshot().Classification!.Total, Is.EqualTo(1100), "cumulative keeps everything");
    }

    [Test]
    public void DelayedLabel_ClockJumpsBackwardsBeforeTheLabel_JoinedWithTheTimeElapsedNotNegative()
    {
        var clock = new SettableClock();
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = ReliabilityHelpers.ModelName(), MeterName = ReliabilityHelpers.MeterName(), ClassLabels = Labels, TimeProvider = clock });

        monitor.RecordPrediction("early", 1);
        clock.Move(TimeSpan.FromMinutes(-5));
        bool joined = monitor.RecordLabel("early", 1);
        ModelMonitorSnapshot s = monitor.GetSnapshot();

        Assert.Multiple(() =>
        {
            Assert.That(joined, Is.True);
            Assert.That(s.Labels.Joined, Is.EqualTo(1));
            Assert.That(s.Labels.Pending, Is.Zero);
            Assert.That(s.Classification!.GetCount(predicted: 1, actual: 1), Is.EqualTo(1));
            Assert.That(s.Labels.Delay.Count, Is.EqualTo(1));
            Assert.That(s.Labels.Delay.Max, Is.LessThan(0.002), "no time elapsed: the first bucket of a 1 ms-lowest histogram");
            Assert.That(s.Rejected, Is.Empty, "the store moves the prediction's stamp back with the clock: no negative delay");
        });
    }
}
