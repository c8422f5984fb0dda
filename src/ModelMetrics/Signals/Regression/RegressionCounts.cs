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
/// count of zero actuals, sums over pairs of e = predicted − actual, and per lane (below) a pair count and
/// sums of d = actual − s, where s is the lane's shift, then the lanes' shifts. Every cell is a count, a sum of
/// non-negative terms or a shift that is set once, so every cell only grows: the signed sums Σe and Σd are
/// kept as their positive and negative parts (Σe = Σe⁺ − Σe⁻), which also gives Σ|e| = Σe⁺ + Σe⁻ without a
/// cell of its own (one write per pair instead of two), and a shift as max(s, 0) and max(−s, 0), both 0 until
/// its lane opens. Because every cell grows, a recent window is the current reading minus a checkpointed one,
/// clamped at 0, exactly as for counts: <see cref="RollingWindow{T}"/> with <c>T</c> = <see cref="double"/>,
/// then <see cref="CreateWindowSnapshot"/>, which takes the shifts from the current reading.
/// </para>
/// <para>
/// Shift. R² needs SS_tot = Σ(y − ȳ)². The one-pass Σy² − (Σy)²/n cancels catastrophically when the mean is
/// large next to the spread: for y ≈ 10⁹ ± 1 the rounding error of Σy² alone (about n·10¹⁸·2⁻⁵³) is larger
/// than SS_tot (about n). Sums of d = y − s give SS_tot = Σd² − (Σd)²/n exactly for any s, and accurately when
/// s lies near the data (the shifted-data algorithm). Every stripe and every checkpoint must use the same s to
/// be added or subtracted, so a shift is set once, by a compare-exchange, and never changes. With one shift,
/// the first actual, a first actual far from the later data ruins every window that does not contain it: with
/// 10⁸ first and then y ~ U(0, 100), the running Σd² after n pairs is about n·10¹⁶, so each add is off by up to
/// about 1.1·n; a few hundred such adds exceed SS_tot ≈ 833·n, and the zero-spread rule below read R² as 0
/// (true: 0.88). Re-centring at read time cannot help (the digits are gone from the sums), and compensated
/// sums (two cells per sum) would not either: the window's difference of two cumulative sums is itself
/// rounded to 2⁻⁵³ of the window's Σd², which is 10¹³ times its SS_tot here.
/// </para>
/// <para>
/// Lanes. So a pair's deviation goes to one of up to <see cref="Lanes"/> lanes, each with a shift of its own,
/// and the reader combines the lanes with the parallel-variance formula (Chan, Golub and LeVeque), which is
/// exact in exact arithmetic: SS_tot = Σₗ SSₗ + Σₗ nₗ(mₗ − m)², with SSₗ = Σd² − (Σd)²/nₗ and mₗ = sₗ + Σd/nₗ per
/// lane (the means taken relative to the shift of the fullest lane, so that the differences carry no rounding
/// of a large mean). A window subtracts lane by lane. A pair joins the lane whose shift is nearest to its
/// actual unless even that one is more than <see cref="JoinFactor"/> times the smaller of |y| and |s| away (a
/// different scale: magnitudes more than a factor 64 apart, or a sign change away from 0); then it opens a
/// lane with its own actual as the shift, while fewer than <see cref="Lanes"/> exist (after that it joins the
/// nearest). An outlier of another scale, first or in the middle, thus gets a lane of its own and leaves the
/// others' sums untouched. An outlier of the same scale (10⁹ ± 1 after a first 5·10⁸) is caught by the writer:
/// when a stripe's count in a lane reaches 8, 16, 32, … it checks that lane's sums on its own stripe, and if
/// they put the mean more than 32 standard deviations from the shift (SS ≤ Σd²/1024, computed with n and, in
/// case the stripe holds the lane's first pair, whose d is 0, with n − 1), it opens a lane at the stripe's
/// mean, which the later pairs then join as the nearest. A lane is opened by a compare-exchange on the next
/// free slot; a thread that loses the race looks again, so every thread agrees on every shift.
/// </para>
/// <para>
/// Accuracy. In a lane whose pairs lie within ρ standard deviations σ of its shift (ρ = |m − s|/σ), each add
/// rounds by at most 2⁻⁵³ of the lane's running Σd² ≤ N(ρ² + 1)σ², N the lane's cumulative count, so the
/// computed SS_tot of a window of nₗ of its pairs is off by at most about 2⁻⁵³·nₗ·N(ρ² + 1)σ², a relative error
/// of 2⁻⁵³·N(ρ² + 1) (the roundings, a random walk, are typically far below it); the combination adds a few
/// roundings of each lane mean relative to the fullest lane's shift. ρ stays below 32 except for the pairs a
/// lane takes before its writers re-centre it (at most 8 per stripe, which put an absolute error of up to
/// 2⁻⁵³·64(ρ² + 1)σ² per stripe into a window that holds them), and except once all <see cref="Lanes"/> lanes
/// are open, when data far from every shift at its own spread shares the nearest lane (after at least
/// <see cref="Lanes"/> actuals of other scales, or a regime change after the lanes filled). A cumulative
/// reading fares better: the first pair of a lane opened by an actual is one of the lane's pairs, so its SS is
/// at least (m − s)² and ρ² at most N. For the case (10⁸, then 10,000 pairs of U(0, 100),
/// ŷ = y + N(0, 10²)) the window after the outlier reads R² = 0.8807491042754101 against a two-pass
/// 0.8807491042754094 (it read 0 with the shift fixed to the first actual); the tests find 10⁻¹⁶ to 10⁻¹⁴
/// relative in every case they try.
/// </para>
/// <para>
/// Concurrency. Lock-free for writers: a pair is five compare-exchange loops and two interlocked increments
/// (four and three for a zero actual) on the calling processor's stripe, which almost never fail because
/// another thread rarely writes the same stripe, plus a read of the open lanes' shifts; nothing is allocated
/// after a stripe's first use, and opening a lane is one compare-exchange. Readers never block writers. A pair writes its lane's sums before
/// the lane's count, and all its sums before the pair count; a reader reads a stripe's counts before its sums
/// and the shifts after every stripe, so a reading's sums include every pair its counts include, and possibly
/// some pairs recorded while it read, whose count it missed: a reading taken while writers run can overstate
/// the sums of a few pairs, never understate them, and the pair count of successive readings never decreases.
/// </para>
/// <para>
/// Overflow. Sums saturate at <see cref="double.MaxValue"/> instead of reaching infinity (squares overflow
/// once an error exceeds about 1.3e154), so that no reading, window difference or metric is ever infinite
/// or NaN. A metric computed from a saturated sum is a meaningless lower bound; the pair count stays exact.
/// </para>
/// </remarks>
internal sealed class RegressionCounts
{
    /// <summary>The most lanes (shifts) a recording opens.</summary>
    public const int Lanes = 8;

