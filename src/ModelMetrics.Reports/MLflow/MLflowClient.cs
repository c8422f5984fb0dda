// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using ModelMetrics.Reports.Diagnostics;

namespace ModelMetrics.Reports.MLflow;

/// <summary>One metric point of <c>runs/log-batch</c>.</summary>
internal readonly record struct MLflowMetric(string Key, double Value, long Timestamp, long Step);

/// <summary>The error MLflow answered: its <c>error_code</c> (such as <c>INVALID_PARAMETER_VALUE</c>) and message.</summary>
internal sealed class MLflowException : Exception
{
    public MLflowException(HttpStatusCode status, string errorCode, string message)
        : base($"{(int)status} {errorCode}: {message}")
    {
        Status = status;
        ErrorCode = errorCode;
    }

    public MLflowException()
    {
        ErrorCode = string.Empty;
    }

    public MLflowException(string message)
        : base(message)
    {
        ErrorCode = string.Empty;
    }

    public MLflowException(string message, Exception innerException)
        : base(message, innerException)
    {
        ErrorCode = string.Empty;
    }

    public HttpStatusCode Status { get; }

    public string ErrorCode { get; }
}

/// <summary>
/// The MLflow tracking REST API calls the exporter needs (after the MLflow REST API reference, API 2.0), with JSON
/// written by <see cref="Utf8JsonWriter"/> and read by <see cref="JsonDocument"/>, and retries with exponential backoff
/// on 429, 5xx, timeouts and connection failures.
/// </summary>
internal sealed class MLflowClient
{
    /// <summary>runs/log-batch takes at most 1,000 metrics per request.</summary>
    public const int MaxMetricsPerBatch = 1000;

    /// <summary>runs/log-batch takes at most 1 MB of request; 1,000,000 bytes leaves room for the server's own count.</summary>
    public const int MaxBatchBytes = 1_000_000;

    private const string Exporter = "MLflow";

    private readonly HttpClient _http;
    private readonly Uri _api;
    private readonly MLflowExporterOptions _options;

    public MLflowClient(HttpClient http, MLflowExporterOptions options)
    {
        _http = http;
        _options = options;
        string root = options.TrackingUri!.AbsoluteUri;
        _api = new Uri(root.EndsWith('/') ? root + "api/2.0/mlflow/" : root + "/api/2.0/mlflow/");
    }

    /// <summary>The experiment's id, created if it does not exist.</summary>
    public async Task<string> GetOrCreateExperimentAsync(string name, CancellationToken cancellationToken)
    {
        for (int round = 0; ; round++)
        {
            try
            {
                using JsonDocument found = await SendAsync(HttpMethod.Get, "experiments/get-by-name?experiment_name=" + Uri.EscapeDataString(name), null, cancellationToken).ConfigureAwait(false);
                return found.RootElement.GetProperty("experiment").GetProperty("experiment_id").GetString()!;
            }
            catch (MLflowException e) when (e.ErrorCode == "RESOURCE_DOES_NOT_EXIST")
            {
            }

            try
            {
                using JsonDocument created = await SendAsync(HttpMethod.Post, "experiments/create", Json(w => w.WriteString("name", name)), cancellationToken).ConfigureAwait(false);
                return created.RootElement.GetProperty("experiment_id").GetString()!;
            }
            catch (MLflowException e) when (e.ErrorCode == "RESOURCE_ALREADY_EXISTS" && round == 0)
            {
                // Another replica created it between our two calls: read it again.
            }
        }
    }

    public async Task<string> CreateRunAsync(string experimentId, string runName, long startTime, IReadOnlyList<KeyValuePair<string, string>> tags, CancellationToken cancellationToken)
    {
        byte[] body = Json(w =>
        {
            w.WriteString("experiment_id", experimentId);
            w.WriteString("run_name", runName);
            w.WriteNumber("start_time", startTime);
            w.WriteStartArray("tags");
            foreach (KeyValuePair<string, string> tag in tags)
            {
                w.WriteStartObject();
                w.WriteString("key", tag.Key);
                w.WriteString("value", tag.Value);
                w.WriteEndObject();
            }

            w.WriteEndArray();
        });
        using JsonDocument created = await SendAsync(HttpMethod.Post, "runs/create", body, cancellationToken).ConfigureAwait(false);
        return created.RootElement.GetProperty("run").GetProperty("info").GetProperty("run_id").GetString()!;
    }

    /// <summary>Logs <paramref name="metrics"/> in as many requests as the limits need; returns how many requests were sent.</summary>
    public async Task<int> LogMetricsAsync(string runId, IReadOnlyList<MLflowMetric> metrics, CancellationToken cancellationToken)
    {
        int requests = 0;
        foreach (byte[] body in Batches(runId, metrics, MaxMetricsPerBatch, MaxBatchBytes))
        {
            using JsonDocument _ = await SendAsync(HttpMethod.Post, "runs/log-batch", body, cancellationToken).ConfigureAwait(false);
            requests++;
        }

        return requests;
    }

