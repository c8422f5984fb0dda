// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using ModelMetrics.Recording;
using ModelMetrics.Signals;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Regression;

/// <summary>
/// Regression metrics from <see cref="RegressionCounts"/>: values on hand-computed data, zero-division edges,
/// saturation, numerical stability against a two-pass reference, exact totals under concurrent writers and
/// recent windows through <see cref="RollingWindow{T}"/> of doubles.
/// </summary>
public class RegressionTests
{
    private const int PerThread = 1_000_000;
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    // ---- Values on a small dataset, computed by hand ----

    [Test]
    public void Snapshot_SmallDataset_MatchesHandComputedValues()
    {
        // (predicted, actual) and e = predicted - actual:
        //   (2.5, 3)  e = -0.5
        //   (0, -0.5) e =  0.5
        //   (2, 2)    e =  0
        //   (8, 7)    e =  1
        //   (1, 0)    e =  1     <- zero actual: in every metric but MAPE
        var counts = new RegressionCounts();
        counts.Record(2.5, 3);
        counts.Record(0, -0.5);
        counts.Record(2, 2);
        counts.Record(8, 7);
        counts.Record(1, 0);

        RegressionSnapshot snapshot = Snapshot(counts);

        Assert.That(snapshot.Count, Is.EqualTo(5));
        Assert.That(snapshot.ZeroActuals, Is.EqualTo(1));

        // Σe = -0.5 + 0.5 + 0 + 1 + 1 = 2 -> 2 / 5
        Assert.That(snapshot.MeanError, Is.EqualTo(0.4));

        // Σ|e| = 0.5 + 0.5 + 0 + 1 + 1 = 3 -> 3 / 5
        Assert.That(snapshot.MeanAbsoluteError, Is.EqualTo(0.6));

        // Σe² = 0.25 + 0.25 + 0 + 1 + 1 = 2.5 -> 2.5 / 5; RMSE = √0.5
        Assert.That(snapshot.MeanSquaredError, Is.EqualTo(0.5));
        Assert.That(snapshot.RootMeanSquaredError, Is.EqualTo(Math.Sqrt(0.5)));

        // ȳ = (3 - 0.5 + 2 + 7 + 0) / 5 = 2.3; SS_tot = 0.7² + 2.8² + 0.3² + 4.7² + 2.3²
        //   = 0.49 + 7.84 + 0.09 + 22.09 + 5.29 = 35.8 (check: Σy² - (Σy)²/n = 62.25 - 11.5²/5 = 35.8)
        // R² = 1 - 2.5 / 35.8 = 0.93016759776536...
        Assert.That(snapshot.RSquared, Is.EqualTo(1 - (2.5 / 35.8)).Within(1e-14));

        // Over the 4 nonzero actuals: 0.5/3 + 0.5/0.5 + 0/2 + 1/7 = 1/6 + 1 + 1/7 = 55/42 -> (55/42) / 4 = 55/168
        Assert.That(snapshot.MeanAbsolutePercentageError, Is.EqualTo(55.0 / 168).Within(1e-15));
    }

    [Test]
    public void Shift_IsTheFirstActual_AndRejectedPairsDoNotSetIt()
    {
        var counts = new RegressionCounts();
        Assert.That(counts.Shift, Is.NaN);

        counts.Record(double.NaN, 3);
        counts.Record(1, double.PositiveInfinity);
        Assert.That(counts.Shift, Is.NaN);

        counts.Record(10, 7);
        counts.Record(10, 9);
        Assert.That(counts.Shift, Is.EqualTo(7));
    }

    // ---- Zero-division edges ----

    [Test]
    public void Snapshot_NoPairs_IsAllZero()
    {
        AssertEmpty(Snapshot(new RegressionCounts()));
        AssertEmpty(RegressionCounts.CreateSnapshot(new double[RegressionCounts.CellCount]));
        AssertEmpty(RegressionCounts.CreateWindowSnapshot(new double[RegressionCounts.CellCount], new double[RegressionCounts.CellCount]));
    }

