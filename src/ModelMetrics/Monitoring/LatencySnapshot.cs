// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using ModelMetrics.Recording;

namespace ModelMetrics;

/// <summary>
/// An immutable copy of a latency histogram: count, sum and quantiles, in seconds.
/// </summary>
/// <remarks>
/// Quantiles use the nearest-rank definition (the smallest recorded value with at least q·count values
/// at or below it) and are reported as the middle of the histogram bucket holding that value, which is
/// within the monitor's declared relative error (<see cref="ModelMonitorOptions.LatencyPrecision"/>) of
/// the exact value for durations inside the histogram's range.
/// </remarks>
public sealed class LatencySnapshot
{
    private static readonly ConcurrentDictionary<int, long[]> ZeroCounts = new();

    private readonly HistogramLayout _layout;
    private readonly long[] _counts;

    internal LatencySnapshot(HistogramLayout layout, long[] counts)
    {
        _layout = layout;
        _counts = counts;
        long count = 0;
        double sumTicks = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            if (counts[i] != 0)
            {
                count += counts[i];
                sumTicks += counts[i] * layout.Midpoint(i);
            }
        }

        Count = count;
        Sum = sumTicks / Stopwatch.Frequency;
    }

    /// <summary>Gets the number of recorded durations (the sum of all bucket counts).</summary>
    public long Count { get; }

    /// <summary>
    /// Gets the sum of the recorded durations in seconds: the sum of bucket midpoints, within the declared
    /// relative error of the exact sum (HdrHistogram computes its mean the same way).
    /// </summary>
    public double Sum { get; }

    /// <summary>Gets the mean duration in seconds, or 0 when nothing was recorded.</summary>
    public double Mean => Count == 0 ? 0 : Sum / Count;

    /// <summary>Gets the median in seconds (0 when empty).</summary>
    public double P50 => GetQuantile(0.5);

    /// <summary>Gets the 90th percentile in seconds (0 when empty).</summary>
    public double P90 => GetQuantile(0.9);

    /// <summary>Gets the 95th percentile in seconds (0 when empty).</summary>
    public double P95 => GetQuantile(0.95);

    /// <summary>Gets the 99th percentile in seconds (0 when empty).</summary>
    public double P99 => GetQuantile(0.99);

    /// <summary>Gets the 99.9th percentile in seconds (0 when empty).</summary>
    public double P999 => GetQuantile(0.999);

    /// <summary>Gets the largest recorded duration in seconds, within the declared precision (0 when empty).</summary>
    public double Max => GetQuantile(1);

    internal HistogramLayout Layout => _layout;

    /// <summary>Returns the <paramref name="quantile"/> (0 to 1) of the recorded durations in seconds, or 0 when empty.</summary>
    /// <param name="quantile">The quantile, from 0 to 1.</param>
    public double GetQuantile(double quantile)
    {
        if (!(quantile >= 0 && quantile <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(quantile), quantile, "The quantile must be between 0 and 1.");
        }

        return GetQuantileTicks(quantile) / Stopwatch.Frequency;
    }

    internal ReadOnlySpan<long> Counts => _counts;

    /// <summary>
    /// An empty histogram of <paramref name="layout"/>: every empty snapshot of one bucket count shares one
    /// all-zero array (snapshots never write their counts), so idle histograms cost no memory per monitor.
    /// </summary>
    internal static LatencySnapshot Empty(HistogramLayout layout) =>
        new(layout, ZeroCounts.GetOrAdd(layout.BucketCount, static length => new long[length]));

    internal double GetQuantileTicks(double quantile)
    {
        if (Count == 0)
        {
            return 0;
        }

        // Note: the small epsilon keeps 0.99 * 100 (= 99.00000000000001 in binary) at rank 99.
        long rank = Math.Max(1, (long)Math.Ceiling((quantile * Count) - 1e-9));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (seen >= rank)
            {
                return _layout.Midpoint(i);
            }
        }

        return _layout.Midpoint(_counts.Length - 1);
    }
}
