// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ModelMetrics.Tests;

namespace ModelMetrics.Reports.Tests;

/// <summary>
/// Monitors with known traffic on a clock that only the test moves, in a registry of their own: a classifier with
/// failures, drift and delayed labels, a regression model and an LLM.
/// </summary>
internal sealed class Scenario : IDisposable
{
    public static readonly string[] Labels = ["legit", "fraud", "review"];

    private readonly List<ModelMonitor> _monitors = [];

    public Scenario()
    {
        string meter = Meter;
        Classifier = Add(new ModelMonitorOptions
        {
            ModelName = "fraud",
            ModelVersion = "3",
            ClassLabels = Labels,
            Registry = Registry,
            TimeProvider = Time,
            MeterName = meter,
        });
        Regressor = Add(new ModelMonitorOptions { ModelName = "eta", Registry = Registry, TimeProvider = Time, MeterName = meter });
        Chat = Add(new ModelMonitorOptions
        {
            ModelName = "assistant",
            ModelVersion = "2025-01",
            GenAI = new GenAIOptions(),
            Registry = Registry,
            TimeProvider = Time,
            MeterName = meter,
        });
    }

    public FakeTimeProvider Time { get; } = new();

    /// <summary>The meter of the scenario's monitors (its own, so that parallel tests never share series).</summary>
    public string Meter { get; } = "reports-tests-" + Guid.NewGuid().ToString("N");

    public ModelMonitorRegistry Registry { get; } = new();

    public ModelMonitor Classifier { get; }

    public ModelMonitor Regressor { get; }

    public ModelMonitor Chat { get; }

    /// <summary>Records a round of traffic; <paramref name="round"/> varies it so that two rounds differ.</summary>
    public void Record(int round = 0)
    {
        var random = new Random(42 + round);
        for (int i = 0; i < 400; i++)
        {
            // Durations from 0.2 ms to ~200 ms, log-uniform: a distribution spread over three decades.
            double seconds = 0.0002 * Math.Pow(10, random.NextDouble() * 3);
            Exception? failure = (i % 37) switch
            {
                0 => new TimeoutException(),
                1 => new InvalidOperationException(),
                _ => null,
            };
            Classifier.RecordCall(seconds, failure);
        }

        Classifier.SetDriftReference([0.6, 0.3, 0.1]);
        for (int i = 0; i < 300; i++)
        {
            int actual = random.Next(10) switch { < 6 => 0, < 9 => 1, _ => 2 };
            int predicted = random.Next(10) < 8 ? actual : (actual + 1) % 3;
            Classifier.RecordPrediction(PredictionId.FromInt64((round * 1000) + i), predicted);
            if (i % 3 != 0)
            {
                Time.Advance(TimeSpan.FromMilliseconds(10));
                Classifier.RecordLabel(PredictionId.FromInt64((round * 1000) + i), actual);
            }
        }

        for (int i = 0; i < 50; i++)
        {
            Regressor.RecordCall(0.001 + (i * 0.0001));
            Regressor.RecordRegression(10 + i, 10 + i + ((i % 5) - 2));
        }

        for (int i = 0; i < 5; i++)
        {
            GenAICall call = Chat.GenAI!.StartCall("gpt-test");
            Time.Advance(TimeSpan.FromMilliseconds(120));
            call.RecordChunk(1);
            for (int t = 0; t < 9; t++)
            {
                Time.Advance(TimeSpan.FromMilliseconds(20));
                call.RecordChunk(1);
            }

            call.Complete(new GenAIUsage(InputTokens: 40 + i, OutputTokens: 10), GenAIFinishReason.Stop);
        }
    }

    public void Dispose()
    {
        foreach (ModelMonitor monitor in _monitors)
        {
            monitor.Dispose();
        }
    }

    private ModelMonitor Add(ModelMonitorOptions options)
    {
        var monitor = new ModelMonitor(options);
        _monitors.Add(monitor);
        return monitor;
    }
}

