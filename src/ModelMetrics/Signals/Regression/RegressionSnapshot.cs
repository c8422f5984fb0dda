// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

namespace ModelMetrics;

/// <summary>
/// Prediction quality of a regression model from (predicted, actual) pairs: mean absolute, mean squared and
/// root mean squared error, R², mean absolute percentage error and mean error (bias).
/// </summary>
/// <remarks>
/// <para>
/// Notation: n = <see cref="Count"/>, yᵢ the actuals, ŷᵢ the predictions, eᵢ = ŷᵢ − yᵢ, ȳ the mean actual.
/// The definitions are scikit-learn's (<c>mean_absolute_error</c>, <c>mean_squared_error</c>,
/// <c>root_mean_squared_error</c>, <c>r2_score</c> with its default <c>force_finite=True</c>), except MAPE,
/// which leaves out pairs whose actual is 0 and counts them in <see cref="ZeroActuals"/> (scikit-learn divides
/// by machine epsilon instead, which reports about 10¹⁵).
/// </para>
/// <para>
/// Zero-division rules: with no pairs every metric is 0 (check <see cref="Count"/> before reading them); R²
/// of constant actuals (SS_tot = 0) is 1 when every prediction was exact and 0 otherwise; MAPE with no
/// nonzero actual is 0.
/// </para>
/// <para>
/// No metric is ever NaN or infinite. The sums behind them saturate at <see cref="double.MaxValue"/>
/// (squared errors do once an error exceeds about 1.3 × 10¹⁵⁴); a metric computed from a saturated sum is
/// finite but meaningless, and R² is never below −<see cref="double.MaxValue"/>.
/// </para>
/// <para>
/// A snapshot taken while pairs are being recorded can include in its sums a few pairs that its count does
/// not include yet, never the reverse; an immutable snapshot is safe to share between threads.
/// </para>
/// </remarks>
public sealed class RegressionSnapshot
{
    private double _absoluteErrorSum;
    private double _squaredErrorSum;

    /// <summary>A snapshot of no pairs (every value 0), until <see cref="Fill"/> sets its values.</summary>
    internal RegressionSnapshot()
    {
    }

    /// <summary>
    /// Sets every value: a new snapshot's, or those of the snapshot a publishing reading refills (read under the
    /// monitor's reader lock alone; a snapshot a user can see is never changed).
    /// </summary>
    internal void Fill(long count, long zeroActuals, double meanError, double meanAbsoluteError, double meanSquaredError, double rSquared, double meanAbsolutePercentageError, double absoluteErrorSum, double squaredErrorSum)
    {
        Count = count;
        ZeroActuals = zeroActuals;
        MeanError = meanError;
        MeanAbsoluteError = meanAbsoluteError;
        MeanSquaredError = meanSquaredError;
        RSquared = rSquared;
        MeanAbsolutePercentageError = meanAbsolutePercentageError;
        _absoluteErrorSum = absoluteErrorSum;
        _squaredErrorSum = squaredErrorSum;
    }

    /// <summary>Gets the number of (predicted, actual) pairs recorded.</summary>
    public long Count { get; private set; }

    /// <summary>Gets the number of pairs whose actual was 0; they count in every metric except MAPE.</summary>
    public long ZeroActuals { get; private set; }

    /// <summary>
    /// Gets the mean error (bias), Σ(ŷᵢ − yᵢ) / n: positive when the model over-predicts on average, 0 with no pairs.
    /// </summary>
    public double MeanError { get; private set; }

    /// <summary>
    /// Gets the sum of absolute errors, Σ|ŷᵢ − yᵢ|, in the target's unit: the raw sum behind MAE (fleets add sums
    /// and counts, never means). Cumulative sums only grow (each is a sum of non-negative terms).
    /// </summary>
    public double AbsoluteErrorSum { get => _absoluteErrorSum; init => _absoluteErrorSum = value; }

    /// <summary>Gets the sum of squared errors, Σ(ŷᵢ − yᵢ)², in the target's unit squared: the raw sum behind MSE.</summary>
    public double SquaredErrorSum { get => _squaredErrorSum; init => _squaredErrorSum = value; }

    /// <summary>Gets the mean absolute error (MAE), Σ|ŷᵢ − yᵢ| / n, or 0 with no pairs.</summary>
    public double MeanAbsoluteError { get; private set; }

    /// <summary>Gets the mean squared error (MSE), Σ(ŷᵢ − yᵢ)² / n, or 0 with no pairs.</summary>
    public double MeanSquaredError { get; private set; }

    /// <summary>Gets the root mean squared error (RMSE), √MSE, in the unit of the actuals; 0 with no pairs.</summary>
    public double RootMeanSquaredError => Math.Sqrt(MeanSquaredError);

    /// <summary>
    /// Gets the coefficient of determination R² = 1 − SS_res / SS_tot, with SS_res = Σ(ŷᵢ − yᵢ)² and
    /// SS_tot = Σ(yᵢ − ȳ)²: 1 for exact predictions, 0 for always predicting the mean, negative for worse.
    /// </summary>
    /// <value>
    /// At most 1. When SS_tot is 0 (constant actuals, or within rounding error of 0), 1 if SS_res is 0 and 0
    /// otherwise; 0 with no pairs.
    /// </value>
    public double RSquared { get; private set; }

    /// <summary>
    /// Gets the mean absolute percentage error (MAPE) as a fraction, not a percent (0.05 is 5%):
    /// Σ|ŷᵢ − yᵢ| / |yᵢ| over the pairs with yᵢ ≠ 0, divided by their number, n − <see cref="ZeroActuals"/>.
    /// </summary>
    /// <value>0 when no pair has a nonzero actual.</value>
    public double MeanAbsolutePercentageError { get; private set; }
}
