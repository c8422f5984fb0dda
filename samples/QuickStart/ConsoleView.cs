// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using ModelMetrics;

namespace QuickStart;

/// <summary>
/// Prints monitor snapshots as plain lines (no cursor movement, so the output reads the same in a
/// terminal, a log file or CI). Rates are over the time since the previous view, latency and quality
/// over the monitor's shortest window (`snapshot.Recent`, 2 seconds here), and "all" over everything since the start.
/// </summary>
internal sealed class ConsoleView
{
    private const string Indent = "       ";

    private readonly IReadOnlyList<string> _labels;
    private readonly int _labelWidth;
    private ModelMonitorSnapshot? _previous;
    private TimeSpan _previousElapsed;

    public ConsoleView(IReadOnlyList<string> labels)
    {
        _labels = labels;
        _labelWidth = Math.Max(labels.Max(l => l.Length), "actual \\ predicted".Length);
    }

    public void Print(ModelMonitorSnapshot snapshot, ResourceSnapshot resources, TimeSpan elapsed)
    {
        // Throughput and errors are differences of cumulative counts between two views: how a backend
        // computes rate() from the exported counters.
        double seconds = (elapsed - _previousElapsed).TotalSeconds;
        long calls = snapshot.Calls - (_previous?.Calls ?? 0);
        long failed = snapshot.Failed - (_previous?.Failed ?? 0);

        LatencySnapshot latency = snapshot.RecentLatency;
        Console.WriteLine(
            $"[{elapsed.TotalSeconds,3:F0}s] {calls / seconds,9:N0} calls/s | latency p50 {Duration(latency.P50)}, p99 {Duration(latency.P99)}, " +
            $"p99.9 {Duration(latency.P999)}, max {Duration(latency.Max)} | in flight {snapshot.InFlight}");

        // Failures by error.type, as a share of the calls since the previous view.
        string byType = string.Join(", ", snapshot.Failures
            .OrderByDescending(f => f.Value)
            .Select(f => $"{f.Key} {Ratio(f.Value - (_previous?.Failures.GetValueOrDefault(f.Key) ?? 0), calls):P2}"));
        Console.WriteLine($"{Indent}errors {Ratio(failed, calls):P2}{(byType.Length > 0 ? ": " : "")}{byType}");

        if (snapshot.RecentClassification is { } recent && snapshot.Classification is { } all)
        {
            Console.WriteLine(
                $"{Indent}accuracy {recent.Accuracy:P1} (all {all.Accuracy:P1}), macro-F1 {recent.MacroF1:F3} (all {all.MacroF1:F3}), " +
                $"from {recent.Total:N0} recent labelled predictions");
            PrintMatrix(recent);
        }

        PrintResources(snapshot, resources);
        PrintRejected(snapshot);
        _previous = snapshot;
        _previousElapsed = elapsed;
    }

    private static void PrintResources(ModelMonitorSnapshot snapshot, ResourceSnapshot resources)
    {
        // Process CPU is a share of the CPUs available to the process; "of N CPUs" says how many that is.
        string cpu = resources.ProcessCpuUtilization is double share ? $"{share:P0} of {resources.AvailableCpus:0.#} CPUs" : "n/a";
        // The model's CPU per call, from one sampled call in 100 (CpuTimeSampling); its share of the process is in
        // the snapshot too (CpuTime.ProcessShare), an estimate that VMs with jumpy thread clocks inflate.
        string model = snapshot.Recent.CpuTime is { Samples: > 0 } cost
            ? $" | model CPU {Duration(cost.CpuSecondsPerCall)} per call ({cost.Samples:N0} sampled)"
            : string.Empty;
        Console.WriteLine($"{Indent}process CPU {cpu}, resident {resources.ProcessResidentMemoryBytes / 1048576.0:N0} MiB, GC heap {resources.GcHeapSizeBytes / 1048576.0:N0} MiB{model}");

        if (resources.Gpus.Count == 0)
        {
            Console.WriteLine($"{Indent}GPU: none ({resources.GpuStatus})");
        }

        foreach (GpuSnapshot gpu in resources.Gpus)
        {
            Console.WriteLine(
                $"{Indent}GPU {gpu.Index} {gpu.Name}: utilisation {gpu.Utilization:P0}, memory {gpu.MemoryUsedBytes / 1073741824.0:N1} of {gpu.MemoryTotalBytes / 1073741824.0:N1} GiB" +
                (gpu.ProcessMemoryBytes is long mine ? $" ({mine / 1048576.0:N0} MiB this process)" : string.Empty));
        }
    }

