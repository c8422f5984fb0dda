// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ModelMetrics.Reports.Tests.MLflow;

/// <summary>
/// An MLflow tracking server on loopback, written from the MLflow REST API reference (API 2.0) for the calls the
/// exporter makes: experiments/get-by-name, experiments/create, runs/create, runs/log-batch (its limits: 1,000 metrics,
/// 100 params, 100 tags, 1,000 entities and 1 MB per request; key, value, timestamp required, step defaulting to 0),
/// runs/update and metrics/get-history. Errors have MLflow's shape: <c>{"error_code": …, "message": …}</c>.
/// Faults can be injected: answers with a status (429, 503), or connections dropped while <see cref="Down"/>.
/// </summary>
internal sealed class FakeMLflowServer : IAsyncDisposable
{
    private const int MaxPayloadBytes = 1024 * 1024;

    private readonly WebApplication _app;
    private readonly object _gate = new();
    private readonly Dictionary<string, string> _experiments = new(StringComparer.Ordinal); // name → id
    private readonly ConcurrentQueue<int> _failNext = new();
    private int _nextId;

    private FakeMLflowServer(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    public Dictionary<string, FakeRun> Runs { get; } = new(StringComparer.Ordinal);

    /// <summary>Every request answered (or dropped): path, status (0 when dropped), metrics in it, bytes.</summary>
    public ConcurrentQueue<(string Path, int Status, int Metrics, int Bytes)> Requests { get; } = new();

    /// <summary>Gets or sets whether every connection is dropped without an answer (an outage).</summary>
    public bool Down { get; set; }

    /// <summary>Gets or sets a metric key the server rejects as INVALID_PARAMETER_VALUE.</summary>
    public string? RejectedKey { get; set; }

    public static async Task<FakeMLflowServer> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        WebApplication app = builder.Build();
        var server = new FakeMLflowServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
        return server;
    }

    /// <summary>The next <paramref name="statuses"/> requests are answered with these statuses (before any other check).</summary>
    public void FailNext(params int[] statuses)
    {
        foreach (int status in statuses)
        {
            _failNext.Enqueue(status);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static Answer Error(int status, string code, string message) => new(status, w =>
    {
        w.WriteString("error_code", code);
        w.WriteString("message", message);
    });

    private static Answer Invalid(string message) => Error(400, "INVALID_PARAMETER_VALUE", message);

    private async Task HandleAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? string.Empty;
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        if (Down)
        {
            Requests.Enqueue((path, 0, 0, (int)body.Length));
            context.Abort();
            return;
        }

        Answer answer;
        int metrics = 0;
        if (_failNext.TryDequeue(out int failure))
        {
            if (failure == 429)
            {
                context.Response.Headers.RetryAfter = "0";
            }

            answer = Error(failure, failure == 429 ? "RESOURCE_EXHAUSTED" : "TEMPORARILY_UNAVAILABLE", "injected failure");
        }
        else
        {
            try
            {
                (answer, metrics) = Route(context.Request.Method, path, context.Request.Query, body.ToArray());
            }
            catch (JsonException e)
            {
                answer = Error(400, "MALFORMED_REQUEST", e.Message);
            }
        }

        Requests.Enqueue((path, answer.Status, metrics, (int)body.Length));
        context.Response.StatusCode = answer.Status;
        context.Response.ContentType = "application/json";
        using var output = new MemoryStream();
        using (var writer = new Utf8JsonWriter(output))
        {
            writer.WriteStartObject();
            answer.Write(writer);
            writer.WriteEndObject();
        }

        await context.Response.Body.WriteAsync(output.ToArray());
    }

    private (Answer Answer, int Metrics) Route(string method, string path, IQueryCollection query, byte[] body)
    {
        const string Prefix = "/api/2.0/mlflow/";
        if (!path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return (Error(404, "ENDPOINT_NOT_FOUND", "no such endpoint " + path), 0);
        }

        string endpoint = path[Prefix.Length..];
        if (method == "GET")
        {
            return endpoint switch
            {
                "experiments/get-by-name" => (GetExperimentByName(query["experiment_name"].ToString()), 0),
                "metrics/get-history" => (GetHistory(query["run_id"].ToString(), query["metric_key"].ToString()), 0),
                _ => (Error(404, "ENDPOINT_NOT_FOUND", "no such endpoint " + path), 0),
            };
        }

        if (body.Length > MaxPayloadBytes)
        {
            return (Invalid($"Request payload of {body.Length} bytes exceeds the limit of {MaxPayloadBytes} bytes."), 0);
        }

        using JsonDocument json = JsonDocument.Parse(body);
        JsonElement root = json.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (Error(400, "MALFORMED_REQUEST", "the request body must be a JSON object"), 0);
        }

        return endpoint switch
        {
            "experiments/create" => (CreateExperiment(root), 0),
            "runs/create" => (CreateRun(root), 0),
            "runs/log-batch" => LogBatch(root),
            "runs/update" => (UpdateRun(root), 0),
            _ => (Error(404, "ENDPOINT_NOT_FOUND", "no such endpoint " + path), 0),
        };
    }

