// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Runtime.CompilerServices;
using System.Threading;

namespace ModelMetrics.Recording;

/// <summary>
/// Confusion-matrix counters for K classes, striped per processor like <see cref="ShardedHistogram"/>.
/// </summary>
/// <remarks>
/// While K is at most the full-matrix limit every (actual, predicted) cell is kept: one interlocked
/// increment per pair. Above it only what per-class precision and recall need is kept: per class the
/// true positives, the actual count and the predicted count (3K cells instead of K², three increments
/// per pair), so a 1000-class model costs 24 KB per stripe, not 8 MB.
/// </remarks>
internal sealed class ConfusionCounts
{
    private readonly StripedCells _cells;

    public ConfusionCounts(int classCount, bool fullMatrix)
    {
        ClassCount = classCount;
        IsFullMatrix = fullMatrix;
        _cells = new StripedCells(fullMatrix ? classCount * classCount : 3 * classCount);
    }

    public int ClassCount { get; }

    public bool IsFullMatrix { get; }

    /// <summary>Gets the length of the array that <see cref="AddTo"/> fills.</summary>
    public int CellCount => _cells.Length;

    /// <summary>Records one pair; both indices must already be validated to lie in [0, K).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Record(int actual, int predicted)
    {
        long[] stripe = _cells.CurrentStripe();
        unchecked
        {
            if (IsFullMatrix)
            {
                Interlocked.Increment(ref stripe[Shards.Padding + (actual * ClassCount) + predicted]);
                return;
            }

            // Note: written in the reverse of the order readers read (true positives first), so a reader that
            // sees a true positive also sees its actual and predicted counts: FP and FN never go negative.
            Interlocked.Increment(ref stripe[Shards.Padding + (2 * ClassCount) + predicted]);
            Interlocked.Increment(ref stripe[Shards.Padding + ClassCount + actual]);
            if (actual == predicted)
            {
                Interlocked.Increment(ref stripe[Shards.Padding + actual]);
            }
        }
    }

    /// <summary>Adds the merged cells to <paramref name="cells"/> (length <see cref="CellCount"/>).</summary>
    public void AddTo(long[] cells) => _cells.AddTo(cells);
}
