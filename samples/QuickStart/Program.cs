// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

// QuickStart: train a small classifier, serve it from several threads through the ModelMetrics
// decorator, feed the true classes back, and watch latency, errors and accuracy live; halfway through,
// the data drifts and the accuracy drops. Set OTEL_EXPORTER_OTLP_ENDPOINT to also export over OTLP.
//
//   dotnet run -c Release --project samples/QuickStart -- --seconds 10

using System;
using System.Diagnostics;
using System.Threading;
using ModelMetrics;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using QuickStart;

const int WorkerCount = 4;
TimeSpan recentWindow = TimeSpan.FromSeconds(2);

const string Usage = "usage: QuickStart [--seconds N]   (N: 1 to 3600, default 10)";
if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(Usage);
    return 0;
}

if (!TryParseArguments(args, out int seconds))
{
    Console.Error.WriteLine(Usage);
    return 2;
}

// 1. Train a real model on generated data, and check it on data it has not seen.
var data = new DataGenerator();
var random = new Random(42);
var (trainFeatures, trainLabels) = data.NextDataSet(random, 3_000);
var (testFeatures, testLabels) = data.NextDataSet(random, 1_000);
SoftmaxModel model = SoftmaxModel.Train(trainFeatures, trainLabels, DataGenerator.ClassNames.Length, random);
Console.WriteLine($"Trained softmax regression on {trainFeatures.Length:N0} flowers: held-out accuracy {model.Accuracy(testFeatures, testLabels):P1} on {testFeatures.Length:N0} (chance: {1.0 / DataGenerator.ClassNames.Length:P0}).");

// 2. One monitor per model and version. Declaring the class labels turns on the confusion matrix.
using var monitor = new ModelMonitor(new ModelMonitorOptions
{
    ModelName = "iris-softmax",
    ModelVersion = "1",
    ClassLabels = DataGenerator.ClassNames,

    // One window concept for every signal (latency, failures, quality, drift): a short window so that the live
    // view reacts within seconds, and a minute (a service keeps the defaults: 1 min, 5 min, 1 h). A window moves
    // when it is read: the 2-second one, read once a second, spans the last 2 to 3 seconds.
    Windows = [recentWindow, TimeSpan.FromMinutes(1)],

    // Measure the thread CPU time of one call in 100: what a prediction costs in CPU and the model's share of the process.
    CpuTimeSampling = 100,
});

// The process, machine, container and GPU this runs on (psutil's figures; NVML when an NVIDIA GPU is there),
// read when asked at most once a second and published on the same meter.
using var resources = new ResourceMonitor();

// 3. Optional export to an OpenTelemetry collector. Declared after the monitor, so disposed before it:
// the provider's last export on disposal still sees the monitor.
using MeterProvider? meterProvider = StartOpenTelemetry();

// 4. Wrap the model in the metrics decorator. Every call through `predictor` is timed and counted.
using IPredictor<float[], int> predictor = Predictor
    .Create<float[], int>(features => PredictWithFeatureLookup(model, features))
    .AsBuilder()
    .UseMetrics(monitor)
    .Build();

// 5. Serve from several threads until the time is up, printing a view every second.
Console.WriteLine($"Serving '{monitor.ModelName}' v{monitor.ModelVersion} from {WorkerCount} threads for {seconds} s; recent values come from the monitor's {recentWindow.TotalSeconds}-second window.");
var view = new ConsoleView(monitor.ClassLabels);
var clock = Stopwatch.StartNew();
using var stop = new CancellationTokenSource();
var workers = new Thread[WorkerCount];
for (int i = 0; i < workers.Length; i++)
{
    int seed = 1_000 + i;
    workers[i] = new Thread(() => Serve(predictor, monitor, data, new Random(seed), stop.Token)) { Name = $"worker {i}" };
    workers[i].Start();
}

