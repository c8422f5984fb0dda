// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Runtime.CompilerServices;

namespace ModelMetrics.Recording;

/// <summary>
/// A log-linear histogram of non-negative integer values (durations in Stopwatch ticks), striped per
/// processor for writers and merged by readers.
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
/// Keeping an exact sum would cost a second interlocked add per record, about a fifth of its cost.
/// </para>
/// </remarks>
internal sealed class ShardedHistogram
{
    private readonly StripedCells _cells;
    private readonly Rejections _rejections;

    public ShardedHistogram(HistogramLayout layout, Rejections rejections)
    {
        Layout = layout;
        _rejections = rejections;
        _cells = new StripedCells(layout.BucketCount);
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

        _cells.Increment(Layout.IndexOf(value));
    }

    /// <summary>Gets a value indicating whether anything was ever recorded (a stripe exists).</summary>
    public bool IsEmpty => _cells.IsEmpty;

    /// <summary>Adds the merged bucket counts to <paramref name="counts"/>.</summary>
    public void AddTo(long[] counts) => _cells.AddTo(counts);

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
