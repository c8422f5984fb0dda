// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

// A service monitored by ModelMetrics, wired as the README tells users to wire it:
//   services.AddOpenTelemetry().WithMetrics(m => m.AddModelMetrics().AddPrometheusExporter().AddOtlpExporter())
// It records the fixed traffic of one fleet member (Scenarios), then serves a "live" model with steady
// traffic until its standard input closes or --seconds pass, whichever is first.
//
//   --scenario a|b        the fleet member (default a)
//   --seconds N           longest lifetime (default 300): the host never outlives a crashed test run for long
//   --otlp                also export OTLP, configured only by the OTEL_EXPORTER_OTLP_* and OTEL_METRIC_EXPORT_* variables
//
// It prints "ready <url>" once the fixed traffic is recorded; <url> serves the Prometheus text format at /metrics.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelMetrics;
using ModelMetrics.TestHost;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

string scenario = Argument("--scenario") ?? "a";
int seconds = int.Parse(Argument("--seconds") ?? "300", System.Globalization.CultureInfo.InvariantCulture);
bool otlp = args.Contains("--otlp");
FleetMember member = Scenarios.Get(scenario);

WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.UseUrls("http://127.0.0.1:0");
builder.Services.AddOpenTelemetry()
    .ConfigureResource(r => r.AddService("modelmetrics-testhost", serviceInstanceId: scenario))
    .WithMetrics(metrics =>
    {
        metrics.AddModelMetrics().AddPrometheusExporter();
        if (otlp)
        {
            metrics.AddOtlpExporter();
        }
    });

await using WebApplication app = builder.Build();
app.MapPrometheusScrapingEndpoint();

// The fleet's fixed traffic is recorded first thing: the meter provider may already export (every 500 ms in some tests).
using var fleet = new ModelMonitor(new ModelMonitorOptions { ModelName = Scenarios.FleetModel, ModelVersion = Scenarios.FleetVersion, ClassLabels = Scenarios.Classes });
member.Record(fleet);

// The live model measures the CPU of every call it times itself (the sampling budget lifted, so that a short test
// sees samples on a VM whose thread CPU clock is slow); the process's resources are published beside it.
ModelMetrics.Signals.CpuTimeSignal.BudgetNanoseconds = double.MaxValue;
using var live = new ModelMonitor(new ModelMonitorOptions
{
    ModelName = Scenarios.LiveModel,
    ModelVersion = Scenarios.LiveVersion,
    ClassLabels = Scenarios.Classes,
    CpuTimeSampling = 1,
    GenAI = new GenAIOptions { ProviderName = "testhost" }, // the live model also answers as an LLM (the dashboard's GenAI panels)
});
using var resources = new ResourceMonitor();

// The dashboard's rules row: an error-ratio rule and an availability objective for the live model, judged every second.
using var rules = new ModelRuleSet(new ModelRuleSetOptions
{
    EvaluationInterval = TimeSpan.FromSeconds(1),
    Rules = [new ModelRule { Name = "errors", ModelName = Scenarios.LiveModel, Signal = ModelSignal.ErrorRatio, Warning = 0.05, Critical = 0.25, MinSamples = 10 }],
    Objectives = [new ServiceLevelObjective { Name = "availability", ModelName = Scenarios.LiveModel, Objective = 0.99 }],
});

await app.StartAsync();
Console.WriteLine($"ready {app.Urls.First()}");

using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
_ = Task.Run(() =>
{
    // The parent test keeps our standard input open; end of input means it is done (or gone).
    while (Console.In.ReadLine() is not null)
    {
    }

    stop.Cancel();
});

// The dashboard's cache row: an output cache in front of the live model over 40 keys (hits once each key is stored,
// misses again as entries expire after 2 s), reporting to the live monitor without recording calls into it.
using IPredictor<int, int> cached = Predictor.Create<int, int>(x => x + 1)
    .AsBuilder()
    .UseCache(x => x, o =>
    {
        o.Monitor = live;
        o.TimeToLive = TimeSpan.FromSeconds(2);
    })
    .Build();

// The dashboard's load-balancing row: three instances of the live model behind power of two choices, publishing
// model.instance.* on the live monitor (without recording calls into it).
using IPredictor<int, int> balanced = Predictor.LoadBalanced(
    new Dictionary<string, IPredictor<int, int>>
    {
        ["gpu0"] = Predictor.Create<int, int>(x => x + 1),
        ["gpu1"] = Predictor.Create<int, int>(x => x + 2),
        ["gpu2"] = Predictor.Create<int, int>(x => x + 3),
    },
    o => o.Monitor = live);

// Live traffic: a call every 5 ms with 1–20 ms latency, 2% timeouts, 1% invalid operations; every call
// labelled at once (80% right), and one in four with an id whose label arrives a little later.
// A fixed seed per member (string hash codes differ per process), so a run's live traffic can be reproduced.
var random = new Random(scenario == "a" ? 1 : 2);
long sequence = 0;
int pendingActual = 0;
while (!stop.IsCancellationRequested)
{
    double roll = random.NextDouble();
    Exception? failure = roll < 0.02 ? new TimeoutException() : roll < 0.03 ? new InvalidOperationException() : null;
    if (sequence % 10 == 5)
    {
        // One call in ten is timed here and spins for 1 ms (the low end of the range), so its CPU is sampled.
        long start = live.StartCall();
        long end = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 1000);
        while (Stopwatch.GetTimestamp() < end)
        {
        }

        live.EndCall(start);
    }
    else
    {
        live.RecordCall(0.001 + (random.NextDouble() * 0.019), failure);
    }

    int actual = random.Next(Scenarios.Classes.Count);
    int predicted = random.NextDouble() < 0.8 ? actual : (actual + 1 + random.Next(Scenarios.Classes.Count - 1)) % Scenarios.Classes.Count;
    live.RecordGroundTruth(predicted, actual);
    if (sequence % 4 == 0)
    {
        live.RecordPrediction(PredictionId.FromInt64(sequence), predicted);
        pendingActual = actual;
    }
    else if (sequence % 4 == 1)
    {
        // The delayed label is the truth of the call that made the prediction, so quality stays near 80%.
        live.RecordLabel(PredictionId.FromInt64(sequence - 1), pendingActual);
    }

    // A generative call: 2 to 9 one-token chunks, usage, a finish reason; every other response rated.
    GenAICall generation = live.GenAI!.StartCall("testhost-model");
    int tokens = 2 + random.Next(8);
    for (int t = 0; t < tokens; t++)
    {
        generation.RecordChunk(1);
    }

    generation.Complete(new GenAIUsage(InputTokens: 20), tokens == 9 ? GenAIFinishReason.Length : GenAIFinishReason.Stop, "testhost-model", responseId: sequence);
    if (sequence % 2 == 0)
    {
        live.GenAI.RecordFeedback(sequence, positive: random.NextDouble() < 0.7);
    }

    cached.Predict(random.Next(40));
    balanced.Predict(random.Next(40));

    sequence++;
    try
    {
        await Task.Delay(5, stop.Token);
    }
    catch (OperationCanceledException)
    {
    }
}

await app.StopAsync(CancellationToken.None);
Console.WriteLine($"stopped after {sequence} live calls");
return 0;

string? Argument(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
