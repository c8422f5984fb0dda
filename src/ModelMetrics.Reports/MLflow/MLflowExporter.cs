// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using ModelMetrics.Reports.Diagnostics;
using ModelMetrics.Reports.MLflow;

namespace ModelMetrics.Reports;

/// <summary>
/// Logs every monitor's figures to an MLflow tracking server over its REST API, on an interval: one run per model
/// version (in <see cref="MLflowExporterOptions.ExperimentName"/>, created if missing), so that production metrics sit
/// beside the training runs.
/// </summary>
/// <remarks>
/// <para>Each export logs the same scalars as the TensorBoard exporter (latency quantiles in ms, error ratio, calls per
/// second, accuracy, F1 and more, per window and since start) through <c>runs/log-batch</c>, split to stay within
/// MLflow's limits (1,000 metrics and 1 MB per request); the step counts the run's exports from 0, the timestamp is the
/// export's time. A run is tagged <c>modelmetrics.model.name</c> and <c>modelmetrics.model.version</c>; it is marked
/// <c>FINISHED</c> when its monitor leaves the registry and by <see cref="DisposeAsync"/>.</para>
/// <para>Requests answered 429 or 5xx, timed out or not connected are retried with exponential backoff
/// (<see cref="MLflowExporterOptions.MaxAttempts"/>). An export that still fails is dropped and reported through the
/// <c>ModelMetrics.Reports</c> EventSource, never thrown: the next export logs fresh figures (a gap in the charts, no
/// backlog in memory). Thread-safe; exports never overlap.</para>
/// </remarks>
public sealed class MLflowExporter : IDisposable, IAsyncDisposable
{
    private const string Name = "MLflow";

    private readonly MLflowExporterOptions _options;
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly MLflowClient _client;
    private readonly PeriodicExport _timer;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<(string Name, string? Version), Run> _runs = [];
    private string? _experimentId;
    private int _disposed;

    /// <summary>Initializes an exporter that logs every <see cref="MLflowExporterOptions.Interval"/>.</summary>
    /// <param name="options">The server, experiment, interval and retry policy (copied).</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is invalid; <see cref="ArgumentException.ParamName"/> names it.</exception>
    public MLflowExporter(MLflowExporterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validated();
        _ownsHttp = _options.HttpClient is null;
        // Note: each request has its own timeout (RequestTimeout); the client's own is lifted so it never cuts a retry short.
        _http = _options.HttpClient ?? new HttpClient { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        _client = new MLflowClient(_http, _options);
        _timer = new PeriodicExport(Name, _options.TimeProvider, _options.Interval, ExportCoreAsync);
    }

    /// <summary>Logs every monitor's figures now (what the timer does every interval). Never throws: failures are reported through the EventSource.</summary>
    /// <param name="cancellationToken">Cancels the export (and its retries).</param>
    /// <returns>A task that completes when the export succeeded or was given up.</returns>
    public async Task ExportAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await ExportCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            ReportsEventSource.Log.ExportFailed(Name, e);
        }
    }

    /// <summary>Stops the timer without a last export (use <see cref="DisposeAsync"/> to log the last figures and finish the runs).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _timer.Dispose();
            if (_ownsHttp)
            {
                _http.Dispose();
            }
        }
    }

    /// <summary>Stops the timer, logs the last figures and marks every run <c>FINISHED</c> (each request within its timeout and retries); never throws.</summary>
    /// <returns>A task that completes when done.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _timer.Dispose();
        try
        {
            await ExportAsync().ConfigureAwait(false);
            await _gate.WaitAsync().ConfigureAwait(false);
            try
            {
                long now = _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
                foreach (Run run in _runs.Values)
                {
                    await FinishAsync(run, now).ConfigureAwait(false);
                }

                _runs.Clear();
            }
            finally
            {
                _gate.Release();
            }
        }
        finally
        {
            if (_ownsHttp)
            {
                _http.Dispose();
            }
        }
    }

    private async Task FinishAsync(Run run, long now)
    {
        try
        {
            await _client.FinishRunAsync(run.Id, now, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception e) when (e is MLflowException or HttpRequestException or OperationCanceledException)
        {
            ReportsEventSource.Log.ExportFailed(Name, e);
        }
    }

    private async Task ExportCoreAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _experimentId ??= await _client.GetOrCreateExperimentAsync(_options.ExperimentName, cancellationToken).ConfigureAwait(false);
            long now = _options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
            var seen = new HashSet<(string, string?)>();
            Exception? failure = null;
            foreach (ModelMonitor monitor in _options.Registry.Monitors)
            {
                (string, string?) key = (monitor.ModelName, monitor.ModelVersion);
                if (!seen.Add(key))
                {
                    continue; // two monitors of one model version (different meters): the first one's run
                }

                try
                {
                    if (!_runs.TryGetValue(key, out Run? run))
                    {
                        string runName = monitor.ModelVersion is null ? monitor.ModelName : monitor.ModelName + " " + monitor.ModelVersion;
                        var tags = new List<KeyValuePair<string, string>>
                        {
                            new("modelmetrics.model.name", monitor.ModelName),
                            new("modelmetrics.model.version", monitor.ModelVersion ?? string.Empty),
                            new("mlflow.source.name", "ModelMetrics"),
                        };
                        run = new Run(await _client.CreateRunAsync(_experimentId, runName, now, tags, cancellationToken).ConfigureAwait(false));
                        _runs.Add(key, run);
                    }

                    List<KeyValuePair<string, double>> scalars = Scalars.Collect(monitor.GetSnapshot());
                    var metrics = new List<MLflowMetric>(scalars.Count);
                    foreach (KeyValuePair<string, double> scalar in scalars)
                    {
                        metrics.Add(new MLflowMetric(scalar.Key, scalar.Value, now, run.Step));
                    }

                    await _client.LogMetricsAsync(run.Id, metrics, cancellationToken).ConfigureAwait(false);
                    run.Step++;
                }
                catch (Exception e) when (e is MLflowException or HttpRequestException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    // A rejected request (4xx) concerns one model: the others still log. A server that cannot be
                    // reached or keeps failing (after the retries) is not asked again until the next export.
                    failure ??= e;
                    if (e is not MLflowException { Status: >= System.Net.HttpStatusCode.BadRequest and < System.Net.HttpStatusCode.InternalServerError and not System.Net.HttpStatusCode.TooManyRequests })
                    {
                        break;
                    }
                }
            }

            foreach ((string, string?) gone in new List<(string, string?)>(_runs.Keys))
            {
                // After a failed export, monitors not reached yet are not "gone": only those missing from the registry.
                if (_options.Registry.Find(gone.Item1, gone.Item2) is null)
                {
                    _runs.Remove(gone, out Run? run);
                    await FinishAsync(run!, now).ConfigureAwait(false);
                }
            }

            if (failure is not null)
            {
                throw new MLflowException("An export to MLflow failed: " + failure.Message, failure);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private sealed class Run
    {
        public Run(string id) => Id = id;

        public string Id { get; }

        public long Step { get; set; }

        public override string ToString() => Id + " @" + Step.ToString(CultureInfo.InvariantCulture);
    }
}
