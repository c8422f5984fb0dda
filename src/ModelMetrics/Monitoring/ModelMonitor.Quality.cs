// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using ModelMetrics.Quality;
using ModelMetrics.Recording;

namespace ModelMetrics;

/// <summary>The quality side of <see cref="ModelMonitor"/>: probabilities, regression, predicted-class drift.</summary>
public sealed partial class ModelMonitor
{
    /// <summary>The number of equal-width bins of the top-class probability used for score drift.</summary>
    internal const int ScoreBins = 10;

    /// <summary>The smallest probability a log-loss takes, as ML.NET: a certain wrong answer costs 34.5 nats, not infinity.</summary>
    private const double MinProbability = 1e-15;

    /// <summary>The largest accepted probability: 1, plus rounding slack for outputs normalized in single precision.</summary>
    private const float MaxProbability = 1.0001f;

    /// <summary>Label delays: from 1 ms, where a click arrives, to 30 days, where a chargeback does.</summary>
    private static readonly TimeSpan LowestDelay = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan HighestDelay = TimeSpan.FromDays(30);

    private readonly RegressionCounts _regression = new();
    private PendingPredictions _pending = null!;
    private ShardedHistogram _labelDelay = null!;
    private TimeProvider _time = null!;
    private StripedCells? _probabilities;
    private StripedCells? _predictedClasses;
    private StripedCells? _scoreBins;
    private DriftReference? _driftReference;

    internal RegressionCounts Regression => _regression;

    internal PendingPredictions Pending => _pending;

    internal ShardedHistogram LabelDelay => _labelDelay;

    internal StripedCells? Probabilities => _probabilities;

    internal StripedCells? PredictedClasses => _predictedClasses;

    internal StripedCells? ScoreBinCells => _scoreBins;

    internal DriftReference? CurrentDriftReference => Volatile.Read(ref _driftReference);

    internal double ZeroDivision { get; private set; }

    /// <summary>
    /// Records ground truth for a prediction given as class probabilities: the predicted class is the most
    /// probable one (the first on ties), and the probabilities feed log-loss and top-k accuracy.
    /// </summary>
    /// <param name="probabilities">One probability per declared class, in label order, each from 0 to 1 (not renormalized).</param>
    /// <param name="actual">The true class index.</param>
    public void RecordGroundTruth(ReadOnlySpan<float> probabilities, int actual)
    {
        if (!IsClassIndex(actual) || !TryReadProbabilities(probabilities, out int predicted))
        {
            return;
        }

        RecordProbabilities(probabilities, actual);
        RecordGroundTruth(predicted, actual);
    }

    /// <summary>
    /// Records ground truth for a regression model: the error of <paramref name="predicted"/> against
    /// <paramref name="actual"/> feeds MAE, MSE, RMSE, R² and MAPE. Non-finite values are rejected and counted.
    /// </summary>
    /// <param name="predicted">The model's prediction.</param>
    /// <param name="actual">The true value.</param>
    public void RecordRegression(double predicted, double actual)
    {
        if (!double.IsFinite(predicted) || !double.IsFinite(actual))
        {
            Reject(RejectionReason.InvalidValue);
            return;
        }

        _regression.Record(predicted, actual);
        MarkChanged();
    }

    /// <summary>
    /// Counts a prediction of class <paramref name="predictedClass"/> for drift: the shares of predicted
    /// classes in the recent window are compared with the drift reference.
    /// </summary>
    /// <param name="predictedClass">The predicted class index.</param>
    public void RecordPrediction(int predictedClass)
    {
        if (IsClassIndex(predictedClass))
        {
            _predictedClasses!.Increment(predictedClass);
            MarkChanged();
        }
    }

    /// <summary>
    /// Counts a prediction given as class probabilities for drift: its most probable class, and the
    /// probability of that class in one of ten bins (score drift).
    /// </summary>
    /// <param name="probabilities">One probability per declared class, in label order.</param>
    public void RecordPrediction(ReadOnlySpan<float> probabilities)
    {
        if (_predictedClasses is null)
        {
            Reject(RejectionReason.NoLabelsDeclared);
            return;
        }

        if (TryReadProbabilities(probabilities, out int predicted))
        {
            CountPrediction(probabilities, predicted);
        }
    }

