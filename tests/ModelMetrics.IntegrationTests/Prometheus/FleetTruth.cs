// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using ModelMetrics.TestHost;

namespace ModelMetrics.IntegrationTests.Prometheus;

/// <summary>
/// The exact truth of fleet members' fixed traffic (<see cref="Scenarios"/>), computed in C# to compare with what
/// Prometheus computes from the exported counters.
/// </summary>
internal static class FleetTruth
{
    /// <summary>The default <c>le</c> boundaries of the duration bucket counters, in seconds.</summary>
    public static readonly double[] Boundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    /// <summary>
    /// Relative precision of a bucket counter's boundary: a value within one HDR bucket (at most 2^-6 ≈ 1.6% wide
    /// at the default 2 digits) of <c>le</c> may be counted on either side of it.
    /// </summary>
    public const double BoundaryPrecision = 0.02;

    /// <summary>The cell-wise sum of the members' confusion matrices ([actual][predicted]).</summary>
    public static long[][] Confusion(params IEnumerable<FleetMember> members)
    {
        int k = Scenarios.Classes.Count;
        long[][] sum = [.. Enumerable.Range(0, k).Select(_ => new long[k])];
        foreach (FleetMember member in members)
        {
            for (int actual = 0; actual < k; actual++)
            {
                for (int predicted = 0; predicted < k; predicted++)
                {
                    sum[actual][predicted] += member.Confusion[actual][predicted];
                }
            }
        }

        return sum;
    }

    /// <summary>True positives, false positives and false negatives of class <paramref name="c"/>.</summary>
    public static (long Tp, long Fp, long Fn) Counts(long[][] confusion, int c) =>
        (confusion[c][c],
         Enumerable.Range(0, confusion.Length).Where(a => a != c).Sum(a => confusion[a][c]),
         Enumerable.Range(0, confusion.Length).Where(p => p != c).Sum(p => confusion[c][p]));

    public static double Accuracy(long[][] confusion) =>
        (double)Enumerable.Range(0, confusion.Length).Sum(c => confusion[c][c]) / confusion.Sum(row => row.Sum());

    /// <summary>The unweighted mean of 2TP / (2TP + FP + FN) over the classes present (predicted or actual).</summary>
    public static double MacroF1(long[][] confusion) => Enumerable.Range(0, confusion.Length)
        .Select(c => Counts(confusion, c))
        .Where(n => n.Tp + n.Fp + n.Fn > 0)
        .Average(n => 2.0 * n.Tp / ((2.0 * n.Tp) + n.Fp + n.Fn));

    /// <summary>The nearest-rank quantile of <paramref name="sorted"/>: the smallest value with at least q·n values at or below it.</summary>
    public static double Quantile(double[] sorted, double q) => sorted[Math.Max(0, (int)Math.Ceiling(q * sorted.Length) - 1)];

    /// <summary>How many of <paramref name="sorted"/> are at or below <paramref name="bound"/>.</summary>
    public static int CountAtOrBelow(double[] sorted, double bound)
    {
        int index = Array.BinarySearch(sorted, bound);
        if (index < 0)
        {
            return ~index;
        }

        while (index < sorted.Length && sorted[index] <= bound)
        {
            index++;
        }

        return index;
    }

    /// <summary>The index in <see cref="Boundaries"/> of the bucket holding <paramref name="seconds"/> (the smallest <c>le</c> at or above it).</summary>
    public static int Bucket(double seconds)
    {
        int index = Array.FindIndex(Boundaries, le => seconds <= le);
        return index < 0 ? Boundaries.Length : index;
    }

    /// <summary>The <c>error_type</c> ModelMetrics records for a failure of <paramref name="type"/> (README "Instruments").</summary>
    public static string ErrorType(Type type) => type == typeof(TimeoutException) ? "timeout" : type.FullName!;
}