/// <summary>The report's documented number formats, written again here so that a change to either is caught.</summary>
internal static class Expected
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Count(long value) => value.ToString("#,0", Invariant);

    public static string Ms(double seconds) => Math.Round(seconds * 1000, 3, MidpointRounding.AwayFromZero).ToString("0.000", Invariant);

    public static string Ratio(double value) => Math.Round(value, 4, MidpointRounding.AwayFromZero).ToString("0.0000", Invariant);

    /// <summary>
    /// What the page must show for <paramref name="snapshot"/>, by data-key: calls, errors, latency quantiles of
    /// every window, scores, per-class figures, matrix cells, drift and labels.
    /// </summary>
    public static Dictionary<string, string> Figures(ModelMonitorSnapshot snapshot)
    {
        var expected = new Dictionary<string, string>
        {
            ["calls"] = Count(snapshot.Calls),
            ["failed"] = Count(snapshot.Failed),
            ["failure-ratio"] = Ratio(snapshot.FailureRate),
            ["throughput.all.calls"] = Count(snapshot.Calls),
            ["latency.all.count"] = Count(snapshot.Latency.Count),
            ["latency.all.p50"] = Ms(snapshot.Latency.P50),
            ["latency.all.p99"] = Ms(snapshot.Latency.P99),
            ["latency.all.max"] = Ms(snapshot.Latency.Max),
        };
        if (snapshot.Labels.Pending + snapshot.Labels.Joined > 0)
        {
            expected["labels.pending"] = Count(snapshot.Labels.Pending);
            expected["labels.joined"] = Count(snapshot.Labels.Joined);
        }

        if (snapshot.Calls == 0)
        {
            // No latency or throughput tables without a call.
            foreach (string key in expected.Keys.Where(k => k.StartsWith("latency.", StringComparison.Ordinal) || k.StartsWith("throughput.", StringComparison.Ordinal)).ToList())
            {
                expected.Remove(key);
            }
        }

        foreach (WindowSnapshot w in snapshot.Windows)
        {
            string key = ((long)w.Window.TotalSeconds).ToString(Invariant);
            if (w.Drift is { } drift)
            {
                expected["drift." + key + ".class-psi"] = Ratio(drift.ClassPsi);
            }

            if (w.Classification is { } wc)
            {
                expected["quality." + key + ".accuracy"] = Ratio(wc.Accuracy);
                expected["quality." + key + ".macro-f1"] = Ratio(wc.MacroF1);
            }

            if (snapshot.Calls == 0)
            {
                continue;
            }

            expected["latency." + key + ".p50"] = Ms(w.Latency.P50);
            expected["latency." + key + ".p90"] = Ms(w.Latency.P90);
            expected["latency." + key + ".p99"] = Ms(w.Latency.P99);
            expected["latency." + key + ".p999"] = Ms(w.Latency.P999);
            expected["throughput." + key + ".calls"] = Count(w.Calls);
            expected["throughput." + key + ".failure-ratio"] = Ratio(w.FailureRate);
            foreach (KeyValuePair<string, long> failure in w.Failures)
            {
                expected["errors." + failure.Key + "." + key] = Count(failure.Value);
            }
        }

        foreach (KeyValuePair<string, long> failure in snapshot.Failures)
        {
            expected["errors." + failure.Key + ".all"] = Count(failure.Value);
        }

        if (snapshot.Classification is { } c)
        {
            expected["accuracy"] = Ratio(c.Accuracy);
            expected["quality.all.accuracy"] = Ratio(c.Accuracy);
            for (int i = 0; i < c.Classes.Count; i++)
            {
                ClassMetrics m = c.Classes[i];
                string prefix = "class." + i.ToString(Invariant) + ".";
                expected[prefix + "support"] = Count(m.Support);
                expected[prefix + "precision"] = Ratio(m.Precision);
                expected[prefix + "recall"] = Ratio(m.Recall);
                expected[prefix + "f1"] = Ratio(m.F1);
                for (int p = 0; p < c.Labels.Count; p++)
                {
                    expected["matrix." + i.ToString(Invariant) + "." + p.ToString(Invariant)] = Count(c.GetCount(p, i));
                }
            }
        }

        if (snapshot.Regression is { } r)
        {
            expected["regression.all.mae"] = Ratio(r.MeanAbsoluteError);
            expected["regression.all.r2"] = Ratio(r.RSquared);
        }

        if (snapshot.GenAI is { } g)
        {
            expected["genai.all.calls"] = Count(g.Calls);
            expected["genai.all.output-tokens"] = Count(g.OutputTokens);
            expected["genai.all.ttft-p50"] = Ms(g.TimeToFirstToken.P50);
            expected["genai.all.tokens-per-second"] = Math.Round(g.OutputTokensPerSecond, 2, MidpointRounding.AwayFromZero).ToString("0.00", Invariant);
        }

        return expected;
    }
}

/// <summary>A registry and meter name of a test's own.</summary>
internal sealed class RegistryScope : IDisposable
{
    public ModelMonitorRegistry Registry { get; } = new();

    public string Meter { get; } = "reports-tests-" + Guid.NewGuid().ToString("N");

    public void Dispose()
    {
        foreach (ModelMonitor monitor in Registry.Monitors)
        {
            monitor.Dispose();
        }
    }
}
