// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Runtime.CompilerServices;
using System.Threading;
using ModelMetrics.Recording;

namespace ModelMetrics.Signals;

/// <summary>
/// The sums behind a regression model's quality metrics (MAE, MSE, RMSE, R², MAPE, mean error), recorded
/// from (predicted, actual) pairs and striped per processor like <see cref="StripedCells"/>.
/// </summary>
/// <remarks>
/// <para>
/// Cells. A reading is a <see cref="double"/> array of <see cref="CellCount"/> cells: the pair count, the
/// count of zero actuals, and sums over pairs of e = predicted − actual and of d = actual − s, where s is
/// the shift (below). Every cell is a count or a sum of non-negative terms, so every cell only grows: the
/// signed sums Σe and Σd are kept as their positive and negative parts (Σe = Σe⁺ − Σe⁻), which also gives
/// Σ|e| = Σe⁺ + Σe⁻ without a cell of its own (one write per pair instead of two). Because every cell grows,
/// a recent window is the current reading minus a checkpointed one, clamped at 0, exactly as for counts:
/// <see cref="RollingWindow{T}"/> with <c>T</c> = <see cref="double"/>, then <see cref="CreateWindowSnapshot"/>.
/// </para>
/// <para>
/// Shift. R² needs SS_tot = Σ(y − ȳ)². The one-pass Σy² − (Σy)²/n cancels catastrophically when the mean is
/// large next to the spread: for y ≈ 10⁹ ± 1 the rounding error of Σy² alone (about n·10¹⁸·2⁻⁵³) is larger
/// than SS_tot (about n). Sums of d = y − s give SS_tot = Σd² − (Σd)²/n exactly for any s, and accurately
/// when s lies near the data, so s is the first actual ever recorded (the shifted-data algorithm). It is set
/// once, by a compare-exchange, because every stripe and every checkpoint must use the same s to be added
/// or subtracted; a thread that loses the race uses the winner's s. It then never changes, so the method
/// stays accurate while the actuals stay within many standard deviations of the first one.
/// </para>
/// <para>
/// Concurrency. Lock-free for writers: a pair is four or five compare-exchange loops and one or two
/// interlocked increments on the calling processor's stripe, which almost never fail because another
/// thread rarely writes the same stripe; nothing is allocated after a stripe's first use. Readers never
/// block writers. A pair writes all its sums before its count and a reader reads a stripe's count before
/// its sums, so a reading's sums include every pair its count includes, and possibly some pairs recorded
/// while it read, whose count it missed: a reading taken while writers run can overstate the sums of a
/// few pairs, never understate them, and the pair count of successive readings never decreases.
/// </para>
/// <para>
/// Overflow. Sums saturate at <see cref="double.MaxValue"/> instead of reaching infinity (squares overflow
/// once an error exceeds about 1.3e154), so that no reading, window difference or metric is ever infinite
/// or NaN. A metric computed from a saturated sum is a meaningless lower bound; the pair count stays exact.
/// </para>
/// </remarks>
internal sealed class RegressionCounts
{
    /// <summary>Gets the length of the arrays that <see cref="AddTo"/> fills and the snapshot helpers read.</summary>
    public const int CellCount = 9;

    // Cell layout of a stripe and of a reading. The two counts are longs in a stripe, the sums IEEE-754
    // bit patterns; a reading holds all nine as doubles (counts exact up to 2^53).
    public const int PairCountCell = 0;
    public const int ZeroActualsCell = 1;
    public const int PositiveErrorCell = 2; // Σ max(e, 0)
    public const int NegativeErrorCell = 3; // Σ max(-e, 0)
    public const int SquaredErrorCell = 4; // Σ e²
    public const int PositiveDeviationCell = 5; // Σ max(d, 0), d = actual - Shift
    public const int NegativeDeviationCell = 6; // Σ max(-d, 0)
    public const int SquaredDeviationCell = 7; // Σ d²
    public const int RelativeErrorCell = 8; // Σ |e| / |y| over y != 0
    private const int FirstSumCell = PositiveErrorCell;

    /// <summary>The unit roundoff of <see cref="double"/>, 2^-53 (not <see cref="double.Epsilon"/>, the smallest subnormal).</summary>
    private const double UnitRoundoff = 1.0 / (1L << 53);

    /// <summary>A quiet NaN's bits: never the bits of a finite actual, so it marks "no shift yet".</summary>
    private const long NoShift = 0x7FF8_0000_0000_0000;

    // Note: one long[] per stripe rather than a double[], so the counts are plain longs with wait-free
    // interlocked increments; the sums live in the same array as bit patterns (the conversions are free).
    private readonly long[]?[] _stripes = new long[Stripes.Count][];
    private long _shiftBits = NoShift;