    public async Task FinishRunAsync(string runId, long endTime, CancellationToken cancellationToken)
    {
        byte[] body = Json(w =>
        {
            w.WriteString("run_id", runId);
            w.WriteString("status", "FINISHED");
            w.WriteNumber("end_time", endTime);
        });
        using JsonDocument _ = await SendAsync(HttpMethod.Post, "runs/update", body, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The log-batch request bodies for <paramref name="metrics"/>: each with at most <paramref name="maxCount"/> metrics
    /// and at most <paramref name="maxBytes"/> bytes (a single metric larger than that still goes alone; the server judges it).
    /// </summary>
    internal static List<byte[]> Batches(string runId, IReadOnlyList<MLflowMetric> metrics, int maxCount, int maxBytes)
    {
        var bodies = new List<byte[]>();
        var buffer = new MemoryStream();
        var metric = new MemoryStream();
        int count = 0;
        int envelope = Json(w => w.WriteString("run_id", runId)).Length + 16; // {"run_id":"…","metrics":[]}
        void Flush()
        {
            if (count == 0)
            {
                return;
            }

            var body = new MemoryStream();
            body.Write("{\"run_id\":"u8);
            using (var w = new Utf8JsonWriter(body))
            {
                w.WriteStringValue(runId);
            }

            body.Write(",\"metrics\":["u8);
            body.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
            body.Write("]}"u8);
            bodies.Add(body.ToArray());
            buffer.SetLength(0);
            count = 0;
        }

        foreach (MLflowMetric m in metrics)
        {
            metric.SetLength(0);
            using (var w = new Utf8JsonWriter(metric))
            {
                w.WriteStartObject();
                w.WriteString("key", m.Key);
                w.WriteNumber("value", m.Value);
                w.WriteNumber("timestamp", m.Timestamp);
                w.WriteNumber("step", m.Step);
                w.WriteEndObject();
            }

            if (count == maxCount || (count > 0 && envelope + buffer.Length + 1 + metric.Length > maxBytes))
            {
                Flush();
            }

            if (count > 0)
            {
                buffer.WriteByte((byte)',');
            }

            buffer.Write(metric.GetBuffer(), 0, (int)metric.Length);
            count++;
        }

        Flush();
        return bodies;
    }

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return stream.ToArray();
    }

    private static bool Retryable(HttpStatusCode status) => status == HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>Sends a request, retrying 429, 5xx, timeouts and connection failures; answers the response's JSON or throws what the last attempt met.</summary>
    private async Task<JsonDocument> SendAsync(HttpMethod method, string path, byte[]? body, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            TimeSpan? retryAfter = null;
            string outcome;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.RequestTimeout);
            try
            {
                using var request = new HttpRequestMessage(method, new Uri(_api, path));
                if (body is not null)
                {
                    request.Content = new ByteArrayContent(body);
                    request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                }

                using HttpResponseMessage response = await _http.SendAsync(request, timeout.Token).ConfigureAwait(false);
                byte[] text = await response.Content.ReadAsByteArrayAsync(timeout.Token).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    return JsonDocument.Parse(text.Length == 0 ? "{}"u8.ToArray() : text);
                }

                MLflowException error = Error(response.StatusCode, text);
                if (!Retryable(response.StatusCode) || attempt >= _options.MaxAttempts)
                {
                    throw error;
                }

                outcome = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
                retryAfter = response.Headers.RetryAfter?.Delta;
            }
            catch (HttpRequestException e) when (attempt < _options.MaxAttempts)
            {
                outcome = e.HttpRequestError.ToString();
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && attempt < _options.MaxAttempts)
            {
                outcome = "timeout";
            }

            TimeSpan delay = retryAfter is { } after && after > TimeSpan.Zero
                ? (after < TimeSpan.FromMinutes(1) ? after : TimeSpan.FromMinutes(1))
                : _options.RetryDelay * Math.Pow(2, attempt - 1);
            ReportsEventSource.Log.RequestRetried(Exporter, path, outcome, attempt, (long)delay.TotalMilliseconds);
            await Task.Delay(delay, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    private static MLflowException Error(HttpStatusCode status, byte[] text)
    {
        try
        {
            using JsonDocument json = JsonDocument.Parse(text);
            string code = json.RootElement.TryGetProperty("error_code", out JsonElement c) ? c.GetString() ?? string.Empty : string.Empty;
            string message = json.RootElement.TryGetProperty("message", out JsonElement m) ? m.GetString() ?? string.Empty : string.Empty;
            return new MLflowException(status, code, message);
        }
        catch (JsonException)
        {
            return new MLflowException(status, string.Empty, Encoding.UTF8.GetString(text, 0, Math.Min(text.Length, 200)));
        }
    }
}