    [Test]
    public void Snapshot_NonFinitePairs_AreIgnored()
    {
        var counts = new RegressionCounts();
        counts.Record(double.NaN, 1);
        counts.Record(1, double.NaN);
        counts.Record(double.PositiveInfinity, 1);
        counts.Record(1, double.NegativeInfinity);

        AssertEmpty(Snapshot(counts));
    }

    [Test]
    public void RSquared_ConstantActualsAndExactPredictions_IsOne()
    {
        // SS_tot = 0 and SS_res = 0: scikit-learn's r2_score(force_finite=True) returns 1.0.
        var counts = new RegressionCounts();
        for (int i = 0; i < 10; i++)
        {
            counts.Record(4.2, 4.2);
        }

        RegressionSnapshot snapshot = Snapshot(counts);

        Assert.That(snapshot.RSquared, Is.EqualTo(1.0));
        Assert.That(snapshot.MeanSquaredError, Is.Zero);
        Assert.That(snapshot.MeanAbsolutePercentageError, Is.Zero);
    }

    [Test]
    public void RSquared_ConstantActualsAndWrongPredictions_IsZero()
    {
        // SS_tot = 0 and SS_res > 0: scikit-learn's r2_score(force_finite=True) returns 0.0, not -infinity.
        // e = +1, -1, +1, -1: ME 0, MAE 1, MSE 1; MAPE = 1 / 4.
        var counts = new RegressionCounts();
        for (int i = 0; i < 4; i++)
        {
            counts.Record(i % 2 == 0 ? 5 : 3, 4);
        }

        RegressionSnapshot snapshot = Snapshot(counts);

        Assert.That(snapshot.RSquared, Is.EqualTo(0.0));
        Assert.That(snapshot.MeanError, Is.Zero);
        Assert.That(snapshot.MeanAbsoluteError, Is.EqualTo(1));
        Assert.That(snapshot.MeanSquaredError, Is.EqualTo(1));
        Assert.That(snapshot.MeanAbsolutePercentageError, Is.EqualTo(0.25));
    }

    [Test]
    public void Snapshot_AllActualsZero_MapeIsZeroAndEveryPairCountsAsZeroActual()
    {
        // e = 1, -2, 0.5: ME = -0.5 / 3, MAE = 3.5 / 3, MSE = (1 + 4 + 0.25) / 3 = 1.75; SS_tot = 0 -> R² 0.
        var counts = new RegressionCounts();
        counts.Record(1, 0);
        counts.Record(-2, 0);
        counts.Record(0.5, -0.0);

        RegressionSnapshot snapshot = Snapshot(counts);

        Assert.That(snapshot.Count, Is.EqualTo(3));
        Assert.That(snapshot.ZeroActuals, Is.EqualTo(3));
        Assert.That(snapshot.MeanAbsolutePercentageError, Is.Zero);
        Assert.That(snapshot.MeanError, Is.EqualTo(-0.5 / 3));
        Assert.That(snapshot.MeanAbsoluteError, Is.EqualTo(3.5 / 3));
        Assert.That(snapshot.MeanSquaredError, Is.EqualTo(1.75));
        Assert.That(snapshot.RSquared, Is.EqualTo(0.0));
    }

    [Test]
    public void Snapshot_HugeValues_SaturateInsteadOfOverflowing()
    {
        // e = ±2e300: Σ|e| = 4e300 fits, so MAE is exact; e² = 4e600 overflows and each square, and their sum,
        // saturates at double.MaxValue: MSE reads MaxValue / 2 (a lower bound of the true 4e600), RMSE its root.
        // The shift is the first actual, -1e300, so d = 0 and 2e300 and Σd² saturates too: SS_tot computes as
        // MaxValue - 2e300 · 1e300 = -infinity, which the R² rule reads as "no spread" -> 0 (SS_res > 0).
        // MAPE: |e| / |y| = 2e300 / 1e300 = 2 for both.
        var counts = new RegressionCounts();
        counts.Record(1e300, -1e300);
        counts.Record(-1e300, 1e300);

        RegressionSnapshot snapshot = Snapshot(counts);

        AssertFinite(snapshot);
        Assert.That(snapshot.Count, Is.EqualTo(2));
        Assert.That(snapshot.MeanError, Is.Zero);
        Assert.That(snapshot.MeanAbsoluteError, Is.EqualTo(2e300));
        Assert.That(snapshot.MeanSquaredError, Is.EqualTo(double.MaxValue / 2));
        Assert.That(snapshot.RootMeanSquaredError, Is.EqualTo(Math.Sqrt(double.MaxValue / 2)));
        Assert.That(snapshot.RSquared, Is.EqualTo(0.0));
        Assert.That(snapshot.MeanAbsolutePercentageError, Is.EqualTo(2));
    }

