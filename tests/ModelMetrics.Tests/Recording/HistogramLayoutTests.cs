// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics;
using ModelMetrics.Recording;
using NUnit.Framework;

namespace ModelMetrics.Tests.Recording;

public class HistogramLayoutTests
{
    // (lowest, highest, digits): the default monitor range in 1 GHz ticks, small and mid ranges, and a
    // lowest that is not a power of two with a unit above 1.
    private static readonly object[] Layouts =
    [
        new object[] { 1000L, 3_600_000_000_000L, 1 },
        new object[] { 1000L, 3_600_000_000_000L, 2 },
        new object[] { 1000L, 3_600_000_000_000L, 3 },
        new object[] { 1L, 1_000_000L, 1 },
        new object[] { 1L, 1_000_000L, 2 },
        new object[] { 1L, 1_000_000L, 3 },
        new object[] { 50L, 1_000_000_000L, 1 },
        new object[] { 50L, 1_000_000_000L, 2 },
        new object[] { 50L, 1_000_000_000L, 3 },
        new object[] { 100_000L, 86_400_000_000_000L, 2 },
        new object[] { 3L, 7L, 5 },
    ];

    [TestCase(1, 0.1)]
    [TestCase(2, 0.01)]
    [TestCase(3, 0.001)]
    [TestCase(4, 0.0001)]
    [TestCase(5, 0.00001)]
    public void MaxRelativeError_IsAtMostTenToMinusDigits_AndAPowerOfTwo(int digits, double bound)
    {
        var layout = new HistogramLayout(1000, 3_600_000_000_000, digits);

        Assert.That(layout.MaxRelativeError, Is.LessThanOrEqualTo(bound));

        // Not needlessly fine either: the next coarser power of two would break the bound (bucket count stays small).
        Assert.That(layout.MaxRelativeError * 2, Is.GreaterThan(bound));
        Assert.That(Math.Log2(1 / layout.MaxRelativeError), Is.EqualTo(Math.Round(Math.Log2(1 / layout.MaxRelativeError))));
        Assert.That(layout.SignificantDigits, Is.EqualTo(digits));
    }

    [TestCaseSource(nameof(Layouts))]
    public void IndexOf_IsMonotonicNonDecreasing(long lowest, long highest, int digits)
    {
        var layout = new HistogramLayout(lowest, highest, digits);

        // Every integer up to 300 000, then geometric steps (with their neighbours) up to the highest value.
        // Violations are collected and asserted once: an assertion per value would dominate the run time.
        Assert.That(layout.IndexOf(0), Is.Zero);
        int previous = 0;
        string? firstDecrease = null, firstSkip = null;
        long checkedValues = 0;
        long limit = Math.Min(highest, 300_000);
        for (long v = 1; v <= limit; v++)
        {
            int index = layout.IndexOf(v);
            if (index < previous)
            {
                firstDecrease ??= $"IndexOf({v}) = {index} < IndexOf({v - 1}) = {previous}";
            }

            if (index - previous > 1)
            {
                firstSkip ??= $"IndexOf({v}) = {index} skips buckets after {previous}";
            }

            previous = index;
            checkedValues++;
        }

        for (double x = limit; x < highest; x *= 1.0007)
        {
            long v = (long)x;
            for (long w = v - 1; w <= v + 1 && w <= highest; w++)
            {
                int index = layout.IndexOf(w);
                if (index < previous)
                {
                    firstDecrease ??= $"IndexOf({w}) = {index} < {previous}";
                }

                previous = index;
                checkedValues++;
            }
        }

        int top = layout.IndexOf(highest);
        Assert.Multiple(() =>
        {
            Assert.That(firstDecrease, Is.Null);
            Assert.That(firstSkip, Is.Null, "consecutive integers must land in the same or the next bucket");
            Assert.That(top, Is.GreaterThanOrEqualTo(previous));
            Assert.That(checkedValues, Is.GreaterThanOrEqualTo(limit));
        });
    }

    [TestCaseSource(nameof(Layouts))]
    public void EveryBucket_BoundsMapBackToTheSameBucket_AndBucketsTile(long lowest, long highest, int digits)
    {
        var layout = new HistogramLayout(lowest, highest, digits);

        Assert.That(layout.LowerBound(0), Is.Zero);
        string? firstProblem = null;
        for (int i = 0; i < layout.BucketCount && firstProblem is null; i++)
        {
            long lower = layout.LowerBound(i);
            long upper = layout.UpperBound(i);
            if (upper < lower)
            {
                firstProblem = $"bucket {i}: upper {upper} < lower {lower}";
            }
            else if (layout.IndexOf(lower) != i || layout.IndexOf(upper) != i)
            {
                firstProblem = $"bucket {i} [{lower}, {upper}]: IndexOf(lower) = {layout.IndexOf(lower)}, IndexOf(upper) = {layout.IndexOf(upper)}";
            }
            else if (layout.Midpoint(i) != (lower + upper) / 2.0)
            {
                firstProblem = $"bucket {i} [{lower}, {upper}]: midpoint {layout.Midpoint(i)}";
            }
            else if (i > 0 && lower != layout.UpperBound(i - 1) + 1)
            {
                // Buckets tile the integers: no gap and no overlap with the previous bucket.
                firstProblem = $"bucket {i} starts at {lower}, the previous one ends at {layout.UpperBound(i - 1)}";
            }
        }

        Assert.That(firstProblem, Is.Null);
    }

