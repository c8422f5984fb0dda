// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Classification;

/// <summary>The classification signal's instruments: class attributes past the published cap.</summary>
public class ClassificationPublishingTests
{
    [Test]
    public void MaxPublishedClasses_ClassesPastTheCapPublishedSummedAsOther()
    {
        string meter = "ModelMetrics.Tests.Overflow." + Guid.NewGuid();
        using var collector = new MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "many-classes",
            MeterName = meter,
            ClassLabels = ["a", "b", "c", "d", "e"],
            MaxPublishedClasses = 3,
            Windows = [TimeSpan.FromMinutes(1)],
        });

        // (predicted, actual): a→a, c→c ×2, d→e, e→b. Past the cap: c, d, e.
        monitor.RecordGroundTruth(0, 0);
        monitor.RecordGroundTruth(2, 2);
        monitor.RecordGroundTruth(2, 2);
        monitor.RecordGroundTruth(3, 4);
        monitor.RecordGroundTruth(4, 1);

        List<Observed> all = collector.Collect("many-classes");
        Dictionary<string, double> truePositives = all.Where(o => o.Instrument == "model.classification.true_positives").ToDictionary(o => o.Tag("model.class")!, o => o.Value);
        Dictionary<string, double> falsePositives = all.Where(o => o.Instrument == "model.classification.false_positives").ToDictionary(o => o.Tag("model.class")!, o => o.Value);
        Dictionary<string, double> falseNegatives = all.Where(o => o.Instrument == "model.classification.false_negatives").ToDictionary(o => o.Tag("model.class")!, o => o.Value);

        Assert.Multiple(() =>
        {
            Assert.That(truePositives.Keys, Is.EquivalentTo(new[] { "a", "b", "_OTHER" }));
            Assert.That(truePositives["_OTHER"], Is.EqualTo(2), "c→c twice");
            Assert.That(falsePositives["_OTHER"], Is.EqualTo(2), "d predicted for e, e predicted for b");
            Assert.That(falseNegatives["_OTHER"], Is.EqualTo(1), "e missed");
            Assert.That(falseNegatives["b"], Is.EqualTo(1));
            Assert.That(truePositives.Values.Sum() + falseNegatives.Values.Sum(), Is.EqualTo(5), "counters still add up to every labelled pair");
            Assert.That(all.Where(o => o.Instrument == "model.classification.f1").Select(o => o.Tag("model.class")), Is.SubsetOf(new[] { "a", "b", "_OTHER" }));
            Assert.That(monitor.GetSnapshot().Classification!.Classes, Has.Count.EqualTo(5), "snapshots keep every class");
        });
    }
}
