// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using ModelMetrics.TestHost;
using NUnit.Framework;

namespace ModelMetrics.IntegrationTests.Prometheus;

/// <summary>
/// The shipped Grafana dashboard (grafana/modelmetrics-dashboard.json): well-formed for Grafana, and every query
/// of every panel returns data from a real Prometheus scraping the test hosts.
/// </summary>
public partial class GrafanaDashboardTests
{
    // What Grafana would put in place of each variable the dashboard uses, for the live model.
    private static readonly Dictionary<string, string> Variables = new()
    {
        ["model"] = Scenarios.LiveModel,
        ["version"] = Scenarios.LiveVersion,
        ["__rate_interval"] = "1m",
        ["__interval"] = "15s",
        ["__range"] = "5m",
    };

    private static readonly string[] PanelTypes = ["timeseries", "heatmap", "table", "stat", "bargauge", "gauge"];

    [Test]
    public void Dashboard_Json_IsWellFormedGrafanaWithDatasourceModelAndVersionVariables()
    {
        using JsonDocument dashboard = Load();
        JsonElement root = dashboard.RootElement;
        JsonElement[] panels = [.. root.GetProperty("panels").EnumerateArray()];
        Dictionary<string, JsonElement> variables = root.GetProperty("templating").GetProperty("list").EnumerateArray().ToDictionary(v => v.GetProperty("name").GetString()!);

        Assert.Multiple(() =>
        {
            Assert.That(root.GetProperty("schemaVersion").GetInt32(), Is.InRange(36, 41));
            Assert.That(root.GetProperty("uid").GetString(), Is.Not.Empty);
            Assert.That(root.GetProperty("title").GetString(), Is.Not.Empty);

            Assert.That(variables.Keys, Is.EquivalentTo(new[] { "datasource", "model", "version" }));
            Assert.That((variables["datasource"].GetProperty("type").GetString(), variables["datasource"].GetProperty("query").GetString()), Is.EqualTo(("datasource", "prometheus")));
            Assert.That(Datasource(variables["model"]), Is.EqualTo("${datasource}"));
            Assert.That(Datasource(variables["version"]), Is.EqualTo("${datasource}"));

            Assert.That(panels, Is.Not.Empty);
            Assert.That(panels.Select(p => p.GetProperty("id").GetInt32()), Is.Unique);
            foreach (JsonElement panel in panels)
            {
                string title = panel.GetProperty("title").GetString()!;
                Assert.That(panel.GetProperty("type").GetString(), Is.AnyOf(PanelTypes), title);
                Assert.That(Datasource(panel), Is.EqualTo("${datasource}"), title);
                Assert.That(panel.GetProperty("description").GetString(), Is.Not.Empty, title);
                JsonElement[] targets = [.. panel.GetProperty("targets").EnumerateArray()];
                Assert.That(targets, Is.Not.Empty, title);
                Assert.That(targets.Select(t => t.GetProperty("refId").GetString()), Is.Unique, title);
                Assert.That(targets.Select(t => Datasource(t)), Is.All.EqualTo("${datasource}"), title);
                Assert.That(targets.Select(t => t.GetProperty("expr").GetString()), Is.All.Not.Empty, title);
            }

            // Panels lie inside the 24-column grid and do not overlap.
            (string Title, int X, int Y, int W, int H)[] boxes = [.. panels.Select(p => (p.GetProperty("title").GetString()!, Grid(p, "x"), Grid(p, "y"), Grid(p, "w"), Grid(p, "h")))];
            Assert.That(boxes.Where(b => b.X < 0 || b.Y < 0 || b.W <= 0 || b.H <= 0 || b.X + b.W > 24).Select(b => b.Title), Is.Empty, "outside the grid");
            Assert.That(
                boxes.SelectMany((a, i) => boxes.Skip(i + 1).Where(b => a.X < b.X + b.W && b.X < a.X + a.W && a.Y < b.Y + b.H && b.Y < a.Y + a.H).Select(b => $"{a.Title} / {b.Title}")),
                Is.Empty,
                "overlapping");
        });
    }

    [Test]
    public async Task Dashboard_EveryPanelQuery_ReturnsFiniteSeriesForLiveModel()
    {
        PrometheusFleet fleet = await PrometheusFleet.GetAsync();
        await fleet.WaitForLiveTrafficAsync(500);

        using JsonDocument dashboard = Load();
        foreach (JsonElement panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
        {
            foreach (JsonElement target in panel.GetProperty("targets").EnumerateArray())
            {
                string what = $"panel '{panel.GetProperty("title").GetString()}' query {target.GetProperty("refId").GetString()}";
                string promql = Substitute(target.GetProperty("expr").GetString()!);

                // Rates need two scrapes inside their window, and the rule results an evaluation: wait, bounded.
                IReadOnlyList<PrometheusSample> result = await fleet.Server.WaitForAsync(
                    promql,
                    s => s.Count > 0 && s.All(x => double.IsFinite(x.Value)),
                    TimeSpan.FromSeconds(30),
                    what);
                TestContext.Out.WriteLine($"{what}: {result.Count} series, e.g. {result[0]}");
            }
        }
    }

    [Test]
    public async Task Dashboard_TemplateVariables_ListTheLiveModelAndItsVersion()
    {
        PrometheusFleet fleet = await PrometheusFleet.GetAsync();
        using JsonDocument dashboard = Load();
        Dictionary<string, string> queries = dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray()
            .Where(v => v.GetProperty("type").GetString() == "query")
            .ToDictionary(v => v.GetProperty("name").GetString()!, v => v.GetProperty("definition").GetString()!);

        // Grafana's label_values(series, label) lists the label's values among the series: count by (label) (series).
        async Task<IEnumerable<string>> ValuesAsync(string variable)
        {
            Match call = LabelValues().Match(Substitute(queries[variable]));
            Assert.That(call.Success, Is.True, queries[variable]);
            IReadOnlyList<PrometheusSample> result = await fleet.Server.QueryAsync($"count by ({call.Groups[2].Value}) ({call.Groups[1].Value})");
            return result.Select(s => s[call.Groups[2].Value]);
        }

        Assert.That(await ValuesAsync("model"), Is.EquivalentTo(new[] { Scenarios.FleetModel, Scenarios.LiveModel }));
        Assert.That(await ValuesAsync("version"), Is.EqualTo(new[] { Scenarios.LiveVersion }), "versions of the selected model only");
    }

    private static JsonDocument Load() => JsonDocument.Parse(File.ReadAllText(PrometheusTools.DashboardFile));

    private static string? Datasource(JsonElement element) =>
        element.TryGetProperty("datasource", out JsonElement datasource) && datasource.ValueKind == JsonValueKind.Object && datasource.TryGetProperty("uid", out JsonElement uid)
            ? uid.GetString()
            : null;

    private static int Grid(JsonElement panel, string field) => panel.GetProperty("gridPos").GetProperty(field).GetInt32();

    /// <summary>Replaces $name and ${name} with <see cref="Variables"/>; a variable without a value fails the test.</summary>
    private static string Substitute(string expr) => Variable().Replace(expr, m =>
    {
        string name = m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value;
        Assert.That(Variables.ContainsKey(name), Is.True, $"unknown variable ${name} in {expr}");
        return Variables[name];
    });

    [GeneratedRegex(@"\$\{(\w+)\}|\$(\w+)")]
    private static partial Regex Variable();

    [GeneratedRegex(@"^label_values\((.+),\s*(\w+)\)$")]
    private static partial Regex LabelValues();
}
