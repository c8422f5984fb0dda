// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

namespace ModelMetrics.Signals;

/// <summary>The distances between a feature's window and its reference, computed at reading time from counts.</summary>
internal static class FeatureStatistics
{
    /// <summary>
    /// Jensen–Shannon distance in base 2 (from 0 to 1): the square root of the mean Kullback–Leibler divergence of each
    /// distribution from their mixture, as SciPy's <c>jensenshannon(p, q, base=2)</c>.
    /// </summary>
    public static double JensenShannon(ReadOnlySpan<double> p, ReadOnlySpan<double> q)
    {
        double divergence = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double m = (p[i] + q[i]) / 2;
            if (p[i] > 0)
            {
                divergence += p[i] * Math.Log2(p[i] / m);
            }

            if (q[i] > 0)
            {
                divergence += q[i] * Math.Log2(q[i] / m);
            }
        }

        // Rounding can leave a tiny negative divergence for equal distributions.
        return Math.Sqrt(Math.Max(0, divergence / 2));
    }

    /// <summary>
    /// The chi-square statistic of homogeneity of two rows of counts (the reference and the window) over the columns
    /// that either has, without continuity correction, and its p-value: SciPy's
    /// <c>chi2_contingency([reference, window], correction=False)</c> on those columns.
    /// </summary>
    public static (double Statistic, double PValue) ChiSquare(ReadOnlySpan<long> reference, ReadOnlySpan<long> window)
    {
        double referenceTotal = 0, windowTotal = 0;
        int columns = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            referenceTotal += reference[i];
            windowTotal += window[i];
            columns += reference[i] + window[i] > 0 ? 1 : 0;
        }

        double total = referenceTotal + windowTotal;
        if (columns < 2 || referenceTotal == 0 || windowTotal == 0)
        {
            return (0, 1);
        }

        double statistic = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            double column = reference[i] + window[i];
            if (column == 0)
            {
                continue;
            }

            double expectedReference = column * referenceTotal / total;
            double expectedWindow = column * windowTotal / total;
            statistic += Square(reference[i] - expectedReference) / expectedReference;
            statistic += Square(window[i] - expectedWindow) / expectedWindow;
        }

        return (statistic, ChiSquareSurvival(statistic, columns - 1));
    }

    /// <summary>P(X ≥ <paramref name="x"/>) for a chi-square variable of <paramref name="degrees"/> degrees of freedom: Q(k/2, x/2).</summary>
    public static double ChiSquareSurvival(double x, int degrees) => x <= 0 ? 1 : UpperRegularizedGamma(degrees / 2.0, x / 2);

    /// <summary>
    /// The regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a): by its series below a + 1, by Lentz's
    /// continued fraction above (Numerical Recipes, 6.2), each to a relative 1e-15.
    /// </summary>
    public static double UpperRegularizedGamma(double a, double x)
    {
        if (x <= 0)
        {
            return 1;
        }

        double logPrefix = (a * Math.Log(x)) - x - LogGamma(a);
        if (x < a + 1)
        {
            // P(a, x) = e^(-x) x^a / Γ(a + 1) Σ x^n / ((a + 1) … (a + n)).
            double term = 1 / a, sum = term;
            for (int n = 1; n < 10_000; n++)
            {
                term *= x / (a + n);
                sum += term;
                if (Math.Abs(term) < Math.Abs(sum) * 1e-16)
                {
                    break;
                }
            }

            return Math.Max(0, 1 - (sum * Math.Exp(logPrefix)));
        }

        // Q(a, x) = e^(-x) x^a / Γ(a) · 1 / (x + 1 - a - 1·(1 - a) / (x + 3 - a - 2·(2 - a) / (x + 5 - a - …))).
        const double Tiny = 1e-300;
        double b = x + 1 - a, c = 1 / Tiny, d = 1 / b, h = d;
        for (int i = 1; i < 10_000; i++)
        {
            double an = -i * (i - a);
            b += 2;
            d = (an * d) + b;
            d = Math.Abs(d) < Tiny ? Tiny : d;
            c = b + (an / c);
            c = Math.Abs(c) < Tiny ? Tiny : c;
            d = 1 / d;
            double delta = d * c;
            h *= delta;
            if (Math.Abs(delta - 1) < 1e-16)
            {
                break;
            }
        }

        return Math.Exp(logPrefix) * h;
    }

    /// <summary>ln Γ(x) for x &gt; 0: the Lanczos approximation (g = 7, 9 terms), relative error about 1e-15.</summary>
    public static double LogGamma(double x)
    {
        ReadOnlySpan<double> coefficients =
        [
            0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
        ];

        if (x < 0.5)
        {
            // Reflection: Γ(x) Γ(1 - x) = π / sin(πx).
            return Math.Log(Math.PI / Math.Abs(Math.Sin(Math.PI * x))) - LogGamma(1 - x);
        }

        x -= 1;
        double sum = coefficients[0];
        for (int i = 1; i < coefficients.Length; i++)
        {
            sum += coefficients[i] / (x + i);
        }

        double t = x + 7.5;
        return (0.5 * Math.Log(2 * Math.PI)) + ((x + 0.5) * Math.Log(t)) - t + Math.Log(sum);
    }

    private static double Square(double x) => x * x;
}
