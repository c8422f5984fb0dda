// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace ModelMetrics.Recording;

/// <summary>
/// A log-linear histogram of non-negative integer values (durations in Stopwatch ticks), striped per
/// processor for writers and merged by readers, with exact counts at a few declared boundaries.
/// </summary>
/// <remarks>
/// <para>
/// A record is: pick the stripe, compute the bucket with <see cref="HistogramLayout.IndexOf"/>, one
/// interlocked increment of the bucket. No lock, no allocation (after the stripe's first use), no lost
/// count under any number of threads.
/// </para>
/// <para>
/// Neither the count nor the sum is stored: the count is the sum of the buckets a reader copied, so every
/// snapshot's count equals the sum of its buckets by construction, and the sum is the sum of bucket
/// midpoints, within the layout's relative error of the exact sum (as HdrHistogram computes its mean).
/// </para>
/// <para>
/// Boundaries. The published <c>le</c> counters must count exactly the values at or below each boundary, but
/// an HDR bucket that straddles a boundary holds values on both sides. Those few buckets (at most one per
/// boundary) get one extra cell each, after the buckets, counting the bucket's values at or below the
/// boundary. Recording tests one bit of a small bitmap per value; only a value that lands in a straddling
/// bucket takes the out-of-line path and a second increment. A reading's extra cells are read after the
/// buckets, so a split count never exceeds its bucket's count... except while racing writers, which the
/// reader clamps (see <see cref="LatencySnapshot"/>).
/// </para>
/// </remarks>
internal sealed class StripedHistogram
{
    private readonly StripedCells _cells;
    private readonly Rejections _rejections;
    private readonly ulong[]? _straddles;     // bit b set: bucket b straddles a boundary
    private readonly int[] _splitBuckets;     // per boundary: the bucket it straddles, or -1 (none)
    private readonly long[] _splitValues;     // per boundary: the largest value at or below it

    /// <param name="layout">The bucket geometry.</param>
    /// <param name="rejections">Where clamped values are counted.</param>
    /// <param name="boundaries">Values (inclusive upper bounds, increasing) whose cumulative counts must be exact; none by default.</param>
    public StripedHistogram(HistogramLayout layout, Rejections rejections, IReadOnlyList<long>? boundaries = null)
    {
        Layout = layout;
        _rejections = rejections;
        int count = boundaries?.Count ?? 0;
        _splitBuckets = new int[count];
        _splitValues = new long[count];
        for (int i = 0; i < count; i++)
        {
            long value = boundaries![i];
            _splitValues[i] = value;
            _splitBuckets[i] = -1;
            if (value < 0 || value >= layout.Highest)
            {
                continue;
            }

            int bucket = layout.IndexOf(value);
            if (layout.UpperBound(bucket) > value)
            {
                // The bucket holds values above the boundary too: it needs its own "at or below" cell.
                _splitBuckets[i] = bucket;
                _straddles ??= new ulong[(layout.BucketCount + 63) / 64];
                _straddles[bucket >> 6] |= 1UL << bucket;
            }
        }

        _cells = new StripedCells(layout.BucketCount + count);
    }

    public HistogramLayout Layout { get; }

    /// <summary>Gets the number of boundaries; a reading holds one cell per boundary after the buckets.</summary>
    public int BoundaryCount => _splitValues.Length;

    /// <summary>Gets the length of the array <see cref="AddTo"/> fills: the buckets, then one cell per boundary.</summary>
    public int Length => _cells.Length;

    /// <summary>Gets the bytes of the stripes allocated so far.</summary>
    public long AllocatedBytes => _cells.AllocatedBytes;

    /// <summary>Gets a value indicating whether anything was ever recorded (a stripe exists).</summary>
    public bool IsEmpty => _cells.IsEmpty;

    /// <summary>Records one value. Negative values record as zero and over-range values as the highest; both are counted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Record(long value)
    {
        // Note: one unsigned compare catches both negative and over-range values; the fix-up is out of line.
        if ((ulong)value > (ulong)Layout.Highest)
        {
            value = Clamp(value);
        }

        int bucket = Layout.IndexOf(value);
        _cells.Increment(bucket);

        // Note: a bit test per value; the boundary cell is written after the bucket, and read after it.
        if (_straddles is { } straddles && (straddles[bucket >> 6] & (1UL << bucket)) != 0)
        {
            RecordAtBoundary(bucket, value);
        }
    }

    /// <summary>
    /// Records one value into the calling thread's own cells (<see cref="ThreadCellSet.IsOwned"/>), with the same bucket
    /// and boundary logic as <see cref="Record(long)"/>: plain stores, no interlocked operation.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Record(ThreadCellSet cells, long value)
    {
        if ((ulong)value > (ulong)Layout.Highest)
        {
            value = Clamp(value);
        }

        int bucket = Layout.IndexOf(value);
        cells.IncrementBucket(bucket);
        if (_straddles is { } straddles && (straddles[bucket >> 6] & (1UL << bucket)) != 0)
        {
            RecordAtBoundary(cells, bucket, value);
        }
    }

