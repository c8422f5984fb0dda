// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

namespace ModelMetrics;

/// <summary>
/// The value a precision, recall, F1 or specificity takes when its denominator is zero (a class never predicted,
/// never present), as scikit-learn's <c>zero_division</c>. Published gauges are never NaN.
/// </summary>
public enum ZeroDivision
{
    /// <summary>An undefined ratio is 0 (scikit-learn's default).</summary>
    Zero,

    /// <summary>An undefined ratio is 1.</summary>
    One,
}
