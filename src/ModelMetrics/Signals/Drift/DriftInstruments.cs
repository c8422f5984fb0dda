// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using ModelMetrics.Publishing;

namespace ModelMetrics.Signals;

/// <summary>The instruments of the drift signal.</summary>
internal sealed class DriftInstruments : SignalInstruments
{
    /// <summary>The attribute that says which distribution drifted: <c>predicted_class</c> or <c>score</c>.</summary>
    public const string Signal = "model.drift.signal";

    public static readonly InstrumentInfo Psi = new("model.drift.psi", MetricNames.Ratio, "Population stability index of predicted classes (and top-class probability bins) over each window against the drift reference.");

    public static readonly DriftInstruments Instance = new();

    private DriftInstruments()
    {
    }

    public override void Create(MeterPublisher publisher) =>
        publisher.Gauge<DriftSignal, double>(Psi, static (signal, s, list) =>
        {
            for (int w = 0; w < s.Windows.Count; w++)
            {
                if (s.Windows[w].Drift is { } drift)
                {
                    list.Add(drift.ClassPsi, signal.PsiTags[w].Class);
                    if (drift.ScorePsi is { } scorePsi)
                    {
                        list.Add(scorePsi, signal.PsiTags[w].Score);
                    }
                }
            }
        });
}
