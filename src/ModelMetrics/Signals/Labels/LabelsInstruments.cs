// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Collections.Generic;
using System.Diagnostics.Metrics;
using ModelMetrics.Publishing;

namespace ModelMetrics.Signals;

/// <summary>The instruments of the delayed-labels signal.</summary>
internal sealed class LabelsInstruments : SignalInstruments
{
    public const string LabelResult = "model.label.result";
    public const string Delay = "model.label.delay";

    public static readonly InstrumentInfo Labels = new("model.labels", "{label}", "Labels recorded for predictions with an id, by model.label.result.");
    public static readonly InstrumentInfo Pending = new("model.predictions.pending", "{prediction}", "Predictions with an id waiting for their label.");
    public static readonly InstrumentInfo Dropped = new("model.predictions.dropped", "{prediction}", "Predictions with an id dropped before their label arrived, by reason: expired, evicted, replaced.");

    public static readonly LabelsInstruments Instance = new();

    private LabelsInstruments()
    {
    }

    public override void Create(MeterPublisher publisher)
    {
        HistogramInstruments.Create<LabelsSignal>(publisher, Delay, "{label}", "delay from prediction to label", static l => l.Delay, static s => s.Labels.Delay, static w => w.LabelDelay);

        publisher.Counter<LabelsSignal, long>(Labels, static (signal, s, list) =>
        {
            LabelSnapshot labels = s.Labels;
            AddIfCounted(signal, list, LabelResult, "joined", labels.Joined);
            AddIfCounted(signal, list, LabelResult, "unknown_id", labels.UnknownId);
            AddIfCounted(signal, list, LabelResult, "duplicate_label", labels.DuplicateLabel);
            AddIfCounted(signal, list, LabelResult, "late_label", labels.LateLabel);
            AddIfCounted(signal, list, LabelResult, "invalid_id", labels.InvalidId);
        });
        publisher.UpDownCounter<LabelsSignal, long>(Pending, static (signal, s, list) => list.Add(s.Labels.Pending, signal.Context.ModelTags));
        publisher.Counter<LabelsSignal, long>(Dropped, static (signal, s, list) =>
        {
            LabelSnapshot labels = s.Labels;
            AddIfCounted(signal, list, MetricNames.Reason, "expired", labels.Expired);
            AddIfCounted(signal, list, MetricNames.Reason, "evicted", labels.Evicted);
            AddIfCounted(signal, list, MetricNames.Reason, "replaced", labels.Replaced);
        });
    }

    private static void AddIfCounted(LabelsSignal signal, List<Measurement<long>> list, string key, string value, long count)
    {
        if (count > 0)
        {
            list.Add(count, signal.Context.ModelTagsWith(key, value));
        }
    }
}