    /// <summary>
    /// Makes the predictions counted so far (<see cref="RecordPrediction(int)"/>) the drift reference: later
    /// windows are compared with these shares. Call it after a baseline period you trust.
    /// </summary>
    /// <exception cref="InvalidOperationException">No class labels are declared, or no prediction was counted yet.</exception>
    public void CaptureDriftReference()
    {
        if (_predictedClasses is null)
        {
            throw new InvalidOperationException("Drift needs declared ClassLabels.");
        }

        long[] classes = new long[_labels.Length];
        _predictedClasses.AddTo(classes);
        long[] scores = new long[ScoreBins];
        _scoreBins!.AddTo(scores);
        double[]? classShares = DriftReference.ToShares(classes)
            ?? throw new InvalidOperationException("No prediction was counted yet; record predictions with RecordPrediction first.");
        Volatile.Write(ref _driftReference, new DriftReference(classShares, DriftReference.ToShares(scores)));
    }

    /// <summary>Sets the drift reference to known shares of the predicted classes (for example from training data).</summary>
    /// <param name="classShares">One non-negative weight per declared class, in label order; normalized to sum to 1.</param>
    /// <exception cref="ArgumentException">The weights are not one per class, or are negative, not finite, or all zero.</exception>
    public void SetDriftReference(IReadOnlyList<double> classShares)
    {
        ArgumentNullException.ThrowIfNull(classShares);
        if (_predictedClasses is null || classShares.Count != _labels.Length)
        {
            throw new ArgumentException($"classShares must hold one weight per declared class ({_labels.Length}).", nameof(classShares));
        }

        double total = 0;
        foreach (double share in classShares)
        {
            if (!double.IsFinite(share) || share < 0)
            {
                throw new ArgumentException("classShares must be finite and non-negative.", nameof(classShares));
            }

            total += share;
        }

        if (total <= 0)
        {
            throw new ArgumentException("classShares must not all be zero.", nameof(classShares));
        }

        double[] normalized = new double[classShares.Count];
        for (int i = 0; i < normalized.Length; i++)
        {
            normalized[i] = classShares[i] / total;
        }

        Volatile.Write(ref _driftReference, new DriftReference(normalized, null));
    }

    /// <summary>
    /// Records a classifier's prediction whose label will arrive later with <see cref="RecordLabel(PredictionId, int)"/>.
    /// It is counted for drift at once and kept in a bounded store until its label arrives or it expires.
    /// </summary>
    /// <param name="id">The prediction's id (a string, <see cref="Guid"/> or <see cref="long"/>); never published.</param>
    /// <param name="predictedClass">The predicted class index.</param>
    public void RecordPrediction(PredictionId id, int predictedClass)
    {
        if (!IsClassIndex(predictedClass))
        {
            return;
        }

        _predictedClasses!.Increment(predictedClass);
        _pending.Add(id, new PendingPrediction(predictedClass, 0, null, _time.GetTimestamp()));
        MarkChanged();
    }

    /// <summary>
    /// Records a classifier's prediction given as class probabilities, whose label will arrive later; the
    /// probabilities are copied (one allocation) so that the label can score log-loss and top-k accuracy.
    /// </summary>
    /// <param name="id">The prediction's id; never published.</param>
    /// <param name="probabilities">One probability per declared class, in label order.</param>
    public void RecordPrediction(PredictionId id, ReadOnlySpan<float> probabilities)
    {
        if (_predictedClasses is null)
        {
            Reject(RejectionReason.NoLabelsDeclared);
            return;
        }

        if (TryReadProbabilities(probabilities, out int predicted))
        {
            _pending.Add(id, new PendingPrediction(predicted, 0, probabilities.ToArray(), _time.GetTimestamp()));
            CountPrediction(probabilities, predicted);
        }
    }

    /// <summary>Records a regression model's prediction whose actual value will arrive later with <see cref="RecordLabel(PredictionId, double)"/>.</summary>
    /// <param name="id">The prediction's id; never published.</param>
    /// <param name="predictedValue">The predicted value.</param>
    public void RecordPrediction(PredictionId id, double predictedValue)
    {
        if (!double.IsFinite(predictedValue))
        {
            Reject(RejectionReason.InvalidValue);
            return;
        }

        _pending.Add(id, new PendingPrediction(-1, predictedValue, null, _time.GetTimestamp()));
        MarkChanged();
    }

