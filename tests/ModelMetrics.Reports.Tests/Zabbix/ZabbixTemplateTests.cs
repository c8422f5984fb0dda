// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NUnit.Framework;
using OpenTelemetry.Metrics;

namespace ModelMetrics.Reports.Tests.Zabbix;

/// <summary>
/// The Zabbix 6.0 template (<c>zabbix/modelmetrics_template.yaml</c>): its structure, and its discovery and
/// Prometheus-pattern preprocessing run on a live scrape of OpenTelemetry's Prometheus exporter (the patterns evaluated
/// after Zabbix's documentation, the discovery JavaScript run by Node.js). A real Zabbix server is not run here.
/// </summary>
public sealed class ZabbixTemplateTests
{
    private const string TemplateName = "ModelMetrics by HTTP";
    private const string MasterKey = "modelmetrics.get_metrics";

    private static string Shipped(string path) => Path.Combine(TestContext.CurrentContext.TestDirectory, "Shipped", path);

    [Test]
    public void Template_Structure_IsAZabbix60TemplateOfDependentItemsOnOneHttpAgentScrape()
    {
        JsonElement export = LoadTemplate().GetProperty("zabbix_export");
        Assert.That(export.GetProperty("version").GetString(), Is.EqualTo("6.0"));
        string raw = File.ReadAllText(Shipped("zabbix/modelmetrics_template.yaml"));
        string[] uuids = Regex.Matches(raw, "uuid: (\\S+)").Select(m => m.Groups[1].Value).ToArray();
        Assert.That(uuids, Is.All.Match("^[0-9a-f]{32}$"));
        Assert.That(uuids, Is.Unique);

        JsonElement template = export.GetProperty("templates").EnumerateArray().Single();
        Assert.That(template.GetProperty("template").GetString(), Is.EqualTo(TemplateName));
        HashSet<string> macros = template.GetProperty("macros").EnumerateArray().Select(m => m.GetProperty("macro").GetString()!).ToHashSet();
        JsonElement master = template.GetProperty("items").EnumerateArray().Single();
        Assert.Multiple(() =>
        {
            Assert.That(master.GetProperty("type").GetString(), Is.EqualTo("HTTP_AGENT"));
            Assert.That(master.GetProperty("key").GetString(), Is.EqualTo(MasterKey));
            Assert.That(master.GetProperty("value_type").GetString(), Is.EqualTo("TEXT"));
            Assert.That(master.GetProperty("url").GetString(), Is.EqualTo("{$MODELMETRICS.URL}"));
        });

        var triggers = new List<string>();
        foreach (JsonElement rule in template.GetProperty("discovery_rules").EnumerateArray())
        {
            Assert.That(rule.GetProperty("type").GetString(), Is.EqualTo("DEPENDENT"));
            Assert.That(rule.GetProperty("master_item").GetProperty("key").GetString(), Is.EqualTo(MasterKey));
            Assert.That(rule.GetProperty("preprocessing").EnumerateArray().Select(p => p.GetProperty("type").GetString()), Is.EqualTo(new[] { "PROMETHEUS_TO_JSON", "JAVASCRIPT" }));
            JsonElement[] prototypes = rule.GetProperty("item_prototypes").EnumerateArray().ToArray();
            HashSet<string> keys = prototypes.Select(p => p.GetProperty("key").GetString()!).ToHashSet();
            Assert.That(keys, Has.Count.EqualTo(prototypes.Length), "keys are unique");
            foreach (JsonElement prototype in prototypes)
            {
                string key = prototype.GetProperty("key").GetString()!;
                string type = prototype.GetProperty("type").GetString()!;
                if (type == "DEPENDENT")
                {
                    Assert.That(prototype.GetProperty("master_item").GetProperty("key").GetString(), Is.EqualTo(MasterKey), key);
                    JsonElement first = prototype.GetProperty("preprocessing")[0];
                    Assert.That(first.GetProperty("type").GetString(), Is.EqualTo("PROMETHEUS_PATTERN"), key);
                    Assert.That(first.GetProperty("parameters").GetArrayLength(), Is.EqualTo(3), key);
                }
                else
                {
                    Assert.That(type, Is.EqualTo("CALCULATED"), key);
                    foreach (Match reference in Regex.Matches(prototype.GetProperty("params").GetString()!, "//([^)]+?\\])"))
                    {
                        Assert.That(keys, Does.Contain(reference.Groups[1].Value), "a calculated item reads items of its rule");
                    }
                }

                if (prototype.TryGetProperty("trigger_prototypes", out JsonElement itemTriggers))
                {
                    foreach (JsonElement trigger in itemTriggers.EnumerateArray())
                    {
                        string expression = trigger.GetProperty("expression").GetString()!;
                        triggers.Add(expression);
                        Assert.That(expression, Does.Contain($"/{TemplateName}/{key},"), "a trigger reads its own item");
                        foreach (Match macro in Regex.Matches(expression, "\\{\\$[A-Z0-9_.]+\\}"))
                        {
                            Assert.That(macros, Does.Contain(macro.Value), "every user macro has a default");
                        }
                    }
                }
            }
        }

        Assert.That(triggers, Has.Some.Contains("modelmetrics.error_ratio").And.Some.Contains("modelmetrics.latency.p99").And.Some.Contains("modelmetrics.accuracy"));
    }

