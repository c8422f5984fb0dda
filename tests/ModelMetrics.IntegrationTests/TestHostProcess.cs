// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading.Tasks;

namespace ModelMetrics.IntegrationTests;

/// <summary>
/// One ModelMetrics.TestHost process (a fleet member): started with a scenario, ready once it prints
/// "ready &lt;url&gt;", stopped by closing its standard input (it also exits by itself after --seconds).
/// Everything it prints is kept, so tests can check what it logged.
/// </summary>
internal sealed class TestHostProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private TestHostProcess(Process process)
    {
        _process = process;
    }

    /// <summary>Gets the base address of the host's Prometheus endpoint (<c>/metrics</c>).</summary>
    public Uri Url { get; private set; } = null!;

    /// <summary>Gets everything the host wrote to standard output and standard error so far.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts a host running <paramref name="scenario"/> ("a" or "b") and waits until it is ready.
    /// </summary>
    /// <param name="scenario">The fleet member (see <c>Scenarios</c>).</param>
    /// <param name="extraArguments">More command-line arguments, e.g. <c>--otlp</c>.</param>
    /// <param name="environment">Environment variables to set (e.g. OTEL_EXPORTER_OTLP_ENDPOINT); a null value removes one.</param>
    public static async Task<TestHostProcess> StartAsync(string scenario, IEnumerable<string>? extraArguments = null, IReadOnlyDictionary<string, string?>? environment = null)
    {
        string hostDll = Path.Combine(AppContext.BaseDirectory, "ModelMetrics.TestHost.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(hostDll);
        info.ArgumentList.Add("--scenario");
        info.ArgumentList.Add(scenario);
        info.ArgumentList.Add("--seconds");
        info.ArgumentList.Add("300");
        foreach (string argument in extraArguments ?? [])
        {
            info.ArgumentList.Add(argument);
        }

        // The host must not inherit OTLP settings of the machine running the tests.
        foreach (string key in new[] { "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_METRIC_EXPORT_INTERVAL" })
        {
            info.Environment.Remove(key);
        }

        foreach ((string key, string? value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        var host = new TestHostProcess(new Process { StartInfo = info, EnableRaisingEvents = true });
        host._process.OutputDataReceived += (_, e) => host.OnLine(e.Data);
        host._process.ErrorDataReceived += (_, e) => host.OnLine(e.Data);
        host._process.Exited += (_, _) => host._ready.TrySetException(new InvalidOperationException($"The test host exited before it was ready:{Environment.NewLine}{host.Output}"));
        host._process.Start();
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();

        try
        {
            host.Url = await host._ready.Task.WaitAsync(StartTimeout);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    /// <summary>Stops the host: closes its input, waits up to 10 s for it to exit, then kills it.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.StandardInput.Close();
                await ChildProcess.WaitOrKillAsync(_process, TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.StartsWith("ready ", StringComparison.Ordinal))
        {
            _ready.TrySetResult(new Uri(line["ready ".Length..].Trim()));
        }
    }
}
