// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

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
            (string Result, long Count)[] results =
            [
                ("joined", labels.Joined), ("unknown_id", labels.UnknownId), ("duplicate_label", labels.DuplicateLabel),
                ("late_label", labels.LateLabel), ("invalid_id", labels.InvalidId),
            ];
            foreach ((string result, long count) in results)
            {
                list.AddIf(count > 0, count, Tags.With(signal.Context.ModelTags, LabelResult, result));
            }
        });
        publisher.UpDownCounter<LabelsSignal, long>(Pending, static (signal, s, list) => list.Add(new(s.Labels.Pending, signal.Context.ModelTags)));
        publisher.Counter<LabelsSignal, long>(Dropped, static (signal, s, list) =>
        {
            LabelSnapshot labels = s.Labels;
            (string Reason, long Count)[] reasons = [("expired", labels.Expired), ("evicted", labels.Evicted), ("replaced", labels.Replaced)];
            foreach ((string reason, long count) in reasons)
            {
                list.AddIf(count > 0, count, Tags.With(signal.Context.ModelTags, MetricNames.Reason, reason));
            }
        });
    }
}