    private static string? String(JsonElement root, string name, out Answer? error)
    {
        error = null;
        if (!root.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            error = Invalid($"Missing value for required parameter '{name}'.");
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            error = Invalid($"Invalid value {value.GetRawText()} for parameter '{name}' supplied: must be a string.");
            return null;
        }

        return value.GetString();
    }

    private static long? Int64(JsonElement root, string name, bool required, out Answer? error)
    {
        error = null;
        if (!root.TryGetProperty(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                error = Invalid($"Missing value for required parameter '{name}'.");
            }

            return null;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long result))
        {
            error = Invalid($"Invalid value {value.GetRawText()} for parameter '{name}' supplied: must be an int64.");
            return null;
        }

        return result;
    }

    private Answer GetExperimentByName(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return Invalid("Missing value for required parameter 'experiment_name'.");
        }

        lock (_gate)
        {
            if (!_experiments.TryGetValue(name, out string? id))
            {
                return Error(404, "RESOURCE_DOES_NOT_EXIST", $"Could not find experiment with name '{name}'");
            }

            return new Answer(200, w =>
            {
                w.WriteStartObject("experiment");
                w.WriteString("experiment_id", id);
                w.WriteString("name", name);
                w.WriteString("lifecycle_stage", "active");
                w.WriteEndObject();
            });
        }
    }

    private Answer CreateExperiment(JsonElement root)
    {
        string? name = String(root, "name", out Answer? error);
        if (error is not null)
        {
            return error;
        }

        lock (_gate)
        {
            if (_experiments.ContainsKey(name!))
            {
                return Error(400, "RESOURCE_ALREADY_EXISTS", $"Experiment '{name}' already exists.");
            }

            string id = (++_nextId).ToString(CultureInfo.InvariantCulture);
            _experiments.Add(name!, id);
            return new Answer(200, w => w.WriteString("experiment_id", id));
        }
    }

    private Answer CreateRun(JsonElement root)
    {
        string? experiment = String(root, "experiment_id", out Answer? error);
        if (error is not null)
        {
            return error;
        }

        long? start = Int64(root, "start_time", required: false, out error);
        if (error is not null)
        {
            return error;
        }

        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty("tags", out JsonElement tagArray))
        {
            foreach (JsonElement tag in tagArray.EnumerateArray())
            {
                string? key = String(tag, "key", out error);
                string? value = error is null ? String(tag, "value", out error) : null;
                if (error is not null)
                {
                    return error;
                }

                tags[key!] = value!;
            }
        }

        string? runName = root.TryGetProperty("run_name", out JsonElement n) ? n.GetString() : null;
        lock (_gate)
        {
            if (!_experiments.ContainsValue(experiment!))
            {
                return Error(404, "RESOURCE_DOES_NOT_EXIST", $"No Experiment with id={experiment} exists");
            }

            string id = Guid.NewGuid().ToString("N");
            var run = new FakeRun(id, experiment!, runName ?? id, start ?? 0, tags);
            Runs.Add(id, run);
            return new Answer(200, w =>
            {
                w.WriteStartObject("run");
                w.WriteStartObject("info");
                w.WriteString("run_id", id);
                w.WriteString("run_uuid", id);
                w.WriteString("experiment_id", experiment);
                w.WriteString("run_name", run.Name);
                w.WriteString("status", run.Status);
                w.WriteNumber("start_time", run.StartTime);
                w.WriteString("lifecycle_stage", "active");
                w.WriteEndObject();
                w.WriteStartObject("data");
                w.WriteEndObject();
                w.WriteEndObject();
            });
        }
    }

    private (Answer, int) LogBatch(JsonElement root)
    {
        string? runId = String(root, "run_id", out Answer? error);
        if (error is not null)
        {
            return (error, 0);
        }

        JsonElement[] metrics = root.TryGetProperty("metrics", out JsonElement m) ? m.EnumerateArray().ToArray() : [];
        int parameters = root.TryGetProperty("params", out JsonElement p) ? p.GetArrayLength() : 0;
        int tags = root.TryGetProperty("tags", out JsonElement t) ? t.GetArrayLength() : 0;
        if (metrics.Length > 1000)
        {
            return (Invalid($"A batch logging request can contain at most 1000 metrics. Got {metrics.Length} metrics."), metrics.Length);
        }

        if (parameters > 100 || tags > 100 || metrics.Length + parameters + tags > 1000)
        {
            return (Invalid("A batch logging request can contain at most 1000 metrics, params and tags in total, 100 params and 100 tags."), metrics.Length);
        }

        var points = new List<(string Key, double Value, long Timestamp, long Step)>();
        foreach (JsonElement metric in metrics)
        {
            string? key = String(metric, "key", out error);
            if (error is not null)
            {
                return (error, metrics.Length);
            }

            if (key!.Length > 250 || key == RejectedKey)
            {
                return (Invalid($"Invalid metric name: '{key}'."), metrics.Length);
            }

            if (!metric.TryGetProperty("value", out JsonElement value) || value.ValueKind != JsonValueKind.Number)
            {
                return (Invalid($"Invalid value for metric '{key}': must be a double."), metrics.Length);
            }

            long? timestamp = Int64(metric, "timestamp", required: true, out error);
            long? step = error is null ? Int64(metric, "step", required: false, out error) : null;
            if (error is not null)
            {
                return (error, metrics.Length);
            }

            points.Add((key, value.GetDouble(), timestamp!.Value, step ?? 0));
        }

        lock (_gate)
        {
            if (!Runs.TryGetValue(runId!, out FakeRun? run))
            {
                return (Error(404, "RESOURCE_DOES_NOT_EXIST", $"Run '{runId}' not found"), metrics.Length);
            }

            foreach ((string key, double value, long timestamp, long step) in points)
            {
                if (!run.Metrics.TryGetValue(key, out List<(double, long, long)>? history))
                {
                    run.Metrics[key] = history = [];
                }

                history.Add((value, timestamp, step));
            }
        }

        return (new Answer(200, _ => { }), metrics.Length);
    }

    private Answer UpdateRun(JsonElement root)
    {
        string? runId = String(root, "run_id", out Answer? error);
        if (error is not null)
        {
            return error;
        }

        string? status = root.TryGetProperty("status", out JsonElement s) ? s.GetString() : null;
        if (status is not null && status is not ("RUNNING" or "SCHEDULED" or "FINISHED" or "FAILED" or "KILLED"))
        {
            return Invalid($"Invalid value '{status}' for parameter 'status'.");
        }

        long? end = Int64(root, "end_time", required: false, out error);
        if (error is not null)
        {
            return error;
        }

        lock (_gate)
        {
            if (!Runs.TryGetValue(runId!, out FakeRun? run))
            {
                return Error(404, "RESOURCE_DOES_NOT_EXIST", $"Run '{runId}' not found");
            }

            run.Status = status ?? run.Status;
            run.EndTime = end ?? run.EndTime;
            return new Answer(200, w =>
            {
                w.WriteStartObject("run_info");
                w.WriteString("run_id", run.Id);
                w.WriteString("status", run.Status);
                w.WriteEndObject();
            });
        }
    }

    private Answer GetHistory(string runId, string key)
    {
        lock (_gate)
        {
            if (!Runs.TryGetValue(runId, out FakeRun? run))
            {
                return Error(404, "RESOURCE_DOES_NOT_EXIST", $"Run '{runId}' not found");
            }

            List<(double Value, long Timestamp, long Step)> history = run.Metrics.GetValueOrDefault(key) ?? [];
            return new Answer(200, w =>
            {
                w.WriteStartArray("metrics");
                foreach ((double value, long timestamp, long step) in history)
                {
                    w.WriteStartObject();
                    w.WriteString("key", key);
                    w.WriteNumber("value", value);
                    w.WriteNumber("timestamp", timestamp);
                    w.WriteNumber("step", step);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            });
        }
    }

    private sealed record Answer(int Status, Action<Utf8JsonWriter> Write);
}

internal sealed class FakeRun
{
    public FakeRun(string id, string experimentId, string name, long startTime, Dictionary<string, string> tags)
    {
        Id = id;
        ExperimentId = experimentId;
        Name = name;
        StartTime = startTime;
        Tags = tags;
    }

    public string Id { get; }

    public string ExperimentId { get; }

    public string Name { get; }

    public long StartTime { get; }

    public Dictionary<string, string> Tags { get; }

    public string Status { get; set; } = "RUNNING";

    public long? EndTime { get; set; }

    public Dictionary<string, List<(double Value, long Timestamp, long Step)>> Metrics { get; } = new(StringComparer.Ordinal);
}
