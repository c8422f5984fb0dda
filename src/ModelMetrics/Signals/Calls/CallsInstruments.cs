// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Collections.Generic;
using System.Diagnostics.Metrics;
using ModelMetrics.Publishing;

namespace ModelMetrics.Signals;

/// <summary>The instruments of the calls signal: names, units and descriptions together, and what each reports.</summary>
internal sealed class CallsInstruments : SignalInstruments
{
    public const string Duration = "model.inference.duration";
    public const string TimeToFirstChunk = "model.inference.time_to_first_chunk";

    public static readonly InstrumentInfo Calls = new("model.inference.calls", "{call}", "Completed inference calls; failed ones carry error.type.");
    public static readonly InstrumentInfo Items = new("model.inference.items", "{item}", "Items predicted: one per call, n per batch call.");
    public static readonly InstrumentInfo ActiveCalls = new("model.inference.active_calls", "{call}", "Inference calls in flight.");
    public static readonly InstrumentInfo Chunks = new("model.inference.chunks", "{chunk}", "Chunks produced by streamed calls.");
    public static readonly InstrumentInfo Rejected = new("model.metrics.rejected", "{value}", "Values ModelMetrics rejected or corrected, by reason.");

    public static readonly CallsInstruments Instance = new();

    private CallsInstruments()
    {
    }

    public override void Create(MeterPublisher publisher)
    {
        // A monitor never called reports nothing, like every instrument of something that has not happened yet.
        publisher.Counter<CallsSignal, long>(Calls, static (signal, s, list) =>
        {
            if (s.Calls == 0)
            {
                return;
            }

            list.Add(s.Succeeded, signal.Context.ModelTags);
            foreach ((string errorType, long count) in s.FailureTable)
            {
                list.Add(count, signal.Context.ModelTagsWith(MetricNames.ErrorType, errorType));
            }
        });
        publisher.Counter<CallsSignal, long>(Items, static (signal, s, list) => list.AddIf(s.Calls > 0, s.Items, signal.Context.ModelTags));
        publisher.UpDownCounter<CallsSignal, long>(ActiveCalls, static (signal, s, list) => list.AddIf(s.Calls > 0 || s.InFlight > 0, s.InFlight, signal.Context.ModelTags));
        publisher.Counter<CallsSignal, long>(Chunks, static (signal, s, list) => list.AddIf(s.Chunks > 0, s.Chunks, signal.Context.ModelTags));

        HistogramInstruments.Create<CallsSignal>(publisher, Duration, "{call}", "inference call duration", static c => c.Latency, static s => s.Latency, static w => w.Latency);
        HistogramInstruments.Create<CallsSignal>(publisher, TimeToFirstChunk, "{call}", "time to the first chunk of a streamed call", static c => c.FirstChunk, static s => s.TimeToFirstChunk, static w => w.TimeToFirstChunk);

        // Rejections belong to the monitor, not to a signal; the calls signal, which every monitor has, publishes them.
        publisher.Counter<CallsSignal, long>(Rejected, static (signal, s, list) =>
        {
            foreach ((string reason, long count) in s.RejectedTable)
            {
                list.Add(count, signal.Context.ModelTagsWith(MetricNames.Reason, reason));
            }
        });
    }

    /// <summary>Creates the optional native <c>model.inference.duration</c> histogram of a meter.</summary>
    public static Histogram<double> CreateNativeDuration(Meter meter, IReadOnlyList<double> boundaries)
    {
        const string Description = "Duration of model inference calls.";
#if NET9_0_OR_GREATER
        // Advice gives the histogram the monitor's le boundaries in every SDK that honours it, not only through the
        // view of AddModelMetrics (the SDK's own defaults, 0 to 10,000, suit milliseconds, not seconds).
        return meter.CreateHistogram<double>(Duration, MetricNames.Seconds, Description, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = boundaries });
#else
        _ = boundaries;
        return meter.CreateHistogram<double>(Duration, MetricNames.Seconds, Description);
#endif
    }
}
