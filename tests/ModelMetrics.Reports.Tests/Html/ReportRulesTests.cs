// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Linq;
using System.Text.Json;
using NUnit.Framework;

namespace ModelMetrics.Reports.Tests.Html;

public sealed class ReportRulesTests
{
    [Test]
    public void Report_WithARuleSet_ListsEveryStatusWorstFirstWithItsFigures()
    {
        using var scenario = new Scenario();
        scenario.Record();
        using var rules = new ModelRuleSet(new ModelRuleSetOptions
        {
            Registry = scenario.Registry,
            MeterName = scenario.Meter,
            EvaluationInterval = TimeSpan.Zero,
            Rules = [new ModelRule { Name = "errors", ModelName = "fraud", Signal = ModelSignal.ErrorRatio, Warning = 0.0001, MinSamples = 0, BreachesToFire = 1 }],
            Objectives = [new ServiceLevelObjective { Name = "availability", ModelName = "eta", Objective = 0.99 }],
        });
        scenario.Time.Advance(TimeSpan.FromMinutes(1));
        rules.Evaluate();
        var report = new ModelMetricsReport(new ModelMetricsReportOptions { Registry = scenario.Registry, Rules = rules });

        string html = report.ToHtml();
        using JsonDocument json = JsonDocument.Parse(report.ToJson());

        RuleStatus errors = rules.Statuses.Single(s => s.Rule == "errors");
        Assert.That(errors.Severity, Is.EqualTo(RuleSeverity.Warning), "the scenario's classifier has failures");
        Assert.That(html, Does.Contain("<section id=\"rules\""));
        Assert.That(html, Does.Contain($"data-key=\"rules.errors.fraud.3.value\">{errors.Value!.Value.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)}<"));
        Assert.That(html, Does.Contain("data-key=\"rules.errors.fraud.3.state\">warning<"));
        Assert.That(html, Does.Contain("data-key=\"rules.availability.eta.-.budget\">1.0000<"), "no failure of the regression model");
        Assert.That(html.IndexOf("rules.errors.", StringComparison.Ordinal), Is.LessThan(html.IndexOf("rules.availability.", StringComparison.Ordinal)), "worst first");

        JsonElement[] listed = [.. json.RootElement.GetProperty("rules").EnumerateArray()];
        Assert.That(listed.Select(r => r.GetProperty("rule").GetString()), Is.EquivalentTo(new[] { "errors", "availability" }));
        JsonElement e = listed.Single(r => r.GetProperty("rule").GetString() == "errors");
        Assert.That(e.GetProperty("severity").GetString(), Is.EqualTo("warning"));
        Assert.That(e.GetProperty("value").GetDouble(), Is.EqualTo(errors.Value));
        Assert.That(e.GetProperty("description").GetString(), Is.EqualTo(errors.Description));
    }

    [Test]
    public void Report_WithoutARuleSet_HasNoRulesSection()
    {
        using var scenario = new Scenario();
        var report = new ModelMetricsReport(new ModelMetricsReportOptions { Registry = scenario.Registry });

        Assert.That(report.ToHtml(), Does.Not.Contain("id=\"rules\""));
        using JsonDocument json = JsonDocument.Parse(report.ToJson());
        Assert.That(json.RootElement.TryGetProperty("rules", out _), Is.False);
    }
}