    public void PrintSummary(ModelMonitorSnapshot snapshot, TimeSpan elapsed)
    {
        Console.WriteLine();
        Console.WriteLine(
            $"Done after {elapsed.TotalSeconds:F1} s: {snapshot.Calls:N0} calls ({snapshot.Calls / elapsed.TotalSeconds:N0}/s), " +
            $"{snapshot.Failed:N0} failed ({snapshot.FailureRate:P2}), {snapshot.InFlight} in flight.");
        foreach ((string errorType, long count) in snapshot.Failures.OrderByDescending(f => f.Value))
        {
            Console.WriteLine($"  error.type {errorType}: {count:N0}");
        }

        LatencySnapshot latency = snapshot.Latency;
        Console.WriteLine(
            $"  latency of all {latency.Count:N0} calls: mean {Duration(latency.Mean)}, p50 {Duration(latency.P50)}, p90 {Duration(latency.P90)}, " +
            $"p99 {Duration(latency.P99)}, p99.9 {Duration(latency.P999)}, max {Duration(latency.Max)}");

        if (snapshot.Classification is { } quality)
        {
            Console.WriteLine($"  quality of all {quality.Total:N0} labelled predictions: accuracy {quality.Accuracy:P1}, macro-F1 {quality.MacroF1:F3}");
            Console.WriteLine($"  {"class".PadRight(_labelWidth)} {"precision",10} {"recall",10} {"F1",10} {"support",12}");
            foreach (ClassMetrics c in quality.Classes)
            {
                Console.WriteLine($"  {c.Label.PadRight(_labelWidth)} {c.Precision,10:P1} {c.Recall,10:P1} {c.F1,10:F3} {c.Support,12:N0}");
            }
        }

        PrintRejected(snapshot);
    }

    private static double Ratio(long part, long whole) => whole == 0 ? 0 : (double)part / whole;

    private static string Duration(double seconds) => seconds switch
    {
        >= 1 => $"{seconds:F2} s",
        >= 1e-3 => $"{seconds * 1e3:F2} ms",
        _ => $"{seconds * 1e6:F1} µs",
    };

    private static void PrintRejected(ModelMonitorSnapshot snapshot)
    {
        // Values the monitor refused (an unknown label, a negative duration): normally none.
        if (snapshot.Rejected.Count > 0)
        {
            Console.WriteLine($"{Indent}rejected: {string.Join(", ", snapshot.Rejected.Select(r => $"{r.Key} {r.Value:N0}"))}");
        }
    }

    private void PrintMatrix(ClassificationSnapshot quality)
    {
        if (!quality.HasMatrix)
        {
            return;
        }

        int width = Math.Max(_labels.Max(l => l.Length), 9) + 2;
        var line = new StringBuilder($"{Indent}{"actual \\ predicted".PadRight(_labelWidth)}");
        foreach (string label in _labels)
        {
            line.Append(label.PadLeft(width));
        }

        Console.WriteLine(line.ToString());
        for (int actual = 0; actual < _labels.Count; actual++)
        {
            line.Clear().Append(Indent).Append(_labels[actual].PadRight(_labelWidth));
            for (int predicted = 0; predicted < _labels.Count; predicted++)
            {
                line.Append($"{quality.GetCount(predicted: predicted, actual: actual):N0}".PadLeft(width));
            }

            Console.WriteLine(line.ToString());
        }
    }
}