    // Cell layout of a stripe and of a reading. The counts are longs in a stripe, the sums IEEE-754 bit
    // patterns; a reading holds all cells as doubles (counts exact up to 2^53). A stripe has no shift cells.
    public const int PairCountCell = 0;
    public const int ZeroActualsCell = 1;
    public const int PositiveErrorCell = 2; // Σ max(e, 0)
    public const int NegativeErrorCell = 3; // Σ max(-e, 0)
    public const int SquaredErrorCell = 4; // Σ e²
    public const int RelativeErrorCell = 5; // Σ |e| / |y| over y != 0

    // Lane l's cells start at FirstLaneCell + LaneCells * l: its pair count, Σ max(d, 0), Σ max(-d, 0), Σ d².
    private const int FirstLaneCell = 6;
    private const int LaneCells = 4;
    private const int LaneCountOffset = 0;
    private const int PositiveDeviationOffset = 1;
    private const int NegativeDeviationOffset = 2;
    private const int SquaredDeviationOffset = 3;

    /// <summary>Lane 0's Σ max(d, 0), d = actual − <see cref="Shift"/>.</summary>
    public const int PositiveDeviationCell = FirstLaneCell + PositiveDeviationOffset;

    /// <summary>Lane 0's Σ max(−d, 0).</summary>
    public const int NegativeDeviationCell = FirstLaneCell + NegativeDeviationOffset;

    /// <summary>Lane 0's Σ d².</summary>
    public const int SquaredDeviationCell = FirstLaneCell + SquaredDeviationOffset;

    private const int StripeCellCount = FirstLaneCell + (Lanes * LaneCells);

