// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using NUnit.Framework;

namespace ModelMetrics.Tests.Rules.Comparison;

public class ChallengerComparisonTests
{
    [Test]
    public void CompareShadow_ChallengerRightMoreOften_IsBetter()
    {
        // b = 10 (only the champion right), c = 40 (only the challenger): χ² = 29²/50 = 16.82, p ≈ 4.1e-5.
        ChallengerComparison result = ChallengerComparison.CompareShadow(new PairedOutcomes(800, 10, 40, 150));

        Assert.Multiple(() =>
        {
            Assert.That(result.Test, Is.EqualTo(ComparisonTest.McNemarChiSquare));
            Assert.That(result.Statistic, Is.EqualTo(29.0 * 29 / 50).Within(1e-12));
            Assert.That(result.PValue, Is.LessThan(1e-4));
            Assert.That(result.ChampionAccuracy, Is.EqualTo(0.81).Within(1e-12));
            Assert.That(result.ChallengerAccuracy, Is.EqualTo(0.84).Within(1e-12));
            Assert.That(result.ChampionSamples, Is.EqualTo(1000));
            Assert.That(result.Verdict, Is.EqualTo(ComparisonVerdict.Better));
        });
    }

    [Test]
    public void CompareShadow_ChallengerWrongMoreOften_IsWorse()
    {
        ChallengerComparison result = ChallengerComparison.CompareShadow(new PairedOutcomes(800, 40, 10, 150));
        Assert.That(result.Verdict, Is.EqualTo(ComparisonVerdict.Worse));
    }

    [Test]
    public void CompareShadow_BelowMinimumSample_IsNotYetSignificantWhateverThePValue()
    {
        // 0 vs 20 discordant pairs: exact p = 2 · 0.5^20 ≈ 1.9e-6, but only 60 pairs.
        ChallengerComparison early = ChallengerComparison.CompareShadow(new PairedOutcomes(30, 0, 20, 10));
        ChallengerComparison enough = ChallengerComparison.CompareShadow(new PairedOutcomes(30, 0, 20, 10), options: new ComparisonOptions { MinimumSamples = 60 });

        Assert.Multiple(() =>
        {
            Assert.That(early.Test, Is.EqualTo(ComparisonTest.McNemarExact));
            Assert.That(early.PValue, Is.EqualTo(2 * Math.Pow(0.5, 20)).Within(1e-15));
            Assert.That(early.Verdict, Is.EqualTo(ComparisonVerdict.NotYetSignificant));
            Assert.That(enough.Verdict, Is.EqualTo(ComparisonVerdict.Better));
        });
    }

    [Test]
    public void CompareShadow_PValueAboveSignificance_IsNotYetSignificant()
    {
        // b = 20, c = 32: χ² = 11²/52 = 2.33, p ≈ 0.127: not significant at 0.05, significant at 0.2.
        var outcomes = new PairedOutcomes(500, 20, 32, 100);
        Assert.Multiple(() =>
        {
            Assert.That(ChallengerComparison.CompareShadow(outcomes).Verdict, Is.EqualTo(ComparisonVerdict.NotYetSignificant));
            Assert.That(ChallengerComparison.CompareShadow(outcomes, options: new ComparisonOptions { Significance = 0.2 }).Verdict, Is.EqualTo(ComparisonVerdict.Better));
        });
    }

    [Test]
    public void CompareShadow_NoDiscordantPairs_PValueIsOne()
    {
        ChallengerComparison result = ChallengerComparison.CompareShadow(new PairedOutcomes(900, 0, 0, 100));
        Assert.Multiple(() =>
        {
            Assert.That(result.PValue, Is.EqualTo(1));
            Assert.That(result.Verdict, Is.EqualTo(ComparisonVerdict.NotYetSignificant));
            Assert.That(result.LatencyP50Ratio, Is.NaN, "no latency given");
        });
    }