    [Test]
    public void Template_EveryPatternsMetric_IsANameTheReadmeSaysIsPublished()
    {
        JsonElement template = LoadTemplate().GetProperty("zabbix_export").GetProperty("templates")[0];
        string readme = File.ReadAllText(Shipped("README.md"));
        // Every instrument named in the README's tables, turned into its Prometheus name by the README's rules: dots
        // to underscores, then _seconds for the unit s and _total for counters (both are stripped here instead).
        HashSet<string> published = readme.Split('\n')
            .Where(line => line.StartsWith("| `", StringComparison.Ordinal))
            .SelectMany(line => Regex.Matches(line, "`((?:model|gen_ai)\\.[a-z0-9_.]+)`").Select(m => m.Groups[1].Value.Replace('.', '_')))
            .ToHashSet();
        Assert.That(published, Does.Contain("model_inference_calls"));
        foreach (string pattern in Patterns(template))
        {
            string metric = Regex.Match(pattern, "^[a-z0-9_]+").Value;
            string instrument = Regex.Replace(Regex.Replace(metric, "_total$", string.Empty), "_seconds$", string.Empty);
            Assert.That(published, Does.Contain(instrument), $"{metric} ({pattern}) is in the README's instrument table");
        }
    }

    [Test]
    public async Task Template_OnALiveScrape_DiscoversModelsClassesAndErrorsAndExtractsThePublishedValues()
    {
        if (Which("node") is null && Which("nodejs") is null)
        {
            Assert.Ignore("Node.js runs the template's discovery JavaScript here: install with: apt-get install nodejs");
        }

        JsonElement template = LoadTemplate().GetProperty("zabbix_export").GetProperty("templates")[0];
        using var scenario = new Scenario();
        scenario.Record();
        // A model without a version is published with model_version="" (not without the label), which the patterns match.
        List<PrometheusSample> samples = PrometheusText.Parse(await ScrapeAsync(scenario));
        ModelMonitorSnapshot fraud = scenario.Classifier.GetSnapshot();
        ModelMonitorSnapshot eta = scenario.Regressor.GetSnapshot();

        var discovered = new Dictionary<string, List<Dictionary<string, string>>>();
        var values = new Dictionary<string, double?>(StringComparer.Ordinal);
        foreach (JsonElement rule in template.GetProperty("discovery_rules").EnumerateArray())
        {
            JsonElement[] steps = rule.GetProperty("preprocessing").EnumerateArray().ToArray();
            string json = PrometheusText.ToJson(samples, steps[0].GetProperty("parameters")[0].GetString()!);
            List<Dictionary<string, string>> rows = RunJavaScript(steps[1].GetProperty("parameters")[0].GetString()!, json);
            discovered[rule.GetProperty("key").GetString()!] = rows;
            foreach (Dictionary<string, string> row in rows)
            {
                foreach (JsonElement prototype in rule.GetProperty("item_prototypes").EnumerateArray().Where(p => p.GetProperty("type").GetString() == "DEPENDENT"))
                {
                    JsonElement step = prototype.GetProperty("preprocessing")[0];
                    string key = Substitute(prototype.GetProperty("key").GetString()!, row);
                    string[] parameters = step.GetProperty("parameters").EnumerateArray().Select(p => p.GetString()!).ToArray();
                    values[key] = PrometheusText.Pattern(samples, Substitute(parameters[0], row), parameters[1], parameters[2]);
                }
            }
        }

        CheckDiscoveryAndValues(discovered, values, fraud, eta);
    }

