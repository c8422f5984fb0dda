// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

namespace ModelMetrics;

/// <summary>Quality over one rolling window of <see cref="ModelMonitorOptions.QualityWindows"/>.</summary>
public sealed class QualityWindowSnapshot
{
    internal QualityWindowSnapshot(TimeSpan window, ClassificationSnapshot? classification, RegressionSnapshot? regression, DriftSnapshot? drift)
    {
        Window = window;
        Classification = classification;
        Regression = regression;
        Drift = drift;
    }

    /// <summary>Gets the window's length.</summary>
    public TimeSpan Window { get; }

    /// <summary>Gets classification quality of the ground truth recorded in the window, or <see langword="null"/> when no class labels are declared.</summary>
    public ClassificationSnapshot? Classification { get; }

    /// <summary>Gets regression quality of the pairs recorded in the window, or <see langword="null"/> when none was ever recorded.</summary>
    public RegressionSnapshot? Regression { get; }

    /// <summary>Gets output drift in the window against the drift reference, or <see langword="null"/> when there is no reference or no prediction in the window.</summary>
    public DriftSnapshot? Drift { get; }
}
