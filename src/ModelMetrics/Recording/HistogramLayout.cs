// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Numerics;

namespace ModelMetrics.Recording;

/// <summary>
/// The bucket geometry of a log-linear (HDR-style) histogram over non-negative integer values.
/// </summary>
/// <remarks>
/// <para>
/// Values are first divided by a unit of 2^<c>unitBits</c>. Below 2^(h+1) units every unit has its own
/// bucket (the linear region); above it, each power of two [2^(h+e), 2^(h+e+1)) units is split into
/// 2^h buckets of width 2^e units. So every bucket is at most 2^-h of its lower bound wide, and the
/// bucket's midpoint is within 2^-(h+1) of any value in it.
/// </para>
/// <para>
/// h is the smallest integer with 2^-(h+1) &lt;= 10^-digits, and the unit is the largest power of two
/// that keeps 2^(h+unitBits) &lt;= lowest. Hence every value v with lowest &lt;= v &lt;= highest is reported
/// within a relative error of 10^-digits (1% for the default of 2 digits).
/// </para>
/// <para>
/// Finding a value's bucket is one leading-zero count, two shifts and an add: no search, no logarithm.
/// </para>
/// </remarks>
internal sealed class HistogramLayout
{
    private readonly int _halfBits;   // h: 2^h buckets per power of two
    private readonly int _unitBits;   // values are counted in units of 2^unitBits
    private readonly ulong _linearMask;

    public HistogramLayout(long lowest, long highest, int significantDigits)
    {
        if (lowest < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(lowest), lowest, "The lowest value must be at least 1.");
        }

        if (highest <= lowest)
        {
            throw new ArgumentOutOfRangeException(nameof(highest), highest, "The highest value must be greater than the lowest value.");
        }

        if (significantDigits is < MinDigits or > MaxDigits)
        {
            throw new ArgumentOutOfRangeException(nameof(significantDigits), significantDigits, $"Significant digits must be between {MinDigits} and {MaxDigits}.");
        }

        Lowest = lowest;
        Highest = highest;
        SignificantDigits = significantDigits;

        long tenPow = 1;
        for (int i = 0; i < significantDigits; i++)
        {
            tenPow *= 10;
        }

        int h = 0;
        while ((1L << (h + 1)) < tenPow)
        {
            h++;
        }

        _halfBits = h;
        _unitBits = Math.Max(0, BitOperations.Log2((ulong)lowest) - h);
        _linearMask = (1UL << (h + 1)) - 1;

        int topExponent = Math.Max(0, BitOperations.Log2((ulong)highest >> _unitBits) - h);
        BucketCount = (topExponent + 2) << h;
        MaxRelativeError = 1.0 / (1L << (h + 1));
    }

    /// <summary>Smallest accepted value of <see cref="SignificantDigits"/>.</summary>
    public const int MinDigits = 1;

    /// <summary>Largest accepted value of <see cref="SignificantDigits"/>.</summary>
    public const int MaxDigits = 5;

    public long Lowest { get; }

    public long Highest { get; }

    public int SignificantDigits { get; }

    /// <summary>Gets the number of buckets (the length of a counts array).</summary>
    public int BucketCount { get; }

    /// <summary>Gets the largest relative error of a bucket midpoint for values in [Lowest, Highest].</summary>
    public double MaxRelativeError { get; }

    /// <summary>A layout for durations in Stopwatch ticks from <paramref name="lowest"/> to <paramref name="highest"/>.</summary>
    public static HistogramLayout ForDurations(TimeSpan lowest, TimeSpan highest, int significantDigits) =>
        new(Math.Max(1, ToStopwatchTicks(lowest)), ToStopwatchTicks(highest), significantDigits);

    /// <summary>Converts a <see cref="TimeSpan"/> to Stopwatch ticks, the unit durations are recorded in.</summary>
    public static long ToStopwatchTicks(TimeSpan value) =>
        (long)Math.Round(value.Ticks * ((double)Stopwatch.Frequency / TimeSpan.TicksPerSecond));

    /// <summary>Returns the bucket of a value in [0, <see cref="Highest"/>].</summary>
    public int IndexOf(long value)
    {
        ulong units = (ulong)value >> _unitBits;

        // Note: OR-ing the linear mask makes values in the linear region report exponent 0 without a branch.
        int exponent = (63 - BitOperations.LeadingZeroCount(units | _linearMask)) - _halfBits;
        return (exponent << _halfBits) + (int)(units >> exponent);
    }

    /// <summary>Returns the smallest value that falls into bucket <paramref name="index"/>.</summary>
    public long LowerBound(int index)
    {
        int exponent = Math.Max(0, (index >> _halfBits) - 1);
        long subBucket = index - (exponent << _halfBits);
        return subBucket << (exponent + _unitBits);
    }

    /// <summary>Returns the largest value that falls into bucket <paramref name="index"/>.</summary>
    public long UpperBound(int index) => LowerBound(index) + Width(index) - 1;

    /// <summary>Returns the value reported for bucket <paramref name="index"/>: the middle of its integer range.</summary>
    public double Midpoint(int index) => LowerBound(index) + ((Width(index) - 1) / 2.0);

    private long Width(int index)
    {
        int exponent = Math.Max(0, (index >> _halfBits) - 1);
        return 1L << (exponent + _unitBits);
    }
}
