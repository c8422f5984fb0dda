// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Globalization;

namespace ModelMetrics;

/// <summary>What a comparison says about the challenger.</summary>
public enum ComparisonVerdict
{
    /// <summary>Too few labelled outcomes yet, or no difference significant at the chosen level: keep collecting.</summary>
    NotYetSignificant = 0,

    /// <summary>The challenger is right significantly more often than the champion.</summary>
    Better = 1,

    /// <summary>The challenger is right significantly less often than the champion.</summary>
    Worse = 2,
}

/// <summary>The test a comparison used.</summary>
public enum ComparisonTest
{
    /// <summary>McNemar's exact (binomial) test on paired outcomes: used below 25 discordant pairs.</summary>
    McNemarExact = 0,

    /// <summary>McNemar's continuity-corrected χ² test on paired outcomes: used from 25 discordant pairs on.</summary>
    McNemarChiSquare = 1,

    /// <summary>The pooled two-proportion z-test on independent samples (canary traffic).</summary>
    TwoProportionZ = 2,
}

/// <summary>How a champion / challenger comparison decides.</summary>
public sealed class ComparisonOptions
{
    private double _significance = 0.05;
    private long _minimumSamples = 100;

    /// <summary>Gets or sets the significance level: a p-value below it is a verdict.</summary>
    /// <value>The default value is 0.05. Between 0 and 1, exclusive.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not between 0 and 1.</exception>
    public double Significance
    {
        get => _significance;
        set => _significance = value is > 0 and < 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Significance), value, "The significance must be between 0 and 1, exclusive.");
    }

    /// <summary>
    /// Gets or sets the fewest labelled outcomes before any verdict: labelled pairs for a shadow comparison, labelled calls of
    /// each model for a canary. Below it the verdict is <see cref="ComparisonVerdict.NotYetSignificant"/> whatever the p-value,
    /// so that an early streak does not promote or reject a model.
    /// </summary>
    /// <value>The default value is 100. At least 1.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is below 1.</exception>
    public long MinimumSamples
    {
        get => _minimumSamples;
        set => _minimumSamples = value >= 1
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MinimumSamples), value, "The minimum sample count must be at least 1.");
    }
}

/// <summary>
/// The paired outcomes of a shadow run: for each labelled input that both models answered, whether each was right.
/// </summary>
/// <param name="BothCorrect">Both models were right.</param>
/// <param name="ChampionOnlyCorrect">Only the champion was right (McNemar's b).</param>
/// <param name="ChallengerOnlyCorrect">Only the challenger was right (McNemar's c).</param>
/// <param name="BothWrong">Both models were wrong.</param>
public readonly record struct PairedOutcomes(long BothCorrect, long ChampionOnlyCorrect, long ChallengerOnlyCorrect, long BothWrong)
{
    /// <summary>Gets the number of labelled pairs.</summary>
    public long Total => BothCorrect + ChampionOnlyCorrect + ChallengerOnlyCorrect + BothWrong;

    /// <summary>Gets the champion's accuracy over the pairs (0 when there are none).</summary>
    public double ChampionAccuracy => Total == 0 ? 0 : (double)(BothCorrect + ChampionOnlyCorrect) / Total;

    /// <summary>Gets the challenger's accuracy over the pairs (0 when there are none).</summary>
    public double ChallengerAccuracy => Total == 0 ? 0 : (double)(BothCorrect + ChallengerOnlyCorrect) / Total;
}

