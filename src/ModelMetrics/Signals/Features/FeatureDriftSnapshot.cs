// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using ModelMetrics.Signals;

namespace ModelMetrics;

/// <summary>
/// How far one feature's values in a window moved from its reference (<see cref="FeatureRecorder.CaptureReference()"/>):
/// PSI and Jensen–Shannon distance on bins (the reference's deciles for a numeric feature, the categories and
/// <c>_OTHER</c> for a categorical one), the Kolmogorov–Smirnov statistic and Wasserstein-1 distance of a numeric feature,
/// the chi-square test of a categorical one, and the share of values the reference never had. Immutable.
/// </summary>
/// <remarks>
/// Numeric values are counted in buckets at most 1/32 of their value wide (see the README's features section): PSI and
/// Jensen–Shannon are exact for the bins, whose edges are bucket edges; the Kolmogorov–Smirnov statistic is within the
/// largest share of either side in one bucket of the statistic on the raw values, and Wasserstein-1 within 1/64 of the mean
/// absolute value of each side (plus 2^-20).
/// </remarks>
public sealed class FeatureDriftSnapshot
{
    private FeatureDriftSnapshot(long referenceCount, double[] binEdges, long[] binCounts, double[] referenceShares)
    {
        ReferenceCount = referenceCount;
        BinEdges = binEdges;
        BinCounts = binCounts;
        ReferenceBinShares = referenceShares;
    }

    /// <summary>Gets the number of values in the reference.</summary>
    public long ReferenceCount { get; }

    /// <summary>
    /// Gets the population stability index over the bins: Σ (window − reference) · ln(window / reference) of the bins'
    /// shares, shares below 0.0001 counted as 0.0001 (as <see cref="DriftSnapshot"/>).
    /// </summary>
    public double Psi { get; private set; }

    /// <summary>Gets the Jensen–Shannon distance (base 2, from 0 to 1) between the bins' shares in the window and the reference.</summary>
    public double JensenShannon { get; private set; }

    /// <summary>Gets the two-sample Kolmogorov–Smirnov statistic (largest gap between the cumulative distributions), or <see langword="null"/> for a categorical feature.</summary>
    public double? KolmogorovSmirnov { get; private set; }

    /// <summary>Gets the Wasserstein-1 (earth mover's) distance in the feature's unit, or <see langword="null"/> for a categorical feature.</summary>
    public double? Wasserstein { get; private set; }

    /// <summary>Gets the chi-square statistic of homogeneity of the window's and the reference's category counts (no continuity correction), or <see langword="null"/> for a numeric feature.</summary>
    public double? ChiSquare { get; private set; }

    /// <summary>Gets the p-value of <see cref="ChiSquare"/> (degrees of freedom: the categories either side has, minus one), or <see langword="null"/> for a numeric feature.</summary>
    public double? ChiSquarePValue { get; private set; }

    /// <summary>
    /// Gets the share of the window's values outside the reference's range: below its smallest or above its largest bucket
    /// (numeric), or of categories (<c>_OTHER</c> included) the reference never had (categorical).
    /// </summary>
    public double OutOfRangeShare { get; private set; }

    /// <summary>Gets the edges between the bins of a numeric feature (bin i is [edge i − 1, edge i), the first from −∞, the last to +∞); empty for a categorical one.</summary>
    public IReadOnlyList<double> BinEdges { get; }

    /// <summary>Gets the window's count in each bin.</summary>
    public IReadOnlyList<long> BinCounts { get; }

    /// <summary>Gets the reference's share of each bin.</summary>
    public IReadOnlyList<double> ReferenceBinShares { get; }

    /// <summary>Compares a window's value cells (from <paramref name="first"/> on) with a baseline; null when the window has no value.</summary>
    internal static FeatureDriftSnapshot? Compare(FeatureBaseline reference, ReadOnlySpan<long> cells, int first, bool categorical)
    {
        int cellCount = reference.Counts.Length;
        cells = cells[..Math.Max(0, Math.Min(cells.Length, cellCount - first))];
        long total = 0;
        long outside = 0;
        for (int i = 0; i < cells.Length; i++)
        {
            total += cells[i];
            int cell = first + i;
            if (categorical ? reference.Counts[cell] == 0 : cell < reference.First || cell > reference.Last)
            {
                outside += cells[i];
            }
        }

        if (total == 0 || reference.Total == 0)
        {
            return null;
        }

        long[] bins = FeatureBaseline.BinCounts(cells, first, reference.BinStarts, cellCount);
        double[] shares = Array.ConvertAll(bins, b => (double)b / total);
        double[] edges = categorical ? [] : Array.ConvertAll(reference.BinStarts[1..], FeatureLayout.LowerEdge);
        var drift = new FeatureDriftSnapshot(reference.Total, edges, bins, reference.BinShares)
        {
            Psi = DriftReference.PopulationStabilityIndex(shares, reference.BinShares),
            JensenShannon = FeatureStatistics.JensenShannon(shares, reference.BinShares),
            OutOfRangeShare = (double)outside / total,
        };

        if (categorical)
        {
            long[] window = new long[cellCount];
            cells.CopyTo(window.AsSpan(first));
            (double statistic, double p) = FeatureStatistics.ChiSquare(reference.Counts, window);
            drift.ChiSquare = statistic;
            drift.ChiSquarePValue = p;
        }
        else
        {
            (drift.KolmogorovSmirnov, drift.Wasserstein) = Distances(reference, cells, first, total);
        }

        return drift;
    }

    /// <summary>The Kolmogorov–Smirnov statistic at bucket edges, and Wasserstein-1 = ∫ |F − G| over the buckets' reported values.</summary>
    private static (double Ks, double W1) Distances(FeatureBaseline reference, ReadOnlySpan<long> cells, int first, long total)
    {
        int start = Math.Min(reference.First, first);
        int end = Math.Max(reference.Last, first + cells.Length - 1);
        double referenceTotal = reference.Total;
        long referenceCumulative = 0, windowCumulative = 0;
        double ks = 0, w1 = 0;
        double previousValue = 0, previousGap = 0;
        for (int cell = start; cell <= end; cell++)
        {
            int i = cell - first;
            long windowCount = (uint)i < (uint)cells.Length ? cells[i] : 0;
            long referenceCount = reference.Counts[cell];
            if (windowCount == 0 && referenceCount == 0)
            {
                continue;
            }

            double value = FeatureLayout.Representative(cell);
            w1 += previousGap * (value - previousValue);
            referenceCumulative += referenceCount;
            windowCumulative += windowCount;
            double gap = Math.Abs((referenceCumulative / referenceTotal) - ((double)windowCumulative / total));
            ks = Math.Max(ks, gap);
            previousValue = value;
            previousGap = gap;
        }

        return (ks, w1);
    }
}
