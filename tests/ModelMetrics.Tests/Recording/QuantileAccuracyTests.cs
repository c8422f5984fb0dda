// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using ModelMetrics.Recording;
using NUnit.Framework;

namespace ModelMetrics.Tests.Recording;

public class QuantileAccuracyTests
{
    private const int SampleCount = 100_000;

    private static readonly double[] Quantiles = [0, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0];

    public enum Distribution
    {
        LogNormal,
        Pareto,
    }

    private static IEnumerable<TestCaseData> Cases()
    {
        long[][] ranges =
        [
            [1000, 3_600_000_000_000], // 1 µs .. 1 h in 1 GHz ticks (the default monitor range on Linux)
            [1, 1_000_000],
            [50, 1_000_000_000],
        ];
        foreach (long[] range in ranges)
        {
            for (int digits = 1; digits <= 3; digits++)
            {
                foreach (Distribution distribution in new[] { Distribution.LogNormal, Distribution.Pareto })
                {
                    yield return new TestCaseData(range[0], range[1], digits, distribution);
                }
            }
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void GetQuantileTicks_SkewedSamples_AreWithinTheMaxRelativeErrorOfTheExactNearestRank(long lowest, long highest, int digits, Distribution distribution)
    {
        var layout = new HistogramLayout(lowest, highest, digits);
        Assert.That(layout.MaxRelativeError, Is.LessThanOrEqualTo(Math.Pow(10, -digits)));

        long[] samples = Generate(distribution, lowest, highest, seed: (int)(lowest + digits + ((int)distribution * 7)));
        var rejections = new Rejections();
        var histogram = new StripedHistogram(layout, rejections);
        long exactSum = 0;
        foreach (long sample in samples)
        {
            histogram.Record(sample);
            exactSum += sample;
        }

        var counts = new long[layout.BucketCount];
        histogram.AddTo(counts);
        var snapshot = new LatencySnapshot(layout, counts);

        // The sum is the sum of bucket midpoints: within the layout's relative error of the exact sum.
        Assert.That(snapshot.Count, Is.EqualTo(SampleCount));
        Assert.That(snapshot.Sum * Stopwatch.Frequency, Is.EqualTo((double)exactSum).Within(layout.MaxRelativeError * 100).Percent);
        Assert.That(rejections.NonZero(), Is.Empty, "every sample is inside [lowest, highest]");

        Array.Sort(samples);
        Assert.Multiple(() =>
        {
            foreach (double q in Quantiles)
            {
                // Nearest rank, computed in decimal so that 0.999 * 100000 is exactly 99900.
                long rank = Math.Max(1, (long)Math.Ceiling((decimal)q * SampleCount));
                long exact = samples[rank - 1];
                double reported = snapshot.GetQuantileTicks(q);
                double relativeError = Math.Abs(reported - exact) / exact;
                Assert.That(relativeError, Is.LessThanOrEqualTo(layout.MaxRelativeError), $"q={q}: exact {exact}, reported {reported}");
            }
        });
    }

    [TestCase(0.5, 500)]
    [TestCase(0.9, 900)]
    [TestCase(0.99, 990)]
    [TestCase(0.999, 999)]
    [TestCase(0.001, 1)]
    [TestCase(0.0011, 2)]
    [TestCase(1.0, 1000)]
    [TestCase(0.0, 1)]
    public void GetQuantileTicks_UsesNearestRank(double q, long expected)
    {
        // Values 1..1000 in a layout whose buckets below 2^(h+1) hold one value each: quantiles are exact.
        var layout = new HistogramLayout(1, 100_000, 3);
        var counts = new long[layout.BucketCount];
        for (long v = 1; v <= 1000; v++)
        {
            counts[layout.IndexOf(v)]++;
        }

        var snapshot = new LatencySnapshot(layout, counts);

        Assert.That(snapshot.GetQuantileTicks(q), Is.EqualTo(expected));
    }

    [Test]
    public void LatencySnapshot_Empty_ReportsZeros()
    {
        var layout = new HistogramLayout(1000, 3_600_000_000_000, 2);
        var snapshot = new LatencySnapshot(layout, new long[layout.BucketCount]);

        Assert.That(snapshot.Count, Is.Zero);
        Assert.That(snapshot.Sum, Is.Zero);
        Assert.That(snapshot.Mean, Is.Zero);
        Assert.That(snapshot.P50, Is.Zero);
        Assert.That(snapshot.Max, Is.Zero);
    }

    [TestCase(-0.1)]
    [TestCase(1.1)]
    [TestCase(double.NaN)]
    public void GetQuantile_OutsideZeroToOne_Throws(double q)
    {
        var layout = new HistogramLayout(1000, 3_600_000_000_000, 2);
        var snapshot = new LatencySnapshot(layout, new long[layout.BucketCount]);

        Assert.That(() => snapshot.GetQuantile(q), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("quantile"));
    }

    private static long[] Generate(Distribution distribution, long lowest, long highest, int seed)
    {
        var random = new Random(seed);
        var samples = new long[SampleCount];

        // Log-normal centred on the geometric middle of the range with a wide spread; Pareto with a heavy
        // tail (alpha 1.2, so the variance is infinite) starting at 3 * lowest.
        double median = Math.Sqrt((double)lowest * highest);
        double sigma = Math.Log(highest / (double)lowest) / 8;
        for (int i = 0; i < samples.Length; i++)
        {
            long value;
            do
            {
                double x = distribution == Distribution.LogNormal
                    ? median * Math.Exp(sigma * NextGaussian(random))
                    : 3.0 * lowest * Math.Pow(1 - random.NextDouble(), -1 / 1.2);
                value = x >= highest ? long.MaxValue : (long)Math.Round(x);
            }
            while (value < lowest || value > highest);

            samples[i] = value;
        }

        return samples;
    }

    private static double NextGaussian(Random random)
    {
        // Box-Muller.
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