    [Test]
    public void CompareShadow_NegativeCount_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ChallengerComparison.CompareShadow(new PairedOutcomes(1, -1, 0, 0)));
    }

    [Test]
    public void Options_OutOfRange_ThrowNamingTheOption()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new ComparisonOptions { Significance = 0 }, Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("Significance"));
            Assert.That(() => new ComparisonOptions { Significance = 1 }, Throws.TypeOf<ArgumentOutOfRangeException>());
            Assert.That(() => new ComparisonOptions { MinimumSamples = 0 }, Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("MinimumSamples"));
        });
    }

    /// <summary>Two monitors of a canary: accuracy from their classification counts, latency ratios from their histograms, over a window.</summary>
    [Test]
    public void CompareCanary_TwoMonitors_ReadsAccuracyAndLatencyOverTheWindow()
    {
        var time = new FakeTimeProvider();
        TimeSpan window = TimeSpan.FromMinutes(5);
        using ModelMonitor champion = NewMonitor("canary-champion", "1", time, window);
        using ModelMonitor challenger = NewMonitor("canary-champion", "2", time, window);
        Record(champion, calls: 1000, correct: 800, seconds: 0.010);
        Record(challenger, calls: 1000, correct: 850, seconds: 0.020);

        ChallengerComparison result = ChallengerComparison.CompareCanary(champion.GetSnapshot(), challenger.GetSnapshot(), window);
        TestOutcome expected = ComparisonStatistics.TwoProportionZ(850, 1000, 800, 1000);

        Assert.Multiple(() =>
        {
            Assert.That(result.Test, Is.EqualTo(ComparisonTest.TwoProportionZ));
            Assert.That(result.ChampionAccuracy, Is.EqualTo(0.80).Within(1e-12));
            Assert.That(result.ChallengerAccuracy, Is.EqualTo(0.85).Within(1e-12));
            Assert.That(result.ChampionSamples, Is.EqualTo(1000));
            Assert.That(result.PValue, Is.EqualTo(expected.PValue).Within(1e-15));
            Assert.That(result.Statistic, Is.Positive, "z is positive when the challenger is better");
            Assert.That(result.Verdict, Is.EqualTo(ComparisonVerdict.Better));

            // The histogram's 1% precision: twice as slow within 2%.
            Assert.That(result.LatencyP50Ratio, Is.EqualTo(2).Within(0.04));
            Assert.That(result.LatencyP99Ratio, Is.EqualTo(2).Within(0.04));
        });
    }

    [Test]
    public void CompareCanary_UnknownWindowOrNoClasses_ThrowsNamingTheParameter()
    {
        var time = new FakeTimeProvider();
        using ModelMonitor champion = NewMonitor("canary-args", "1", time, TimeSpan.FromMinutes(5));
        using ModelMonitor plain = new(new ModelMonitorOptions { ModelName = "canary-args", ModelVersion = "2" });

        Assert.Multiple(() =>
        {
            Assert.That(
                () => ChallengerComparison.CompareCanary(champion.GetSnapshot(), champion.GetSnapshot(), TimeSpan.FromHours(3)),
                Throws.ArgumentException.With.Property("ParamName").EqualTo("window"));
            Assert.That(
                () => ChallengerComparison.CompareCanary(champion.GetSnapshot(), plain.GetSnapshot()),
                Throws.ArgumentException.With.Property("ParamName").EqualTo("challenger"));
        });
    }

    [Test]
    public void CompareCanary_NoLabelsYet_IsNotYetSignificant()
    {
        var time = new FakeTimeProvider();
        using ModelMonitor champion = NewMonitor("canary-empty", "1", time, TimeSpan.FromMinutes(5));
        using ModelMonitor challenger = NewMonitor("canary-empty", "2", time, TimeSpan.FromMinutes(5));

        ChallengerComparison result = ChallengerComparison.CompareCanary(champion.GetSnapshot(), challenger.GetSnapshot());
        Assert.Multiple(() =>
        {
            Assert.That(result.PValue, Is.EqualTo(1));
            Assert.That(result.Verdict, Is.EqualTo(ComparisonVerdict.NotYetSignificant));
            Assert.That(result.LatencyP99Ratio, Is.NaN);
        });
    }

    private static ModelMonitor NewMonitor(string name, string version, TimeProvider time, TimeSpan window) => new(new ModelMonitorOptions
    {
        ModelName = name,
        ModelVersion = version,
        ClassLabels = ["no", "yes"],
        TimeProvider = time,
        Windows = [window],
    });

    private static void Record(ModelMonitor monitor, int calls, int correct, double seconds)
    {
        for (int i = 0; i < calls; i++)
        {
            monitor.RecordCall(seconds);
            monitor.RecordGroundTruth(1, i < correct ? 1 : 0);
        }
    }
}