    [Test]
    public void Snapshot_ExtremeValuesInEveryCombination_NeverNaNOrInfinite()
    {
        // Every pair of these values, including errors that overflow (MaxValue - -MaxValue), relative errors
        // that overflow (1e300 / 5e-324) and signed zeros; the cumulative and a window snapshot after each pair.
        double[] values = [0, -0.0, double.Epsilon, -double.Epsilon, 1e-300, 1, -1, 1e154, -1e154, 1e300, -1e300, double.MaxValue, -double.MaxValue];
        var counts = new RegressionCounts();
        var window = new RollingWindow<double>(RegressionCounts.CellCount, Window, nowTicks: 0);
        var recent = new double[RegressionCounts.CellCount];
        long seconds = 0;
        var problems = new List<string>();
        foreach (double predicted in values)
        {
            foreach (double actual in values)
            {
                counts.Record(predicted, actual);
                double[] cumulative = Read(counts);
                window.Update(TimeSpan.FromSeconds(seconds += 7).Ticks, cumulative, recent);
                foreach (double cell in cumulative)
                {
                    if (!double.IsFinite(cell) || cell < 0)
                    {
                        problems.Add($"after ({predicted}, {actual}): cell {cell}");
                    }
                }

                CheckInvariants(RegressionCounts.CreateSnapshot(cumulative), $"cumulative after ({predicted}, {actual})", problems);
                CheckInvariants(RegressionCounts.CreateWindowSnapshot(recent, cumulative), $"window after ({predicted}, {actual})", problems);
            }
        }

        Assert.That(problems, Is.Empty);
        Assert.That(Snapshot(counts).Count, Is.EqualTo(values.Length * values.Length));
    }

    // ---- Numerical stability ----

    [Test]
    public void Snapshot_LargeMeanSmallSpread_MatchesTwoPassReference()
    {
        // y = 1e9 + N(0, 1), predicted = y + N(0, 0.5²): R² ≈ 1 - 0.25 = 0.75, MSE ≈ 0.25.
        const int N = 100_000;
        var random = new Random(20240611);
        var actuals = new double[N];
        var predictions = new double[N];
        var counts = new RegressionCounts();
        for (int i = 0; i < N; i++)
        {
            actuals[i] = 1e9 + Gaussian(random);
            predictions[i] = actuals[i] + (0.5 * Gaussian(random));
            counts.Record(predictions[i], actuals[i]);
        }

        // Reference: the corrected two-pass algorithm (Chan, Golub and LeVeque 1983): the mean by a compensated
        // sum, then SS_tot = Σ(y - m)² - (Σ(y - m))² / n, whose second term removes the first-order error of m.
        double mean = CompensatedSum(actuals) / N;
        double deviations = 0, squaredDeviations = 0, squaredErrors = 0;
        for (int i = 0; i < N; i++)
        {
            double d = actuals[i] - mean;
            deviations += d;
            squaredDeviations += d * d;
            double e = predictions[i] - actuals[i];
            squaredErrors += e * e;
        }

        double totalSquares = squaredDeviations - (deviations * deviations / N);
        double expectedR2 = 1 - (squaredErrors / totalSquares);
        double expectedMse = squaredErrors / N;

        RegressionSnapshot snapshot = Snapshot(counts);

        Assert.That(snapshot.MeanSquaredError, Is.EqualTo(expectedMse).Within(1e-6 * expectedMse));
        Assert.That(snapshot.RSquared, Is.EqualTo(expectedR2).Within(1e-6 * Math.Abs(expectedR2)));
        Assert.That(expectedR2, Is.EqualTo(0.75).Within(0.01), "the data are what the comment says");

        // The one-pass formula on the raw actuals, Σy² - (Σy)²/n, on the same data: Σy² ≈ 1e23, whose spacing
        // is 2^24 ≈ 1.7e7, so a single add can be off by more than all of SS_tot. This data gives
        // SS_tot = 2063597568 where the reference is 99825.79 (SS_res = 24930.09): R² would read 0.99999 instead
        // of 0.7503. The shifted sums (d = y - first actual) give 99825.7921868384, 1.5e-14 relative off.
        double sum = 0, sumOfSquares = 0;
        foreach (double y in actuals)
        {
            sum += y;
            sumOfSquares += y * y;
        }

        double naiveTotal = sumOfSquares - (sum * sum / N);
        Assert.That(Math.Abs(naiveTotal - totalSquares), Is.GreaterThan(0.5 * totalSquares), $"naive SS_tot {naiveTotal:R} vs {totalSquares:R}");
    }

