// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using ModelMetrics;
using ModelMetrics.MLNet;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace WebService;

/// <summary>A prediction request: the four measurements, in centimetres.</summary>
public sealed record PredictRequest(float SepalLength, float SepalWidth, float PetalLength, float PetalWidth);

/// <summary>A prediction: its id (send it back with the true class to <c>/labels</c>), the class and every class's probability.</summary>
public sealed record PredictResponse(string Id, string Class, IReadOnlyDictionary<string, float> Probabilities);

/// <summary>A delayed label: the true class of the prediction with this id.</summary>
public sealed record LabelRequest(string Id, string Label);

/// <summary>What a label did: joined with its prediction, or why not.</summary>
public sealed record LabelResponse(bool Joined, string? Reason);

/// <summary>The service: its dependencies, its pipeline and its endpoints, for Program and for tests.</summary>
public static class WebServiceApp
{
    /// <summary>The monitor of what callers get (every request, cache hits included), and of the labels: from appsettings.json.</summary>
    public const string ServedMonitor = "iris";

    /// <summary>The model name of the monitor behind the cache: model inferences only (cache misses).</summary>
    public const string InferenceModelName = "iris-inference";

    /// <summary>Builds the application: trains the model, wires ModelMetrics, maps the endpoints. Start it with <c>RunAsync</c> or <c>StartAsync</c>.</summary>
    /// <param name="args">Command-line arguments (<c>--urls http://127.0.0.1:0</c>, <c>--Otlp:Endpoint http://…:4317</c>, any configuration key).</param>
    /// <returns>The application, not started.</returns>
    public static WebApplication Build(string[] args)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        ConfigurationManager configuration = builder.Configuration;

        // The model, trained at start-up from generated data (about a second). A service would load one instead:
        // mlContext.Model.Load("iris.zip", out _).
        builder.Services.AddSingleton(_ => IrisModel.Train(rows: 3_000, seed: 1));

        // The monitor of the served model, its options from appsettings.json (ModelMetrics:Models:iris), validated when the
        // host starts: a misspelt key fails the start-up naming the key.
        builder.Services.AddModelMonitor(ServedMonitor, configuration.GetSection($"ModelMetrics:Models:{ServedMonitor}"));

        // The pipeline, outermost first:
        //  1. metrics of every call served (monitor "iris", from monitorName);
        //  2. every prediction served, cache hits included, recorded into "iris" (class probabilities for drift, and the
        //     request id for its delayed label);
        //  3. the output cache, keyed by the measurements (the id is not part of the key);
        //  4. metrics of the model's own inferences (a monitor owned by the pipeline): served - inferences = cache hits;
        //  5. the ML.NET model, served through a pool of prediction engines.
        CacheSettings cache = configuration.GetSection("Cache").Get<CacheSettings>() ?? new CacheSettings();
        builder.Services.AddPredictor<IrisInput, IrisOutput>(
                services =>
                {
                    IrisModel model = services.GetRequiredService<IrisModel>();
                    return MLNetPredictor.Create<IrisInput, IrisOutput>(model.Context, model.Transformer);
                },
                monitorName: ServedMonitor)
            .UseMLNetPredictions(services => services.GetRequiredKeyedService<ModelMonitor>(ServedMonitor), input => input.Id)
            .UseCache(input => (input.SepalLength, input.SepalWidth, input.PetalLength, input.PetalWidth), o =>
            {
                o.Capacity = cache.Capacity;
                o.TimeToLive = cache.TimeToLive;
            })
            .UseMetrics(o =>
            {
                o.ModelName = InferenceModelName;
                o.ModelVersion = configuration[$"ModelMetrics:Models:{ServedMonitor}:ModelVersion"];
            });

        // Rules judged every 5 seconds, reported at /health: errors of the served model, and its accuracy once 100
        // labels are in over the minute.
        builder.Services.AddModelRuleSet(o =>
        {
            o.EvaluationInterval = TimeSpan.FromSeconds(5);
            o.Rules =
            [
                new ModelRule { Name = "errors", ModelName = ServedMonitor, Signal = ModelSignal.ErrorRatio, Warning = 0.01, Critical = 0.1, MinSamples = 10 },
                new ModelRule { Name = "accuracy", ModelName = ServedMonitor, Signal = ModelSignal.Accuracy, Direction = RuleDirection.Below, Warning = 0.9, Critical = 0.8, MinSamples = 100 },
            ];
        });
        builder.Services.AddHealthChecks().AddModelRules();

        // Export: Prometheus scrapes /metrics; OTLP when Otlp:Endpoint is set (off by default).
        string? otlp = configuration["Otlp:Endpoint"];
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService("modelmetrics-webservice"))
            .WithMetrics(metrics =>
            {
                metrics.AddModelMetrics().AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
                if (!string.IsNullOrWhiteSpace(otlp))
                {
                    metrics.AddOtlpExporter(o => o.Endpoint = new Uri(otlp));
                }
            });

        WebApplication app = builder.Build();
        app.MapPost("/predict", Predict);
        app.MapPost("/labels", Label);
        app.MapPrometheusScrapingEndpoint();
        app.MapHealthChecks("/health");
        app.MapModelMetricsReport("/modelmetrics");
        return app;
    }

    private static PredictResponse Predict(PredictRequest request, IPredictor<IrisInput, IrisOutput> predictor, IrisModel model)
    {
        var input = new IrisInput
        {
            SepalLength = request.SepalLength,
            SepalWidth = request.SepalWidth,
            PetalLength = request.PetalLength,
            PetalWidth = request.PetalWidth,
            Id = Guid.NewGuid().ToString("N"),
        };
        IrisOutput output = predictor.Predict(input);
        var probabilities = new Dictionary<string, float>(model.Classes.Count);
        for (int i = 0; i < model.Classes.Count && i < output.Score.Length; i++)
        {
            probabilities[model.Classes[i]] = output.Score[i];
        }

        // ML.NET keys count from 1.
        return new PredictResponse(input.Id, model.Classes[(int)output.PredictedLabel - 1], probabilities);
    }

    private static IResult Label(LabelRequest request, [FromKeyedServices(ServedMonitor)] ModelMonitor monitor)
    {
        if (string.IsNullOrEmpty(request.Id) || monitor.GetLabelIndex(request.Label ?? string.Empty) < 0)
        {
            return Results.BadRequest(new LabelResponse(false, $"a label needs an id and one of: {string.Join(", ", monitor.ClassLabels)}"));
        }

        // False for an unknown, expired or already labelled id: the monitor counts which (model.labels{model.label.result}).
        return monitor.RecordLabel(request.Id, request.Label!)
            ? Results.Ok(new LabelResponse(true, null))
            : Results.NotFound(new LabelResponse(false, "no prediction waits for a label with this id"));
    }

    /// <summary>The output cache's settings (appsettings.json, section Cache).</summary>
    private sealed class CacheSettings
    {
        public int Capacity { get; set; } = 10_000;

        public TimeSpan TimeToLive { get; set; } = TimeSpan.FromMinutes(5);
    }
}