int driftAfter = seconds >= 2 ? seconds / 2 : int.MaxValue;
for (int second = 1; second <= seconds; second++)
{
    TimeSpan wait = TimeSpan.FromSeconds(second) - clock.Elapsed;
    if (wait > TimeSpan.Zero)
    {
        Thread.Sleep(wait);
    }

    view.Print(monitor.GetSnapshot(), resources.GetSnapshot(), clock.Elapsed);
    if (second == driftAfter)
    {
        data.StartDrift();
        Console.WriteLine("  >> concept drift: versicolor petals grow larger from now on; the model is not retrained.");
    }
}

stop.Cancel();
foreach (Thread worker in workers)
{
    worker.Join();
}

view.PrintSummary(monitor.GetSnapshot(), clock.Elapsed);
return 0;

// One worker: draw a request, predict it through the decorator, then report the true class.
static void Serve(IPredictor<float[], int> predictor, ModelMonitor monitor, DataGenerator data, Random random, CancellationToken stop)
{
    // Reused across calls: Predict is synchronous, so the model is done with the array when it returns.
    float[] features = new float[DataGenerator.FeatureCount];
    while (!stop.IsCancellationRequested)
    {
        int actual = data.Next(random, features);
        try
        {
            int predicted = predictor.Predict(features);

            // In production the true class arrives later (user feedback, a labelling job); the generator
            // knows it at once. Either way, pair it with what the model predicted.
            monitor.RecordGroundTruth(predicted, actual);
        }
        catch (InvalidOperationException)
        {
            // Already counted by the decorator under error.type; a real service would answer 503 or fall back.
        }
        catch (TimeoutException)
        {
            // Counted as error.type "timeout".
        }
    }
}

// The model plus stand-ins for what surrounds a real one (a feature store, caches, the network), so
// that the monitor has failures and a latency tail to show.
static int PredictWithFeatureLookup(SoftmaxModel model, float[] features)
{
    double dice = Random.Shared.NextDouble();
    if (dice < 0.010)
    {
        throw new InvalidOperationException("feature store unavailable");
    }

    if (dice < 0.015)
    {
        throw new TimeoutException("feature store did not answer within its deadline");
    }

    if (dice < 0.016)
    {
        Thread.Sleep(1); // 0.1%: a network hiccup, a millisecond or more
    }
    else if (dice < 0.036)
    {
        BusyWait(microseconds: 50); // 2%: a cache miss
    }
    else
    {
        BusyWait(microseconds: 2); // the usual lookup
    }

    return model.Predict(features);
}

// Spins rather than sleeps: sleeps shorter than a millisecond are not possible, and a spin is what CPU-bound work looks like.
static void BusyWait(double microseconds)
{
    long until = Stopwatch.GetTimestamp() + (long)(microseconds * Stopwatch.Frequency / 1_000_000);
    while (Stopwatch.GetTimestamp() < until)
    {
        Thread.SpinWait(1);
    }
}

static MeterProvider? StartOpenTelemetry()
{
    string? endpoint = Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT");
    if (string.IsNullOrWhiteSpace(endpoint))
    {
        Console.WriteLine("OpenTelemetry export is off; set OTEL_EXPORTER_OTLP_ENDPOINT (for example http://localhost:4317) to send these metrics to a collector.");
        return null;
    }

    Console.WriteLine($"Exporting metrics over OTLP to {endpoint} every 5 s (OTEL_EXPORTER_OTLP_ENDPOINT; OTEL_EXPORTER_OTLP_PROTOCOL picks grpc or http/protobuf).");

    // AddModelMetrics subscribes to every ModelMonitor; the exporter reads the standard OTEL_* variables.
    return Sdk.CreateMeterProviderBuilder()
        .AddModelMetrics()
        .AddOtlpExporter((_, reader) =>
        {
            // The SDK exports every 60 s by default, longer than this demo runs.
            reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 5_000;
        })
        .Build();
}

static bool TryParseArguments(string[] args, out int seconds)
{
    seconds = 10;
    if (args.Length == 0)
    {
        return true;
    }

    return args.Length == 2
        && args[0] == "--seconds"
        && int.TryParse(args[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out seconds)
        && seconds is >= 1 and <= 3600;
}