    /// <summary>
    /// Records the true class of the prediction with this id: joined with it, counted in the confusion
    /// matrix (and log-loss, top-k) and in the label delay. A label for an unknown, expired, evicted or
    /// already labelled id is counted by kind and otherwise ignored (the first label wins).
    /// </summary>
    /// <param name="id">The id the prediction was recorded with.</param>
    /// <param name="actualClass">The true class index.</param>
    /// <returns><see langword="true"/> when the label was joined with its prediction.</returns>
    public bool RecordLabel(PredictionId id, int actualClass)
    {
        if (!IsClassIndex(actualClass) || !Join(id, out PendingPrediction prediction))
        {
            return false;
        }

        if (prediction.PredictedClass < 0)
        {
            Reject(RejectionReason.KindMismatch);
            return false;
        }

        if (prediction.Probabilities is { } probabilities)
        {
            RecordProbabilities(probabilities, actualClass);
        }

        RecordGroundTruth(prediction.PredictedClass, actualClass);
        return true;
    }

    /// <summary>Records the true class of the prediction with this id by label text; see <see cref="RecordLabel(PredictionId, int)"/>.</summary>
    /// <param name="id">The id the prediction was recorded with.</param>
    /// <param name="actualLabel">The true label.</param>
    /// <returns><see langword="true"/> when the label was joined with its prediction.</returns>
    public bool RecordLabel(PredictionId id, string actualLabel)
    {
        int actual = GetLabelIndex(actualLabel);
        if (actual < 0)
        {
            Reject(_confusion is null ? RejectionReason.NoLabelsDeclared : RejectionReason.UnknownLabel);
            return false;
        }

        return RecordLabel(id, actual);
    }

    /// <summary>Records the true class of a binary classifier's prediction with this id (<see langword="true"/> is label 1).</summary>
    /// <param name="id">The id the prediction was recorded with.</param>
    /// <param name="actual">The true class.</param>
    /// <returns><see langword="true"/> when the label was joined with its prediction.</returns>
    public bool RecordLabel(PredictionId id, bool actual) => RecordLabel(id, actual ? 1 : 0);

    /// <summary>Records the actual value of the regression prediction with this id; see <see cref="RecordLabel(PredictionId, int)"/>.</summary>
    /// <param name="id">The id the prediction was recorded with.</param>
    /// <param name="actualValue">The true value.</param>
    /// <returns><see langword="true"/> when the value was joined with its prediction.</returns>
    public bool RecordLabel(PredictionId id, double actualValue)
    {
        if (!double.IsFinite(actualValue))
        {
            Reject(RejectionReason.InvalidValue);
            return false;
        }

        if (!Join(id, out PendingPrediction prediction))
        {
            return false;
        }

        if (prediction.PredictedClass >= 0)
        {
            Reject(RejectionReason.KindMismatch);
            return false;
        }

        RecordRegression(prediction.PredictedValue, actualValue);
        return true;
    }

    private bool Join(PredictionId id, out PendingPrediction prediction)
    {
        if (_pending.TryJoin(id, out prediction) != JoinResult.Joined)
        {
            MarkChanged();
            return false;
        }

        TimeSpan delay = _time.GetElapsedTime(prediction.Timestamp);
        _labelDelay.Record((long)(delay.Ticks * ((double)Stopwatch.Frequency / TimeSpan.TicksPerSecond)));
        return true;
    }

    private void InitializeQuality(ModelMonitorOptions options)
    {
        ZeroDivision = options.ZeroDivision;
        _time = options.TimeProvider;
        _pending = new PendingPredictions(options.PendingCapacity, options.PendingTimeToLive, options.TimeProvider);
        _labelDelay = new ShardedHistogram(new HistogramLayout(ToTicks(LowestDelay), ToTicks(HighestDelay), 2), _rejections);
        if (_labels.Length > 0)
        {
            _probabilities = new StripedCells(ProbabilityCells.Length(_labels.Length));
            _predictedClasses = new StripedCells(_labels.Length);
            _scoreBins = new StripedCells(ScoreBins);
        }
    }