/// <summary>
/// The result of comparing a challenger with the champion: the test, its p-value, both accuracies, the latency ratios and a
/// verdict. Create one with <see cref="CompareShadow"/> (paired outcomes of a shadow run) or <see cref="CompareCanary"/> (two
/// monitors' snapshots of a canary split). Immutable.
/// </summary>
/// <remarks>
/// The p-values equal statsmodels': <c>mcnemar(table, exact=True)</c> below 25 discordant pairs and
/// <c>mcnemar(table, exact=False, correction=True)</c> from 25 on; <c>proportions_ztest([challenger, champion], [n, n])</c>
/// for a canary. A verdict needs both <see cref="ComparisonOptions.MinimumSamples"/> and a p-value below
/// <see cref="ComparisonOptions.Significance"/>; checking again and again as data comes in raises the chance of a false
/// verdict above the significance level, so choose a strict level (0.01) when a verdict acts on its own (promotes a model).
/// </remarks>
public sealed class ChallengerComparison
{
    private ChallengerComparison(
        ComparisonTest test,
        TestOutcome outcome,
        long championSamples,
        long challengerSamples,
        double championAccuracy,
        double challengerAccuracy,
        LatencySnapshot? championLatency,
        LatencySnapshot? challengerLatency,
        ComparisonOptions options)
    {
        Test = test;
        Statistic = outcome.Statistic;
        PValue = outcome.PValue;
        ChampionSamples = championSamples;
        ChallengerSamples = challengerSamples;
        ChampionAccuracy = championAccuracy;
        ChallengerAccuracy = challengerAccuracy;
        LatencyP50Ratio = Ratio(championLatency, challengerLatency, 0.5);
        LatencyP99Ratio = Ratio(championLatency, challengerLatency, 0.99);
        Significance = options.Significance;
        bool enough = championSamples >= options.MinimumSamples && challengerSamples >= options.MinimumSamples;
        Verdict = !enough || !(PValue < options.Significance) || challengerAccuracy == championAccuracy
            ? ComparisonVerdict.NotYetSignificant
            : challengerAccuracy > championAccuracy ? ComparisonVerdict.Better : ComparisonVerdict.Worse;
    }

    /// <summary>Gets the test used.</summary>
    public ComparisonTest Test { get; }

    /// <summary>Gets the test's statistic: min(b, c) for the exact McNemar test, χ² for the other, z (positive when the challenger is better) for the canary.</summary>
    public double Statistic { get; }

    /// <summary>Gets the two-sided p-value: the chance of a difference at least this large if both models were equally accurate.</summary>
    public double PValue { get; }

    /// <summary>Gets the significance level the verdict was taken at.</summary>
    public double Significance { get; }

    /// <summary>Gets the champion's labelled outcomes (for a shadow comparison, the labelled pairs).</summary>
    public long ChampionSamples { get; }

    /// <summary>Gets the challenger's labelled outcomes (for a shadow comparison, the labelled pairs).</summary>
    public long ChallengerSamples { get; }

    /// <summary>Gets the champion's accuracy over its labelled outcomes.</summary>
    public double ChampionAccuracy { get; }

    /// <summary>Gets the challenger's accuracy over its labelled outcomes.</summary>
    public double ChallengerAccuracy { get; }

    /// <summary>
    /// Gets the challenger's median latency divided by the champion's (above 1: the challenger is slower), or
    /// <see cref="double.NaN"/> when a latency was not given or either model has no calls.
    /// </summary>
    public double LatencyP50Ratio { get; }

    /// <summary>Gets the challenger's 99th-percentile latency divided by the champion's, or <see cref="double.NaN"/> as for <see cref="LatencyP50Ratio"/>.</summary>
    public double LatencyP99Ratio { get; }

    /// <summary>Gets the verdict: better or worse at <see cref="Significance"/>, with enough samples; else not yet significant.</summary>
    public ComparisonVerdict Verdict { get; }

    /// <summary>
    /// Compares the paired outcomes of a shadow run with McNemar's test: exact below 25 discordant pairs, continuity-corrected χ²
    /// from 25 on. <see cref="ShadowComparison.Compare"/> calls this with the pairs it joined.
    /// </summary>
    /// <param name="outcomes">The paired outcomes.</param>
    /// <param name="championLatency">The champion's latency (a window of its monitor), for the ratios; optional.</param>
    /// <param name="challengerLatency">The challenger's latency over the same window, for the ratios; optional.</param>
    /// <param name="options">The significance level and minimum sample; the defaults when <see langword="null"/>.</param>
    /// <returns>The comparison.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count of <paramref name="outcomes"/> is negative.</exception>
    public static ChallengerComparison CompareShadow(
        PairedOutcomes outcomes,
        LatencySnapshot? championLatency = null,
        LatencySnapshot? challengerLatency = null,
        ComparisonOptions? options = null)
    {
        if (outcomes.BothCorrect < 0 || outcomes.ChampionOnlyCorrect < 0 || outcomes.ChallengerOnlyCorrect < 0 || outcomes.BothWrong < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(outcomes), outcomes, "The paired counts must not be negative.");
        }