    // ---- Concurrency ----

    [Test]
    public void Record_TwoWritersWithConcurrentReader_SumsAreExactAndSnapshotsConsistent() =>
        RunWritersAndReader(2);

    [Test]
    public void Record_ProcessorCountWritersWithConcurrentReader_SumsAreExactAndSnapshotsConsistent() =>
        RunWritersAndReader(Environment.ProcessorCount);

    [Test]
    public void Record_ConcurrentReader_SumsIncludeEveryPairTheCountIncludes()
    {
        // The remarks promise that a reading's sums include every pair its count includes. One writer records
        // (5, 4) only: e = 1, |e| / |y| = 0.25. So every reading with a count must have ME, MAE and MSE >= 1 and
        // MAPE >= 0.25; a reading that counted a pair whose sums it missed would show less. Spinning threads
        // make the writer get preempted anywhere, including between its sums and its count.
        var counts = new RegressionCounts();
        var run = new ConcurrentRun(3) { MaxReadings = 200_000, MaxProblems = 1 };
        int readings = 0;
        run.Execute(
            id =>
            {
                // Writers 0 and 1 spin; writer 2 records, each until the reader is done (and at most 10^9 times).
                for (long i = 0; i < 1_000_000_000 && !run.ReaderDone && run.InTime; i++)
                {
                    if (id < 2)
                    {
                        Thread.SpinWait(100);
                    }
                    else
                    {
                        counts.Record(5, 4);
                    }
                }
            },
            reading =>
            {
                RegressionSnapshot snapshot = Snapshot(counts);
                if (snapshot.Count == 0)
                {
                    // The recording writer has not run yet (two spinners can keep it off two cores): let it.
                    Thread.Sleep(1);
                    return;
                }

                readings++;
                if (snapshot.MeanError < 1 || snapshot.MeanAbsoluteError < 1 || snapshot.MeanSquaredError < 1 || snapshot.MeanAbsolutePercentageError < 0.25)
                {
                    run.Problem($"reading {reading}: count {snapshot.Count}, ME {snapshot.MeanError}, MAE {snapshot.MeanAbsoluteError}, MSE {snapshot.MeanSquaredError}, MAPE {snapshot.MeanAbsolutePercentageError}");
                }
            });

        run.AssertClean();
        Assert.That(readings, Is.Positive);
    }

    // ---- Windows ----

