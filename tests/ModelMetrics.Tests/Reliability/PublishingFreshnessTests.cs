// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Collections.Generic;
using System.Linq;
using System.Threading;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Reliability;

/// <summary>
/// A collection reports what was recorded before it started, from one snapshot per pass: the instruments of a
/// pass share the snapshot taken when the first of them asked, and an instrument asking again starts a new pass.
/// </summary>
[NonParallelizable]
public class PublishingFreshnessTests
{
    [Test]
    public void Collect_RightAfterAnotherCollection_ReportsRejectionsAndCallsInFlightRecordedBetween()
    {
        string meter = ReliabilityHelpers.MeterName();
        string model = ReliabilityHelpers.ModelName();
        using var collector = new MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = model, MeterName = meter, ClassLabels = ["neg", "pos"] });
        monitor.RecordCall(0.01);
        _ = collector.Collect(model);

        for (int i = 0; i < 5; i++)
        {
            monitor.RecordGroundTruth("neg", "unknown");
        }

        long start = monitor.StartCall();
        List<Observed> published = collector.Collect(model);
        monitor.EndCall(start);

        Assert.Multiple(() =>
        {
            Assert.That(published.Where(o => o.Instrument == "model.metrics.rejected").Select(o => o.Value), Is.EqualTo(new[] { 5.0 }));
            Assert.That(published.Single(o => o.Instrument == "model.inference.active_calls").Value, Is.EqualTo(1));
        });
    }

    [Test]
    public void Collect_WhileAnotherThreadRecords_EveryInstrumentOfAPassReportsTheSameSnapshot()
    {
        string meter = ReliabilityHelpers.MeterName();
        string model = ReliabilityHelpers.ModelName();
        using var collector = new MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = model, MeterName = meter, ClassLabels = ["neg", "pos"] });
        var passes = new List<(double Calls, double Count, double Infinity, double Items, double Labelled)>();
        var run = new ConcurrentRun(1) { MaxReadings = 20_000 };
        run.Execute(
            _ =>
            {
                // The writer records until the reader has seen enough (bounded by count and time as well).
                for (int i = 0; i < 100_000_000 && !run.ReaderDone && run.InTime; i++)
                {
                    monitor.RecordCall(0.001);
                    monitor.RecordGroundTruth(i % 2, 0); // the truth of a call is recorded after the call
                }
            },
            _ =>
            {
                // Every instrument asked for has something to report once the writer has labelled a call.
                if (monitor.GetSnapshot().Classification is not { Total: > 0 })
                {
                    Thread.Sleep(1);
                    return;
                }

                List<Observed> published = collector.Collect(model);
                passes.Add((
                    published.Where(o => o.Instrument == "model.inference.calls").Sum(o => o.Value),
                    published.Single(o => o.Instrument == "model.inference.duration.count").Value,
                    published.Single(o => o.Instrument == "model.inference.duration.bucket" && o.Tag("le") == "+Inf").Value,
                    published.Single(o => o.Instrument == "model.inference.items").Value,
                    published.Where(o => o.Instrument is "model.classification.true_positives" or "model.classification.false_negatives").Sum(o => o.Value)));

                // At least 20 passes, more (bounded) until the writer has visibly recorded between two of them.
                if (passes.Count >= 20 && passes[^1].Calls != passes[0].Calls)
                {
                    run.StopReading();
                }
            });
        run.AssertClean();

        // Read per instrument, the first four would differ by the calls recorded between two callbacks (thousands).
        Assert.Multiple(() =>
        {
            foreach (var p in passes)
            {
                Assert.That(new[] { p.Count, p.Infinity, p.Items }, Is.All.EqualTo(p.Calls), $"one pass: {p}");

                // Every labelled prediction is a true positive or a false negative of its true class. Quality is read
                // before calls, so labels recorded after their calls never run ahead of them.
                Assert.That(p.Labelled, Is.LessThanOrEqualTo(p.Calls).And.GreaterThan(0), $"one pass: {p}");
            }

            Assert.That(passes[^1].Calls, Is.GreaterThan(passes[0].Calls), "the writer ran during the passes");
        });
    }
}
