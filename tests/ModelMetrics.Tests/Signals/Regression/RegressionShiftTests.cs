// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using ModelMetrics.Recording;
using ModelMetrics.Signals;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Regression;

/// <summary>
/// R² whatever actual comes first (issue 18, item 5): an outlier first, in the middle, of the same scale, of the
/// other sign. Every expected value is a two-pass computation in doubles over the same pairs; the windows hold
/// exactly the pairs recorded after a checkpoint.
/// </summary>
public class RegressionShiftTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    [Test]
    public void RSquared_FirstActualIsAnOutlier_CumulativeAndWindowMatchTwoPass()
    {
        // The case, through a monitor: 1e8 first, then 10,000 pairs y ~ U(0, 100), ŷ = y + N(0, 10²):
        // the window after the outlier has left it has R² ≈ 1 - 100/833 ≈ 0.88. With the shift fixed to the first
        // actual, the window read 0 (Σd² ≈ 10^20 leaves no digit of SS_tot ≈ 8.3e6).
        var clock = new FakeTimeProvider();
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "outlier-first",
            MeterName = "ModelMetrics.Tests.RegressionShift." + Guid.NewGuid(),
            TimeProvider = clock,
            Windows = [TimeSpan.FromMinutes(1)],
        });
        var random = new Random(18_05);
        var all = new List<(double Predicted, double Actual)> { (1e8 + 3, 1e8) };
        monitor.RecordRegression(1e8 + 3, 1e8);

        // 20 s: a reading checkpoints the outlier; the 10,000 pairs come after it.
        clock.Advance(TimeSpan.FromSeconds(20));
        Assert.That(monitor.GetSnapshot().RecentRegression!.Count, Is.EqualTo(1));
        var recent = new List<(double Predicted, double Actual)>();
        for (int i = 0; i < 10_000; i++)
        {
            double actual = 100 * random.NextDouble();
            double predicted = actual + (10 * Gaussian(random));
            monitor.RecordRegression(predicted, actual);
            recent.Add((predicted, actual));
        }

        all.AddRange(recent);

        // 85 s: the creation checkpoint is older than the window, the 20 s one is the base: only the 10,000.
        clock.Advance(TimeSpan.FromSeconds(65));
        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        double expectedWindow = TwoPassRSquared(recent);
        double expectedCumulative = TwoPassRSquared(all);
        TestContext.Out.WriteLine($"window R²: two-pass {expectedWindow:R}, ours {snapshot.RecentRegression!.RSquared:R}; cumulative: two-pass {expectedCumulative:R}, ours {snapshot.Regression!.RSquared:R}");

        Assert.Multiple(() =>
        {
            Assert.That(expectedWindow, Is.EqualTo(0.88).Within(0.01), "the data are what the comment says");
            Assert.That(snapshot.RecentRegression.Count, Is.EqualTo(10_000));
            Assert.That(snapshot.RecentRegression.RSquared, Is.EqualTo(expectedWindow).Within(1e-9 * expectedWindow));
            Assert.That(snapshot.Regression.Count, Is.EqualTo(10_001));
            Assert.That(snapshot.Regression.RSquared, Is.EqualTo(expectedCumulative).Within(1e-9 * expectedCumulative));

            // The unexplained share too, which is what a cumulative R² this close to 1 is made of.
            Assert.That(1 - snapshot.Regression.RSquared, Is.EqualTo(1 - expectedCumulative).Within(1e-6 * (1 - expectedCumulative)));
        });
    }

    [Test]
    public void RSquared_LargeMeanAfterAFirstActualOfAnotherScale_MatchesTwoPass()
    {
        // First actual 3, then y = 1e9 + N(0, 1) and ŷ = y + N(0, 0.5²): R² ≈ 0.75 in the window. A shift of 3 is
        // 1e9 standard deviations away: Σd² ≈ n·10^18, whose rounding alone exceeds SS_tot ≈ n.
        AssertWindowAndCumulative(
            first: [(4, 3)],
            later: Pairs(20_000, 11, random => 1e9 + Gaussian(random), 0.5),
            expectedWindow: 0.75);
    }

    [Test]
    public void RSquared_FirstActualAnOutlierOfTheSameScale_WindowsAfterTheFirstPairsMatchTwoPass()
    {
        // First actual 5e8, then y = 1e9 + N(0, 1): within a factor 64, so the data join the first lane, whose
        // shift is 5e8 standard deviations off. After at most a few pairs per stripe the writers open a lane at
        // the data's mean; a window after those pairs is as accurate as with a good first actual.
        var counts = new RegressionCounts();
        var window = new RollingWindow<double>(RegressionCounts.CellCount, Window, nowTicks: 0);
        var recent = new double[RegressionCounts.CellCount];
        var all = new List<(double Predicted, double Actual)> { (5e8, 5e8) };
        counts.Record(5e8, 5e8);
        List<(double Predicted, double Actual)> settling = Pairs(1_000, 12, random => 1e9 + Gaussian(random), 0.5);
        Record(counts, settling);
        all.AddRange(settling);
        window.Update(Seconds(20), Read(counts), recent);
        List<(double Predicted, double Actual)> later = Pairs(20_000, 13, random => 1e9 + Gaussian(random), 0.5);
        Record(counts, later);
        all.AddRange(later);
        double[] cumulative = Read(counts);
        window.Update(Seconds(81), cumulative, recent);

        AssertClose(RegressionCounts.CreateWindowSnapshot(recent, cumulative), later, 1e-9, "window");
        AssertClose(RegressionCounts.CreateSnapshot(cumulative), all, 1e-9, "cumulative");
        Assert.That(TwoPassRSquared(later), Is.EqualTo(0.75).Within(0.01));
    }

    [Test]
    public void RSquared_OutlierInTheMiddle_CumulativeAndLaterWindowsMatchTwoPass()
    {
        // y ~ U(0, 100) around one actual of 1e12 (ŷ = 1e12 + 1): the outlier must not spoil the sums that the
        // later pairs are added to (with one shift, Σd² ≈ 10^24 after it, and every later d² ≈ 10^3 rounds away).
        var counts = new RegressionCounts();
        var window = new RollingWindow<double>(RegressionCounts.CellCount, Window, nowTicks: 0);
        var recent = new double[RegressionCounts.CellCount];
        List<(double Predicted, double Actual)> before = Pairs(5_000, 21, random => 100 * random.NextDouble(), 10);
        Record(counts, before);
        counts.Record(1e12 + 1, 1e12);
        window.Update(Seconds(20), Read(counts), recent);
        List<(double Predicted, double Actual)> after = Pairs(5_000, 22, random => 100 * random.NextDouble(), 10);
        Record(counts, after);
        double[] cumulative = Read(counts);
        window.Update(Seconds(81), cumulative, recent);

        List<(double Predicted, double Actual)> all = [.. before, (1e12 + 1, 1e12), .. after];
        AssertClose(RegressionCounts.CreateWindowSnapshot(recent, cumulative), after, 1e-9, "window");
        AssertClose(RegressionCounts.CreateSnapshot(cumulative), all, 1e-9, "cumulative");
        Assert.That(1 - RegressionCounts.CreateSnapshot(cumulative).RSquared, Is.EqualTo(1 - TwoPassRSquared(all)).Within(1e-6 * (1 - TwoPassRSquared(all))));
    }

    [Test]
    public void RSquared_NegativeAndPositiveMixes_MatchTwoPass()
    {
        // First actual -1e8; then alternately y = -1e6 + N(0, 1) and y = 3 + N(0, 1), ŷ = y + N(0, 0.5²), and
        // (a second window) y ~ U(-50, 50) with ŷ = y + N(0, 10²), which crosses 0 and opens lanes near it.
        var counts = new RegressionCounts();
        var window = new RollingWindow<double>(RegressionCounts.CellCount, Window, nowTicks: 0);
        var recent = new double[RegressionCounts.CellCount];
        var all = new List<(double Predicted, double Actual)> { (-1e8 + 2, -1e8) };
        counts.Record(-1e8 + 2, -1e8);
        window.Update(Seconds(20), Read(counts), recent);

        int k = 0;
        List<(double Predicted, double Actual)> clusters = Pairs(10_000, 31, random => ((k++ % 2 == 0) ? -1e6 : 3) + Gaussian(random), 0.5);
        Record(counts, clusters);
        all.AddRange(clusters);
        double[] cumulative = Read(counts);
        window.Update(Seconds(81), cumulative, recent);
        AssertClose(RegressionCounts.CreateWindowSnapshot(recent, cumulative), clusters, 1e-9, "clusters window");

        List<(double Predicted, double Actual)> mixed = Pairs(10_000, 32, random => (100 * random.NextDouble()) - 50, 10);
        Record(counts, mixed);
        all.AddRange(mixed);
        cumulative = Read(counts);
        window.Update(Seconds(142), cumulative, recent);
        AssertClose(RegressionCounts.CreateWindowSnapshot(recent, cumulative), mixed, 1e-9, "mixed-sign window");
        AssertClose(RegressionCounts.CreateSnapshot(cumulative), all, 1e-9, "cumulative");
        Assert.That(TwoPassRSquared(mixed), Is.EqualTo(1 - (100.0 / 833)).Within(0.02), "the data are what the comment says");
    }

    [Test]
    public void RSquared_ManyScalesBeforeTheData_StaysFiniteAndNearest()
    {
        // More scales than lanes before the data: 1e-6, 1e-4, ..., 1e12 open every lane; the data then share the
        // nearest one (shift 100, for y = 100 + U(0, 1)), which is close enough: still accurate to 1e-9.
        var counts = new RegressionCounts();
        var window = new RollingWindow<double>(RegressionCounts.CellCount, Window, nowTicks: 0);
        var recent = new double[RegressionCounts.CellCount];
        for (int e = -6; e <= 12; e += 2)
        {
            counts.Record(Math.Pow(10, e), Math.Pow(10, e));
        }

        window.Update(Seconds(20), Read(counts), recent);
        List<(double Predicted, double Actual)> data = Pairs(10_000, 41, random => 100 + random.NextDouble(), 0.1);
        Record(counts, data);
        double[] cumulative = Read(counts);
        window.Update(Seconds(81), cumulative, recent);
        AssertClose(RegressionCounts.CreateWindowSnapshot(recent, cumulative), data, 1e-9, "window");
    }

    [Test]
    public void Record_WritersOpeningLanesConcurrently_CellsNeverDecreaseAndRSquaredMatchesTwoPass()
    {
        // Each writer starts with an actual of its own scale (1e8, -1e7, 5e8 next to the 1e8, 1e-3), so lanes open
        // in a race, then records 50,000 pairs y ~ U(0, 100), ŷ = y + N(0, 10²). A reader checks that no cell of
        // a reading is below the same cell of the reading before (windows are differences) and that R² stays
        // finite and at most 1; at the end R² matches the two-pass value over every pair.
        double[] firsts = [1e8, -1e7, 5e8, 1e-3];
        var data = new List<(double Predicted, double Actual)>[firsts.Length];
        for (int t = 0; t < firsts.Length; t++)
        {
            data[t] = [(firsts[t] + 1, firsts[t]), .. Pairs(50_000, 50 + t, random => 100 * random.NextDouble(), 10)];
        }

        var counts = new RegressionCounts();
        double[] previous = new double[RegressionCounts.CellCount];
        var run = new ConcurrentRun(firsts.Length) { MaxReadings = 20_000 };
        run.Execute(
            id => Record(counts, data[id]),
            reading =>
            {
                double[] cells = Read(counts);
                for (int i = 0; i < cells.Length; i++)
                {
                    if (!(cells[i] >= previous[i]) || !double.IsFinite(cells[i]))
                    {
                        run.Problem($"reading {reading}: cell {i} went from {previous[i]:R} to {cells[i]:R}");
                    }
                }

                previous = cells;
                double r2 = RegressionCounts.CreateSnapshot(cells).RSquared;
                if (!double.IsFinite(r2) || r2 > 1)
                {
                    run.Problem($"reading {reading}: R² {r2:R}");
                }
            });

        run.AssertClean();
        List<(double Predicted, double Actual)> all = [.. data.SelectMany(pairs => pairs)];
        AssertClose(RegressionCounts.CreateSnapshot(Read(counts)), all, 1e-9, "cumulative");
        Assert.That(1 - RegressionCounts.CreateSnapshot(Read(counts)).RSquared, Is.EqualTo(1 - TwoPassRSquared(all)).Within(1e-6 * (1 - TwoPassRSquared(all))));
    }

    private static void AssertWindowAndCumulative((double Predicted, double Actual)[] first, List<(double Predicted, double Actual)> later, double expectedWindow)
    {
        var counts = new RegressionCounts();
        var window = new RollingWindow<double>(RegressionCounts.CellCount, Window, nowTicks: 0);
        var recent = new double[RegressionCounts.CellCount];
        Record(counts, first);
        window.Update(Seconds(20), Read(counts), recent);
        Record(counts, later);
        double[] cumulative = Read(counts);
        window.Update(Seconds(81), cumulative, recent);

        AssertClose(RegressionCounts.CreateWindowSnapshot(recent, cumulative), later, 1e-9, "window");
        AssertClose(RegressionCounts.CreateSnapshot(cumulative), [.. first, .. later], 1e-9, "cumulative");
        Assert.That(TwoPassRSquared(later), Is.EqualTo(expectedWindow).Within(0.01), "the data are what the comment says");
    }

    private static void AssertClose(RegressionSnapshot snapshot, List<(double Predicted, double Actual)> pairs, double relative, string what)
    {
        double expected = TwoPassRSquared(pairs);
        TestContext.Out.WriteLine($"{what}: R² two-pass {expected:R}, ours {snapshot.RSquared:R}, relative error {Math.Abs(snapshot.RSquared - expected) / Math.Abs(expected):E2}");
        Assert.That(snapshot.Count, Is.EqualTo(pairs.Count), what);
        Assert.That(snapshot.RSquared, Is.EqualTo(expected).Within(relative * Math.Abs(expected)), what);
    }

    /// <summary>
    /// R² = 1 - SS_res / SS_tot by the corrected two-pass algorithm (Chan, Golub and LeVeque 1983): the mean by a
    /// compensated sum, then SS_tot = Σ(y - m)² - (Σ(y - m))² / n.
    /// </summary>
    private static double TwoPassRSquared(List<(double Predicted, double Actual)> pairs)
    {
        double sum = 0, compensation = 0;
        foreach ((_, double y) in pairs)
        {
            double t = sum + y;
            compensation += Math.Abs(sum) >= Math.Abs(y) ? (sum - t) + y : (y - t) + sum;
            sum = t;
        }

        double mean = (sum + compensation) / pairs.Count;
        double deviations = 0, squaredDeviations = 0, squaredErrors = 0;
        foreach ((double predicted, double actual) in pairs)
        {
            double d = actual - mean;
            deviations += d;
            squaredDeviations += d * d;
            double e = predicted - actual;
            squaredErrors += e * e;
        }

        return 1 - (squaredErrors / (squaredDeviations - (deviations * deviations / pairs.Count)));
    }

    private static List<(double Predicted, double Actual)> Pairs(int count, int seed, Func<Random, double> actual, double noise)
    {
        var random = new Random(seed);
        var pairs = new List<(double Predicted, double Actual)>(count);
        for (int i = 0; i < count; i++)
        {
            double y = actual(random);
            pairs.Add((y + (noise * Gaussian(random)), y));
        }

        return pairs;
    }

    private static void Record(RegressionCounts counts, IEnumerable<(double Predicted, double Actual)> pairs)
    {
        foreach ((double predicted, double actual) in pairs)
        {
            counts.Record(predicted, actual);
        }
    }

    private static double[] Read(RegressionCounts counts)
    {
        var cells = new double[RegressionCounts.CellCount];
        counts.AddTo(cells);
        return cells;
    }

    private static long Seconds(double seconds) => (long)Math.Round(seconds * TimeSpan.TicksPerSecond);

    private static double Gaussian(Random random)
    {
        // Box-Muller; 1 - NextDouble() is in (0, 1], so the logarithm is finite.
        double u1 = 1 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
