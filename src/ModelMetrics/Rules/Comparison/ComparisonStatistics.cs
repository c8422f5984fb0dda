// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

namespace ModelMetrics;

/// <summary>A test's statistic and its two-sided p-value.</summary>
/// <param name="Statistic">The statistic (z, χ², or the smaller discordant count of the exact McNemar test).</param>
/// <param name="PValue">The two-sided p-value, in [0, 1].</param>
internal readonly record struct TestOutcome(double Statistic, double PValue);

/// <summary>
/// The tests that compare a champion with a challenger, written to give the same numbers as statsmodels
/// (<c>statsmodels.stats.contingency_tables.mcnemar</c>, <c>statsmodels.stats.proportion.proportions_ztest</c>) and the
/// distribution tails as scipy, with no dependency: the normal and χ²(1) tails come from the regularized upper incomplete
/// gamma function Q(½, x), evaluated by its series or continued fraction to double precision.
/// </summary>
internal static class ComparisonStatistics
{
    /// <summary>
    /// Below this many discordant pairs McNemar's test uses the exact binomial distribution (the χ² approximation is poor
    /// there); from it on, the continuity-corrected χ². The usual rule of thumb (statsmodels' documentation, Fagerland et al.).
    /// </summary>
    public const long ExactBelow = 25;

    // ln Γ(½) = ln √π.
    private const double LogGammaHalf = 0.57236494292470008707171367567652935582364740645766;
    private const double Epsilon = 1e-15;
    private const double Tiny = 1e-300;
    private const int MaxIterations = 10_000;

    /// <summary>
    /// McNemar's test of paired outcomes: <paramref name="championOnly"/> pairs where only the champion was right,
    /// <paramref name="challengerOnly"/> where only the challenger was (the concordant pairs do not enter the test).
    /// </summary>
    /// <param name="championOnly">b: champion right, challenger wrong.</param>
    /// <param name="challengerOnly">c: champion wrong, challenger right.</param>
    /// <param name="exact">
    /// <see langword="true"/>: the exact binomial test (statistic min(b, c), p = min(1, 2·P[Bin(b+c, ½) ≤ min(b, c)]));
    /// <see langword="false"/>: the continuity-corrected χ² ((|b − c| − 1)² / (b + c), one degree of freedom).
    /// </param>
    /// <returns>The statistic and p-value; p = 1 when there is no discordant pair.</returns>
    public static TestOutcome McNemar(long championOnly, long challengerOnly, bool exact)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(championOnly);
        ArgumentOutOfRangeException.ThrowIfNegative(challengerOnly);
        long discordant = championOnly + challengerOnly;
        if (exact)
        {
            long smaller = Math.Min(championOnly, challengerOnly);
            return new TestOutcome(smaller, Math.Min(1, 2 * BinomialCdf(smaller, discordant, 0.5)));
        }

        if (discordant == 0)
        {
            // statsmodels divides by zero here (NaN); no evidence either way is p = 1.
            return new TestOutcome(0, 1);
        }

