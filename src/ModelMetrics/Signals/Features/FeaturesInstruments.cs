// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using ModelMetrics.Publishing;

namespace ModelMetrics.Signals;

/// <summary>The instruments of the input-drift (features) signal.</summary>
internal sealed class FeaturesInstruments : SignalInstruments
{
    /// <summary>The attribute that names the feature: a declared name, never a value.</summary>
    public const string Feature = "model.feature";

    public static readonly InstrumentInfo Values = new("model.feature.values", "{value}", "Valid values recorded per feature (undeclared categories included as _OTHER).");
    public static readonly InstrumentInfo Missing = new("model.feature.missing", "{value}", "Missing values (NaN, null) recorded per feature.");
    public static readonly InstrumentInfo Invalid = new("model.feature.invalid", "{value}", "Invalid numeric values (±∞, outside the declared range) per feature; not in the sketch.");
    public static readonly InstrumentInfo MissingRatio = new("model.feature.missing.ratio", MetricNames.Ratio, "Share of each feature's inputs that were missing over each window.");
    public static readonly InstrumentInfo OutOfRange = new("model.feature.drift.out_of_range", MetricNames.Ratio, "Share of each feature's values over each window outside the reference's range (numeric) or of categories the reference never had.");
    public static readonly InstrumentInfo Psi = new("model.feature.drift.psi", MetricNames.Ratio, "Population stability index of each feature over each window against its reference, on the reference's deciles (numeric) or categories.");
    public static readonly InstrumentInfo KolmogorovSmirnov = new("model.feature.drift.ks", MetricNames.Ratio, "Two-sample Kolmogorov–Smirnov statistic of each numeric feature over each window against its reference.");
    public static readonly InstrumentInfo JensenShannon = new("model.feature.drift.jensen_shannon", MetricNames.Ratio, "Jensen–Shannon distance (base 2) of each feature over each window against its reference, on the PSI bins.");
    public static readonly InstrumentInfo Wasserstein = new("model.feature.drift.wasserstein", null, "Wasserstein-1 distance of each numeric feature over each window from its reference, in the feature's unit.");
    public static readonly InstrumentInfo ChiSquare = new("model.feature.drift.chi_square", MetricNames.Ratio, "Chi-square statistic of homogeneity of each categorical feature's counts over each window and its reference's.");
    public static readonly InstrumentInfo ChiSquarePValue = new("model.feature.drift.chi_square.p_value", MetricNames.Ratio, "P-value of the chi-square statistic of each categorical feature over each window.");

    public static readonly FeaturesInstruments Instance = new();

    private FeaturesInstruments()
    {
    }

    public override void Create(MeterPublisher publisher)
    {
        publisher.Counter<FeaturesSignal, long>(Values, static (signal, s, list) => Cumulative(signal, s, list, static f => f.Count));
        publisher.Counter<FeaturesSignal, long>(Missing, static (signal, s, list) => Cumulative(signal, s, list, static f => f.Missing));
        publisher.Counter<FeaturesSignal, long>(Invalid, static (signal, s, list) => Cumulative(signal, s, list, static f => f.Invalid));
        publisher.Gauge<FeaturesSignal, double>(MissingRatio, static (signal, s, list) =>
            PerWindow(signal, s, list, static f => f.Count + f.Missing + f.Invalid > 0 ? f.MissingShare : null));
        publisher.Gauge<FeaturesSignal, double>(OutOfRange, static (signal, s, list) => PerWindow(signal, s, list, static f => f.Drift?.OutOfRangeShare));
        publisher.Gauge<FeaturesSignal, double>(Psi, static (signal, s, list) => PerWindow(signal, s, list, static f => f.Drift?.Psi));
        publisher.Gauge<FeaturesSignal, double>(KolmogorovSmirnov, static (signal, s, list) => PerWindow(signal, s, list, static f => f.Drift?.KolmogorovSmirnov));
        publisher.Gauge<FeaturesSignal, double>(JensenShannon, static (signal, s, list) => PerWindow(signal, s, list, static f => f.Drift?.JensenShannon));
        publisher.Gauge<FeaturesSignal, double>(Wasserstein, static (signal, s, list) => PerWindow(signal, s, list, static f => f.Drift?.Wasserstein));
        publisher.Gauge<FeaturesSignal, double>(ChiSquare, static (signal, s, list) => PerWindow(signal, s, list, static f => f.Drift?.ChiSquare));
        publisher.Gauge<FeaturesSignal, double>(ChiSquarePValue, static (signal, s, list) => PerWindow(signal, s, list, static f => f.Drift?.ChiSquarePValue));
    }

    private static void Cumulative(FeaturesSignal signal, ModelMonitorSnapshot snapshot, List<Measurement<long>> list, Func<FeatureSnapshot, long> value)
    {
        if (snapshot.Features is not { } features)
        {
            return;
        }

        for (int f = 0; f < features.Count; f++)
        {
            // Like every counter here: nothing before the first value.
            list.AddIf(value(features[f]) > 0, value(features[f]), signal.FeatureTags[f]);
        }
    }

    /// <summary>Reports one value per window and feature; a feature whose value is null in a window is left out of it.</summary>
    private static void PerWindow(FeaturesSignal signal, ModelMonitorSnapshot snapshot, List<Measurement<double>> list, Func<FeatureSnapshot, double?> value)
    {
        for (int w = 0; w < snapshot.Windows.Count; w++)
        {
            if (snapshot.Windows[w].Features is not { } features)
            {
                continue;
            }

            for (int f = 0; f < features.Count; f++)
            {
                if (value(features[f]) is double v)
                {
                    list.Add(v, signal.WindowFeatureTags[w][f]);
                }
            }
        }
    }
}
