// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Numerics;

namespace ModelMetrics.Recording;

/// <summary>
/// Sums of count cells, several cells per instruction: a reading of a busy histogram sums a few thousand cells a few
/// times (successes, failures, each window), which is most of what reading it costs.
/// </summary>
internal static class CellSums
{
    /// <summary>Returns the sum of <paramref name="cells"/>.</summary>
    public static long Sum(ReadOnlySpan<long> cells)
    {
        int i = 0;
        long sum = 0;
        if (Vector.IsHardwareAccelerated && cells.Length >= Vector<long>.Count)
        {
            Vector<long> sums = Vector<long>.Zero;
            for (; i <= cells.Length - Vector<long>.Count; i += Vector<long>.Count)
            {
                sums += new Vector<long>(cells[i..]);
            }

            sum = Vector.Sum(sums);
        }

        for (; i < cells.Length; i++)
        {
            sum += cells[i];
        }

        return sum;
    }

    /// <summary>Returns Σ max(0, <paramref name="cells"/>[i] − <paramref name="subtracted"/>[i]): a window's count (see <see cref="RollingWindow{T}"/>).</summary>
    public static long PositiveDifferenceSum(ReadOnlySpan<long> cells, ReadOnlySpan<long> subtracted)
    {
        int i = 0;
        long sum = 0;
        if (Vector.IsHardwareAccelerated && cells.Length >= Vector<long>.Count)
        {
            Vector<long> sums = Vector<long>.Zero;
            for (; i <= cells.Length - Vector<long>.Count; i += Vector<long>.Count)
            {
                sums += Vector.Max(Vector<long>.Zero, new Vector<long>(cells[i..]) - new Vector<long>(subtracted[i..]));
            }

            sum = Vector.Sum(sums);
        }

        for (; i < cells.Length; i++)
        {
            sum += Math.Max(0, cells[i] - subtracted[i]);
        }

        return sum;
    }

    /// <summary>Adds <paramref name="cells"/> to <paramref name="target"/>, cell by cell (<paramref name="target"/> at least as long).</summary>
    public static void AddTo(Span<long> target, ReadOnlySpan<long> cells)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= cells.Length - Vector<long>.Count; i += Vector<long>.Count)
            {
                (new Vector<long>(target[i..]) + new Vector<long>(cells[i..])).CopyTo(target[i..]);
            }
        }

        for (; i < cells.Length; i++)
        {
            target[i] += cells[i];
        }
    }
}