    /// <summary>Adds the merged cells (buckets, then boundary cells) to <paramref name="counts"/> (length <see cref="Length"/>).</summary>
    public void AddTo(long[] counts) => _cells.AddTo(counts);

    /// <summary>Returns the count of values at or below boundary <paramref name="boundary"/> in a whole reading (cumulative or windowed) of this histogram.</summary>
    public long CountAtOrBelow(ReadOnlySpan<long> reading, int boundary) =>
        CountAtOrBelow(reading[..Layout.BucketCount], 0, reading[Layout.BucketCount..], boundary);

    /// <summary>
    /// Returns the count of values at or below boundary <paramref name="boundary"/>: the buckets wholly below it plus
    /// the boundary cell of the bucket it straddles. <paramref name="buckets"/> holds buckets from
    /// <paramref name="first"/> on (every bucket outside it is empty); <paramref name="boundaryCells"/> one cell per boundary.
    /// </summary>
    public long CountAtOrBelow(ReadOnlySpan<long> buckets, int first, ReadOnlySpan<long> boundaryCells, int boundary)
    {
        int last = LastWholeBucket(boundary);
        long total = 0;
        for (int j = 0; j < buckets.Length && first + j <= last; j++)
        {
            total += buckets[j];
        }

        return total + SplitCount(buckets, first, boundaryCells, boundary);
    }

    /// <summary>Writes the count at or below every boundary of a whole reading into <paramref name="result"/>, in one pass.</summary>
    public void CountsAtOrBelow(ReadOnlySpan<long> reading, Span<long> result) =>
        CountsAtOrBelow(reading[..Layout.BucketCount], 0, reading[Layout.BucketCount..], result);

    /// <summary>
    /// Writes the count at or below every boundary into <paramref name="result"/> in one pass over the buckets (what
    /// the <c>le</c> counters publish); equal to <see cref="CountAtOrBelow(ReadOnlySpan{long}, int, ReadOnlySpan{long}, int)"/> for each.
    /// </summary>
    public void CountsAtOrBelow(ReadOnlySpan<long> buckets, int first, ReadOnlySpan<long> boundaryCells, Span<long> result)
    {
        long running = 0;
        int j = 0;
        for (int i = 0; i < _splitValues.Length; i++)
        {
            int last = LastWholeBucket(i);
            for (; j < buckets.Length && first + j <= last; j++)
            {
                running += buckets[j];
            }

            result[i] = running + SplitCount(buckets, first, boundaryCells, i);
        }
    }

    /// <summary>Returns the index of the boundary at <paramref name="seconds"/>, or -1 when it is not one.</summary>
    public int IndexOfBoundary(double seconds)
    {
        long value = ToBoundaryValue(seconds);
        return Array.IndexOf(_splitValues, value);
    }

    /// <summary>The largest tick count at or below <paramref name="seconds"/>: durations are whole ticks.</summary>
    public static long ToBoundaryValue(double seconds)
    {
        double ticks = Math.Floor(seconds * Stopwatch.Frequency);
        return ticks >= long.MaxValue ? long.MaxValue : (long)ticks;
    }

    /// <summary>The last bucket wholly at or below boundary <paramref name="boundary"/> (-1 when none).</summary>
    public int LastWholeBucket(int boundary)
    {
        long value = _splitValues[boundary];
        int split = _splitBuckets[boundary];
        return value < 0 ? -1 : value >= Layout.Highest ? Layout.BucketCount - 1 : (split >= 0 ? split - 1 : Layout.IndexOf(value));
    }

    /// <summary>The values at or below a boundary in the bucket it straddles (0 when it straddles none).</summary>
    public long SplitCount(ReadOnlySpan<long> buckets, int first, ReadOnlySpan<long> boundaryCells, int boundary)
    {
        int split = _splitBuckets[boundary];
        int j = split - first;
        if (split < 0 || (uint)j >= (uint)buckets.Length)
        {
            return 0;
        }

        // A racing read can see a boundary cell ahead of its bucket; never count more than the bucket holds.
        return Math.Min(boundaryCells[boundary], buckets[j]);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RecordAtBoundary(int bucket, long value)
    {
        // Boundaries less than 1% apart can share a bucket: check every one that splits it.
        for (int i = 0; i < _splitBuckets.Length; i++)
        {
            if (_splitBuckets[i] == bucket && value <= _splitValues[i])
            {
                _cells.Increment(Layout.BucketCount + i);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RecordAtBoundary(ThreadCellSet cells, int bucket, long value)
    {
        for (int i = 0; i < _splitBuckets.Length; i++)
        {
            if (_splitBuckets[i] == bucket && value <= _splitValues[i])
            {
                cells.IncrementBoundary(i);
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private long Clamp(long value)
    {
        if (value < 0)
        {
            _rejections.Count(RejectionReason.NegativeDuration);
            return 0;
        }

        _rejections.Count(RejectionReason.OverRangeDuration);
        return Layout.Highest;
    }
}