    /// <summary>The same checks, with the template's discovery (Prometheus to JSON, then its JavaScript) and each item's
    /// Prometheus pattern run by a real Zabbix 6.0 server on the same live scrape.</summary>
    [Test]
    public async Task Template_InARealZabbixServer_DiscoversModelsClassesAndErrorsAndExtractsThePublishedValues()
    {
        JsonElement template = LoadTemplate().GetProperty("zabbix_export").GetProperty("templates")[0];
        using var scenario = new Scenario();
        scenario.Record();
        string scrape = await ScrapeAsync(scenario);
        ModelMonitorSnapshot fraud = scenario.Classifier.GetSnapshot();
        ModelMonitorSnapshot eta = scenario.Regressor.GetSnapshot();
        using ZabbixServer server = ZabbixServer.Start();

        var discovered = new Dictionary<string, List<Dictionary<string, string>>>();
        var values = new Dictionary<string, double?>(StringComparer.Ordinal);
        foreach (JsonElement rule in template.GetProperty("discovery_rules").EnumerateArray())
        {
            (string? result, string? error) = server.Preprocess(scrape, ZabbixText, rule.GetProperty("preprocessing").EnumerateArray().Select(step => Step(step, [])));
            Assert.That(error, Is.Null, $"discovery {rule.GetProperty("key").GetString()}");
            List<Dictionary<string, string>> rows = JsonSerializer.Deserialize<List<Dictionary<string, string>>>(result!)!;
            discovered[rule.GetProperty("key").GetString()!] = rows;
            foreach (Dictionary<string, string> row in rows)
            {
                foreach (JsonElement prototype in rule.GetProperty("item_prototypes").EnumerateArray().Where(p => p.GetProperty("type").GetString() == "DEPENDENT"))
                {
                    // The first step extracts the value; later ones (change per second, …) need a history a test request has not.
                    (string? value, _) = server.Preprocess(scrape, ZabbixFloat, [Step(prototype.GetProperty("preprocessing")[0], row)]);
                    values[Substitute(prototype.GetProperty("key").GetString()!, row)] = value is null ? null : double.Parse(value, CultureInfo.InvariantCulture);
                }
            }
        }

        CheckDiscoveryAndValues(discovered, values, fraud, eta);
    }

    private static void CheckDiscoveryAndValues(Dictionary<string, List<Dictionary<string, string>>> discovered, Dictionary<string, double?> values, ModelMonitorSnapshot fraud, ModelMonitorSnapshot eta)
    {
        Assert.Multiple(() =>
        {
            Assert.That(discovered["modelmetrics.models.discovery"].Select(r => (r["{#MODEL.NAME}"], r["{#MODEL.VERSION}"])), Is.EquivalentTo(new[] { ("fraud", "3"), ("eta", string.Empty) }), "models with calls (the LLM records no calls through the calls signal)");
            Assert.That(discovered["modelmetrics.classes.discovery"].Select(r => r["{#CLASS}"]), Is.EquivalentTo(Scenario.Labels));
            Assert.That(discovered["modelmetrics.errors.discovery"].Select(r => r["{#ERROR.TYPE}"]), Is.EquivalentTo(fraud.Failures.Keys));

            Assert.That(values["modelmetrics.calls.rate[\"fraud\",\"3\"]"], Is.EqualTo(fraud.Calls), "before CHANGE_PER_SECOND: the cumulative count");
            Assert.That(values["modelmetrics.failed.rate[\"fraud\",\"3\"]"], Is.EqualTo(fraud.Failed));
            Assert.That(values["modelmetrics.calls.rate[\"eta\",\"\"]"], Is.EqualTo(eta.Calls));
            Assert.That(values["modelmetrics.failed.rate[\"eta\",\"\"]"], Is.Null, "no failure series: the item's custom value 0 applies");
            Assert.That(values["modelmetrics.latency.p99[\"fraud\",\"3\"]"], Is.EqualTo(fraud.Windows[0].Latency.P99).Within(1e-12));
            Assert.That(values["modelmetrics.latency.p50[\"eta\",\"\"]"], Is.EqualTo(eta.Windows[0].Latency.P50).Within(1e-12));
            Assert.That(values["modelmetrics.accuracy[\"fraud\",\"3\"]"], Is.EqualTo(fraud.Windows[2].Classification!.Accuracy).Within(1e-12));
            Assert.That(values["modelmetrics.macro_f1[\"fraud\",\"3\"]"], Is.EqualTo(fraud.Windows[2].Classification!.MacroF1).Within(1e-12));
            Assert.That(values["modelmetrics.psi[\"fraud\",\"3\"]"], Is.EqualTo(fraud.Windows[2].Drift!.ClassPsi).Within(1e-12));
            Assert.That(values["modelmetrics.pending[\"fraud\",\"3\"]"], Is.EqualTo(fraud.Labels.Pending));
            Assert.That(values["modelmetrics.accuracy[\"eta\",\"\"]"], Is.Null, "not a classifier: the item discards the value");
            for (int i = 0; i < Scenario.Labels.Length; i++)
            {
                ClassMetrics m = fraud.Windows[2].Classification!.Classes[i];
                Assert.That(values[$"modelmetrics.class.f1[\"fraud\",\"3\",\"{m.Label}\"]"], Is.EqualTo(m.F1).Within(1e-12));
                Assert.That(values[$"modelmetrics.class.recall[\"fraud\",\"3\",\"{m.Label}\"]"], Is.EqualTo(m.Recall).Within(1e-12));
            }

            foreach ((string type, long count) in fraud.Failures)
            {
                Assert.That(values[$"modelmetrics.errors.rate[\"fraud\",\"3\",\"{type}\"]"], Is.EqualTo(count));
            }
        });
    }

