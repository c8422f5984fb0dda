// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;

namespace ModelMetrics.Signals;

/// <summary>Predicted-class shares (and optionally top-probability bins) that later windows are compared with.</summary>
internal sealed class DriftReference
{
    /// <summary>Shares below this count as this when computing PSI, so that an empty bin gives a large but finite term.</summary>
    public const double MinShare = 1e-4;

    public DriftReference(double[] classShares, double[]? scoreShares)
    {
        ClassShares = classShares;
        ScoreShares = scoreShares;
    }

    public double[] ClassShares { get; }

    public double[]? ScoreShares { get; }

    /// <summary>Returns counts as shares summing to 1, or <see langword="null"/> when all are zero.</summary>
    public static double[]? ToShares(ReadOnlySpan<long> counts, double[]? into = null)
    {
        long total = 0;
        foreach (long c in counts)
        {
            total += c;
        }

        if (total == 0)
        {
            return null;
        }

        double[] shares = into ?? new double[counts.Length];
        for (int i = 0; i < shares.Length; i++)
        {
            shares[i] = (double)counts[i] / total;
        }

        return shares;
    }

    /// <summary>Population stability index: Σ (actual − expected) · ln(actual / expected), shares floored at <see cref="MinShare"/>.</summary>
    public static double PopulationStabilityIndex(IReadOnlyList<double> actual, IReadOnlyList<double> expected)
    {
        double psi = 0;
        for (int i = 0; i < actual.Count; i++)
        {
            double a = Math.Max(actual[i], MinShare);
            double e = Math.Max(expected[i], MinShare);
            psi += (a - e) * Math.Log(a / e);
        }

        return psi;
    }
}