        bool exact = outcomes.ChampionOnlyCorrect + outcomes.ChallengerOnlyCorrect < ComparisonStatistics.ExactBelow;
        TestOutcome outcome = ComparisonStatistics.McNemar(outcomes.ChampionOnlyCorrect, outcomes.ChallengerOnlyCorrect, exact);
        return new ChallengerComparison(
            exact ? ComparisonTest.McNemarExact : ComparisonTest.McNemarChiSquare,
            outcome,
            outcomes.Total,
            outcomes.Total,
            outcomes.ChampionAccuracy,
            outcomes.ChallengerAccuracy,
            championLatency,
            challengerLatency,
            options ?? new ComparisonOptions());
    }

    /// <summary>
    /// Compares a canary's two models by their monitors' snapshots with the two-proportion z-test: accuracy from
    /// <see cref="ClassificationSnapshot.Correct"/> / <see cref="ClassificationSnapshot.Total"/> and latency from the same window.
    /// </summary>
    /// <param name="champion">A snapshot of the champion's monitor (it must have class labels).</param>
    /// <param name="challenger">A snapshot of the challenger's monitor, taken at the same time.</param>
    /// <param name="window">
    /// The window to compare over, one of both monitors' <see cref="ModelMonitorOptions.Windows"/>; <see langword="null"/> for
    /// everything since the monitors started.
    /// </param>
    /// <param name="options">The significance level and minimum sample; the defaults when <see langword="null"/>.</param>
    /// <returns>The comparison.</returns>
    /// <exception cref="ArgumentException">A monitor has no classification signal, or no window of that length.</exception>
    public static ChallengerComparison CompareCanary(
        ModelMonitorSnapshot champion,
        ModelMonitorSnapshot challenger,
        TimeSpan? window = null,
        ComparisonOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(champion);
        ArgumentNullException.ThrowIfNull(challenger);
        (ClassificationSnapshot championQuality, LatencySnapshot championLatency) = Read(champion, window, nameof(champion));
        (ClassificationSnapshot challengerQuality, LatencySnapshot challengerLatency) = Read(challenger, window, nameof(challenger));
        TestOutcome outcome = challengerQuality.Total > 0 && championQuality.Total > 0
            ? ComparisonStatistics.TwoProportionZ(challengerQuality.Correct, challengerQuality.Total, championQuality.Correct, championQuality.Total)
            : new TestOutcome(0, 1);
        return new ChallengerComparison(
            ComparisonTest.TwoProportionZ,
            outcome,
            championQuality.Total,
            challengerQuality.Total,
            championQuality.Accuracy,
            challengerQuality.Accuracy,
            championLatency,
            challengerLatency,
            options ?? new ComparisonOptions());
    }

    /// <summary>Returns one line: verdict, test, p-value, accuracies, samples and latency ratios.</summary>
    /// <returns>The summary.</returns>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Verdict} ({Test}, p = {PValue:G4} at {Significance:G3}): accuracy {ChallengerAccuracy:P2} vs {ChampionAccuracy:P2} over {ChallengerSamples} / {ChampionSamples}, latency p50 ×{LatencyP50Ratio:F2}, p99 ×{LatencyP99Ratio:F2}");

    private static (ClassificationSnapshot Quality, LatencySnapshot Latency) Read(ModelMonitorSnapshot snapshot, TimeSpan? window, string parameter)
    {
        if (window is not TimeSpan length)
        {
            return (snapshot.Classification ?? throw NoClassification(snapshot, parameter), snapshot.Latency);
        }

        foreach (WindowSnapshot candidate in snapshot.Windows)
        {
            if (candidate.Window == length)
            {
                return (candidate.Classification ?? throw NoClassification(snapshot, parameter), candidate.Latency);
            }
        }

        throw new ArgumentException($"The monitor of {snapshot.ModelName} has no window of {length}; pass one of its ModelMonitorOptions.Windows or null.", nameof(window));
    }

    private static ArgumentException NoClassification(ModelMonitorSnapshot snapshot, string parameter) =>
        new($"The monitor of {snapshot.ModelName} records no classification (set ModelMonitorOptions.ClassLabels) to compare accuracy on.", parameter);

    private static double Ratio(LatencySnapshot? champion, LatencySnapshot? challenger, double quantile)
    {
        if (champion is null || challenger is null || champion.Count == 0 || challenger.Count == 0)
        {
            return double.NaN;
        }

        double baseline = champion.GetQuantile(quantile);
        return baseline > 0 ? challenger.GetQuantile(quantile) / baseline : double.NaN;
    }
}