    /// <summary>Gets the shift s (the first actual recorded), or NaN before the first pair.</summary>
    public double Shift => BitConverter.Int64BitsToDouble(Volatile.Read(ref _shiftBits));

    /// <summary>Records one pair. The caller passes finite values; a non-finite one is ignored, never thrown on.</summary>
    /// <param name="predicted">The model's prediction.</param>
    /// <param name="actual">The ground truth.</param>
    public void Record(double predicted, double actual)
    {
        // Note: a NaN or infinity would stick in a sum for good (and infinity minus infinity is NaN in a
        // window), so it is dropped here even though the monitor already rejects and counts them.
        if (!double.IsFinite(predicted) || !double.IsFinite(actual))
        {
            return;
        }

        long shiftBits = Volatile.Read(ref _shiftBits);
        if (shiftBits == NoShift)
        {
            shiftBits = SetShift(actual);
        }

        // e and d can overflow to infinity for values beyond ±MaxValue/2; Add saturates the sums.
        double error = predicted - actual;
        double deviation = actual - BitConverter.Int64BitsToDouble(shiftBits);
        double absoluteError = Math.Abs(error);
        long[] stripe = CurrentStripe();
        unchecked
        {
            // Note: every sum before the count (the reverse of AddTo's order), so a reading's sums include
            // every pair its count includes. The zero-actual count goes with the sums: it is read after the
            // pair count, so it never misses a zero actual that the pair count includes.
            if (actual != 0)
            {
                Add(ref stripe[Stripes.Padding + RelativeErrorCell], absoluteError / Math.Abs(actual));
            }
            else
            {
                Interlocked.Increment(ref stripe[Stripes.Padding + ZeroActualsCell]);
            }

            Add(ref stripe[Stripes.Padding + SquaredDeviationCell], deviation * deviation);
            Add(ref stripe[Stripes.Padding + (deviation >= 0 ? PositiveDeviationCell : NegativeDeviationCell)], Math.Abs(deviation));
            Add(ref stripe[Stripes.Padding + SquaredErrorCell], error * error);
            Add(ref stripe[Stripes.Padding + (error >= 0 ? PositiveErrorCell : NegativeErrorCell)], absoluteError);
            Interlocked.Increment(ref stripe[Stripes.Padding + PairCountCell]);
        }
    }

    /// <summary>
    /// Adds the cells merged over all stripes to <paramref name="cumulative"/> (length <see cref="CellCount"/>),
    /// which then holds a cumulative reading for <see cref="CreateSnapshot"/> or a <see cref="RollingWindow{T}"/>.
    /// </summary>
    public void AddTo(double[] cumulative)
    {
        foreach (long[]? stripe in _stripes)
        {
            if (stripe is null)
            {
                continue;
            }

            // Note: the pair count first (acquire), then the sums, the reverse of Record's order: the sums
            // then include every pair the count includes.
            cumulative[PairCountCell] += Volatile.Read(ref stripe[Stripes.Padding + PairCountCell]);
            cumulative[ZeroActualsCell] += Volatile.Read(ref stripe[Stripes.Padding + ZeroActualsCell]);
            for (int i = FirstSumCell; i < CellCount; i++)
            {
                // Several saturated stripes must not add up to infinity either.
                double sum = cumulative[i] + BitConverter.Int64BitsToDouble(Volatile.Read(ref stripe[Stripes.Padding + i]));
                cumulative[i] = Math.Min(sum, double.MaxValue);
            }
        }
    }

    /// <summary>Computes the metrics of a cumulative reading filled by <see cref="AddTo"/>.</summary>
    public static RegressionSnapshot CreateSnapshot(double[] cumulative) => Compute(cumulative, cumulative);

    /// <summary>
    /// Computes the metrics of a window: <paramref name="window"/> is a cumulative reading minus an earlier
    /// one, clamped at 0 (what <see cref="RollingWindow{T}.Update(long, T[], T[])"/> writes), and <paramref name="cumulative"/>
    /// the later reading it was computed from, whose magnitudes bound the rounding error of the difference.
    /// </summary>
    public static RegressionSnapshot CreateWindowSnapshot(double[] window, double[] cumulative) => Compute(window, cumulative);