    [Test]
    public void Window_AfterTheWindowPasses_OldPairsDropExactly()
    {
        // RollingWindow's rules with a 60 s window: checkpoints at most every 15 s; the base is the oldest
        // checkpoint not older than 60 s (creation at 0 s is the first), else the newest one.
        var counts = new RegressionCounts();
        var window = new RollingWindow<double>(RegressionCounts.CellCount, Window, nowTicks: 0);
        var recent = new double[RegressionCounts.CellCount];

        // 0 s: ten old pairs, all off by 100. Base: creation -> the window holds them.
        for (int i = 0; i < 10; i++)
        {
            counts.Record(104, 4);
        }

        double[] cumulative = Read(counts);
        window.Update(Seconds(0), cumulative, recent);
        RegressionSnapshot first = RegressionCounts.CreateWindowSnapshot(recent, cumulative);
        Assert.That(first.Count, Is.EqualTo(10));
        Assert.That(first.MeanAbsoluteError, Is.EqualTo(100));

        // 20 s: checkpoint 20:[10 old pairs].
        window.Update(Seconds(20), Read(counts), recent);

        // 81 s: three new pairs; the creation checkpoint is 81 s old and dropped, the base is 20 s: only the new
        // pairs. e = 0.5, -1, 0.25 with actuals 2, 2, 0:
        //   ME = -0.25 / 3, MAE = 1.75 / 3, MSE = (0.25 + 1 + 0.0625) / 3 = 1.3125 / 3,
        //   MAPE = (0.5/2 + 1/2) / 2 = 0.375, ZeroActuals 1.
        (double Predicted, double Actual)[] newPairs = [(2.5, 2), (1, 2), (0.25, 0)];
        var alone = new RegressionCounts();
        foreach ((double predicted, double actual) in newPairs)
        {
            counts.Record(predicted, actual);
            alone.Record(predicted, actual);
        }

        cumulative = Read(counts);
        window.Update(Seconds(81), cumulative, recent);
        RegressionSnapshot windowed = RegressionCounts.CreateWindowSnapshot(recent, cumulative);
        RegressionSnapshot expected = Snapshot(alone);

        Assert.That(windowed.Count, Is.EqualTo(3));
        Assert.That(windowed.ZeroActuals, Is.EqualTo(1));
        Assert.That(windowed.MeanError, Is.EqualTo(-0.25 / 3));
        Assert.That(windowed.MeanAbsoluteError, Is.EqualTo(1.75 / 3));
        Assert.That(windowed.MeanSquaredError, Is.EqualTo(1.3125 / 3));
        Assert.That(windowed.MeanAbsolutePercentageError, Is.EqualTo(0.375));

        // ȳ = 4/3; SS_tot = 2·(2/3)² + (4/3)² = 8/3; R² = 1 - 1.3125 / (8/3) = 0.5078125. The window's shift is
        // the old actual 4 and the lone recording's is 2, so the two agree to rounding, not bit for bit.
        Assert.That(windowed.RSquared, Is.EqualTo(0.5078125).Within(1e-12));
        Assert.That(expected.RSquared, Is.EqualTo(0.5078125).Within(1e-12));
        Assert.That(windowed.MeanSquaredError, Is.EqualTo(expected.MeanSquaredError));

        // The cumulative reading still holds all 13 pairs.
        Assert.That(RegressionCounts.CreateSnapshot(cumulative).Count, Is.EqualTo(13));

        // 200 s: nothing new. 20 s and 81 s are both too old; the newest (81 s) stays as the fallback base, so
        // the window is empty and its snapshot is all zero although the sums are not.
        cumulative = Read(counts);
        window.Update(Seconds(200), cumulative, recent);
        AssertEmpty(RegressionCounts.CreateWindowSnapshot(recent, cumulative));
    }

