// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
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
    private readonly StripedHistogram? _histogram;
    private readonly long[]? _cumulative; // a window's: its reading's compact cells (shared with the cumulative snapshot)
    private readonly long[]? _base; // a window's: the checkpoint it subtracts, in the histogram's whole layout (null: zeros)
    private long[]? _counts; // buckets _first .. _first + _length - 1, …, then from _boundaryStart one cell per boundary; a window's when first needed
    private readonly int _first;
    private readonly int _length;
    private readonly int _boundaryStart;
    private double _sum = double.NaN; // computed when first asked: windows rarely need it
    private double[]? _published; // the published quantiles, computed when first published
    private long[]? _atBoundaries; // the counts at or below each boundary, computed when first published

    /// <param name="histogram">The histogram read: its layout, and its boundaries for exact <c>le</c> counts.</param>
    /// <param name="counts">A whole reading of it: every bucket, then one cell per boundary (<see cref="StripedHistogram.Length"/>).</param>
    /// <param name="used">The buckets that can be non-zero: 0 to <paramref name="used"/> − 1 (the others are skipped when reading).</param>
    internal LatencySnapshot(StripedHistogram histogram, long[] counts, int used)
        : this(histogram.Layout, histogram, counts, 0, used, histogram.Layout.BucketCount)
    {
    }

    /// <param name="histogram">The histogram read.</param>
    /// <param name="counts">A part of a reading: buckets <paramref name="first"/> to <paramref name="first"/> + <paramref name="length"/> − 1 (every other bucket is empty), then one cell per boundary.</param>
    /// <param name="first">The first bucket held.</param>
    /// <param name="length">The number of buckets held.</param>
    internal LatencySnapshot(StripedHistogram histogram, long[] counts, int first, int length)
        : this(histogram.Layout, histogram, counts, first, length, length)
    {
    }

    internal LatencySnapshot(HistogramLayout layout, long[] counts)
        : this(layout, null, counts, 0, layout.BucketCount, layout.BucketCount)
    {
    }

    /// <summary>A window: a reading's compact cells minus a checkpoint, subtracted as the snapshot is read (no copy).</summary>
    /// <param name="histogram">The histogram read.</param>
    /// <param name="cumulative">The reading, as the cumulative snapshot holds it: buckets <paramref name="first"/> to <paramref name="first"/> + <paramref name="length"/> − 1, then one cell per boundary.</param>
    /// <param name="first">The first bucket held.</param>
    /// <param name="length">The number of buckets held: every bucket outside them is empty in the reading, so in the window.</param>
    /// <param name="windowBase">The window's base checkpoint in the histogram's whole layout (never changed), or <see langword="null"/> for zeros.</param>
    internal LatencySnapshot(StripedHistogram histogram, long[] cumulative, int first, int length, long[]? windowBase)
    {
        _layout = histogram.Layout;
        _histogram = histogram;
        _cumulative = cumulative;
        _base = windowBase;
        _first = first;
        _length = length;
        _boundaryStart = length;
        long count = 0;
        for (int j = 0; j < length; j++)
        {
            count += WindowCell(j);
        }

        Count = count;
    }

    private LatencySnapshot(HistogramLayout layout, StripedHistogram? histogram, long[] counts, int first, int length, int boundaryStart)
    {
        _layout = layout;
        _histogram = histogram;
        _counts = counts;
        _first = first;
        _length = length;
        _boundaryStart = boundaryStart;
        long count = 0;
        foreach (long c in counts.AsSpan(0, length))
        {
            count += c;
        }

        Count = count;
    }

    /// <summary>Gets the number of recorded durations (the sum of all bucket counts).</summary>
    public long Count { get; }

    /// <summary>
    /// Gets the sum of the recorded durations in seconds: the sum of bucket midpoints, within the declared
    /// relative error of the exact sum (HdrHistogram computes its mean the same way).
    /// </summary>
    public double Sum
    {
        get
        {
            // Note: a benign race: two threads asking first both compute the same value.
            if (double.IsNaN(_sum))
            {
                double sumTicks = 0;
                for (int j = 0; j < _length; j++)
                {
                    long cell = Cell(j);
                    if (cell != 0)
                    {
                        sumTicks += cell * _layout.Midpoint(_first + j);
                    }
                }

                _sum = sumTicks / Stopwatch.Frequency;
            }

            return _sum;
        }
    }

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

    /// <summary>
    /// Returns the recorded buckets (those holding at least one duration), shortest first: each bucket's range in
    /// seconds and its count. Bucket widths follow the histogram's precision (1% of the value by default).
    /// </summary>
    /// <returns>The non-empty buckets, in increasing order.</returns>
    public IReadOnlyList<LatencyBucket> GetBuckets()
    {
        var buckets = new List<LatencyBucket>();
        double frequency = Stopwatch.Frequency;
        for (int j = 0; j < _length; j++)
        {
            long cell = Cell(j);
            if (cell != 0)
            {
                int i = _first + j;
                buckets.Add(new LatencyBucket(_layout.LowerBound(i) / frequency, (_layout.UpperBound(i) + 1) / frequency, cell));
            }
        }

        return buckets;
    }

    /// <summary>
    /// Returns how many durations were at most <paramref name="seconds"/>: exact at the monitor's
    /// <see cref="ModelMonitorOptions.BucketBoundaries"/> (and the label-delay boundaries for label delays);
    /// elsewhere it counts the whole histogram bucket holding <paramref name="seconds"/> (within the precision).
    /// </summary>
    /// <param name="seconds">The upper bound, in seconds.</param>
    /// <returns>The count of durations at or below it.</returns>
    public long CountAtOrBelow(double seconds)
    {
        if (double.IsNaN(seconds) || seconds < 0)
        {
            return 0;
        }

        if (_histogram is { } histogram)
        {
            int boundary = histogram.IndexOfBoundary(seconds);
            if (boundary >= 0)
            {
                return histogram.CountAtOrBelow(Buckets, _first, BoundaryCells, boundary);
            }
        }

        double ticks = seconds * Stopwatch.Frequency;
        int last = ticks >= _layout.Highest ? _layout.BucketCount - 1 : _layout.IndexOf((long)ticks);
        long total = 0;
        for (int j = 0; j < _length && _first + j <= last; j++)
        {
            total += Cell(j);
        }

        return total;
    }

    /// <summary>Gets the reading: the buckets held (from <see cref="FirstBucket"/> on), then one cell per declared boundary.</summary>
    internal ReadOnlySpan<long> Counts => Materialized();

    /// <summary>Gets the counts of the buckets held, from bucket <see cref="FirstBucket"/> on; every other bucket is empty.</summary>
    internal ReadOnlySpan<long> Buckets => Materialized().AsSpan(0, _length);

    /// <summary>Gets the index of the first bucket held in <see cref="Buckets"/>.</summary>
    internal int FirstBucket => _first;

    /// <summary>Gets the boundary cells: per boundary, the durations at or below it in the bucket it straddles.</summary>
    internal ReadOnlySpan<long> BoundaryCells => Materialized().AsSpan(_boundaryStart);

    /// <summary>Gets the histogram this snapshot was read from, or <see langword="null"/> for a bare layout.</summary>
    internal StripedHistogram? Histogram => _histogram;

    /// <summary>Returns bucket cell <paramref name="j"/> (the <paramref name="j"/>-th held, from <see cref="FirstBucket"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long Cell(int j) => _cumulative is null ? _counts![j] : WindowCell(j);

    /// <summary>A window's bucket cell: the reading's minus the base's, never below zero (see <see cref="RollingWindow{T}"/>).</summary>
    private long WindowCell(int j) => Math.Max(0, _cumulative![j] - (_base is null ? 0 : _base[_first + j]));

    /// <summary>Returns the cells as an array: a window builds its own when first asked (bucket iteration, exact <c>le</c> counts).</summary>
    private long[] Materialized()
    {
        if (Volatile.Read(ref _counts) is { } counts)
        {
            return counts;
        }

        // Note: a benign race: two readers asking first both build equal arrays.
        int boundaries = _histogram!.BoundaryCount;
        int buckets = _layout.BucketCount;
        counts = new long[_length + boundaries];
        for (int j = 0; j < _length; j++)
        {
            counts[j] = WindowCell(j);
        }

        for (int b = 0; b < boundaries; b++)
        {
            counts[_length + b] = Math.Max(0, _cumulative![_length + b] - (_base is null ? 0 : _base[buckets + b]));
        }

        Volatile.Write(ref _counts, counts); // release: a reader that sees the array sees its cells
        return counts;
    }

    /// <summary>
    /// Gets the quantiles of <see cref="Publishing.HistogramInstruments.PublishedQuantiles"/>, computed once per snapshot:
    /// a publishing pass reuses the snapshot of a monitor that did not change, and with it these.
    /// </summary>
    /// <remarks>A benign race: two collections asking first both compute the same values.</remarks>
    internal ReadOnlySpan<double> PublishedQuantiles
    {
        get
        {
            if (Volatile.Read(ref _published) is not { } quantiles)
            {
                quantiles = new double[Publishing.HistogramInstruments.PublishedQuantiles.Length];
                GetQuantiles(Publishing.HistogramInstruments.PublishedQuantiles, quantiles);
                Volatile.Write(ref _published, quantiles); // release: a reader that sees the array sees its values
            }

            return quantiles;
        }
    }

    /// <summary>Gets the exact count at or below each boundary of the histogram (none without one), computed once per snapshot.</summary>
    internal ReadOnlySpan<long> CountsAtBoundaries
    {
        get
        {
            if (Volatile.Read(ref _atBoundaries) is not { } counts)
            {
                counts = new long[_histogram?.BoundaryCount ?? 0];
                _histogram?.CountsAtOrBelow(Buckets, FirstBucket, BoundaryCells, counts);
                Volatile.Write(ref _atBoundaries, counts); // release, as above
            }

            return counts;
        }
    }

    /// <summary>
    /// An empty snapshot of <paramref name="histogram"/>: every empty snapshot of one length shares one
    /// all-zero array (snapshots never write their counts), so idle histograms cost no memory per monitor.
    /// </summary>
    internal static LatencySnapshot Empty(StripedHistogram histogram) =>
        new(histogram, ZeroCounts.GetOrAdd(histogram.Length, static length => new long[length]), 0);

    /// <summary>
    /// Writes the quantiles <paramref name="quantiles"/> (ascending) in seconds into <paramref name="seconds"/> in one
    /// pass over the buckets: what publishing needs, instead of one pass per quantile. Equal to <see cref="GetQuantile"/>.
    /// </summary>
    internal void GetQuantiles(ReadOnlySpan<double> quantiles, Span<double> seconds)
    {
        if (Count == 0)
        {
            seconds[..quantiles.Length].Clear();
            return;
        }

        long seen = 0;
        int j = -1;
        for (int q = 0; q < quantiles.Length; q++)
        {
            long rank = Math.Max(1, (long)Math.Ceiling((quantiles[q] * Count) - 1e-9));
            while (seen < rank && j < _length - 1)
            {
                seen += Cell(++j);
            }

            seconds[q] = _layout.Midpoint(_first + Math.Max(j, 0)) / Stopwatch.Frequency;
        }
    }

    internal double GetQuantileTicks(double quantile)
    {
        if (Count == 0)
        {
            return 0;
        }

        // Note: the small epsilon keeps 0.99 * 100 (= 99.00000000000001 in binary) at rank 99.
        long rank = Math.Max(1, (long)Math.Ceiling((quantile * Count) - 1e-9));
        long seen = 0;
        for (int j = 0; j < _length; j++)
        {
            seen += Cell(j);
            if (seen >= rank)
            {
                return _layout.Midpoint(_first + j);
            }
        }

        return _layout.Midpoint(_first + _length - 1);
    }
}

/// <summary>One bucket of a <see cref="LatencySnapshot"/>: durations from <paramref name="LowerBound"/> (inclusive) to <paramref name="UpperBound"/> (exclusive), in seconds.</summary>
/// <param name="LowerBound">The smallest duration the bucket holds, in seconds.</param>
/// <param name="UpperBound">The start of the next bucket, in seconds.</param>
/// <param name="Count">The durations recorded in the bucket.</param>
public readonly record struct LatencyBucket(double LowerBound, double UpperBound, long Count);
