// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Linq;

namespace ModelMetrics.Tests.Signals.Features;

/// <summary>Seeded samples of known distributions for the feature tests.</summary>
internal static class FeatureData
{
    public static double[] Normal(int seed, int count, double mean = 0, double deviation = 1)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => mean + (deviation * Gaussian(random)))];
    }

    public static double[] LogNormal(int seed, int count, double mu = 3, double sigma = 0.8, double scale = 1)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => scale * Math.Exp(mu + (sigma * Gaussian(random))))];
    }

    /// <summary>Two normal modes at -2 and 3 (deviation 0.7), the first with weight <paramref name="firstWeight"/>.</summary>
    public static double[] Bimodal(int seed, int count, double firstWeight = 0.5)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => (random.NextDouble() < firstWeight ? -2 : 3) + (0.7 * Gaussian(random)))];
    }

    /// <summary>Category indexes drawn with the given weights; index <c>weights.Length</c> would be a category nobody declared.</summary>
    public static double[] Categories(int seed, int count, params double[] weights)
    {
        var random = new Random(seed);
        double total = weights.Sum();
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            double u = random.NextDouble() * total;
            for (int i = 0; i < weights.Length; i++)
            {
                u -= weights[i];
                if (u < 0)
                {
                    return (double)i;
                }
            }

            return weights.Length - 1.0;
        })];
    }

    private static double Gaussian(Random random)
    {
        // Box–Muller.
        double u1 = 1 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