    [Test]
    public void Window_ConstantActualsAwayFromTheShift_RSquaredFollowsTheZeroSpreadRule()
    {
        // The shift is the first actual, 5; the window then holds 1000 pairs with actual 0.1, so each d = -4.9
        // is not exact and Σd² - (Σd)²/n, computed from differences of cumulative sums, is rounding noise rather
        // than 0. Below the worst-case rounding bound it reads as 0: R² = 0 for wrong predictions, 1 for exact ones.
        foreach (bool exact in new[] { false, true })
        {
            var counts = new RegressionCounts();
            var window = new RollingWindow<double>(RegressionCounts.CellCount, Window, nowTicks: 0);
            var recent = new double[RegressionCounts.CellCount];
            counts.Record(5, 5);
            window.Update(Seconds(20), Read(counts), recent);
            for (int i = 0; i < 1000; i++)
            {
                counts.Record(exact ? 0.1 : 0.11, 0.1);
            }

            double[] cumulative = Read(counts);
            window.Update(Seconds(81), cumulative, recent);
            RegressionSnapshot snapshot = RegressionCounts.CreateWindowSnapshot(recent, cumulative);

            double deviationSum = recent[RegressionCounts.PositiveDeviationCell] - recent[RegressionCounts.NegativeDeviationCell];
            double rawTotal = recent[RegressionCounts.SquaredDeviationCell] - (deviationSum * deviationSum / 1000);
            Assert.That(rawTotal, Is.Not.Zero, "the raw SS_tot is noise (otherwise this test shows nothing)");
            Assert.That(snapshot.Count, Is.EqualTo(1000));
            Assert.That(snapshot.RSquared, Is.EqualTo(exact ? 1.0 : 0.0), $"raw SS_tot {rawTotal:R}");
        }
    }

    [Test]
    public void RollingWindowOfDoubles_SubtractsExactlyAndClampsAtZero()
    {
        var window = new RollingWindow<double>(2, Window, nowTicks: 0);
        var result = new double[2];

        window.Update(Seconds(20), [10.5, 0.125], result); // base creation; checkpoint 20:[10.5, 0.125]
        Assert.That(result, Is.EqualTo(new[] { 10.5, 0.125 }));

        window.Update(Seconds(90), [12.75, 0.125], result); // 0:0 dropped, base 20:[10.5, 0.125]
        Assert.That(result, Is.EqualTo(new[] { 2.25, 0.0 }));

        // A reading that saw less than an earlier checkpoint (a slower stripe) never goes negative.
        window.Update(Seconds(100), [10.25, 0.375], result);
        Assert.That(result, Is.EqualTo(new[] { 0.0, 0.25 }));
    }

    private static void RunWritersAndReader(int threadCount)
    {
        var counts = new RegressionCounts();
        var reference = new RegressionCounts();

        // The first pair fixes the shift at 1 for both, so their sums can be compared cell by cell.
        counts.Record(1, 1);
        reference.Record(1, 1);
        long previousCount = 0;
        var run = new ConcurrentRun(threadCount) { MaxReadings = 100_000 };
        run.Execute(
            id =>
            {
                for (int i = 0; i < PerThread; i++)
                {
                    (double predicted, double actual) = Pair(id, i);
                    counts.Record(predicted, actual);
                }
            },
            reading =>
            {
                RegressionSnapshot snapshot = Snapshot(counts);
                if (snapshot.Count < previousCount)
                {
                    run.Problem($"count went from {previousCount} to {snapshot.Count}");
                }

                previousCount = snapshot.Count;
                var found = new List<string>();
                CheckInvariants(snapshot, $"snapshot {reading}", found);
                found.ForEach(run.Problem);
            });

        // The same pairs, one thread. Every value is a multiple of 1/64 well inside 2^53 / 64, so every sum is
        // exact in any order and the cells must match bit for bit.
        double absoluteErrors = 0, errorSum = 0, squaredErrors = 0, relativeErrors = 0;
        long zeroActuals = 0;
        for (int t = 0; t < threadCount; t++)
        {
            for (int i = 0; i < PerThread; i++)
            {
                (double predicted, double actual) = Pair(t, i);
                reference.Record(predicted, actual);
                double e = predicted - actual;
                errorSum += e;
                absoluteErrors += Math.Abs(e);
                squaredErrors += e * e;
                if (actual == 0)
                {
                    zeroActuals++;
                }
                else
                {
                    relativeErrors += Math.Abs(e) / Math.Abs(actual);
                }
            }
        }

        run.AssertClean();
        Assert.That(Read(counts), Is.EqualTo(Read(reference)));

        long n = 1 + ((long)threadCount * PerThread);
        RegressionSnapshot final = Snapshot(counts);
        Assert.That(final.Count, Is.EqualTo(n));
        Assert.That(final.ZeroActuals, Is.EqualTo(zeroActuals));
        Assert.That(final.MeanError, Is.EqualTo(errorSum / n));
        Assert.That(final.MeanAbsoluteError, Is.EqualTo(absoluteErrors / n));
        Assert.That(final.MeanSquaredError, Is.EqualTo(squaredErrors / n));
        Assert.That(final.MeanAbsolutePercentageError, Is.EqualTo(relativeErrors / (n - zeroActuals)));
    }