    // Lane l's shift s in a reading: max(s, 0) at FirstShiftCell + 2l, max(-s, 0) right after; 0 and 0 until it opens.
    private const int FirstShiftCell = StripeCellCount;

    /// <summary>Gets the length of the arrays that <see cref="AddTo"/> fills and the snapshot helpers read.</summary>
    public const int CellCount = FirstShiftCell + (2 * Lanes);

    /// <summary>
    /// A pair joins the nearest lane when its distance to the shift is at most this many times the smaller of
    /// |actual| and |shift|: within a factor 64 in magnitude on the same side of 0.
    /// </summary>
    private const double JoinFactor = 63;

    /// <summary>A stripe checks a lane's centring when its count there reaches this, then every power of two.</summary>
    private const long FirstCentringCheck = 8;

    /// <summary>A lane is re-centred when SS ≤ Σd² times this: the mean more than 32 standard deviations from the shift.</summary>
    private const double PoorCentring = 1.0 / 1024;

    /// <summary>The unit roundoff of <see cref="double"/>, 2^-53 (not <see cref="double.Epsilon"/>, the smallest subnormal).</summary>
    private const double UnitRoundoff = 1.0 / (1L << 53);

    /// <summary>A quiet NaN's bits: never the bits of a finite actual or mean, so it marks a lane not opened yet.</summary>
    private const long NoShift = 0x7FF8_0000_0000_0000;

    // Note: one long[] per stripe rather than a double[], so the counts are plain longs with wait-free
    // interlocked increments; the sums live in the same array as bit patterns (the conversions are free).
    private readonly long[]?[] _stripes = new long[Stripes.Count][];

    // The lanes' shifts as bits, opened in order (a NoShift slot ends the open ones), each set once.
    private readonly long[] _shifts = NoShifts();

    /// <summary>Gets the shift s of the first lane (the first actual recorded), or NaN before the first pair.</summary>
    public double Shift => BitConverter.Int64BitsToDouble(Volatile.Read(ref _shifts[0]));

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

        int lane = Lane(actual, out double shift);

        // e and d can overflow to infinity for values beyond ±MaxValue/2; Add saturates the sums.
        double error = predicted - actual;
        double deviation = actual - shift;
        double absoluteError = Math.Abs(error);
        long[] stripe = CurrentStripe();
        int laneCells = Stripes.Padding + FirstLaneCell + (lane * LaneCells);
        unchecked
        {
            // Note: every sum before the count that covers it (the reverse of AddTo's order), so a reading's
            // sums include every pair its counts include. The zero-actual count goes with the sums: it is read
            // after the pair count, so it never misses a zero actual that the pair count includes.
            Add(ref stripe[laneCells + SquaredDeviationOffset], deviation * deviation);
            Add(ref stripe[laneCells + (deviation >= 0 ? PositiveDeviationOffset : NegativeDeviationOffset)], Math.Abs(deviation));
            long inLane = Interlocked.Increment(ref stripe[laneCells + LaneCountOffset]);
            if (actual != 0)
            {
                Add(ref stripe[Stripes.Padding + RelativeErrorCell], absoluteError / Math.Abs(actual));
            }
            else
            {
                Interlocked.Increment(ref stripe[Stripes.Padding + ZeroActualsCell]);
            }

            Add(ref stripe[Stripes.Padding + SquaredErrorCell], error * error);
            Add(ref stripe[Stripes.Padding + (error >= 0 ? PositiveErrorCell : NegativeErrorCell)], absoluteError);
            Interlocked.Increment(ref stripe[Stripes.Padding + PairCountCell]);

            // 8, 16, 32, ...: a branch per pair, the check itself once per doubling.
            if (inLane >= FirstCentringCheck && (inLane & (inLane - 1)) == 0)
            {
                CheckCentring(stripe, lane, shift, inLane);
            }
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

            // Note: the pair count first (acquire), then the other counts, then the sums, the reverse of
            // Record's order: the sums then include every pair the counts include.
            cumulative[PairCountCell] += Volatile.Read(ref stripe[Stripes.Padding + PairCountCell]);
            cumulative[ZeroActualsCell] += Volatile.Read(ref stripe[Stripes.Padding + ZeroActualsCell]);
            for (int lane = 0; lane < Lanes; lane++)
            {
                int count = FirstLaneCell + (lane * LaneCells) + LaneCountOffset;
                cumulative[count] += Volatile.Read(ref stripe[Stripes.Padding + count]);
            }

            for (int i = PositiveErrorCell; i < StripeCellCount; i++)
            {
                if (i >= FirstLaneCell && (i - FirstLaneCell) % LaneCells == LaneCountOffset)
                {
                    continue;
                }

                // Several saturated stripes must not add up to infinity either.
                double sum = cumulative[i] + BitConverter.Int64BitsToDouble(Volatile.Read(ref stripe[Stripes.Padding + i]));
                cumulative[i] = Math.Min(sum, double.MaxValue);
            }
        }

