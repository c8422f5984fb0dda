// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;

namespace ModelMetrics.Reports;

/// <summary>
/// A snapshot flattened into named scalars, for the exporters that take numbers by name (TensorBoard tags, MLflow
/// metric keys): <c>group/name_window</c>, the window as <c>1m</c>, <c>5m</c>, <c>1h</c> or <c>all</c> (since start).
/// </summary>
/// <remarks>
/// Figures of a window without data (no call, no labelled prediction) are left out rather than written as 0, which
/// a chart would draw as a real value. Durations are in milliseconds (the tag says <c>_ms</c>); ratios from 0 to 1.
/// Names keep only letters, digits, <c>_ - . /</c>: MLflow rejects other characters, TensorBoard groups by the first
/// <c>/</c>.
/// </remarks>
internal static class Scalars
{
    /// <summary>Per-class figures stop at this many classes (in label order), as published instruments do.</summary>
    public const int MaxClasses = 64;

    public static List<KeyValuePair<string, double>> Collect(ModelMonitorSnapshot model)
    {
        var scalars = new List<KeyValuePair<string, double>>();
        void Add(string name, double value)
        {
            if (double.IsFinite(value))
            {
                scalars.Add(new KeyValuePair<string, double>(name, value));
            }
        }

        Add("calls/total", model.Calls);
        Add("calls/failed", model.Failed);
        Add("calls/in_flight", model.InFlight);
        if (model.Calls > 0)
        {
            Add("errors/ratio_all", model.FailureRate);
            Latency(Add, "latency_ms", "all", model.Latency);
        }

        foreach (WindowSnapshot w in model.Windows)
        {
            string window = Format.WindowTag(w.Window);
            if (w.Calls > 0)
            {
                Add("calls/per_second_" + window, w.Calls / w.Window.TotalSeconds);
                Add("errors/ratio_" + window, w.FailureRate);
                Latency(Add, "latency_ms", window, w.Latency);
            }

            if (w.Classification is { Total: > 0 } c)
            {
                Classification(Add, window, c);
            }

            if (w.Regression is { Count: > 0 } r)
            {
                Regression(Add, window, r);
            }

            if (w.Drift is { Predictions: > 0 } d)
            {
                Add("drift/class_psi_" + window, d.ClassPsi);
                if (d.ScorePsi is { } scorePsi)
                {
                    Add("drift/score_psi_" + window, scorePsi);
                }
            }

            if (w.CpuTime is { Samples: > 0 } cpu)
            {
                Add("cpu/ms_per_call_" + window, cpu.CpuSecondsPerCall * 1000);
                Add("cpu/process_share_" + window, cpu.ProcessShare);
            }

            if (w.GenAI is { Calls: > 0 } g)
            {
                Add("genai/output_tokens_per_second_" + window, g.OutputTokensPerSecond);
                if (g.TimeToFirstToken.Count > 0)
                {
                    Add("genai/ttft_p50_ms_" + window, g.TimeToFirstToken.P50 * 1000);
                    Add("genai/ttft_p95_ms_" + window, g.TimeToFirstToken.P95 * 1000);
                }

                if (g.TimePerOutputToken.Count > 0)
                {
                    Add("genai/tpot_p50_ms_" + window, g.TimePerOutputToken.P50 * 1000);
                }
            }
        }

        if (model.Classification is { Total: > 0 } all)
        {
            Classification(Add, "all", all);
        }

        if (model.Regression is { Count: > 0 } allRegression)
        {
            Regression(Add, "all", allRegression);
        }

        LabelSnapshot labels = model.Labels;
        if (labels.Pending + labels.Joined + labels.Expired + labels.Evicted > 0)
        {
            Add("labels/pending", labels.Pending);
            Add("labels/joined", labels.Joined);
            Add("labels/expired", labels.Expired);
            Add("labels/evicted", labels.Evicted);
        }

        if (model.GenAI is { Calls: > 0 } genAI)
        {
            Add("genai/calls", genAI.Calls);
            Add("genai/input_tokens", genAI.InputTokens);
            Add("genai/output_tokens", genAI.OutputTokens);
            Add("genai/output_tokens_per_second_all", genAI.OutputTokensPerSecond);
            Add("genai/cost", genAI.Cost);
        }

        return scalars;
    }

    public static List<KeyValuePair<string, double>> Collect(ResourceSnapshot resources)
    {
        var scalars = new List<KeyValuePair<string, double>>
        {
            new("process/resident_memory_mib", resources.ProcessResidentMemoryBytes / 1048576.0),
            new("process/threads", resources.ProcessThreads),
            new("runtime/gc_heap_mib", resources.GcHeapSizeBytes / 1048576.0),
            new("runtime/threadpool_queue", resources.ThreadPoolQueueLength),
        };
        if (resources.ProcessCpuUtilization is { } cpu)
        {
            scalars.Add(new("process/cpu_utilization", cpu));
        }

        if (resources.SystemMemoryUtilization is { } memory)
        {
            scalars.Add(new("system/memory_utilization", memory));
        }

        foreach (GpuSnapshot gpu in resources.Gpus)
        {
            if (gpu.Utilization is { } u)
            {
                scalars.Add(new("gpu/utilization_" + gpu.Index.ToString(System.Globalization.CultureInfo.InvariantCulture), u));
            }
        }

        return scalars;
    }

    /// <summary>Letters, digits, <c>_ - .</c>; anything else becomes <c>_</c>.</summary>
    public static string Clean(string name)
    {
        return string.Create(name.Length, name, static (span, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                char c = source[i];
                span[i] = char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' ? c : '_';
            }
        });
    }

    private static void Latency(Action<string, double> add, string group, string window, LatencySnapshot latency)
    {
        add(group + "/p50_" + window, latency.P50 * 1000);
        add(group + "/p90_" + window, latency.P90 * 1000);
        add(group + "/p99_" + window, latency.P99 * 1000);
        add(group + "/p999_" + window, latency.P999 * 1000);
        add(group + "/max_" + window, latency.Max * 1000);
    }

    private static void Classification(Action<string, double> add, string window, ClassificationSnapshot c)
    {
        add("quality/accuracy_" + window, c.Accuracy);
        add("quality/macro_f1_" + window, c.MacroF1);
        add("quality/weighted_f1_" + window, c.WeightedF1);
        add("quality/mcc_" + window, c.MatthewsCorrelation);
        for (int i = 0; i < Math.Min(c.Classes.Count, MaxClasses); i++)
        {
            ClassMetrics m = c.Classes[i];
            string label = Clean(m.Label);
            add("f1/" + label + "_" + window, m.F1);
            add("precision/" + label + "_" + window, m.Precision);
            add("recall/" + label + "_" + window, m.Recall);
        }
    }

    private static void Regression(Action<string, double> add, string window, RegressionSnapshot r)
    {
        add("regression/mae_" + window, r.MeanAbsoluteError);
        add("regression/rmse_" + window, r.RootMeanSquaredError);
        add("regression/r2_" + window, r.RSquared);
    }
}
