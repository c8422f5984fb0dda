// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Runtime.CompilerServices;

namespace ModelMetrics.Signals;

/// <summary>
/// The bucket geometry of a numeric feature's sketch: a log-linear layout over doubles with sign, read straight from
/// a double's bits (no logarithm, no search).
/// </summary>
/// <remarks>
/// <para>
/// Each power of two of magnitudes in [2^<see cref="MinExponent"/>, 2^<see cref="MaxExponent"/>) is split into
/// 2^<see cref="SubBucketBits"/> = 32 buckets by the top five bits of the mantissa, on both sides of zero; magnitudes
/// below 2^-20 (about 1e-6) share one zero bucket, and magnitudes from 2^44 (about 1.8e13) on fall into the outermost
/// bucket of their sign. A bucket is at most 1/32 of its lower bound wide, so the value reported for it (its midpoint)
/// is within 1/64 (1.6 %) of every value in it; values in the zero bucket read as 0 (within 2^-20).
/// </para>
/// <para>
/// Buckets are intervals closed on the left: positive bucket j holds [M_j, M_(j+1)), negative bucket j holds
/// [−M_(j+1), −M_j) (its magnitude is taken one unit in the last place lower, which moves the closed end), the zero
/// bucket [−2^-20, 2^-20). So a bin made of whole buckets counts exactly the values in [its lower edge, its upper
/// edge): PSI and Jensen–Shannon on such bins are exact for the values recorded.
/// </para>
/// </remarks>
internal static class FeatureLayout
{
    public const int SubBucketBits = 5;
    public const int MinExponent = -20;
    public const int MaxExponent = 44;

    /// <summary>Buckets per sign: 32 per power of two.</summary>
    public const int PerSign = (MaxExponent - MinExponent) << SubBucketBits;

    /// <summary>The index of the zero bucket; negative buckets lie below it, positive ones above.</summary>
    public const int Zero = PerSign;

    /// <summary>The number of buckets: both signs and the zero bucket.</summary>
    public const int BucketCount = (2 * PerSign) + 1;

    /// <summary>The largest relative error of a bucket's reported value for magnitudes in [2^-20, 2^44): 1/64.</summary>
    public const double MaxRelativeError = 1.0 / (2 << SubBucketBits);

    private const int Shift = 52 - SubBucketBits;

    // The top bits (exponent and 5 mantissa bits) of 2^MinExponent.
    private const long FirstKey = (long)(1023 + MinExponent) << SubBucketBits;

    /// <summary>Returns the bucket of a finite value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int IndexOf(double value)
    {
        long bits = BitConverter.DoubleToInt64Bits(value);
        long negative = bits >> 63; // 0, or -1 for a negative sign (-0.0 included)

        // Note: a negative magnitude is taken one unit lower, so that negative buckets are closed at their lower
        // (more negative) end like positive ones; -0.0 then gives key -1 - FirstKey, the zero bucket.
        long key = (((bits & long.MaxValue) + negative) >> Shift) - FirstKey;
        key = Math.Clamp(key, -1, PerSign - 1);

        // Positive: Zero + 1 + key; negative: Zero - 1 - key (x ^ -1) - (-1) is -x.
        return Zero + (int)(((key + 1) ^ negative) - negative);
    }

    /// <summary>Returns the smallest value of bucket <paramref name="index"/> (0 to <see cref="BucketCount"/>; −∞ for 0, +∞ for <see cref="BucketCount"/>).</summary>
    public static double LowerEdge(int index) => index switch
    {
        <= 0 => double.NegativeInfinity,
        >= BucketCount => double.PositiveInfinity,
        < Zero => -Magnitude(Zero - index),
        Zero => -Magnitude(0),
        _ => Magnitude(index - Zero - 1),
    };

    /// <summary>Returns the value reported for bucket <paramref name="index"/>: its midpoint, 0 for the zero bucket, the finite edge of an outermost one.</summary>
    public static double Representative(int index) => index switch
    {
        Zero => 0,
        0 => LowerEdge(1),
        BucketCount - 1 => LowerEdge(BucketCount - 1),
        _ => (LowerEdge(index) + LowerEdge(index + 1)) / 2,
    };

    /// <summary>M_j: the lower magnitude of positive bucket j, an exact power of two times 1 + k/32.</summary>
    private static double Magnitude(int j) => BitConverter.Int64BitsToDouble((FirstKey + j) << Shift);
}
