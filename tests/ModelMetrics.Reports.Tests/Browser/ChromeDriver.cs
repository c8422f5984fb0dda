// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace ModelMetrics.Reports.Tests.Browser;

/// <summary>
/// Headless Chromium driven through chromedriver with the W3C WebDriver protocol over plain HTTP (no Selenium):
/// navigate, run a script, resize, take screenshots, read the browser's console and performance (network) logs.
/// </summary>
internal sealed class ChromeDriver : IAsyncDisposable
{
    private readonly Process _driver;
    private readonly HttpClient _http;
    private readonly string _session;
    private readonly string _profile;

    private ChromeDriver(Process driver, HttpClient http, string session, string profile)
    {
        _driver = driver;
        _http = http;
        _session = session;
        _profile = profile;
    }

    /// <summary>Finds chromium and chromedriver, or ignores the test with the install hint.</summary>
    public static (string Browser, string Driver) FindOrIgnore()
    {
        string? browser = Which("chromium") ?? Which("chromium-browser") ?? Which("google-chrome");
        string? driver = Which("chromedriver");
        if (browser is null || driver is null)
        {
            Assert.Ignore("Headless Chromium and chromedriver are needed: install with: apt-get install chromium chromium-driver");
        }

        return (browser!, driver!);
    }

    public static async Task<ChromeDriver> StartAsync(int width, int height)
    {
        (string browser, string driverPath) = FindOrIgnore();
        int port = FreePort();
        var start = new ProcessStartInfo(driverPath, $"--port={port} --allowed-ips=127.0.0.1") { RedirectStandardOutput = true, RedirectStandardError = true };
        Process driver = Process.Start(start)!;
        driver.OutputDataReceived += (_, _) => { };
        driver.ErrorDataReceived += (_, _) => { };
        driver.BeginOutputReadLine();
        driver.BeginErrorReadLine();
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
        string profile = Directory.CreateTempSubdirectory("modelmetrics-chromium-").FullName;
        try
        {
            var ready = Stopwatch.StartNew();
            for (int attempt = 0; ; attempt++)
            {
                try
                {
                    JsonNode status = (await GetAsync(http, "status"))!;
                    if (status["ready"]?.GetValue<bool>() == true)
                    {
                        break;
                    }
                }
                catch (HttpRequestException) when (attempt < 200 && ready.Elapsed < TimeSpan.FromSeconds(30))
                {
                }

                await Task.Delay(100);
            }

            var capabilities = new JsonObject
            {
                ["capabilities"] = new JsonObject
                {
                    ["alwaysMatch"] = new JsonObject
                    {
                        ["browserName"] = "chrome",
                        ["goog:loggingPrefs"] = new JsonObject { ["browser"] = "ALL", ["performance"] = "ALL" },
                        ["goog:chromeOptions"] = new JsonObject
                        {
                            ["binary"] = browser,
                            ["args"] = new JsonArray(
                                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                                "--disable-background-networking", "--disable-component-update", "--disable-default-apps", "--disable-sync",
                                "--hide-scrollbars", $"--user-data-dir={profile}", $"--window-size={width},{height}"),
                            ["perfLoggingPrefs"] = new JsonObject { ["enableNetwork"] = true, ["enablePage"] = false },
                        },
                    },
                },
            };
            JsonNode session = (await PostAsync(http, "session", capabilities))!;
            return new ChromeDriver(driver, http, session["sessionId"]!.GetValue<string>(), profile);
        }
        catch
        {
            driver.Kill(entireProcessTree: true);
            driver.Dispose();
            http.Dispose();
            throw;
        }
    }

    public Task NavigateAsync(string url) => PostAsync(_http, $"session/{_session}/url", new JsonObject { ["url"] = url });

    public async Task<JsonNode?> ExecuteAsync(string script, params JsonNode?[] args) =>
        await PostAsync(_http, $"session/{_session}/execute/sync", new JsonObject { ["script"] = script, ["args"] = new JsonArray(args) });

    public Task ResizeAsync(int width, int height) =>
        PostAsync(_http, $"session/{_session}/window/rect", new JsonObject { ["width"] = width, ["height"] = height });

    public async Task<byte[]> ScreenshotAsync() => Convert.FromBase64String((await GetAsync(_http, $"session/{_session}/screenshot"))!.GetValue<string>());

    /// <summary>The whole page, beyond the window, through the DevTools protocol (chromedriver's goog/cdp/execute).</summary>
    public async Task<byte[]> FullPageScreenshotAsync()
    {
        JsonNode size = (await ExecuteAsync("return {w:document.documentElement.scrollWidth,h:Math.min(document.documentElement.scrollHeight,16000)};"))!;
        var parameters = new JsonObject
        {
            ["format"] = "png",
            ["captureBeyondViewport"] = true,
            ["clip"] = new JsonObject { ["x"] = 0, ["y"] = 0, ["width"] = size["w"]!.GetValue<int>(), ["height"] = size["h"]!.GetValue<int>(), ["scale"] = 1 },
        };
        JsonNode result = (await PostAsync(_http, $"session/{_session}/goog/cdp/execute", new JsonObject { ["cmd"] = "Page.captureScreenshot", ["params"] = parameters }))!;
        return Convert.FromBase64String(result["data"]!.GetValue<string>());
    }

    /// <summary>Returns (and clears) the entries of a browser log: <c>browser</c> (the console) or <c>performance</c> (DevTools events).</summary>
    public async Task<IReadOnlyList<(string Level, string Message)>> LogAsync(string type)
    {
        var entries = new List<(string, string)>();
        foreach (JsonNode? entry in (JsonArray)(await PostAsync(_http, $"session/{_session}/se/log", new JsonObject { ["type"] = type }))!)
        {
            entries.Add((entry!["level"]!.GetValue<string>(), entry["message"]!.GetValue<string>()));
        }

        return entries;
    }

    /// <summary>Every URL the browser requested, from the DevTools Network events of the performance log.</summary>
    public async Task<IReadOnlyList<string>> RequestedUrlsAsync()
    {
        var urls = new List<string>();
        foreach ((_, string message) in await LogAsync("performance"))
        {
            JsonNode inner = JsonNode.Parse(message)!["message"]!;
            if (inner["method"]?.GetValue<string>() == "Network.requestWillBeSent")
            {
                urls.Add(inner["params"]!["request"]!["url"]!.GetValue<string>());
            }
        }

        return urls;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await _http.DeleteAsync(new Uri($"session/{_session}", UriKind.Relative), cancel.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            // The driver is killed below either way.
        }

        _driver.Kill(entireProcessTree: true);
        await _driver.WaitForExitAsync();
        _driver.Dispose();
        _http.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // Chromium may still be closing a file of its profile; a temporary folder left behind is harmless.
        }
    }

    private static async Task<JsonNode?> GetAsync(HttpClient http, string path) => await ValueAsync(await http.GetAsync(new Uri(path, UriKind.Relative)));

    // Note: a string body has a Content-Length; chromedriver resets connections that send a chunked body.
    private static async Task<JsonNode?> PostAsync(HttpClient http, string path, JsonObject body) =>
        await ValueAsync(await http.PostAsync(new Uri(path, UriKind.Relative), new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json")));

    private static async Task<JsonNode?> ValueAsync(HttpResponseMessage response)
    {
        using (response)
        {
            string text = await response.Content.ReadAsStringAsync();
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"WebDriver answered {(int)response.StatusCode}: {text}");
            }

            return JsonNode.Parse(text)!["value"];
        }
    }

    private static string? Which(string command)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            string path = Path.Combine(directory, command);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