    private static IEnumerable<string> Patterns(JsonElement template) =>
        template.GetProperty("discovery_rules").EnumerateArray().SelectMany(rule =>
            rule.GetProperty("item_prototypes").EnumerateArray()
                .Where(p => p.TryGetProperty("preprocessing", out _))
                .SelectMany(p => p.GetProperty("preprocessing").EnumerateArray())
                .Concat(rule.GetProperty("preprocessing").EnumerateArray())
                .Where(s => s.GetProperty("type").GetString() is "PROMETHEUS_PATTERN" or "PROMETHEUS_TO_JSON")
                .Select(s => s.GetProperty("parameters")[0].GetString()!));

    // Zabbix 6.0's codes for the value types and preprocessing steps the template uses.
    private const int ZabbixFloat = 0;
    private const int ZabbixText = 4;

    private static (int Type, string Parameters) Step(JsonElement step, Dictionary<string, string> row)
    {
        int type = step.GetProperty("type").GetString() switch
        {
            "JAVASCRIPT" => 21,
            "PROMETHEUS_PATTERN" => 22,
            "PROMETHEUS_TO_JSON" => 23,
            var other => throw new AssertionException("a step this test cannot send: " + other),
        };
        string parameters = string.Join('\n', step.GetProperty("parameters").EnumerateArray().Select(p => Substitute(p.GetString()!, row)));
        return (type, type == 22 && step.GetProperty("parameters").GetArrayLength() < 3 ? parameters + "\n" : parameters);
    }

    private static string Substitute(string text, Dictionary<string, string> row)
    {
        foreach ((string macro, string value) in row)
        {
            text = text.Replace(macro, value, StringComparison.Ordinal);
        }

        return text;
    }

    private static async Task<string> ScrapeAsync(Scenario scenario)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddModelMetrics(scenario.Meter).AddPrometheusExporter());
        await using WebApplication app = builder.Build();
        app.MapPrometheusScrapingEndpoint();
        await app.StartAsync();
        string origin = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        using var http = new HttpClient();
        string text = await http.GetStringAsync(new Uri(origin + "/metrics"));
        await app.StopAsync();
        return text;
    }

    private static List<Dictionary<string, string>> RunJavaScript(string body, string value)
    {
        string script = Path.Combine(Path.GetTempPath(), "modelmetrics-zabbix-" + Guid.NewGuid().ToString("N") + ".js");
        // As Zabbix runs a preprocessing script: the body of a function of `value` that returns a string.
        File.WriteAllText(script, "var input = require('fs').readFileSync(0, 'utf8');\nfunction preprocess(value) {\n" + body + "\n}\nprocess.stdout.write(preprocess(input));\n");
        try
        {
            var start = new ProcessStartInfo(Which("node") ?? Which("nodejs")!) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add(script);
            using Process process = Process.Start(start)!;
            process.StandardInput.Write(value);
            process.StandardInput.Close();
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            string error = process.StandardError.ReadToEnd();
            Assert.That(process.WaitForExit(30_000), Is.True, "node finished within 30 s");
            Assert.That(process.ExitCode, Is.Zero, error);
            return JsonSerializer.Deserialize<List<Dictionary<string, string>>>(output.Result)!;
        }
        finally
        {
            File.Delete(script);
        }
    }

    private static JsonElement LoadTemplate()
    {
        const string Python = "/usr/bin/python3";
        if (!File.Exists(Python))
        {
            Assert.Ignore("Debian's python3 with python3-yaml reads the template: install with: apt-get install python3 python3-yaml");
        }

        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(TestContext.CurrentContext.TestDirectory, "Zabbix", "yaml_to_json.py"));
        start.ArgumentList.Add(Shipped("zabbix/modelmetrics_template.yaml"));
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        string error = process.StandardError.ReadToEnd();
        Assert.That(process.WaitForExit(30_000), Is.True);
        if (error.Contains("ModuleNotFoundError", StringComparison.Ordinal))
        {
            Assert.Ignore("python3-yaml reads the template: install with: apt-get install python3-yaml");
        }

        Assert.That(process.ExitCode, Is.Zero, error);
        return JsonDocument.Parse(output.Result).RootElement.Clone();
    }

    private static string? Which(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator).Select(d => Path.Combine(d, command)).FirstOrDefault(File.Exists);
}
