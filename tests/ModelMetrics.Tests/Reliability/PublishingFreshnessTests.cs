// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Collections.Generic;
using System.Linq;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Reliability;

/// <summary>
/// A collection reports what was recorded before it started. (A publishing pass reuses a monitor's snapshot
/// for 100 ms unless the monitor was marked changed; every recording must mark it.)
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
}
