// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.IO;
using System.Threading.Tasks;
using NUnit.Framework;

namespace ModelMetrics.IntegrationTests.Prometheus;

/// <summary>
/// The shipped alerting rules (prometheus/modelmetrics.alerts.yml): valid for promtool, and firing and resolving as
/// ModelRuleSet does on the same timelines (prometheus/modelmetrics.alerts.test.yml; the in-process side is
/// tests/ModelMetrics.Tests/Rules/ObjectiveTests.cs).
/// </summary>
[TestFixture]
public sealed class PrometheusAlertsTests
{
    private static readonly TimeSpan PromtoolTimeout = TimeSpan.FromSeconds(300);
    private static readonly string AlertsFile = Path.Combine(PrometheusTools.ShippedPrometheus, "modelmetrics.alerts.yml");
    private static readonly string AlertsTestFile = Path.Combine(PrometheusTools.ShippedPrometheus, "modelmetrics.alerts.test.yml");

    [Test]
    public async Task PromtoolCheckRules_ShippedAlerts_AreValid()
    {
        (int exitCode, string output) = await PrometheusTools.RunPromtoolAsync(["check", "rules", AlertsFile], PromtoolTimeout);

        Assert.That(exitCode, Is.Zero, output);
        Assert.That(output, Does.Contain("SUCCESS: 14 rules found"), output);
    }

    [Test]
    public async Task PromtoolTestRules_BurnRateTimelines_FireAndResolveAsTheInProcessEngine()
    {
        (int exitCode, string output) = await PrometheusTools.RunPromtoolAsync(["test", "rules", AlertsTestFile], PromtoolTimeout);

        Assert.That(exitCode, Is.Zero, output);
        Assert.That(output, Does.Contain("SUCCESS"), output);
    }
}
