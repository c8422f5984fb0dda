// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Collections.Generic;

using ModelMetrics.Signals;

namespace ModelMetrics;

/// <summary>
/// Output drift over one window: the shares of predicted classes (and of top-class probability
/// bins, when predictions came with probabilities) compared with the drift reference by the population
/// stability index (PSI).
/// </summary>
/// <remarks>
/// PSI = Σ (actual − expected) · ln(actual / expected) over classes (or bins), with shares below 0.0001
/// counted as 0.0001 so that a class missing on one side gives a large but finite term. A common reading:
/// below 0.1 stable, 0.1 to 0.25 a moderate shift, above 0.25 a major shift.
/// </remarks>
public sealed class DriftSnapshot
{
    /// <summary>An empty snapshot, filled by <see cref="Fill"/> before anyone sees it.</summary>
    internal DriftSnapshot() => ClassShares = ReferenceClassShares = [];

    /// <summary>
    /// Sets every value: a new snapshot's, or those of the snapshot a publishing reading refills (read under the
    /// monitor's reader lock alone; a snapshot a user can see is never changed).
    /// </summary>
    internal void Fill(long predictions, double[] classShares, DriftReference reference, double[]? scoreShares)
    {
        Predictions = predictions;
        ClassShares = classShares;
        ReferenceClassShares = reference.ClassShares;
        ClassPsi = DriftReference.PopulationStabilityIndex(classShares, reference.ClassShares);
        ScoreShares = null;
        ReferenceScoreShares = null;
        ScorePsi = null;
        if (scoreShares is not null && reference.ScoreShares is not null)
        {
            ScoreShares = scoreShares;
            ReferenceScoreShares = reference.ScoreShares;
            ScorePsi = DriftReference.PopulationStabilityIndex(scoreShares, reference.ScoreShares);
        }
    }

    /// <summary>Gets the number of predictions counted in the window.</summary>
    public long Predictions { get; private set; }

    /// <summary>Gets the share of each predicted class in the window, in label order.</summary>
    public IReadOnlyList<double> ClassShares { get; private set; }

    /// <summary>Gets the reference share of each class, in label order.</summary>
    public IReadOnlyList<double> ReferenceClassShares { get; private set; }

    /// <summary>Gets the PSI of the predicted-class shares against the reference.</summary>
    public double ClassPsi { get; private set; }

    /// <summary>Gets the shares of the ten top-class probability bins [0, 0.1), …, [0.9, 1] in the window, or <see langword="null"/>.</summary>
    public IReadOnlyList<double>? ScoreShares { get; private set; }

    /// <summary>Gets the reference shares of the probability bins, or <see langword="null"/> when the reference has none.</summary>
    public IReadOnlyList<double>? ReferenceScoreShares { get; private set; }

    /// <summary>Gets the PSI of the probability bins, or <see langword="null"/> when either side has no probabilities.</summary>
    public double? ScorePsi { get; private set; }
}