        double corrected = Math.Abs((double)championOnly - challengerOnly) - 1;
        double statistic = corrected * corrected / discordant;
        return new TestOutcome(statistic, ChiSquare1Survival(statistic));
    }

    /// <summary>
    /// The two-proportion z-test with the pooled variance, two-sided: z = (p₁ − p₂) / √(p̄(1 − p̄)(1/n₁ + 1/n₂)).
    /// </summary>
    /// <param name="successes1">Successes of the first sample.</param>
    /// <param name="trials1">Size of the first sample, at least 1.</param>
    /// <param name="successes2">Successes of the second sample.</param>
    /// <param name="trials2">Size of the second sample, at least 1.</param>
    /// <returns>z (positive when the first proportion is larger) and its p-value; z = 0, p = 1 when the pooled variance is 0.</returns>
    public static TestOutcome TwoProportionZ(long successes1, long trials1, long successes2, long trials2)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trials1);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(trials2);
        ArgumentOutOfRangeException.ThrowIfNegative(successes1);
        ArgumentOutOfRangeException.ThrowIfNegative(successes2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(successes1, trials1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(successes2, trials2);
        double pooled = (double)(successes1 + successes2) / (trials1 + trials2);
        double variance = pooled * (1 - pooled) * ((1.0 / trials1) + (1.0 / trials2));
        if (variance <= 0)
        {
            // Both samples all right or all wrong: no difference to test (statsmodels returns NaN).
            return new TestOutcome(0, 1);
        }

        double z = (((double)successes1 / trials1) - ((double)successes2 / trials2)) / Math.Sqrt(variance);
        return new TestOutcome(z, 2 * NormalSurvival(Math.Abs(z)));
    }

    /// <summary>P[Z &gt; z] for a standard normal Z (scipy's <c>norm.sf</c>), to double precision relative to the result.</summary>
    /// <param name="z">The point.</param>
    /// <returns>The upper tail.</returns>
    public static double NormalSurvival(double z)
    {
        if (double.IsNaN(z))
        {
            return double.NaN;
        }

        // For Z ≥ 0: P[Z > z] = ½·erfc(z/√2) = ½·Q(½, z²/2). The lower half follows by symmetry.
        double half = 0.5 * UpperRegularizedGamma(0.5, 0.5 * z * z);
        return z >= 0 ? half : 1 - half;
    }

    /// <summary>P[X &gt; x] for X ~ χ² with one degree of freedom (scipy's <c>chi2.sf(x, 1)</c>) = Q(½, x/2).</summary>
    /// <param name="x">The point.</param>
    /// <returns>The upper tail; 1 for x ≤ 0.</returns>
    public static double ChiSquare1Survival(double x) =>
        double.IsNaN(x) ? double.NaN : x <= 0 ? 1 : UpperRegularizedGamma(0.5, 0.5 * x);

    /// <summary>P[X ≤ k] for X ~ Binomial(n, p) (scipy's <c>binom.cdf</c>), summed exactly term by term.</summary>
    /// <param name="k">The point.</param>
    /// <param name="n">The trials, at least 0.</param>
    /// <param name="p">The success probability, in (0, 1).</param>
    /// <returns>The lower tail.</returns>
    /// <remarks>
    /// O(k) work: the term at k is built as a product of ratios (no log-gamma needed) and the sum runs down from it with
    /// the ratio of successive terms. The relative error is a few ulps per term, far below 1e-12 for the n of McNemar's
    /// exact branch (under 25); for n in the thousands the first term may underflow only where the tail itself is below
    /// 1e-300.
    /// </remarks>
    public static double BinomialCdf(long k, long n, double p)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (k < 0)
        {
            return 0;
        }

        if (k >= n)
        {
            return 1;
        }

        // log of C(n, k) p^k (1-p)^(n-k), built as a sum of logs of ratios.
        double logTerm = (k * Math.Log(p)) + ((n - k) * Math.Log(1 - p));
        for (long j = 1; j <= k; j++)
        {
            logTerm += Math.Log((double)(n - k + j) / j);
        }

        double term = Math.Exp(logTerm);
        double sum = term;
        double odds = (1 - p) / p;
        for (long i = k; i > 0 && term > 0; i--)
        {
            // term(i-1) = term(i) · i / (n - i + 1) · (1 - p) / p
            term *= i / (double)(n - i + 1) * odds;
            sum += term;
            if (term < sum * Epsilon)
            {
                break;
            }
        }

        return Math.Min(1, sum);
    }

    /// <summary>
    /// The regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a), for a = ½ (the only use here): the series
    /// of P(a, x) below x = a + 1, Lentz's continued fraction above (Numerical Recipes §6.2), each to double precision.
    /// </summary>
    /// <param name="a">½.</param>
    /// <param name="x">The point, at least 0.</param>
    /// <returns>Q(a, x).</returns>
    internal static double UpperRegularizedGamma(double a, double x)
    {
        if (x <= 0)
        {
            return 1;
        }

        if (double.IsPositiveInfinity(x))
        {
            return 0;
        }

        // x^a e^{-x} / Γ(a), with Γ(½) = √π.
        double prefix = Math.Exp((a * Math.Log(x)) - x - LogGammaHalf);
        if (x < a + 1)
        {
            // P(a, x) = x^a e^{-x} / Γ(a) · Σ x^n / (a (a+1) … (a+n)); Q = 1 − P, which is ≥ 0.08 here, so no cancellation.
            double denominator = a;
            double term = 1 / a;
            double sum = term;
            for (int n = 0; n < MaxIterations; n++)
            {
                denominator += 1;
                term *= x / denominator;
                sum += term;
                if (Math.Abs(term) < Math.Abs(sum) * Epsilon)
                {
                    break;
                }
            }

            return 1 - (sum * prefix);
        }

        // Q(a, x) = x^a e^{-x} / Γ(a) · 1/(x+1-a- 1·(1-a)/(x+3-a- 2·(2-a)/(x+5-a- …))), by the modified Lentz method.
        double b = x + 1 - a;
        double c = 1 / Tiny;
        double d = 1 / b;
        double fraction = d;
        for (int i = 1; i < MaxIterations; i++)
        {
            double an = -i * (i - a);
            b += 2;
            d = (an * d) + b;
            if (Math.Abs(d) < Tiny)
            {
                d = Tiny;
            }

            c = b + (an / c);
            if (Math.Abs(c) < Tiny)
            {
                c = Tiny;
            }

            d = 1 / d;
            double delta = d * c;
            fraction *= delta;
            if (Math.Abs(delta - 1) < Epsilon)
            {
                break;
            }
        }

        return prefix * fraction;
    }
}
