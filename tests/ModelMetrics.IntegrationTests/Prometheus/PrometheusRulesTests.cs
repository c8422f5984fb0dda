// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using ModelMetrics.TestHost;
using NUnit.Framework;

namespace ModelMetrics.IntegrationTests.Prometheus;

/// <summary>
/// The shipped recording rules (prometheus/modelmetrics.rules.yml): valid for promtool, exact on known input
/// (prometheus/modelmetrics.rules.test.yml), and producing plausible series for live traffic in a real server.
/// </summary>
public partial class PrometheusRulesTests
{
    private static readonly TimeSpan PromtoolTimeout = TimeSpan.FromSeconds(60);

    [Test]
    public async Task PromtoolCheckRules_ShippedRules_AreValid()
    {
        (int exitCode, string output) = await PrometheusTools.RunPromtoolAsync(["check", "rules", PrometheusTools.RulesFile], PromtoolTimeout);

        Assert.That(exitCode, Is.Zero, output);
        Assert.That(output, Does.Contain($"SUCCESS: {RecordedNames().Length} rules found"), output);
    }

    [Test]
    public async Task PromtoolTestRules_ShippedUnitTests_PassAndCoverEveryRule()
    {
        (int exitCode, string output) = await PrometheusTools.RunPromtoolAsync(["test", "rules", PrometheusTools.RulesTestFile], PromtoolTimeout);

        Assert.That(exitCode, Is.Zero, output);
        Assert.That(output, Does.Contain("SUCCESS"), output);

        // Every rule's value is checked, not only its syntax.
        string[] tested = [.. TestedExpression().Matches(File.ReadAllText(PrometheusTools.RulesTestFile)).Select(m => m.Groups[1].Value)];
        Assert.That(RecordedNames().Where(name => !tested.Any(expr => expr.Contains(name, StringComparison.Ordinal))), Is.Empty, "rules without a promql_expr_test");
    }

    [Test]
    public async Task LiveServer_EveryRecordingRule_ProducesPlausibleSeriesForLiveModel()
    {
        PrometheusFleet fleet = await PrometheusFleet.GetAsync();
        IReadOnlyList<PrometheusRule> loaded = await fleet.Server.GetRecordingRulesAsync();
        Assert.That(loaded.Select(r => r.Name), Is.EquivalentTo(RecordedNames()), "the server loaded the shipped file");

        // Ratios need enough calls in the window to be compared with the live traffic's known rates.
        await fleet.WaitForLiveTrafficAsync(2000);
        var values = new Dictionary<string, IReadOnlyList<PrometheusSample>>();
        foreach (string name in RecordedNames())
        {
            values[name] = await fleet.Server.WaitForAsync(
                $"{name}{{model_name=\"{Scenarios.LiveModel}\",model_version=\"{Scenarios.LiveVersion}\"}}",
                s => s.Count > 0 && s.All(x => double.IsFinite(x.Value)),
                TimeSpan.FromSeconds(30),
                $"rule {name} for the live model");
            TestContext.Out.WriteLine($"{name}: {string.Join("; ", values[name])}");
        }

        double Single(string name) => values[name].Single().Value;
        IReadOnlyList<PrometheusRule> evaluated = await fleet.Server.GetRecordingRulesAsync();
        Assert.Multiple(() =>
        {
            Assert.That(evaluated.Where(r => r.Health != "ok").Select(r => $"{r.Name}: {r.Health} {r.LastError}"), Is.Empty);

            // Two hosts, each at most one call per 5 ms.
            Assert.That(Single("model:inference_calls:rate5m"), Is.GreaterThan(0).And.LessThanOrEqualTo(2 * 200 * 1.25));

            // 2% timeouts + 1% invalid operations.
            Assert.That(Single("model:inference_errors:ratio_rate5m"), Is.InRange(0.01, 0.06));

            // Latencies uniform in 1–20 ms: every quantile interpolates inside (0.0025, 0.025].
            double p50 = Single("model:inference_duration_seconds:p50_rate5m");
            double p90 = Single("model:inference_duration_seconds:p90_rate5m");
            double p99 = Single("model:inference_duration_seconds:p99_rate5m");
            Assert.That(new[] { p50, p90, p99 }, Is.Ordered.And.All.InRange(0.0025, 0.025));

            // 80% of predictions right, errors spread evenly over the other classes: accuracy and every F1 near 0.8.
            Assert.That(Single("model:classification_accuracy:ratio_rate1h"), Is.InRange(0.74, 0.86));
            Assert.That(values["model:classification_f1:ratio_rate1h"].Select(s => s["model_class"]), Is.EquivalentTo(Scenarios.Classes));
            Assert.That(values["model:classification_f1:ratio_rate1h"].Select(s => s.Value), Is.All.InRange(0.7, 0.9));
            Assert.That(Single("model:classification_macro_f1:ratio_rate1h"), Is.EqualTo(values["model:classification_f1:ratio_rate1h"].Average(s => s.Value)).Within(0.02));
        });
    }

    /// <summary>The names the shipped rules file records, in file order.</summary>
    private static string[] RecordedNames() =>
        [.. RecordLine().Matches(File.ReadAllText(PrometheusTools.RulesFile)).Select(m => m.Groups[1].Value)];

    [GeneratedRegex(@"^\s*- record:\s*(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex RecordLine();

    [GeneratedRegex(@"^\s*- expr:\s*(.+)$", RegexOptions.Multiline)]
    private static partial Regex TestedExpression();
}
