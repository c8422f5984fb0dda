// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics;
using Prometheus;

namespace ModelMetrics.Benchmarks;

/// <summary>
/// The prometheus-net peer: a decorator that observes each call's seconds in a <see cref="Histogram"/>
/// labelled <c>model_name</c> and <c>model_version</c> (with ModelMetrics' default bucket boundaries) and
/// counts the call in a <see cref="Counter"/> labelled with the outcome too, as prometheus-net's users
/// write one. The label values are either bound once (children kept in fields, what prometheus-net
/// advises for hot paths) or looked up with <c>WithLabels</c> on every call (what most code does).
/// </summary>
/// <remarks>
/// The instruments live in the registry behind <paramref name="metrics"/>: give each decorator its own
/// (<c>Metrics.WithCustomRegistry(Metrics.NewCustomRegistry())</c>), so that nothing else is collected
/// or exported with them.
/// </remarks>
internal sealed class PrometheusPredictor<TInput, TOutput> : DelegatingPredictor<TInput, TOutput>
{
    private const string Succeeded = "success";
    private const string Failed = "error";

    private readonly Histogram _duration;
    private readonly Counter _calls;
    private readonly string _modelName;
    private readonly string _modelVersion;
    private readonly bool _bindLabelsOnce;
    private readonly Histogram.Child _boundDuration;
    private readonly Counter.Child _boundSucceeded;
    private readonly Counter.Child _boundFailed;

    public PrometheusPredictor(IPredictor<TInput, TOutput> innerPredictor, IMetricFactory metrics, string modelName, string modelVersion, bool bindLabelsOnce)
        : base(innerPredictor)
    {
        _duration = metrics.CreateHistogram(
            "model_inference_duration_seconds",
            "Duration of model inference calls.",
            ["model_name", "model_version"],
            new HistogramConfiguration { Buckets = [.. ModelMonitorOptions.DefaultBucketBoundaries] });
        _calls = metrics.CreateCounter("model_inference_calls_total", "Completed inference calls.", ["model_name", "model_version", "outcome"]);
        _modelName = modelName;
        _modelVersion = modelVersion;
        _bindLabelsOnce = bindLabelsOnce;
        _boundDuration = _duration.WithLabels(modelName, modelVersion);
        _boundSucceeded = _calls.WithLabels(modelName, modelVersion, Succeeded);
        _boundFailed = _calls.WithLabels(modelName, modelVersion, Failed);
    }

    public override TOutput Predict(TInput input)
    {
        long start = Stopwatch.GetTimestamp();
        TOutput output;
        try
        {
            output = InnerPredictor.Predict(input);
        }
        catch (Exception)
        {
            Record(start, Failed);
            throw;
        }

        Record(start, Succeeded);
        return output;
    }

    private void Record(long start, string outcome)
    {
        double seconds = (Stopwatch.GetTimestamp() - start) / (double)Stopwatch.Frequency;
        if (_bindLabelsOnce)
        {
            _boundDuration.Observe(seconds);
            (ReferenceEquals(outcome, Succeeded) ? _boundSucceeded : _boundFailed).Inc();
        }
        else
        {
            // Each WithLabels builds a params array and looks the child up by its label values.
            _duration.WithLabels(_modelName, _modelVersion).Observe(seconds);
            _calls.WithLabels(_modelName, _modelVersion, outcome).Inc();
        }
    }
}
