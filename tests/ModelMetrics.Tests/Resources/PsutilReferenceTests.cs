// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace ModelMetrics.Tests.Resources;

/// <summary>
/// Compares the resource figures with psutil's over the same interval: <c>psutil_reference.py</c> run by Debian's
/// <c>/usr/bin/python3</c> measures between a "start" and an "end" this test sends while one thread keeps a core busy.
/// Without Python or psutil (Debian package <c>python3-psutil</c>) the test is ignored with an install hint.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PsutilReferenceTests
{
    private const string Python = "/usr/bin/python3";
    private const string InstallHint = "psutil not found: apt-get install python3-psutil (.ci/run installs it)";
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(30);

    [Test]
    public async Task System_and_process_figures_agree_with_psutil_over_the_same_interval()
    {
        if (!OperatingSystem.IsLinux() || !File.Exists(Python))
        {
            Assert.Ignore(InstallHint);
        }

        string script = Path.Combine(AppContext.BaseDirectory, "Resources", "psutil_reference.py");
        var info = new ProcessStartInfo(Python) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        using Process python = Process.Start(info)!;
        using var resources = new ResourceMonitor(new ResourceMonitorOptions { MeterName = "PsutilReference." + Guid.NewGuid().ToString("N"), Interval = TimeSpan.Zero, IncludeGpu = false });
        using var stop = new CancellationTokenSource();
        Thread? busy = null;
        try
        {
            if (await ReplyAsync(python) is not "ready")
            {
                await python.WaitForExitAsync();
                Assume.That(python.ExitCode, Is.Not.EqualTo(3), InstallHint);
                Assert.Fail($"{Python} {script} failed: {await python.StandardError.ReadToEndAsync()}");
            }

            // One core busy (bounded: it stops when told, or after 60 s whatever happens).
            busy = new Thread(() => Spin(stop.Token)) { IsBackground = true };
            busy.Start();

            await python.StandardInput.WriteLineAsync("start");
            Assert.That(await ReplyAsync(python), Is.EqualTo("ok"));
            resources.GetSnapshot();

            await Task.Delay(TimeSpan.FromSeconds(2));

            ResourceSnapshot ours = resources.GetSnapshot();
            long vmRss = VmRssBytes();
            await python.StandardInput.WriteLineAsync("end");
            string[] reference = (await ReplyAsync(python))!.Split(' ');
            double systemCpuPercent = double.Parse(reference[0], CultureInfo.InvariantCulture);
            double processCpuPercent = double.Parse(reference[1], CultureInfo.InvariantCulture);
            double memoryPercent = double.Parse(reference[2], CultureInfo.InvariantCulture);

            double ourProcessPercent = ours.ProcessCpuUtilization!.Value * ours.AvailableCpus * 100;
            TestContext.Out.WriteLine($"system CPU % ours {ours.SystemCpuUtilization * 100:F1} psutil {systemCpuPercent}; process CPU % (of one core) ours {ourProcessPercent:F1} psutil {processCpuPercent}; memory % ours {ours.SystemMemoryUtilization * 100:F2} psutil {memoryPercent}; RSS ours {ours.ProcessResidentMemoryBytes} VmRSS {vmRss}");
            Assert.Multiple(() =>
            {
                Assert.That(ours.SystemCpuUtilization!.Value * 100, Is.EqualTo(systemCpuPercent).Within(5), "system CPU %, percentage points");
                Assert.That(ours.SystemMemoryUtilization!.Value * 100, Is.EqualTo(memoryPercent).Within(1), "system memory %, percentage points");
                Assert.That(ourProcessPercent, Is.EqualTo(processCpuPercent).Within(10), "process CPU % of one core");
                Assert.That(ourProcessPercent, Is.GreaterThan(20), "a busy thread shows (a loaded 2-core CI machine may give it well under a core)");
                Assert.That(ours.ProcessResidentMemoryBytes, Is.EqualTo(vmRss).Within(2).Percent, "resident memory vs /proc/self/status VmRSS");
            });
        }
        finally
        {
            stop.Cancel();
            busy?.Join(TimeSpan.FromSeconds(10));
            if (!python.HasExited)
            {
                python.StandardInput.Close();
                if (!python.WaitForExit(TimeSpan.FromSeconds(10)))
                {
                    python.Kill();
                }
            }
        }
    }

    private static async Task<string?> ReplyAsync(Process python)
    {
        using var timeout = new CancellationTokenSource(ReplyTimeout);
        return await python.StandardOutput.ReadLineAsync(timeout.Token);
    }

    private static void Spin(CancellationToken stop)
    {
        long deadline = Environment.TickCount64 + 60_000;
        double x = 1;
        while (!stop.IsCancellationRequested && Environment.TickCount64 < deadline)
        {
            for (int i = 0; i < 10_000; i++)
            {
                x = Math.Sqrt(x + i);
            }
        }

        GC.KeepAlive(x);
    }

    private static long VmRssBytes()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException("/proc/self/status has no VmRSS line");
    }
}