    /// <param name="cells">The reading or window to compute.</param>
    /// <param name="magnitudes">
    /// The cumulative reading the sums were accumulated into; its sums bound the rounding error of each add.
    /// </param>
    private static RegressionSnapshot Compute(double[] cells, double[] magnitudes)
    {
        double n = cells[PairCountCell];

        // Note: also catches a NaN count (impossible: cells are finite) so no division below sees n < 1.
        if (!(n >= 1))
        {
            return RegressionSnapshot.Empty;
        }

        // A window's or a racing reading's zero-actual count may include pairs its pair count misses.
        double zeroActuals = Math.Min(cells[ZeroActualsCell], n);
        double positiveErrors = cells[PositiveErrorCell];
        double negativeErrors = cells[NegativeErrorCell];
        double squaredErrors = cells[SquaredErrorCell];

        // Every sum is finite and non-negative and n >= 1, so every quotient below is finite.
        double meanError = (positiveErrors - negativeErrors) / n;
        double absoluteErrors = Math.Min(positiveErrors + negativeErrors, double.MaxValue);
        double meanAbsoluteError = absoluteErrors / n;
        double meanSquaredError = squaredErrors / n;
        double withActual = n - zeroActuals;
        double meanAbsolutePercentageError = withActual >= 1 ? cells[RelativeErrorCell] / withActual : 0;
        double rSquared = RSquared(cells, magnitudes, n, squaredErrors);
        return new RegressionSnapshot((long)n, (long)zeroActuals, meanError, meanAbsoluteError, meanSquaredError, rSquared, meanAbsolutePercentageError)
        {
            AbsoluteErrorSum = absoluteErrors,
            SquaredErrorSum = squaredErrors,
        };
    }

    /// <summary>
    /// R² = 1 − SS_res / SS_tot, with SS_tot = Σd² − (Σd)²/n from the shifted sums; when SS_tot is 0, R² is
    /// 1 if SS_res is 0 and 0 otherwise (scikit-learn's <c>force_finite</c>).
    /// </summary>
    private static double RSquared(double[] cells, double[] magnitudes, double n, double squaredErrors)
    {
        double deviationSum = cells[PositiveDeviationCell] - cells[NegativeDeviationCell];
        double squaredDeviations = cells[SquaredDeviationCell];

        // Note: Σd · (Σd / n), not (Σd)² / n: the square can overflow where the product does not. If it still
        // overflows (saturated sums), total is -infinity and is treated as 0 below.
        double total = squaredDeviations - (deviationSum * (deviationSum / n));

        // Constant actuals have SS_tot = 0, but their computed SS_tot is rounding noise whenever d is not
        // exactly representable (always in a window, where the first actual is not the window's): it would
        // make R² a huge negative number instead of 0. Each of the n adds behind a sum rounds by at most
        // 2^-53 of the running total, which is at most the cumulative sum; the merge and the window's
        // subtraction add a few more roundings per stripe. Below that worst-case bound SS_tot cannot be told
        // from 0, and is taken as 0.
        double roundings = n + (2 * Stripes.Count) + 2;
        double noise = 4 * UnitRoundoff * roundings *
            (magnitudes[SquaredDeviationCell] + (Math.Abs(deviationSum) * ((magnitudes[PositiveDeviationCell] + magnitudes[NegativeDeviationCell]) / n)));

        // Note: !(total > noise) rather than total <= noise, so that a NaN (impossible: cells are finite)
        // also takes the finite branch.
        if (!(total > noise))
        {
            return squaredErrors == 0 ? 1 : 0;
        }

        // SS_res / SS_tot can overflow for a tiny SS_tot; R² is then the most negative finite double.
        return Math.Max(1 - (squaredErrors / total), -double.MaxValue);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(ref long cell, double value)
    {
        // Note: there is no interlocked add for double: compare-exchange of the bit pattern, retried only
        // when another thread on the same stripe wrote this cell in between. value >= 0 (or +infinity), so
        // the sum never decreases; Min saturates at MaxValue rather than reaching infinity.
        long seen = Volatile.Read(ref cell);
        while (true)
        {
            double sum = Math.Min(BitConverter.Int64BitsToDouble(seen) + value, double.MaxValue);
            long witnessed = Interlocked.CompareExchange(ref cell, BitConverter.DoubleToInt64Bits(sum), seen);
            if (witnessed == seen)
            {
                return;
            }

            seen = witnessed;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long[] CurrentStripe()
    {
        int index = Stripes.Current();
        return _stripes[index] ?? CreateStripe(index);
    }

    // Note: kept out of line so the write path stays small; runs once per stripe.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long[] CreateStripe(int index)
    {
        // All zero bits: counts 0 and sums +0.0.
        long[] created = new long[CellCount + (2 * Stripes.Padding)];

        // Another thread may have won the race; everyone then uses the winner's stripe, so no write is lost.
        return Interlocked.CompareExchange(ref _stripes[index], created, null) ?? created;
    }

    // Note: out of line, runs once; the compare-exchange makes every thread agree on one shift.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long SetShift(double actual)
    {
        long bits = BitConverter.DoubleToInt64Bits(actual);
        long previous = Interlocked.CompareExchange(ref _shiftBits, bits, NoShift);
        return previous == NoShift ? bits : previous;
    }
}
