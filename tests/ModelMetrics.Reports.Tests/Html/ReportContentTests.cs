// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using NUnit.Framework;

namespace ModelMetrics.Reports.Tests.Html;

public sealed class ReportContentTests
{
    /// <summary>The data-key cells of one model's section: key → text shown.</summary>
    internal static Dictionary<string, string> Cells(string html, string model, string version)
    {
        int start = html.IndexOf($"data-model=\"{model}\" data-version=\"{version}\"", StringComparison.Ordinal);
        Assert.That(start, Is.GreaterThan(0), $"no section for {model} {version}");
        int end = html.IndexOf("</section>", start, StringComparison.Ordinal);
        string section = html[start..end];
        return Regex.Matches(section, "data-key=\"([^\"]+)\"[^>]*>([^<]*)<")
            .ToDictionary(m => WebUtility.HtmlDecode(m.Groups[1].Value), m => WebUtility.HtmlDecode(m.Groups[2].Value));
    }

    [Test]
    public void ToHtml_EveryModelsFigures_EqualTheSnapshots()
    {
        using var scenario = new Scenario();
        scenario.Record();
        var report = new ModelMetricsReport(new ModelMetricsReportOptions { Registry = scenario.Registry, TimeProvider = scenario.Time });

        string html = report.ToHtml();

        foreach (ModelMonitor monitor in scenario.Registry.Monitors)
        {
            ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
            Dictionary<string, string> cells = Cells(html, snapshot.ModelName, snapshot.ModelVersion ?? string.Empty);
            foreach ((string key, string value) in Expected.Figures(snapshot))
            {
                Assert.That(cells.GetValueOrDefault(key), Is.EqualTo(value), $"{snapshot.ModelName}: {key}");
            }
        }
    }

    [Test]
    public void ToHtml_ClassifierWithFailures_ShowsEveryErrorTypeAndTheMatrix()
    {
        using var scenario = new Scenario();
        scenario.Record();
        var report = new ModelMetricsReport(new ModelMetricsReportOptions { Registry = scenario.Registry, TimeProvider = scenario.Time });

        Dictionary<string, string> cells = Cells(report.ToHtml(), "fraud", "3");

        ModelMonitorSnapshot snapshot = scenario.Classifier.GetSnapshot();
        Assert.That(snapshot.Failures, Has.Count.EqualTo(2), "the scenario has two error types");
        Assert.That(snapshot.Failures.Keys.Select(k => cells.ContainsKey("errors." + k + ".all")), Is.All.True);
        long matrixTotal = cells.Where(c => c.Key.StartsWith("matrix.", StringComparison.Ordinal)).Sum(c => long.Parse(c.Value.Replace(",", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture));
        Assert.That(matrixTotal, Is.EqualTo(snapshot.Classification!.Total).And.EqualTo(200));
    }

    [Test]
    public void ToHtml_StaticPage_LoadsNothingAndRunsNoScript()
    {
        using var scenario = new Scenario();
        scenario.Record();
        string html = new ModelMetricsReport(new ModelMetricsReportOptions { Registry = scenario.Registry }).ToHtml();

        Assert.That(html, Does.Contain("default-src 'none'"));
        Assert.That(html, Does.Not.Contain("<script"));
        Assert.That(Regex.IsMatch(html, "(src|href)=\"(?!#|data:)"), Is.False, "only in-page links and data: URLs");
        Assert.That(html, Does.Not.Contain("http://").And.Not.Contain("https://").And.Not.Contain("url("));
        Assert.That(html, Does.Contain("<svg"), "the latency distribution");
    }

    [Test]
    public void ToHtml_WithRefresh_HasOnlyItsOwnInlineScript()
    {
        using var scenario = new Scenario();
        string html = new ModelMetricsReport(new ModelMetricsReportOptions { Registry = scenario.Registry }).ToHtml(TimeSpan.FromSeconds(3));

        Assert.That(Regex.Matches(html, "<script"), Has.Count.EqualTo(1));
        Assert.That(html, Does.Contain("var ms=3000;"));
        Assert.That(html, Does.Contain("connect-src 'self'"));
    }

    [Test]
    public void ToHtml_ModelNameWithMarkup_IsEncoded()
    {
        using var registry = new RegistryScope();
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "<script>alert(1)</script>", ModelVersion = "\"&'", Registry = registry.Registry, MeterName = registry.Meter });
        monitor.RecordCall(0.01);

        string html = new ModelMetricsReport(new ModelMetricsReportOptions { Registry = registry.Registry }).ToHtml();