    [TestCaseSource(nameof(Layouts))]
    public void RandomValues_LieWithinTheirBucket_AndTheMidpointIsWithinTheRelativeError(long lowest, long highest, int digits)
    {
        var layout = new HistogramLayout(lowest, highest, digits);
        var random = new Random(12345);
        double logLowest = Math.Log(lowest);
        double logHighest = Math.Log(highest);
        string? firstProblem = null;
        double worstError = 0;
        for (int n = 0; n < 200_000 && firstProblem is null; n++)
        {
            // Log-uniform over [lowest, highest], plus some uniform values over [0, highest].
            long v = n % 4 == 0
                ? random.NextInt64(0, highest + 1)
                : Math.Clamp((long)Math.Exp(logLowest + (random.NextDouble() * (logHighest - logLowest))), lowest, highest);

            int index = layout.IndexOf(v);
            if (index < 0 || index >= layout.BucketCount || layout.LowerBound(index) > v || layout.UpperBound(index) < v)
            {
                firstProblem = $"value {v} -> bucket {index} of {layout.BucketCount}";
            }
            else if (v >= lowest)
            {
                worstError = Math.Max(worstError, Math.Abs(layout.Midpoint(index) - v) / v);
            }
        }

        Assert.That(firstProblem, Is.Null);
        Assert.That(worstError, Is.LessThanOrEqualTo(layout.MaxRelativeError));
    }

    [TestCaseSource(nameof(Layouts))]
    public void BucketsAtOrAboveLowest_AreAtMostTwiceTheRelativeErrorWide_OrExact(long lowest, long highest, int digits)
    {
        var layout = new HistogramLayout(lowest, highest, digits);
        int first = layout.IndexOf(lowest);
        int last = layout.IndexOf(highest);
        int exactBuckets = 0;
        for (int i = first; i <= last; i++)
        {
            long lower = layout.LowerBound(i);
            long width = layout.UpperBound(i) - lower + 1;
            if (width == 1)
            {
                // A one-value bucket reports its value exactly, so its relative width does not matter
                // (with lowest = 1 the bucket [1, 1] is 100% of its lower bound wide but has no error).
                exactBuckets++;
                continue;
            }

            double relativeWidth = width / (double)lower;
            Assert.That(relativeWidth, Is.LessThanOrEqualTo(2 * layout.MaxRelativeError), $"bucket {i} [{lower}, {layout.UpperBound(i)}]");
        }

        // Only where the unit is a single value (lowest below 2^h) are there exact buckets at or above lowest.
        Assert.That(exactBuckets, lowest >= 1L << (int)Math.Log2(1 / layout.MaxRelativeError) ? Is.Zero : Is.Positive);
    }

    [TestCaseSource(nameof(Layouts))]
    public void IndexOfHighest_IsBelowBucketCount_AndNoRowOfBucketsIsWasted(long lowest, long highest, int digits)
    {
        var layout = new HistogramLayout(lowest, highest, digits);
        int top = layout.IndexOf(highest);

        Assert.That(top, Is.LessThan(layout.BucketCount));
        Assert.That(layout.UpperBound(layout.BucketCount - 1), Is.GreaterThanOrEqualTo(highest));

        // The layout has no unused power of two above highest: the last bucket ends below 2 * highest
        // (or the layout is all linear region, which is as small as it gets).
        int bucketsPerPowerOfTwo = (int)Math.Round(1 / (2 * layout.MaxRelativeError));
        if (layout.BucketCount > 2 * bucketsPerPowerOfTwo)
        {
            Assert.That(top, Is.GreaterThanOrEqualTo(layout.BucketCount - bucketsPerPowerOfTwo), "highest is in the last row");
            Assert.That(layout.UpperBound(layout.BucketCount - 1), Is.LessThan(2 * highest));
        }
        else
        {
            Assert.That(layout.BucketCount, Is.EqualTo(2 * bucketsPerPowerOfTwo));
        }
    }

    [Test]
    public void DefaultMonitorLayout_IsOneMicrosecondToOneHourAtTwoDigits_AndFitsIn64KiBPerStripe()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(DefaultMonitorLayout_IsOneMicrosecondToOneHourAtTwoDigits_AndFitsIn64KiBPerStripe) });
        HistogramLayout layout = monitor.Calls.Latency.Histogram.Layout;

        Assert.That(layout.Lowest, Is.EqualTo((long)Math.Round(Stopwatch.Frequency / 1e6)));
        Assert.That(layout.Highest, Is.EqualTo(3600 * Stopwatch.Frequency));
        Assert.That(layout.SignificantDigits, Is.EqualTo(2));
        Assert.That(layout.MaxRelativeError, Is.LessThanOrEqualTo(0.01));
        Assert.That(layout.BucketCount * sizeof(long), Is.LessThanOrEqualTo(64 * 1024));

        // Whatever the Stopwatch frequency, the same range at 1 GHz (Linux) and 10 MHz (Windows) also fits.
        Assert.That(new HistogramLayout(1000, 3_600_000_000_000, 2).BucketCount * sizeof(long), Is.LessThanOrEqualTo(64 * 1024));
        Assert.That(new HistogramLayout(10, 36_000_000_000, 2).BucketCount * sizeof(long), Is.LessThanOrEqualTo(64 * 1024));
    }

    [Test]
    public void Constructor_InvalidArguments_Throw()
    {
        Assert.That(() => new HistogramLayout(0, 10, 2), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("lowest"));
        Assert.That(() => new HistogramLayout(10, 10, 2), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("highest"));
        Assert.That(() => new HistogramLayout(10, 100, 0), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("significantDigits"));
        Assert.That(() => new HistogramLayout(10, 100, 6), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("significantDigits"));
    }
}
