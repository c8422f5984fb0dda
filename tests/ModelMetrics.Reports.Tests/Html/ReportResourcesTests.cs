// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Text.Json;
using NUnit.Framework;

namespace ModelMetrics.Reports.Tests.Html;

public sealed class ReportResourcesTests
{
    [Test]
    public void Report_WithAResourceMonitor_ShowsTheProcessFigures()
    {
        using var registry = new RegistryScope();
        using var resources = new ResourceMonitor(new ResourceMonitorOptions { IncludeGpu = false, MeterName = registry.Meter + ".resources" });
        var report = new ModelMetricsReport(new ModelMetricsReportOptions { Registry = registry.Registry, Resources = resources });

        string html = report.ToHtml();
        using JsonDocument json = JsonDocument.Parse(report.ToJson());

        Assert.That(html, Does.Contain("<section id=\"resources\""));
        Assert.That(html, Does.Contain("data-key=\"resources.threads\""));
        JsonElement r = json.RootElement.GetProperty("resources");
        Assert.That(r.GetProperty("processThreads").GetInt32(), Is.GreaterThan(0));
        Assert.That(r.GetProperty("processResidentMemoryBytes").GetInt64(), Is.GreaterThan(1 << 20));
    }

    [Test]
    public void Report_WithoutAResourceMonitor_HasNoResourcesSection()
    {
        using var registry = new RegistryScope();
        var report = new ModelMetricsReport(new ModelMetricsReportOptions { Registry = registry.Registry });

        Assert.That(report.ToHtml(), Does.Not.Contain("id=\"resources\""));
        using JsonDocument json = JsonDocument.Parse(report.ToJson());
        Assert.That(json.RootElement.TryGetProperty("resources", out _), Is.False);
    }
}