        Assert.That(html, Does.Not.Contain("<script>alert"));
        Assert.That(html, Does.Contain("&lt;script&gt;alert(1)&lt;/script&gt;"));
    }

    [Test]
    public void ToHtml_NoMonitor_SaysSo()
    {
        using var registry = new RegistryScope();
        string html = new ModelMetricsReport(new ModelMetricsReportOptions { Registry = registry.Registry }).ToHtml();
        Assert.That(html, Does.Contain("No monitor is registered yet."));
    }

    [Test]
    public void Options_Invalid_ThrowNamingTheOption()
    {
        Assert.That(() => new ModelMetricsReport(new ModelMetricsReportOptions { Title = " " }), Throws.ArgumentException.With.Property("ParamName").EqualTo("Title"));
        Assert.That(() => new ModelMetricsReport(new ModelMetricsReportOptions { Registry = null! }), Throws.ArgumentException.With.Property("ParamName").EqualTo("Registry"));
        Assert.That(() => new ModelMetricsReport().ToHtml(TimeSpan.FromMilliseconds(10)), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void ToJson_Figures_EqualTheSnapshotsExactly()
    {
        using var scenario = new Scenario();
        scenario.Record();
        var report = new ModelMetricsReport(new ModelMetricsReportOptions { Registry = scenario.Registry, TimeProvider = scenario.Time });

        using JsonDocument json = JsonDocument.Parse(report.ToJson());

        JsonElement models = json.RootElement.GetProperty("models");
        Assert.That(models.GetArrayLength(), Is.EqualTo(3));
        JsonElement fraud = models.EnumerateArray().Single(m => m.GetProperty("name").GetString() == "fraud");
        ModelMonitorSnapshot s = scenario.Classifier.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(fraud.GetProperty("version").GetString(), Is.EqualTo("3"));
            Assert.That(fraud.GetProperty("calls").GetInt64(), Is.EqualTo(s.Calls).And.EqualTo(400));
            Assert.That(fraud.GetProperty("failed").GetInt64(), Is.EqualTo(s.Failed));
            Assert.That(fraud.GetProperty("failureRatio").GetDouble(), Is.EqualTo(s.FailureRate));
            Assert.That(fraud.GetProperty("latency").GetProperty("p99").GetDouble(), Is.EqualTo(s.Latency.P99));
            Assert.That(fraud.GetProperty("latency").GetProperty("buckets").EnumerateArray().Sum(b => b[2].GetInt64()), Is.EqualTo(s.Latency.Count));
            JsonElement c = fraud.GetProperty("classification");
            Assert.That(c.GetProperty("accuracy").GetDouble(), Is.EqualTo(s.Classification!.Accuracy));
            Assert.That(c.GetProperty("classes")[1].GetProperty("f1").GetDouble(), Is.EqualTo(s.Classification.Classes[1].F1));
            Assert.That(c.GetProperty("matrix")[2][0].GetInt64(), Is.EqualTo(s.Classification.GetCount(0, 2)));
            JsonElement w = fraud.GetProperty("windows")[0];
            Assert.That(w.GetProperty("windowSeconds").GetDouble(), Is.EqualTo(s.Windows[0].Window.TotalSeconds));
            Assert.That(w.GetProperty("drift").GetProperty("classPsi").GetDouble(), Is.EqualTo(s.Windows[0].Drift!.ClassPsi));
            Assert.That(fraud.GetProperty("labels").GetProperty("pending").GetInt64(), Is.EqualTo(s.Labels.Pending).And.EqualTo(100));
            JsonElement chat = models.EnumerateArray().Single(m => m.GetProperty("name").GetString() == "assistant");
            Assert.That(chat.GetProperty("genAI").GetProperty("outputTokens").GetInt64(), Is.EqualTo(50));
            Assert.That(chat.GetProperty("genAI").GetProperty("outputTokensPerSecond").GetDouble(), Is.EqualTo(scenario.Chat.GetSnapshot().GenAI!.OutputTokensPerSecond));
        });
    }

    [Test]
    public async Task WriteAsync_WritesThePageAndJsonFiles()
    {
        using var scenario = new Scenario();
        scenario.Record();
        var report = new ModelMetricsReport(new ModelMetricsReportOptions { Registry = scenario.Registry, TimeProvider = scenario.Time });
        string directory = Directory.CreateTempSubdirectory("modelmetrics-report-").FullName;
        try
        {
            await report.WriteAsync(Path.Combine(directory, "report.html"));
            await report.WriteJsonAsync(Path.Combine(directory, "report.json"));

            string html = await File.ReadAllTextAsync(Path.Combine(directory, "report.html"));
            Assert.That(html, Does.StartWith("<!DOCTYPE html>"));
            Assert.That(Cells(html, "fraud", "3")["calls"], Is.EqualTo("400"));
            using JsonDocument json = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(directory, "report.json")));
            Assert.That(json.RootElement.GetProperty("models").GetArrayLength(), Is.EqualTo(3));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