    /// <summary>
    /// Actuals 0, 0.5, 1, 2, 4, 8 and errors k/8 for k in -8..8, different per thread: every e, e², d², |e|
    /// and |e|/|y| is a multiple of 1/64.
    /// </summary>
    private static (double Predicted, double Actual) Pair(int thread, int i)
    {
        double actual = ((i + thread) % 6) switch
        {
            0 => 0,
            1 => 0.5,
            2 => 1,
            3 => 2,
            4 => 4,
            _ => 8,
        };
        return (actual + (((i % 17) - 8) / 8.0), actual);
    }

    private static void CheckInvariants(RegressionSnapshot snapshot, string where, List<string> problems)
    {
        double[] values = [snapshot.MeanError, snapshot.MeanAbsoluteError, snapshot.MeanSquaredError, snapshot.RootMeanSquaredError, snapshot.RSquared, snapshot.MeanAbsolutePercentageError];
        if (Array.Exists(values, v => !double.IsFinite(v)))
        {
            problems.Add($"{where}: not finite: {string.Join(", ", values)}");
        }

        if (snapshot.MeanAbsoluteError < 0 || snapshot.MeanSquaredError < 0 || snapshot.MeanAbsolutePercentageError < 0 || snapshot.RSquared > 1)
        {
            problems.Add($"{where}: out of range: {string.Join(", ", values)}");
        }

        if (snapshot.ZeroActuals < 0 || snapshot.ZeroActuals > snapshot.Count)
        {
            problems.Add($"{where}: {snapshot.ZeroActuals} zero actuals of {snapshot.Count}");
        }
    }

    private static void AssertEmpty(RegressionSnapshot snapshot)
    {
        Assert.That(snapshot.Count, Is.Zero);
        Assert.That(snapshot.ZeroActuals, Is.Zero);
        Assert.That(snapshot.MeanError, Is.Zero);
        Assert.That(snapshot.MeanAbsoluteError, Is.Zero);
        Assert.That(snapshot.MeanSquaredError, Is.Zero);
        Assert.That(snapshot.RootMeanSquaredError, Is.Zero);
        Assert.That(snapshot.RSquared, Is.Zero);
        Assert.That(snapshot.MeanAbsolutePercentageError, Is.Zero);
    }

    private static void AssertFinite(RegressionSnapshot snapshot)
    {
        var problems = new List<string>();
        CheckInvariants(snapshot, "snapshot", problems);
        Assert.That(problems, Is.Empty);
    }

    private static double[] Read(RegressionCounts counts)
    {
        var cells = new double[RegressionCounts.CellCount];
        counts.AddTo(cells);
        return cells;
    }

    private static RegressionSnapshot Snapshot(RegressionCounts counts) => RegressionCounts.CreateSnapshot(Read(counts));

    private static long Seconds(double seconds) => (long)Math.Round(seconds * TimeSpan.TicksPerSecond);

    private static double Gaussian(Random random)
    {
        // Box-Muller; 1 - NextDouble() is in (0, 1], so the logarithm is finite.
        double u1 = 1 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Neumaier's compensated sum.</summary>
    private static double CompensatedSum(double[] values)
    {
        double sum = 0, compensation = 0;
        foreach (double value in values)
        {
            double t = sum + value;
            compensation += Math.Abs(sum) >= Math.Abs(value) ? (sum - t) + value : (value - t) + sum;
            sum = t;
        }

        return sum + compensation;
    }
}