        // After every stripe: a lane with a count read above has its shift set (it was set before any write to it).
        for (int lane = 0; lane < Lanes; lane++)
        {
            long bits = Volatile.Read(ref _shifts[lane]);
            if (bits == NoShift)
            {
                break;
            }

            double shift = BitConverter.Int64BitsToDouble(bits);
            cumulative[FirstShiftCell + (2 * lane)] += Math.Max(shift, 0);
            cumulative[FirstShiftCell + (2 * lane) + 1] += Math.Max(-shift, 0);
        }
    }

    /// <summary>Computes the metrics of a cumulative reading filled by <see cref="AddTo"/>, into <paramref name="into"/> when given (else a new snapshot).</summary>
    public static RegressionSnapshot CreateSnapshot(double[] cumulative, RegressionSnapshot? into = null) => Compute(cumulative, cumulative, into);

    /// <summary>
    /// Computes the metrics of a window: <paramref name="window"/> is a cumulative reading minus an earlier
    /// one, clamped at 0 (what <see cref="RollingWindow{T}.Update(long, T[], T[])"/> writes), and <paramref name="cumulative"/>
    /// the later reading it was computed from, whose magnitudes bound the rounding error of the difference and
    /// whose shift cells give the lanes' shifts.
    /// </summary>
    public static RegressionSnapshot CreateWindowSnapshot(double[] window, double[] cumulative, RegressionSnapshot? into = null) => Compute(window, cumulative, into);

    /// <param name="cells">The reading or window to compute.</param>
    /// <param name="magnitudes">
    /// The cumulative reading the sums were accumulated into; its sums bound the rounding error of each add, and
    /// its shift cells hold the shifts.
    /// </param>
    /// <param name="into">The snapshot a publishing reading refills, or <see langword="null"/> for a new one.</param>
    private static RegressionSnapshot Compute(double[] cells, double[] magnitudes, RegressionSnapshot? into)
    {
        double n = cells[PairCountCell];

        RegressionSnapshot snapshot = into ?? new RegressionSnapshot();

        // Note: also catches a NaN count (impossible: cells are finite) so no division below sees n < 1.
        if (!(n >= 1))
        {
            snapshot.Fill(0, 0, 0, 0, 0, 0, 0, 0, 0);
            return snapshot;
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
        double rSquared = RSquared(cells, magnitudes, squaredErrors);
        snapshot.Fill((long)n, (long)zeroActuals, meanError, meanAbsoluteError, meanSquaredError, rSquared, meanAbsolutePercentageError, absoluteErrors, squaredErrors);
        return snapshot;
    }

    /// <summary>
    /// R² = 1 − SS_res / SS_tot, with SS_tot combined over the lanes (Chan et al.): Σₗ (Σd² − (Σd)²/nₗ) plus
    /// Σₗ nₗ(mₗ − m)²; when SS_tot is 0, R² is 1 if SS_res is 0 and 0 otherwise (scikit-learn's <c>force_finite</c>).
    /// </summary>
    private static double RSquared(double[] cells, double[] magnitudes, double squaredErrors)
    {
        // The lane with the most pairs gives the reference r: lane means are taken as (sₗ − r) + Σd/nₗ, so that
        // the differences between them carry roundings of the distances between shifts, not of a large mean.
        int reference = -1;
        double pairs = 0, most = 0;
        for (int lane = 0; lane < Lanes; lane++)
        {
            double count = cells[FirstLaneCell + (lane * LaneCells) + LaneCountOffset];
            pairs += count;
            if (count > most)
            {
                most = count;
                reference = lane;
            }
        }

        // Note: a window's lane counts can miss a pair or two that its pair count includes (readings race
        // writers); with none at all there is no spread to measure.
        if (reference < 0)
        {
            return squaredErrors == 0 ? 1 : 0;
        }

        double origin = ShiftOf(magnitudes, reference);
        Span<double> means = stackalloc double[Lanes];
        Span<double> meanErrors = stackalloc double[Lanes];
        double within = 0, noise = 0, mean = 0;
        for (int lane = 0; lane < Lanes; lane++)
        {
            int cell = FirstLaneCell + (lane * LaneCells);
            double count = cells[cell + LaneCountOffset];
            if (!(count >= 1))
            {
                continue;
            }

            // Note: Σd · (Σd / n), not (Σd)² / n: the square can overflow where the product does not. If it
            // still overflows (saturated sums), within is -infinity and SS_tot is treated as 0 below.
            double deviationSum = cells[cell + PositiveDeviationOffset] - cells[cell + NegativeDeviationOffset];
            double deviationMean = deviationSum / count;
            within += cells[cell + SquaredDeviationOffset] - (deviationSum * deviationMean);

            // Constant actuals have SS_tot = 0, but their computed SS_tot is rounding noise whenever d is not
            // exactly representable (always in a window, where the shift is not the window's): it would make
            // R² a huge negative number instead of 0. Each of the count adds behind a sum rounds by at most
            // 2^-53 of the running total, which is at most the cumulative sum; the merge and the window's
            // subtraction add a few more roundings per stripe. Below that worst-case bound SS_tot cannot be
            // told from 0, and is taken as 0.
            double roundings = count + (2 * Stripes.Count) + 2;
            double deviations = magnitudes[cell + PositiveDeviationOffset] + magnitudes[cell + NegativeDeviationOffset];
            noise += 4 * UnitRoundoff * roundings *
                (magnitudes[cell + SquaredDeviationOffset] + (Math.Abs(deviationSum) * (deviations / count)));

            // The lane's mean relative to r, and a bound on its error: the distance between the shifts and the
            // mean each round once, Σd is off by the roundings of its adds.
            double offset = Math.Clamp(ShiftOf(magnitudes, lane) - origin, -double.MaxValue, double.MaxValue);
            double laneMean = Math.Clamp(offset + deviationMean, -double.MaxValue, double.MaxValue);
            means[lane] = laneMean;
            meanErrors[lane] = 4 * UnitRoundoff * (Math.Abs(offset) + Math.Abs(laneMean) + (roundings * (deviations / count)));
            mean = Math.Clamp(mean + ((count / pairs) * laneMean), -double.MaxValue, double.MaxValue);
        }

        // Σ nₗ(mₗ − m)² is 0 for a single lane (m = mₗ exactly, the weight being 1). An error δ in m adds only n·δ²
        // (Σ nₗ(mₗ − m) = 0), an error εₗ in mₗ at most nₗ·εₗ·(2|mₗ − m| + εₗ); the sum itself rounds a few times.
        double between = 0;
        for (int lane = 0; lane < Lanes; lane++)
        {
            double count = cells[FirstLaneCell + (lane * LaneCells) + LaneCountOffset];
            if (!(count >= 1))
            {
                continue;
            }

            double gap = means[lane] - mean;
            between += count * gap * gap;
            noise += count * meanErrors[lane] * ((2 * Math.Abs(gap)) + (2 * meanErrors[lane]));
        }

        noise += (Lanes + 4) * UnitRoundoff * between;
        double total = Math.Min(within + between, double.MaxValue);

        // Note: !(total > noise) rather than total <= noise, so that a NaN (a saturated sum's -infinity plus an
        // overflowing +infinity) or an infinite noise bound also takes the finite branch.
        if (!(total > noise))
        {
            return squaredErrors == 0 ? 1 : 0;
        }

        // SS_res / SS_tot can overflow for a tiny SS_tot; R² is then the most negative finite double.
        return Math.Max(1 - (squaredErrors / total), -double.MaxValue);
    }

    /// <summary>Gets lane <paramref name="lane"/>'s shift from a reading's shift cells.</summary>
    private static double ShiftOf(double[] reading, int lane) =>
        reading[FirstShiftCell + (2 * lane)] - reading[FirstShiftCell + (2 * lane) + 1];

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

    /// <summary>
    /// Chooses the lane of an actual: the open lane whose shift is nearest, if it is of the actual's scale (see
    /// <see cref="JoinFactor"/>) or no lane is left to open; otherwise a new lane with the actual as its shift.
    /// </summary>
    private int Lane(double actual, out double shift)
    {
        while (true)
        {
            int nearest = -1;
            double nearestShift = 0, nearestDistance = 0;
            int lane = 0;
            for (; lane < Lanes; lane++)
            {
                long bits = Volatile.Read(ref _shifts[lane]);
                if (bits == NoShift)
                {
                    break;
                }

                // Note: the distance can be +infinity (MaxValue - -MaxValue); the first lane is taken anyway.
                double candidate = BitConverter.Int64BitsToDouble(bits);
                double distance = Math.Abs(actual - candidate);
                if (nearest < 0 || distance < nearestDistance)
                {
                    nearest = lane;
                    nearestShift = candidate;
                    nearestDistance = distance;
                }
            }

            if (nearest >= 0 && (lane == Lanes || nearestDistance <= JoinFactor * Math.Min(Math.Abs(actual), Math.Abs(nearestShift))))
            {
                shift = nearestShift;
                return nearest;
            }

            // Another thread may open this slot first, with its own shift: then look again, since that lane
            // may be the nearest now.
            if (TryOpen(lane, actual))
            {
                shift = actual;
                return lane;
            }
        }
    }

    /// <summary>
    /// Opens a lane at the mean of this stripe's pairs in <paramref name="lane"/> when that mean lies more than 32
    /// standard deviations of those pairs from the lane's shift, unless another lane is nearer to it already.
    /// </summary>
    // Note: out of line; runs once per doubling of a stripe's count in a lane.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CheckCentring(long[] stripe, int lane, double shift, long count)
    {
        int cell = Stripes.Padding + FirstLaneCell + (lane * LaneCells);
        double squares = BitConverter.Int64BitsToDouble(Volatile.Read(ref stripe[cell + SquaredDeviationOffset]));
        double sum = BitConverter.Int64BitsToDouble(Volatile.Read(ref stripe[cell + PositiveDeviationOffset])) -
            BitConverter.Int64BitsToDouble(Volatile.Read(ref stripe[cell + NegativeDeviationOffset]));
        if (!(squares > 0) || squares == double.MaxValue)
        {
            return;
        }

        // SS over the count pairs; and over count - 1, which is the SS of the others when this stripe holds the
        // lane's first pair (d = 0 exactly, it adds nothing to the sums). Either small next to Σd²: poorly centred.
        double centre;
        if (Math.Abs(squares - (sum * (sum / count))) <= squares * PoorCentring)
        {
            centre = shift + (sum / count);
        }
        else if (Math.Abs(squares - (sum * (sum / (count - 1)))) <= squares * PoorCentring)
        {
            centre = shift + (sum / (count - 1));
        }
        else
        {
            return;
        }

        int free = 0;
        for (; free < Lanes; free++)
        {
            long bits = Volatile.Read(ref _shifts[free]);
            if (bits == NoShift)
            {
                break;
            }

            if (free != lane && Math.Abs(centre - BitConverter.Int64BitsToDouble(bits)) < Math.Abs(centre - shift))
            {
                return;
            }
        }

        if (free < Lanes && double.IsFinite(centre))
        {
            TryOpen(free, centre);
        }
    }

    private static long[] NoShifts()
    {
        long[] shifts = new long[Lanes];
        Array.Fill(shifts, NoShift);
        return shifts;
    }

    // Note: the compare-exchange makes every thread agree on each shift; lanes open in slot order.
    private bool TryOpen(int lane, double shift) =>
        Interlocked.CompareExchange(ref _shifts[lane], BitConverter.DoubleToInt64Bits(shift), NoShift) == NoShift;

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
        long[] created = new long[StripeCellCount + (2 * Stripes.Padding)];

        // Another thread may have won the race; everyone then uses the winner's stripe, so no write is lost.
        return Interlocked.CompareExchange(ref _stripes[index], created, null) ?? created;
    }
}
