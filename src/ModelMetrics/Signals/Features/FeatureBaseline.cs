// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;

namespace ModelMetrics.Signals;

/// <summary>
/// The reference distribution of one feature: its value cells (numeric buckets, or categories then <c>_OTHER</c>)
/// and what every window's comparison needs from them, computed once.
/// </summary>
internal sealed class FeatureBaseline
{
    /// <summary>The number of reference quantile bins of a numeric feature's PSI and Jensen–Shannon distance: deciles.</summary>
    public const int QuantileBins = 10;

    public FeatureBaseline(long[] counts, bool categorical)
    {
        Counts = counts;
        foreach (long count in counts)
        {
            Total += count;
        }

        First = Array.FindIndex(counts, static c => c != 0);
        Last = Array.FindLastIndex(counts, static c => c != 0);
        if (categorical)
        {
            BinStarts = new int[counts.Length];
            for (int i = 0; i < BinStarts.Length; i++)
            {
                BinStarts[i] = i;
            }
        }
        else
        {
            BinStarts = QuantileBinStarts(counts, Total);
        }

        BinShares = new double[BinStarts.Length];
        long[] binCounts = BinCounts(counts, 0, BinStarts, counts.Length);
        for (int i = 0; i < BinShares.Length; i++)
        {
            BinShares[i] = Total == 0 ? 0 : (double)binCounts[i] / Total;
        }
    }

    /// <summary>Gets the reference's count per value cell.</summary>
    public long[] Counts { get; }

    public long Total { get; }

    /// <summary>Gets the first cell with a count, or -1 when empty.</summary>
    public int First { get; }

    /// <summary>Gets the last cell with a count, or -1 when empty.</summary>
    public int Last { get; }

    /// <summary>Gets the first cell of each bin; bin i covers cells [BinStarts[i], BinStarts[i + 1]), the last one to the end.</summary>
    public int[] BinStarts { get; }

    public double[] BinShares { get; }

    /// <summary>Sums cells into bins; <paramref name="cells"/> holds the cells from <paramref name="first"/> on.</summary>
    public static long[] BinCounts(ReadOnlySpan<long> cells, int first, int[] binStarts, int cellCount)
    {
        long[] bins = new long[binStarts.Length];
        int bin = 0;
        for (int i = 0; i < cells.Length; i++)
        {
            int cell = first + i;
            if (cell >= cellCount)
            {
                break;
            }

            while (bin + 1 < binStarts.Length && cell >= binStarts[bin + 1])
            {
                bin++;
            }

            bins[bin] += cells[i];
        }

        return bins;
    }

    /// <summary>
    /// The bins at the reference's deciles: a bin ends after the bucket where the reference's cumulative count reaches
    /// the next tenth, so edges are bucket edges (and bins exact); deciles that fall in one bucket give one bin. The
    /// first bin reaches down to −∞, the last up to +∞.
    /// </summary>
    private static int[] QuantileBinStarts(long[] counts, long total)
    {
        var starts = new List<int> { 0 };
        if (total == 0)
        {
            return [.. starts];
        }

        long cumulative = 0;
        int next = 1;
        for (int cell = 0; cell < counts.Length && next < QuantileBins; cell++)
        {
            cumulative += counts[cell];
            bool reached = false;
            while (next < QuantileBins && cumulative * QuantileBins >= next * total)
            {
                next++;
                reached = true;
            }

            if (reached && cell + 1 < counts.Length && cumulative < total)
            {
                starts.Add(cell + 1);
            }
        }

        // A reference (nearly) constant at one bucket gives one bin, on which nothing could drift: bins below and above
        // it then hold what leaves its range.
        if (starts.Count == 1)
        {
            int first = Array.FindIndex(counts, static c => c != 0);
            int last = Array.FindLastIndex(counts, static c => c != 0);
            if (first > 0)
            {
                starts.Add(first);
            }

            if (last + 1 < counts.Length)
            {
                starts.Add(last + 1);
            }
        }

        return [.. starts];
    }
}
