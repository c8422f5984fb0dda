// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Monitoring;

/// <summary>The public registry of live monitors (issue 10): membership, events, lookup, and publishing through it.</summary>
public class RegistryTests
{
    [Test]
    public void Default_MonitorJoinsAtConstructionAndLeavesAtDispose()
    {
        var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(Default_MonitorJoinsAtConstructionAndLeavesAtDispose) });
        bool joined = ModelMonitorRegistry.Default.Monitors.Contains(monitor);
        monitor.Dispose();

        Assert.That(joined, Is.True);
        Assert.That(ModelMonitorRegistry.Default.Monitors, Does.Not.Contain(monitor));
        Assert.That(new ModelMonitorOptions().Registry, Is.SameAs(ModelMonitorRegistry.Default));
    }

    [Test]
    public void CustomRegistry_HoldsOnlyItsMonitorsInJoinOrder_AndNotTheDefault()
    {
        var registry = new ModelMonitorRegistry();
        using var first = new ModelMonitor(new ModelMonitorOptions { ModelName = "custom-1", Registry = registry });
        using var second = new ModelMonitor(new ModelMonitorOptions { ModelName = "custom-2", Registry = registry });
        using var elsewhere = new ModelMonitor(new ModelMonitorOptions { ModelName = "custom-elsewhere" });

        Assert.That(registry.Monitors, Is.EqualTo(new[] { first, second }));
        Assert.That(ModelMonitorRegistry.Default.Monitors, Does.Not.Contain(first).And.Not.Contain(second).And.Contain(elsewhere));

        first.Dispose();
        Assert.That(registry.Monitors, Is.EqualTo(new[] { second }));
    }

    [Test]
    public void Events_AddedAndRemovedFireOnceEachWithTheMonitor()
    {
        var registry = new ModelMonitorRegistry();
        var added = new List<(object? Sender, ModelMonitor Monitor, bool Listed)>();
        var removed = new List<(object? Sender, ModelMonitor Monitor, bool Listed)>();
        registry.MonitorAdded += (sender, e) => added.Add((sender, e.Monitor, registry.Monitors.Contains(e.Monitor)));
        registry.MonitorRemoved += (sender, e) => removed.Add((sender, e.Monitor, registry.Monitors.Contains(e.Monitor)));

        var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "events", Registry = registry });
        int addedBeforeDispose = added.Count;
        monitor.Dispose();
        monitor.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(addedBeforeDispose, Is.EqualTo(1));
            Assert.That(added, Is.EqualTo(new[] { ((object?)registry, monitor, true) }), "raised after the monitor joined");
            Assert.That(removed, Is.EqualTo(new[] { ((object?)registry, monitor, false) }), "raised once, after the monitor left");
        });
    }

    [Test]
    public void Events_ThrowingHandler_DoesNotBreakConstructionOrDisposal_AndLaterHandlersStillRun()
    {
        var registry = new ModelMonitorRegistry();
        int laterAdded = 0, laterRemoved = 0;
        registry.MonitorAdded += (_, _) => throw new InvalidOperationException("faulty handler");
        registry.MonitorAdded += (_, _) => laterAdded++;
        registry.MonitorRemoved += (_, _) => throw new InvalidOperationException("faulty handler");
        registry.MonitorRemoved += (_, _) => laterRemoved++;

        ModelMonitor? monitor = null;
        Assert.That(() => monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "faulty-handlers", Registry = registry }), Throws.Nothing);
        Assert.That(registry.Monitors, Is.EqualTo(new[] { monitor }));
        monitor!.RecordCall(0.01);
        Assert.That(() => monitor.Dispose(), Throws.Nothing);

        Assert.Multiple(() =>
        {
            Assert.That(registry.Monitors, Is.Empty);
            Assert.That(laterAdded, Is.EqualTo(1));
            Assert.That(laterRemoved, Is.EqualTo(1));
            Assert.That(monitor.GetSnapshot().Calls, Is.EqualTo(1));
        });
    }

    [Test]
    public void Find_ByNameAndVersion_ReturnsTheLiveMonitorOrNull()
    {
        var registry = new ModelMonitorRegistry();
        using var v1 = new ModelMonitor(new ModelMonitorOptions { ModelName = "fraud", ModelVersion = "1", Registry = registry });
        using var v2 = new ModelMonitor(new ModelMonitorOptions { ModelName = "fraud", ModelVersion = "2", Registry = registry });
        using var unversioned = new ModelMonitor(new ModelMonitorOptions { ModelName = "churn", Registry = registry });

        Assert.Multiple(() =>
        {
            Assert.That(registry.Find("fraud", "1"), Is.SameAs(v1));
            Assert.That(registry.Find("fraud", "2"), Is.SameAs(v2));
            Assert.That(registry.Find("fraud"), Is.Null, "no unversioned fraud monitor");
            Assert.That(registry.Find("churn"), Is.SameAs(unversioned));
            Assert.That(registry.Find("churn", "1"), Is.Null);
            Assert.That(registry.Find("Fraud", "1"), Is.Null, "names are case-sensitive");
        });

        v1.Dispose();
        Assert.That(registry.Find("fraud", "1"), Is.Null, "a disposed monitor is not found");
    }

    [Test]
    public void Publishing_MonitorInACustomRegistry_IsPublishedUntilDisposed()
    {
        string meter = "ModelMetrics.Tests.Registry." + Guid.NewGuid();
        var registry = new ModelMonitorRegistry();
        using var collector = new MeasurementCollector(meter);
        var custom = new ModelMonitor(new ModelMonitorOptions { ModelName = "in-custom", MeterName = meter, Registry = registry });
        using var inDefault = new ModelMonitor(new ModelMonitorOptions { ModelName = "in-default", MeterName = meter });
        custom.RecordCall(0.01);
        custom.RecordCall(0.01);
        inDefault.RecordCall(0.01);

        double Calls(string model) => collector.Collect(model).Where(o => o.Instrument == "model.inference.calls").Sum(o => o.Value);
        double customBefore = Calls("in-custom");
        double defaultBefore = Calls("in-default");
        custom.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(customBefore, Is.EqualTo(2));
            Assert.That(defaultBefore, Is.EqualTo(1));
            Assert.That(collector.Collect("in-custom"), Is.Empty, "disposed: left its registry, no longer published");
            Assert.That(Calls("in-default"), Is.EqualTo(1));
        });
    }

    [Test]
    public void Options_NullRegistry_ThrowsForRegistry() =>
        Assert.That(
            () => new ModelMonitor(new ModelMonitorOptions { ModelName = "no-registry", Registry = null! }).Dispose(),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("Registry"));
}