    /// <summary>Returns whether <paramref name="index"/> is a declared class; if not, counts why.</summary>
    private bool IsClassIndex(int index)
    {
        if (_labels.Length == 0)
        {
            Reject(RejectionReason.NoLabelsDeclared);
            return false;
        }

        if ((uint)index >= (uint)_labels.Length)
        {
            Reject(RejectionReason.LabelOutOfRange);
            return false;
        }

        return true;
    }

    /// <summary>Counts a probabilistic prediction for drift: its class, and its top probability in one of ten bins.</summary>
    private void CountPrediction(ReadOnlySpan<float> probabilities, int predicted)
    {
        _scoreBins!.Increment(Math.Min(ScoreBins - 1, (int)(probabilities[predicted] * ScoreBins)));
        _predictedClasses!.Increment(predicted);
        MarkChanged();
    }

    private bool TryReadProbabilities(ReadOnlySpan<float> probabilities, out int predicted)
    {
        predicted = 0;
        if (probabilities.Length != _labels.Length)
        {
            Reject(RejectionReason.InvalidProbabilities);
            return false;
        }

        for (int i = 0; i < probabilities.Length; i++)
        {
            // Note: a little above 1 is allowed for rounding in normalized outputs; more is not a probability.
            float p = probabilities[i];
            if (!(p >= 0 && p <= MaxProbability))
            {
                Reject(RejectionReason.InvalidProbabilities);
                return false;
            }

            if (p > probabilities[predicted])
            {
                predicted = i;
            }
        }

        return true;
    }

    private void RecordProbabilities(ReadOnlySpan<float> probabilities, int actual)
    {
        float pActual = probabilities[actual];
        int rank = 0;
        foreach (float p in probabilities)
        {
            if (p > pActual)
            {
                rank++;
            }
        }

        // Summed in micro-nats: an exact integer counter, 5e-7 nats of rounding per pair at most.
        long lossMicroNats = (long)Math.Round(-Math.Log(Math.Clamp(pActual, MinProbability, 1)) * 1e6);
        StripedCells cells = _probabilities!;
        cells.Add(ProbabilityCells.LossMicroNats, lossMicroNats);
        if (rank < ProbabilityCells.MaxRanks)
        {
            cells.Increment(ProbabilityCells.FirstRank + rank);
        }

        // Note: the count last; readers read it first, so the loss and ranks cover at least the count read.
        cells.Increment(ProbabilityCells.Count);
    }
}

/// <summary>Predicted-class shares (and optionally top-probability bins) that later windows are compared with.</summary>
internal sealed class DriftReference
{
    /// <summary>Shares below this count as this when computing PSI, so that an empty bin gives a large but finite term.</summary>
    public const double MinShare = 1e-4;

    public DriftReference(double[] classShares, double[]? scoreShares)
    {
        ClassShares = classShares;
        ScoreShares = scoreShares;
    }

    public double[] ClassShares { get; }

    public double[]? ScoreShares { get; }

    /// <summary>Returns counts as shares summing to 1, or <see langword="null"/> when all are zero.</summary>
    public static double[]? ToShares(ReadOnlySpan<long> counts)
    {
        long total = 0;
        foreach (long c in counts)
        {
            total += c;
        }

        if (total == 0)
        {
            return null;
        }

        double[] shares = new double[counts.Length];
        for (int i = 0; i < shares.Length; i++)
        {
            shares[i] = (double)counts[i] / total;
        }

        return shares;
    }

    /// <summary>Population stability index: Σ (actual − expected) · ln(actual / expected), shares floored at <see cref="MinShare"/>.</summary>
    public static double PopulationStabilityIndex(IReadOnlyList<double> actual, IReadOnlyList<double> expected)
    {
        double psi = 0;
        for (int i = 0; i < actual.Count; i++)
        {
            double a = Math.Max(actual[i], MinShare);
            double e = Math.Max(expected[i], MinShare);
            psi += (a - e) * Math.Log(a / e);
        }

        return psi;
    }
}
