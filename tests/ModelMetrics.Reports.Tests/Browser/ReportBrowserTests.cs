// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Http;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace ModelMetrics.Reports.Tests.Browser;

/// <summary>
/// The report in a real browser: the live endpoint served by Kestrel on loopback and the file opened from
/// <c>file://</c>, in headless Chromium at laptop and phone widths.
/// </summary>
[NonParallelizable]
public sealed class ReportBrowserTests
{
    private const string CellsScript =
        "var s=document.querySelector('section[data-model=\"'+arguments[0]+'\"][data-version=\"'+arguments[1]+'\"]');" +
        "if(!s){return null;}var o={};s.querySelectorAll('[data-key]').forEach(function(e){o[e.dataset.key]=e.textContent;});return o;";

    // Tables without a header row or caption, and cells of figures left empty: none may exist.
    private const string StructureScript =
        "var t=Array.from(document.querySelectorAll('table'));" +
        "return {tables:t.length,bare:t.filter(function(x){return !x.querySelector('thead th')||!x.caption||!x.caption.textContent.trim();}).length," +
        "empty:Array.from(document.querySelectorAll('td')).filter(function(c){return !c.textContent.trim();}).length," +
        "charts:document.querySelectorAll('svg[role=img] > title').length,svgs:document.querySelectorAll('svg').length};";

    private const string OverflowScript =
        "return {inner:window.innerWidth,scroll:document.documentElement.scrollWidth};";

    [Test]
    public async Task LiveEndpoint_InChromium_ShowsTheSnapshotFiguresLoadsNothingElseAndRefreshes()
    {
        ChromeDriver.FindOrIgnore();
        using var scenario = new Scenario();
        scenario.Record();
        var report = new ModelMetricsReport(new ModelMetricsReportOptions { Registry = scenario.Registry, TimeProvider = scenario.Time, Title = "Fraud API models" });
        await using WebApplication app = await StartAsync(report);
        string origin = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        await using ChromeDriver browser = await ChromeDriver.StartAsync(1366, 900);

        await browser.LogAsync("performance"); // what the browser loaded for itself before the page
        await browser.NavigateAsync(origin + "/modelmetrics");

        await AssertFiguresAsync(browser, scenario);
        await AssertStructureAsync(browser);
        await SaveScreenshotAsync(browser, "live-laptop-1366.png");
        await browser.ResizeAsync(390, 844);
        await AssertNoHorizontalOverflowAsync(browser, 420);
        await SaveScreenshotAsync(browser, "live-phone-390.png");
        await browser.ResizeAsync(1366, 900);

        // More traffic: the page fetches itself again within its 1 s interval and shows the new figures.
        scenario.Record(round: 1);
        string expectedCalls = Expected.Count(scenario.Classifier.GetSnapshot().Calls);
        Assert.That(expectedCalls, Is.EqualTo("800"));
        var waited = Stopwatch.StartNew();
        string? shown = null;
        for (int attempt = 0; attempt < 150 && waited.Elapsed < TimeSpan.FromSeconds(30); attempt++)
        {
            shown = (await browser.ExecuteAsync(CellsScript, "fraud", "3"))?["calls"]?.GetValue<string>();
            if (shown == expectedCalls)
            {
                break;
            }

            await Task.Delay(200);
        }

        Assert.That(shown, Is.EqualTo(expectedCalls), "the page refreshed its figures");
        Assert.That((await browser.ExecuteAsync("return document.documentElement.dataset.refreshes;"))?.GetValue<string>(), Is.Not.Null);
        await AssertFiguresAsync(browser, scenario);

        IReadOnlyList<string> requested = await browser.RequestedUrlsAsync();
        Assert.That(requested, Is.Not.Empty);
        Assert.That(requested.Where(u => !u.StartsWith(origin + "/", StringComparison.Ordinal) && !Internal(u)), Is.Empty, "nothing requested from outside");
        Assert.That(requested.Count(u => u.StartsWith(origin + "/modelmetrics", StringComparison.Ordinal)), Is.GreaterThanOrEqualTo(2), "the page and at least one refresh");
        Assert.That((await browser.LogAsync("browser")).Where(e => e.Level == "SEVERE"), Is.Empty, "console errors");

        // The same figures as JSON.
        using var http = new HttpClient();
        using HttpResponseMessage data = await http.GetAsync(new Uri(origin + "/modelmetrics/data"));
        Assert.That(data.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
        Assert.That(data.Headers.CacheControl?.NoStore, Is.True);
        using JsonDocument json = JsonDocument.Parse(await data.Content.ReadAsStringAsync());
        JsonElement fraud = json.RootElement.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "fraud");
        Assert.That(fraud.GetProperty("calls").GetInt64(), Is.EqualTo(800));
        Assert.That(fraud.GetProperty("latency").GetProperty("p99").GetDouble(), Is.EqualTo(scenario.Classifier.GetSnapshot().Latency.P99));
    }

