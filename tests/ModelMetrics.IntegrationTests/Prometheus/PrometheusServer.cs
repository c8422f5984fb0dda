// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.Json;
using System.Threading.Tasks;

namespace ModelMetrics.IntegrationTests.Prometheus;

/// <summary>One sample of a PromQL instant query: its labels (with <c>__name__</c> where kept) and its value.</summary>
internal sealed record PrometheusSample(IReadOnlyDictionary<string, string> Labels, double Value)
{
    /// <summary>The value of <paramref name="label"/>, or "" when absent (as PromQL treats a missing label).</summary>
    public string this[string label] => Labels.TryGetValue(label, out string? value) ? value : string.Empty;

    public override string ToString() => $"{{{string.Join(", ", Labels.Select(l => $"{l.Key}=\"{l.Value}\""))}}} {Value.ToString("R", CultureInfo.InvariantCulture)}";
}

/// <summary>A recording rule as the running server reports it.</summary>
internal sealed record PrometheusRule(string Name, string Health, string LastError);

/// <summary>
/// A real Prometheus server for tests: scrapes the given loopback targets every second, evaluates the shipped
/// rules every second, and answers PromQL over its HTTP API. Its configuration and storage live in a temporary
/// folder that is deleted on dispose.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private const string TimeoutCommand = "/usr/bin/timeout";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    private readonly Process _process;
    private readonly string _folder;
    private readonly HttpClient _http;
    private readonly Queue<string> _log = new();

    private PrometheusServer(Process process, string folder, Uri url)
    {
        _process = process;
        _folder = folder;
        Url = url;
        _http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>Gets the server's base address.</summary>
    public Uri Url { get; }

    /// <summary>Gets the last lines Prometheus logged, for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return string.Join(Environment.NewLine, _log);
            }
        }
    }

    /// <summary>
    /// Starts Prometheus scraping <paramref name="targets"/> ("host:port", path /metrics) with the shipped rules, and
    /// waits until every target has been scraped successfully and has ModelMetrics samples.
    /// </summary>
    public static async Task<PrometheusServer> StartAsync(IReadOnlyList<string> targets)
    {
        string binary = PrometheusTools.Require("prometheus");
        var deadline = Stopwatch.StartNew();

        // The free port is released before Prometheus binds it, so another process may take it first: retry a few times.
        for (int attempt = 1; ; attempt++)
        {
            PrometheusServer server = Launch(binary, targets);
            try
            {
                await server.WaitReadyAsync(StartTimeout - deadline.Elapsed);
                string expected = string.Join(", ", targets.Order(StringComparer.Ordinal));
                await server.WaitForAsync(
                    "count by (instance) (model_inference_calls_total) and on (instance) (up == 1)",
                    samples => string.Join(", ", samples.Select(s => s["instance"]).Order(StringComparer.Ordinal)) == expected,
                    StartTimeout - deadline.Elapsed,
                    $"every target ({expected}) up and scraped");
                return server;
            }
            catch (Exception e) when (e is not TimeoutException && attempt < 3 && server._process.HasExited && server.Log.Contains("address already in use", StringComparison.Ordinal))
            {
                await server.DisposeAsync();
            }
            catch
            {
                await server.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>Runs an instant query at <paramref name="time"/> (default now) and returns its vector or scalar result.</summary>
    public async Task<IReadOnlyList<PrometheusSample>> QueryAsync(string promql, DateTimeOffset? time = null)
    {
        string uri = $"api/v1/query?query={Uri.EscapeDataString(promql)}";
        if (time is { } at)
        {
            uri += "&time=" + (at.ToUnixTimeMilliseconds() / 1000.0).ToString("0.000", CultureInfo.InvariantCulture);
        }

        using JsonDocument document = await GetJsonAsync(uri, promql);
        JsonElement data = document.RootElement.GetProperty("data");
        JsonElement result = data.GetProperty("result");
        return data.GetProperty("resultType").GetString() switch
        {
            "vector" => [.. result.EnumerateArray().Select(r => new PrometheusSample(
                r.GetProperty("metric").EnumerateObject().ToDictionary(l => l.Name, l => l.Value.GetString()!),
                ParseValue(r.GetProperty("value")[1].GetString()!)))],
            "scalar" => [new PrometheusSample(new Dictionary<string, string>(), ParseValue(result[1].GetString()!))],
            string other => throw new NotSupportedException($"Result type {other} of '{promql}': use an instant vector or scalar."),
            null => throw new InvalidOperationException($"No result type for '{promql}'."),
        };
    }

    /// <summary>
    /// Queries <paramref name="promql"/> every 250 ms until <paramref name="done"/> holds for the result, and returns
    /// that result; throws a <see cref="TimeoutException"/> naming <paramref name="what"/> and the last result otherwise.
    /// </summary>
    public async Task<IReadOnlyList<PrometheusSample>> WaitForAsync(string promql, Func<IReadOnlyList<PrometheusSample>, bool> done, TimeSpan timeout, string what)
    {
        var elapsed = Stopwatch.StartNew();
        IReadOnlyList<PrometheusSample> last = [];
        for (int poll = 0; poll < 1000 && elapsed.Elapsed < timeout; poll++)
        {
            last = await QueryAsync(promql);
            if (done(last))
            {
                return last;
            }

            await Task.Delay(PollInterval);
        }

        throw new TimeoutException($"Waited {elapsed.Elapsed.TotalSeconds:F1} s for {what}; '{promql}' last returned [{string.Join("; ", last)}].{Environment.NewLine}Prometheus log:{Environment.NewLine}{Log}");
    }

    /// <summary>Gets the recording rules the server loaded, with their last evaluation's health.</summary>
    public async Task<IReadOnlyList<PrometheusRule>> GetRecordingRulesAsync()
    {
        using JsonDocument document = await GetJsonAsync("api/v1/rules?type=record", "rules");
        return [.. document.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray()
            .SelectMany(g => g.GetProperty("rules").EnumerateArray())
            .Select(r => new PrometheusRule(
                r.GetProperty("name").GetString()!,
                r.GetProperty("health").GetString()!,
                r.TryGetProperty("lastError", out JsonElement error) ? error.GetString() ?? string.Empty : string.Empty))];
    }

    /// <summary>Asks Prometheus to quit, kills it if it has not within 10 s, and deletes its folder.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                try
                {
                    using HttpResponseMessage _ = await _http.PostAsync(new Uri("-/quit", UriKind.Relative), null);
                }
                catch (HttpRequestException)
                {
                    // Not listening (yet): the kill below ends it.
                }

                await ChildProcess.WaitOrKillAsync(_process, TimeSpan.FromSeconds(10));
            }
        }
        finally
        {
            _process.Dispose();
            _http.Dispose();
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
                // Left in the temporary folder; the operating system cleans it up.
            }
        }
    }

    private static PrometheusServer Launch(string binary, IReadOnlyList<string> targets)
    {
        string folder = Directory.CreateTempSubdirectory("modelmetrics-prometheus-").FullName;
        string config = Path.Combine(folder, "prometheus.yml");

        // 1 s scrapes and evaluations keep the tests short; scrape_timeout may not exceed the interval.
        File.WriteAllText(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            rule_files:
              - '{PrometheusTools.RulesFile}'
            scrape_configs:
              - job_name: modelmetrics
                static_configs:
                  - targets: [{string.Join(", ", targets.Select(t => $"'{t}'"))}]
            """);

        int port = FreePort();
        var info = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        // Like the test hosts' --seconds: a test run killed before its teardown leaves no server running for long.
        if (File.Exists(TimeoutCommand))
        {
            info.FileName = TimeoutCommand;
            info.ArgumentList.Add("--kill-after=10");
            info.ArgumentList.Add("600");
            info.ArgumentList.Add(binary);
        }

        info.ArgumentList.Add($"--config.file={config}");
        info.ArgumentList.Add($"--storage.tsdb.path={Path.Combine(folder, "data")}");
        info.ArgumentList.Add($"--web.listen-address=127.0.0.1:{port}");
        info.ArgumentList.Add("--web.enable-lifecycle");

        var server = new PrometheusServer(new Process { StartInfo = info }, folder, new Uri($"http://127.0.0.1:{port}/"));
        server._process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        server._process.Start();
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        return server;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static double ParseValue(string value) => value switch
    {
        "NaN" => double.NaN,
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        _ => double.Parse(value, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private async Task WaitReadyAsync(TimeSpan timeout)
    {
        var elapsed = Stopwatch.StartNew();
        for (int poll = 0; poll < 1000 && elapsed.Elapsed < timeout; poll++)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Prometheus exited with code {_process.ExitCode}:{Environment.NewLine}{Log}");
            }

            try
            {
                using HttpResponseMessage response = await _http.GetAsync(new Uri("-/ready", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(PollInterval);
        }

        throw new TimeoutException($"Prometheus was not ready within {timeout}:{Environment.NewLine}{Log}");
    }

    private async Task<JsonDocument> GetJsonAsync(string uri, string what)
    {
        // Prometheus answers errors (bad PromQL, 400) with the same JSON envelope, so the body is read whatever the status.
        using HttpResponseMessage response = await _http.GetAsync(new Uri(uri, UriKind.Relative));
        string body = await response.Content.ReadAsStringAsync();
        JsonDocument document = JsonDocument.Parse(body);
        if (document.RootElement.GetProperty("status").GetString() != "success")
        {
            document.Dispose();
            throw new InvalidOperationException($"Prometheus rejected '{what}' ({(int)response.StatusCode}): {body}");
        }

        return document;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.Enqueue(line);
            if (_log.Count > 100)
            {
                _log.Dequeue();
            }
        }
    }
}
