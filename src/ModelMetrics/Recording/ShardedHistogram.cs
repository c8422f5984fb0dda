// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Runtime.CompilerServices;
using System.Threading;

namespace ModelMetrics.Recording;

/// <summary>
/// A log-linear histogram of non-negative integer values (durations in Stopwatch ticks), striped per
/// processor for writers and merged by readers.
/// </summary>
/// <remarks>
/// <para>
/// A record is: pick the stripe, compute the bucket with <see cref="HistogramLayout.IndexOf"/>, one
/// interlocked increment of the bucket and one interlocked add to the stripe's sum. No lock, no
/// allocation (after the stripe's first use), no lost count under any number of threads.
/// </para>
/// <para>
/// The count is not stored: it is the sum of the buckets a reader copied, so every snapshot's count
/// equals the sum of its buckets by construction. The sum is written before the bucket and read after
/// the buckets, so it includes every value the counts include and possibly a few recorded meanwhile.
/// </para>
/// </remarks>
internal sealed class ShardedHistogram
{
    private const int SumCell = 0;
    private const int FirstBucketCell = 1;

    private readonly StripedCells _cells;
    private readonly Rejections _rejections;

    public ShardedHistogram(HistogramLayout layout, Rejections rejections)
    {
        Layout = layout;
        _rejections = rejections;
        _cells = new StripedCells(FirstBucketCell + layout.BucketCount);
    }

    public HistogramLayout Layout { get; }

    /// <summary>Records one value. Negative values record as zero and over-range values as the highest; both are counted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Record(long value)
    {
        // Note: one unsigned compare catches both negative and over-range values; the fix-up is out of line.
        if ((ulong)value > (ulong)Layout.Highest)
        {
            value = Clamp(value);
        }

        long[] stripe = _cells.CurrentStripe();
        unchecked
        {
            // Note: sum before bucket, the reverse of the reader's order (buckets, then sum), so that a
            // reader's sum always includes every value its counts include.
            Interlocked.Add(ref stripe[Shards.Padding + SumCell], value);
            Interlocked.Increment(ref stripe[Shards.Padding + FirstBucketCell + Layout.IndexOf(value)]);
        }
    }

    /// <summary>Adds the merged bucket counts to <paramref name="counts"/> and returns the merged sum.</summary>
    public long AddTo(long[] counts)
    {
        // Buckets first, sum second: the sum then never misses a value that the counts include.
        _cells.AddTo(counts, FirstBucketCell);
        return _cells.Sum(SumCell);
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
