// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Runtime.CompilerServices;
using System.Threading;
using ModelMetrics.Recording;

namespace ModelMetrics.Signals;

/// <summary>
/// Confusion-matrix counters for K classes, striped per processor like <see cref="Recording.StripedHistogram"/>.
/// </summary>
/// <remarks>
/// While K is at most the full-matrix limit every (actual, predicted) cell is kept: one interlocked
/// increment per pair. Above it only what per-class precision and recall need is kept: per class the
/// true positives, false positives and false negatives (3K cells instead of K²; one increment for a
/// right pair, two for a wrong one), so a 1000-class model costs 24 KB per stripe, not 8 MB.
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
                Interlocked.Increment(ref stripe[Stripes.Padding + (actual * ClassCount) + predicted]);
                return;
            }

            // Note: each cell is a count of its own (TP, FP, FN), never a difference of two cells, so a
            // reader that catches a pair half-recorded sees too few, never a false positive or negative.
            if (actual == predicted)
            {
                Interlocked.Increment(ref stripe[Stripes.Padding + actual]);
            }
            else
            {
                Interlocked.Increment(ref stripe[Stripes.Padding + ClassCount + predicted]);
                Interlocked.Increment(ref stripe[Stripes.Padding + (2 * ClassCount) + actual]);
            }
        }
    }

    /// <summary>Adds the merged cells to <paramref name="cells"/> (length <see cref="CellCount"/>).</summary>
    public void AddTo(long[] cells) => _cells.AddTo(cells);
}