    [Test]
    public async Task FileReport_OpenedFromDiskInChromium_ShowsTheFiguresAndRequestsNothing()
    {
        ChromeDriver.FindOrIgnore();
        using var scenario = new Scenario();
        scenario.Record();
        var report = new ModelMetricsReport(new ModelMetricsReportOptions { Registry = scenario.Registry, TimeProvider = scenario.Time });
        string directory = Directory.CreateTempSubdirectory("modelmetrics-report-").FullName;
        string path = Path.Combine(directory, "report.html");
        try
        {
            await report.WriteAsync(path);
            await using ChromeDriver browser = await ChromeDriver.StartAsync(1366, 900);

            await browser.LogAsync("performance"); // what the browser loaded for itself before the page
            await browser.NavigateAsync(new Uri(path).AbsoluteUri);

            await AssertFiguresAsync(browser, scenario);
            await AssertStructureAsync(browser);
            await SaveScreenshotAsync(browser, "file-laptop-1366.png");
            await browser.ResizeAsync(390, 844);
            await AssertNoHorizontalOverflowAsync(browser, 420);
            await SaveScreenshotAsync(browser, "file-phone-390.png");
            IReadOnlyList<string> requested = await browser.RequestedUrlsAsync();
            Assert.That(requested.Where(u => !u.StartsWith("file://", StringComparison.Ordinal) && !Internal(u)), Is.Empty, "offline: nothing but the file");
            Assert.That(requested, Does.Contain(new Uri(path).AbsoluteUri));
            Assert.That((await browser.LogAsync("browser")).Where(e => e.Level == "SEVERE"), Is.Empty, "console errors");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// Inline data, and the browser's own pages (its new-tab page keeps loading chrome:// resources after start; a web
    /// page cannot request those).
    /// </summary>
    private static bool Internal(string url) =>
        url.StartsWith("data:", StringComparison.Ordinal) || url.StartsWith("chrome://", StringComparison.Ordinal) || url.StartsWith("chrome-untrusted://", StringComparison.Ordinal);

    private static async Task<WebApplication> StartAsync(ModelMetricsReport report)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        WebApplication app = builder.Build();
        app.MapModelMetricsReport("/modelmetrics", report, TimeSpan.FromSeconds(1));
        await app.StartAsync();
        return app;
    }

    private static async Task AssertFiguresAsync(ChromeDriver browser, Scenario scenario)
    {
        foreach (ModelMonitor monitor in scenario.Registry.Monitors)
        {
            ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
            JsonNode? cells = await browser.ExecuteAsync(CellsScript, snapshot.ModelName, snapshot.ModelVersion ?? string.Empty);
            Assert.That(cells, Is.Not.Null, $"section of {snapshot.ModelName}");
            Dictionary<string, string> expected = Expected.Figures(snapshot);
            Assert.Multiple(() =>
            {
                foreach ((string key, string value) in expected)
                {
                    Assert.That(cells![key]?.GetValue<string>(), Is.EqualTo(value), $"{snapshot.ModelName}: {key}");
                }
            });
        }
    }

    private static async Task AssertStructureAsync(ChromeDriver browser)
    {
        JsonNode structure = (await browser.ExecuteAsync(StructureScript))!;
        Assert.Multiple(() =>
        {
            Assert.That(structure["tables"]!.GetValue<int>(), Is.GreaterThan(10));
            Assert.That(structure["bare"]!.GetValue<int>(), Is.Zero, "every table has a caption and column headers");
            Assert.That(structure["empty"]!.GetValue<int>(), Is.Zero, "every cell shows a number or a dash");
            Assert.That(structure["charts"]!.GetValue<int>(), Is.EqualTo(structure["svgs"]!.GetValue<int>()).And.GreaterThan(0), "every chart has a title");
        });
    }

    private static async Task AssertNoHorizontalOverflowAsync(ChromeDriver browser, int maxWidth)
    {
        JsonNode size = (await browser.ExecuteAsync(OverflowScript))!;
        Assert.That(size["inner"]!.GetValue<int>(), Is.LessThanOrEqualTo(maxWidth), "the window is phone-sized");
        Assert.That(size["scroll"]!.GetValue<int>(), Is.LessThanOrEqualTo(size["inner"]!.GetValue<int>()), "wide tables scroll inside their box, not the page");
    }

    private static async Task SaveScreenshotAsync(ChromeDriver browser, string name)
    {
        string directory = Path.Combine(TestContext.CurrentContext.WorkDirectory, "artifacts", "report");
        Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, name);
        byte[] png = await browser.FullPageScreenshotAsync();
        Assert.That(png.AsSpan(0, 4).SequenceEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }), Is.True);
        await File.WriteAllBytesAsync(path, png);
        TestContext.AddTestAttachment(path, name);
    }
}
