// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;

namespace ModelMetrics.IntegrationTests.Otlp;

/// <summary>The README's instrument table is what a collector actually receives: the same names, units and types.</summary>
[TestFixture]
public partial class OtlpReadmeInstrumentTests
{
    [Test]
    public async Task ReadmeInstrumentTable_MatchesWhatTheCollectorReceives()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        string meterName = OtlpTestKit.NewMeterName();
        using MeterProvider provider = OtlpTestKit.CreateProvider(meterName, receiver, OtlpExportProtocol.Grpc);
        using var classifier = new ModelMonitor(new ModelMonitorOptions { ModelName = "readme-classifier", ModelVersion = "1", ClassLabels = ["cat", "dog", "bird"], MeterName = meterName, EnableNativeHistogram = true, CpuTimeSampling = 1 });
        using var regression = new ModelMonitor(new ModelMonitorOptions { ModelName = "readme-regression", MeterName = meterName });
        using var llm = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "readme-llm",
            MeterName = meterName,
            GenAI = new GenAIOptions { ProviderName = "local", MaxModelIds = 1, Prices = new Dictionary<string, GenAIPrice> { ["m"] = new(1, 2) } },
        });
        using var llmServer = new ModelMonitor(new ModelMonitorOptions { ModelName = "readme-llm-server", MeterName = meterName, GenAI = new GenAIOptions { ServerSide = true } });
        using var featured = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "readme-features",
            MeterName = meterName,
            Features = [FeatureDefinition.Numeric("x"), FeatureDefinition.Categorical("c", ["a", "b"])],
        });
        await ExerciseEveryInstrumentAsync(classifier, regression);
        ExerciseGenAI(llm, llmServer);
        using ModelRuleSet rules = ExerciseRules(meterName, classifier);
        ExerciseFeatures(featured);
        using IPredictor<int, int> balanced = ExerciseLoadBalancing(regression);
        Assert.That(provider.ForceFlush(), Is.True);

        Dictionary<string, OtlpPoint> received = OtlpTestKit.Flatten(receiver.Received.Single().Request)
            .Where(p => p.Scope == meterName)
            .GroupBy(p => p.Name)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        Dictionary<string, ReadmeRow> documented = ReadInstrumentTable();

        Assert.Multiple(() =>
        {
            Assert.That(documented.Keys.Except(received.Keys), Is.Empty, "documented in the README but not received");
            Assert.That(received.Keys.Except(documented.Keys), Is.Empty, "received but not documented in the README");
            foreach ((string name, OtlpPoint point) in received)
            {
                if (!documented.TryGetValue(name, out ReadmeRow? row))
                {
                    continue;
                }

                // A unit in backticks is the declared UCUM unit (one of several when the row lists more);
                // a unit in words ("target unit") is the user's, and none is declared.
                Assert.That(row.Units.Length == 0 ? [string.Empty] : row.Units, Does.Contain(point.Unit), $"unit of {name}");
                Assert.That((point.Kind, point.IsMonotonic), Is.EqualTo(ExpectedShape(row.Type)), $"type of {name} ({row.Type})");
            }
        });
    }

    /// <summary>A rule set over the regression model: a rule, an objective and a maintenance action that ends.</summary>
    private static ModelRuleSet ExerciseRules(string meterName, ModelMonitor monitor)
    {
        using var ended = new ManualResetEventSlim();
        var rules = new ModelRuleSet(new ModelRuleSetOptions
        {
            MeterName = meterName,
            EvaluationInterval = TimeSpan.Zero,
            Rules = [new ModelRule { Name = "calls", Signal = ModelSignal.Calls, Critical = 0, MinSamples = 0, BreachesToFire = 1, ModelName = monitor.ModelName }],
            Objectives = [new ServiceLevelObjective { Name = "availability", Objective = 0.99, ModelName = monitor.ModelName }],
            Actions = [new MaintenanceAction { Name = "notify", Handler = (_, _) => Task.CompletedTask }],
        });
        rules.ActionCompleted += (_, _) => ended.Set();
        rules.Evaluate();
        Assert.That(ended.Wait(TimeSpan.FromSeconds(30)), Is.True, "the maintenance action ended");
        return rules;
    }

    /// <summary>A load balancer reporting to <paramref name="monitor"/>, one instance failing: every <c>model.instance.*</c> instrument reports.</summary>
    private static IPredictor<int, int> ExerciseLoadBalancing(ModelMonitor monitor)
    {
        IPredictor<int, int> balanced = Predictor.LoadBalanced(
            new Dictionary<string, IPredictor<int, int>>
            {
                ["a"] = Predictor.Create<int, int>(x => x),
                ["b"] = Predictor.Create<int, int>(x => throw new InvalidOperationException("instance b is down")),
            },
            o =>
            {
                o.Strategy = LoadBalancingStrategy.RoundRobin;
                o.FailuresToEject = 1;
                o.Monitor = monitor;
            });
        for (int i = 0; i < 4; i++)
        {
            try
            {
                balanced.Predict(i);
            }
            catch (InvalidOperationException)
            {
                // b fails once and is ejected.
            }
        }

        return balanced;
    }

    /// <summary>Drives one classifier and one regression model through every instrument the README lists.</summary>
    private static async Task ExerciseEveryInstrumentAsync(ModelMonitor classifier, ModelMonitor regression)
    {
        // Calls, items, durations and the native histogram; streamed calls for chunks and time to first chunk.
        // Enough calls for CPU-time samples however slow the thread CPU clock makes the sampling interval (about
        // one in 1,700 at most on a 2 µs clock).
        using IPredictor<int, int> predictor = Predictor.Create<int, int>(x => x).AsBuilder().UseMetrics(classifier).Build();
        for (int i = 0; i < 20_000; i++)
        {
            predictor.Predict(1);
        }

        using IPredictor<int, int> streaming = Predictor.CreateStreaming<int, int>(ChunksAsync).AsBuilder().UseMetrics(classifier).Build();
        await foreach (int chunk in streaming.PredictStreamingAsync(3))
        {
            Assert.That(chunk, Is.LessThan(3));
        }

        // An output cache over the model (capacity 1): a hit, two misses, a capacity eviction, entries, time saved.
        using IPredictor<int, int> cached = Predictor.Create<int, int>(x => x).AsBuilder().UseCache(x => x, o => o.Capacity = 1).UseMetrics(classifier).Build();
        Assert.That(new[] { cached.Predict(1), cached.Predict(1), cached.Predict(2) }, Is.EqualTo(new[] { 1, 1, 2 }));

        // Ground truth with probabilities: the matrix, per-class and averaged scores, log-loss and top-k.
        classifier.RecordGroundTruth([0.7f, 0.2f, 0.1f], 0);
        classifier.RecordGroundTruth([0.2f, 0.5f, 0.3f], 2);
        classifier.RecordGroundTruth(1, 1);

        // Delayed labels: one joined (label delay), one prediction replaced by another with its id (dropped).
        classifier.RecordPrediction(PredictionId.FromInt64(1), 0);
        classifier.RecordLabel(PredictionId.FromInt64(1), 0);
        classifier.RecordPrediction(PredictionId.FromInt64(2), 1);
        classifier.RecordPrediction(PredictionId.FromInt64(2), 2);

        // Drift: a reference, then predictions to compare with it.
        classifier.RecordPrediction([0.6f, 0.3f, 0.1f]);
        classifier.CaptureDriftReference();
        classifier.RecordPrediction([0.1f, 0.1f, 0.8f]);

        classifier.RecordCall(double.NaN); // Rejected and counted.
        regression.RecordRegression(1.0, 1.5);
        regression.RecordRegression(2.0, 1.5);
    }

    /// <summary>Feature values with a missing one, an invalid one and a reference: every <c>model.feature.*</c> instrument reports.</summary>
    private static void ExerciseFeatures(ModelMonitor monitor)
    {
        monitor.Features!.SetReference([[1.0, 0], [2.0, 1], [3.0, 0]]);
        monitor.RecordFeatures([1.5, 0]);
        monitor.RecordFeatures([2.5, 1]);
        monitor.RecordFeatures([double.NaN, double.NaN]);
        monitor.RecordFeatures([double.PositiveInfinity, 0]);
    }

    /// <summary>Drives a generative model (client side) and a served one (server side) through every GenAI instrument.</summary>
    private static void ExerciseGenAI(ModelMonitor llm, ModelMonitor llmServer)
    {
        // Streamed with usage, priced, with a response id that gets feedback: tokens, TTFT, TPOT, inter-chunk latency,
        // tokens/s, cost, feedback; a second response waits for feedback.
        GenAICall call = llm.GenAI!.StartCall("m");
        call.RecordChunk();
        Thread.Sleep(1);
        call.RecordChunk();
        call.Complete(new GenAIUsage(10, 5, CachedInputTokens: 2, ReasoningTokens: 1), GenAIFinishReason.Stop, "m", responseId: 7L);
        llm.GenAI.RecordFeedback(7L, positive: true);
        llm.GenAI.RecordFeedback(99L, positive: false); // Unmatched.
        llm.GenAI.StartCall("m").Complete(finishReason: GenAIFinishReason.Length, responseModel: "another", responseId: 8L); // Unknown usage, model id overflow.
        llm.GenAI.StartCall().Fail(new InvalidOperationException("provider error"));

        GenAICall served = llmServer.GenAI!.StartCall();
        served.RecordChunk(1);
        Thread.Sleep(1);
        served.RecordChunk(1);
        served.Complete(new GenAIUsage(3), GenAIFinishReason.Stop);
    }

    private static async IAsyncEnumerable<int> ChunksAsync(int count, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (int i = 0; i < count; i++)
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return i;
        }
    }

    /// <summary>The OTLP shape the README's type column promises.</summary>
    private static (OtlpKind Kind, bool Monotonic) ExpectedShape(string type) =>
        type.Split(' ')[0] switch
        {
            "ObservableCounter" => (OtlpKind.Sum, true),
            "ObservableUpDownCounter" => (OtlpKind.Sum, false),
            "ObservableGauge" => (OtlpKind.Gauge, false),
            "Histogram" => (OtlpKind.Histogram, false),
            _ => throw new AssertionException($"Unknown instrument type in the README: '{type}'."),
        };

    /// <summary>
    /// Reads the table under "## Instruments": several names joined by " / " share a row; a type or unit "as
    /// for duration" is that of the <c>model.inference.duration.*</c> instrument with the same suffix.
    /// </summary>
    private static Dictionary<string, ReadmeRow> ReadInstrumentTable()
    {
        string[] lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Shipped", "README.md"));
        int start = Array.IndexOf(lines, "## Instruments");
        Assert.That(start, Is.GreaterThanOrEqualTo(0), "the README has an Instruments section");

        var rows = new Dictionary<string, ReadmeRow>(StringComparer.Ordinal);
        foreach (string line in lines.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal)).Where(l => l.StartsWith("| `", StringComparison.Ordinal)))
        {
            string[] cells = line.Split('|');
            string type = cells[2].Trim();
            string unit = cells[3].Trim();
            foreach (string name in Backticked(cells[1]))
            {
                ReadmeRow? duration = rows.GetValueOrDefault("model.inference.duration" + name[name.LastIndexOf('.')..]);
                var row = new ReadmeRow(
                    type == "as for duration" ? duration!.Type : type,
                    unit == "as for duration" ? duration!.Units : Backticked(unit));
                Assert.That(rows.TryAdd(name, row), Is.True, $"{name} is listed once");
            }
        }

        Assert.That(rows, Is.Not.Empty, "the Instruments table was found");
        return rows;
    }

    private static string[] Backticked(string text) => [.. BacktickedPattern().Matches(text).Select(m => m.Groups[1].Value)];

    [GeneratedRegex("`([^`]*)`")]
    private static partial Regex BacktickedPattern();

    /// <summary>One README row: the type column, and the units given in backticks (none when the unit is in words).</summary>
    private sealed record ReadmeRow(string Type, string[] Units);
}
