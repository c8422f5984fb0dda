// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ModelMetrics.Benchmarks;

/// <summary>
/// The peer: what a decorator built on plain System.Diagnostics.Metrics instruments does per call (the
/// pattern of Microsoft.Extensions.AI's <c>OpenTelemetryChatClient</c>): a timestamp before and after,
/// then <see cref="Histogram{T}.Record(T, in TagList)"/> of the seconds and <see cref="Counter{T}.Add(T, in TagList)"/>
/// of one call, both with <c>model.name</c> and <c>model.version</c> (plus <c>error.type</c> on failure). The
/// aggregation then happens in whichever listener is attached (the OpenTelemetry SDK here).
/// </summary>
internal sealed class OpenTelemetryInstrumentPredictor<TInput, TOutput> : DelegatingPredictor<TInput, TOutput>
{
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _calls;
    private readonly string _modelName;
    private readonly string _modelVersion;

    public OpenTelemetryInstrumentPredictor(IPredictor<TInput, TOutput> innerPredictor, Meter meter, string modelName, string modelVersion)
        : base(innerPredictor)
    {
        _duration = meter.CreateHistogram<double>("model.inference.duration", "s", "Duration of model inference calls.");
        _calls = meter.CreateCounter<long>("model.inference.calls", "{call}", "Completed inference calls.");
        _modelName = modelName;
        _modelVersion = modelVersion;
    }

    public override TOutput Predict(TInput input)
    {
        // As OpenTelemetryChatClient does: time only when someone listens.
        long start = _duration.Enabled ? Stopwatch.GetTimestamp() : 0;
        TOutput output;
        try
        {
            output = InnerPredictor.Predict(input);
        }
        catch (Exception exception)
        {
            Record(start, exception.GetType().FullName);
            throw;
        }

        Record(start, errorType: null);
        return output;
    }

    private void Record(long start, string? errorType)
    {
        // A TagList of up to 8 tags lives on the stack: no allocation.
        var tags = new TagList
        {
            { "model.name", _modelName },
            { "model.version", _modelVersion },
        };
        if (errorType is not null)
        {
            tags.Add("error.type", errorType);
        }

        if (_duration.Enabled)
        {
            _duration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds, tags);
        }

        _calls.Add(1, tags);
    }
}
