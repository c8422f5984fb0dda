// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using ModelMetrics.Signals;

namespace ModelMetrics.Publishing;

/// <summary>
/// Publishes a pre-aggregated HDR histogram (System.Diagnostics.Metrics has no observable histogram): quantile
/// gauges over each window, cumulative <c>le</c> bucket counters (exact at the boundaries), count and sum.
/// </summary>
internal static class HistogramInstruments
{
    /// <summary>The quantiles published by the quantile gauges; 1 is the maximum.</summary>
    public static readonly double[] PublishedQuantiles = [0.5, 0.9, 0.95, 0.99, 0.999, 1];

    /// <summary>Creates the four instruments <c>{name}.quantile</c>, <c>.bucket</c>, <c>.sum</c> and <c>.count</c>.</summary>
    /// <remarks>Instruments of a histogram nobody fed (a model never streamed) report nothing rather than zeros.</remarks>
    public static void Create<TSignal>(
        MeterPublisher publisher,
        string name,
        string countUnit,
        string what,
        Func<TSignal, WindowedHistogram> histogramOf,
        Func<ModelMonitorSnapshot, LatencySnapshot> cumulativeOf,
        Func<WindowSnapshot, LatencySnapshot> windowOf)
        where TSignal : Signal
    {
        publisher.Gauge<TSignal, double>(
            new(name + ".quantile", MetricNames.Seconds, $"Quantiles of the {what} over each window (quantile 1 is the maximum)."),
            (signal, s, list) =>
            {
                HistogramTags tags = histogramOf(signal).Tags;
                Span<double> values = stackalloc double[PublishedQuantiles.Length];
                for (int w = 0; w < s.Windows.Count; w++)
                {
                    LatencySnapshot window = windowOf(s.Windows[w]);
                    if (window.Count == 0)
                    {
                        continue;
                    }

                    // Note: computed, not kept: a publisher observes a window's quantiles once per reading (it keeps the
                    // measurements of an unchanged signal), so keeping them would only allocate.
                    window.GetQuantiles(PublishedQuantiles, values);
                    for (int q = 0; q < values.Length; q++)
                    {
                        list.Add(values[q], tags.Quantiles[w][q]);
                    }
                }
            });

        publisher.Counter<TSignal, long>(
            new(name + ".bucket", countUnit, $"Cumulative count of {what}s at or below le seconds (exact at each boundary)."),
            (signal, s, list) =>
            {
                LatencySnapshot latency = cumulativeOf(s);
                if (latency.Count == 0 || latency.Histogram is null)
                {
                    return;
                }

                HistogramTags tags = histogramOf(signal).Tags;
                ReadOnlySpan<long> counts = latency.CountsAtBoundaries;
                for (int b = 0; b < counts.Length; b++)
                {
                    list.Add(counts[b], tags.Buckets[b]);
                }

                list.Add(latency.Count, tags.Buckets[^1]);
            });

        publisher.Counter<TSignal, double>(
            new(name + ".sum", MetricNames.Seconds, $"Sum of {what}s."),
            (signal, s, list) => list.AddIf(cumulativeOf(s).Count > 0, cumulativeOf(s).Sum, signal.Context.ModelTags));

        publisher.Counter<TSignal, long>(
            new(name + ".count", countUnit, $"Count of {what}s."),
            (signal, s, list) => list.AddIf(cumulativeOf(s).Count > 0, cumulativeOf(s).Count, signal.Context.ModelTags));
    }
}

/// <summary>The attribute sets of one histogram's instruments for one monitor, built once.</summary>
internal sealed class HistogramTags
{
    public HistogramTags(SignalContext context, IReadOnlyList<double> boundaries)
    {
        Quantiles = Array.ConvertAll(context.WindowTags, window => Tags.Each(window, MetricNames.Quantile, HistogramInstruments.PublishedQuantiles));
        var buckets = new List<KeyValuePair<string, object?>[]>(Tags.Each(context.ModelTags, MetricNames.LessOrEqual, boundaries))
        {
            Tags.With(context.ModelTags, MetricNames.LessOrEqual, "+Inf"),
        };
        Buckets = [.. buckets];
    }

    /// <summary>Gets, per window, one attribute set per published quantile.</summary>
    public KeyValuePair<string, object?>[][][] Quantiles { get; }

    /// <summary>Gets one attribute set per boundary, then <c>+Inf</c>.</summary>
    public KeyValuePair<string, object?>[][] Buckets { get; }
}
