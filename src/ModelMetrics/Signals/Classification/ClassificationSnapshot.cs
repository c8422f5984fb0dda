// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using ModelMetrics.Signals;

namespace ModelMetrics;

/// <summary>
/// Prediction quality of a classifier from its confusion matrix: accuracy, per-class precision, recall
/// and F1, and their macro averages.
/// </summary>
/// <remarks>
/// Zero-division rule (scikit-learn's <c>zero_division</c>, 0 by default, set by
/// <see cref="ModelMonitorOptions.ZeroDivision"/>): a precision whose class was never predicted, a recall
/// whose class never occurred, and an F1 with TP + FP + FN = 0 take that value. Macro averages are
/// unweighted means over the classes that occurred or were predicted at least once (scikit-learn's
/// default label set); weighted averages weigh each class by its support. Every metric of an empty
/// matrix is 0, never NaN; check <see cref="Total"/> before reading it.
/// </remarks>
public sealed class ClassificationSnapshot
{
    // Note: not readonly only for the snapshots a publishing pass refills (Fill), which never leave the monitor's reader
    // lock; every snapshot a user can see is never changed after it is built.
    private long[]? _matrix;
    private long[]? _probabilityCells; // the count, the summed loss, then the counts by rank (from ProbabilityCells.FirstRank)
    private readonly ClassMetrics[] _classes;

    internal ClassificationSnapshot(IReadOnlyList<string> labels, long[] cells, bool fullMatrix, ZeroDivision zeroDivision = ZeroDivision.Zero, long[]? probabilityCells = null)
    {
        ZeroDivision = zeroDivision;
        Labels = labels;
        _classes = new ClassMetrics[labels.Count];
        Fill(cells, fullMatrix, probabilityCells);
    }

    /// <summary>
    /// Computes every metric of <paramref name="cells"/> (a full matrix or compact per-class cells), keeping the arrays it
    /// is given: a new snapshot's, or the snapshot a publishing reading refills (under the monitor's reader lock alone).
    /// </summary>
    internal void Fill(long[] cells, bool fullMatrix, long[]? probabilityCells)
    {
        int k = Labels.Count;
        Span<long> truePositives = k <= 128 ? stackalloc long[k] : new long[k];
        Span<long> actualCounts = k <= 128 ? stackalloc long[k] : new long[k];
        Span<long> predictedCounts = k <= 128 ? stackalloc long[k] : new long[k];
        _matrix = null;
        if (fullMatrix)
        {
            _matrix = cells;
            for (int a = 0; a < k; a++)
            {
                for (int p = 0; p < k; p++)
                {
                    long n = cells[(a * k) + p];
                    actualCounts[a] += n;
                    predictedCounts[p] += n;
                }

                truePositives[a] = cells[(a * k) + a];
            }
        }
        else
        {
            // Compact cells: true positives, false positives, false negatives per class.
            for (int i = 0; i < k; i++)
            {
                truePositives[i] = cells[i];
                predictedCounts[i] = cells[i] + cells[k + i];
                actualCounts[i] = cells[i] + cells[(2 * k) + i];
            }
        }

        long total = 0;
        long correct = 0;
        ClassMetrics[] classes = _classes;
        double precisionSum = 0, recallSum = 0, f1Sum = 0, balancedRecallSum = 0;
        double weightedPrecision = 0, weightedRecall = 0, weightedF1 = 0;
        double predictedTimesActual = 0, predictedSquares = 0, actualSquares = 0;
        int present = 0, occurring = 0;
        for (int i = 0; i < k; i++)
        {
            total += actualCounts[i];
            correct += truePositives[i];
            var metrics = new ClassMetrics(Labels[i], truePositives[i], predictedCounts[i] - truePositives[i], actualCounts[i] - truePositives[i]) { ZeroDivision = ZeroDivision };
            classes[i] = metrics;
            predictedTimesActual += (double)predictedCounts[i] * actualCounts[i];
            predictedSquares += (double)predictedCounts[i] * predictedCounts[i];
            actualSquares += (double)actualCounts[i] * actualCounts[i];
            if (actualCounts[i] > 0 || predictedCounts[i] > 0)
            {
                present++;
                precisionSum += metrics.Precision;
                recallSum += metrics.Recall;
                f1Sum += metrics.F1;
            }

            if (actualCounts[i] > 0)
            {
                occurring++;
                balancedRecallSum += metrics.Recall;
                weightedPrecision += metrics.Precision * actualCounts[i];
                weightedRecall += metrics.Recall * actualCounts[i];
                weightedF1 += metrics.F1 * actualCounts[i];
            }
        }

        Total = total;
        Correct = correct;
        MacroPrecision = present == 0 ? 0 : precisionSum / present;
        MacroRecall = present == 0 ? 0 : recallSum / present;
        MacroF1 = present == 0 ? 0 : f1Sum / present;
        WeightedPrecision = total == 0 ? 0 : weightedPrecision / total;
        WeightedRecall = total == 0 ? 0 : weightedRecall / total;
        WeightedF1 = total == 0 ? 0 : weightedF1 / total;
        BalancedAccuracy = occurring == 0 ? 0 : balancedRecallSum / occurring;

        // Multiclass MCC (Gorodkin's R_K) from class totals only, so it works without the full matrix:
        // (c·s − Σ p_k·t_k) / sqrt((s² − Σ p_k²)(s² − Σ t_k²)); 0 when a factor is 0, as scikit-learn.
        double s2 = (double)total * total;
        double denominator = Math.Sqrt((s2 - predictedSquares) * (s2 - actualSquares));
        MatthewsCorrelation = denominator > 0 ? (((double)correct * total) - predictedTimesActual) / denominator : 0;

        _probabilityCells = null;
        ScoredCount = 0;
        LogLossSum = 0;
        LogLoss = 0;
        if (probabilityCells is not null && probabilityCells.Length > ProbabilityCells.FirstRank)
        {
            _probabilityCells = probabilityCells;
            ScoredCount = probabilityCells[ProbabilityCells.Count];
            LogLossSum = probabilityCells[ProbabilityCells.LossMicroNats] / 1e6;
            LogLoss = ScoredCount == 0 ? 0 : LogLossSum / ScoredCount;
        }
    }

    /// <summary>Gets the declared class labels, in index order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Gets the number of (predicted, actual) pairs recorded.</summary>
    public long Total { get; private set; }

    /// <summary>Gets the number of pairs whose prediction was right.</summary>
    public long Correct { get; private set; }

    /// <summary>Gets the fraction of right predictions (0 when <see cref="Total"/> is 0).</summary>
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;

    /// <summary>Gets per-class counts and metrics, in label order.</summary>
    public IReadOnlyList<ClassMetrics> Classes => _classes;

    /// <summary>Gets the unweighted mean precision over the classes present.</summary>
    public double MacroPrecision { get; private set; }

    /// <summary>Gets the unweighted mean recall over the classes present.</summary>
    public double MacroRecall { get; private set; }

    /// <summary>Gets the unweighted mean F1 over the classes present.</summary>
    public double MacroF1 { get; private set; }

    /// <summary>Gets the micro-averaged precision: ΣTP / Σ(TP + FP), which for single-label classification equals <see cref="Accuracy"/>.</summary>
    public double MicroPrecision => Accuracy;

    /// <summary>Gets the micro-averaged recall: ΣTP / Σ(TP + FN), which for single-label classification equals <see cref="Accuracy"/>.</summary>
    public double MicroRecall => Accuracy;

    /// <summary>Gets the micro-averaged F1, which for single-label classification equals <see cref="Accuracy"/>.</summary>
    public double MicroF1 => Accuracy;

    /// <summary>Gets the support-weighted mean precision (classes that never occurred weigh 0).</summary>
    public double WeightedPrecision { get; private set; }

    /// <summary>Gets the support-weighted mean recall.</summary>
    public double WeightedRecall { get; private set; }

    /// <summary>Gets the support-weighted mean F1.</summary>
    public double WeightedF1 { get; private set; }

    /// <summary>Gets the mean recall over the classes that occurred (scikit-learn's <c>balanced_accuracy_score</c>).</summary>
    public double BalancedAccuracy { get; private set; }

    /// <summary>Gets the Matthews correlation coefficient, from -1 to 1 (its multiclass form for more than two classes); 0 when undefined.</summary>
    public double MatthewsCorrelation { get; private set; }

    /// <summary>Gets the positive class (label 1) of a binary classifier, or <see langword="null"/> for more than two classes.</summary>
    public ClassMetrics? PositiveClass => Classes.Count == 2 ? Classes[1] : null;

    /// <summary>
    /// Gets the specificity of a binary classifier, TN / (TN + FP) for the positive class (the recall of
    /// the negative class); 0 for more than two classes.
    /// </summary>
    public double Specificity => Classes.Count == 2 ? Classes[0].Recall : 0;

    /// <summary>Gets the value that a ratio with a zero denominator takes (<see cref="ModelMonitorOptions.ZeroDivision"/>).</summary>
    public ZeroDivision ZeroDivision { get; }

    /// <summary>Gets how many of the pairs came with class probabilities (the base of <see cref="LogLoss"/> and <see cref="GetTopKAccuracy"/>).</summary>
    public long ScoredCount { get; private set; }

    /// <summary>
    /// Gets the mean log-loss in nats, <see cref="LogLossSum"/> / <see cref="ScoredCount"/>; 0 when
    /// <see cref="ScoredCount"/> is 0.
    /// </summary>
    public double LogLoss { get; private set; }

    /// <summary>
    /// Gets the summed log-loss in nats, Σ −ln p(actual), of the pairs recorded with probabilities. A probability
    /// below the double's machine epsilon (2.22e-16) counts as that epsilon, as current scikit-learn clips, so a
    /// certain wrong answer costs 36.04 nats. Summed exactly in micro-nats (at most 5e-7 nats of rounding per pair).
    /// </summary>
    public double LogLossSum { get; private set; }

    /// <summary>
    /// Returns the fraction of pairs recorded with probabilities whose true class was among the
    /// <paramref name="k"/> most probable: <see cref="GetTopKHits"/> / <see cref="ScoredCount"/>, 0 when none.
    /// </summary>
    /// <param name="k">From 1 to min(class count, 10).</param>
    /// <returns>The top-k accuracy.</returns>
    public double GetTopKAccuracy(int k)
    {
        long hits = GetTopKHits(k);
        return ScoredCount == 0 ? 0 : (double)hits / ScoredCount;
    }

    /// <summary>
    /// Returns how many pairs recorded with probabilities had their true class among the <paramref name="k"/>
    /// most probable. Ties rank by class index, as the predicted class is the first most probable one: the true
    /// class ranks behind every class more probable than it and every equally probable class with a lower index.
    /// So top-1 hits are exactly the right predictions among the scored pairs.
    /// </summary>
    /// <param name="k">From 1 to min(class count, 10).</param>
    /// <returns>The count of top-k hits.</returns>
    public long GetTopKHits(int k)
    {
        int ranks = _probabilityCells is { } cells ? cells.Length - ProbabilityCells.FirstRank : Math.Min(Labels.Count, ProbabilityCells.MaxRanks);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, ranks);
        long hits = 0;
        for (int r = 0; _probabilityCells is not null && r < k; r++)
        {
            hits += _probabilityCells[ProbabilityCells.FirstRank + r];
        }

        return hits;
    }

    /// <summary>
    /// Gets a value indicating whether the full matrix is kept (the class count is at most
    /// <see cref="ModelMonitorOptions.MaxMatrixClasses"/>).
    /// </summary>
    public bool HasMatrix => _matrix is not null;

    /// <summary>
    /// Returns how many times class <paramref name="predicted"/> was predicted when the truth was
    /// <paramref name="actual"/> (arguments in the order of <see cref="ModelMonitor.RecordGroundTruth(int, int)"/>).
    /// </summary>
    /// <param name="predicted">The index of the predicted class.</param>
    /// <param name="actual">The index of the true class.</param>
    /// <returns>The count of the matrix cell.</returns>
    /// <exception cref="InvalidOperationException">The model has more classes than <see cref="ModelMonitorOptions.MaxMatrixClasses"/>.</exception>
    public long GetCount(int predicted, int actual)
    {
        if (_matrix is null)
        {
            throw new InvalidOperationException("The full confusion matrix is kept only up to ModelMonitorOptions.MaxMatrixClasses classes.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(actual);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(actual, Labels.Count);
        ArgumentOutOfRangeException.ThrowIfNegative(predicted);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(predicted, Labels.Count);
        return _matrix[(actual * Labels.Count) + predicted];
    }
}

/// <summary>One class's counts and metrics, one-vs-rest.</summary>
/// <param name="Label">The class label.</param>
/// <param name="TruePositives">Pairs where the class was both actual and predicted.</param>
/// <param name="FalsePositives">Pairs where the class was predicted but another was actual.</param>
/// <param name="FalseNegatives">Pairs where the class was actual but another was predicted.</param>
public readonly record struct ClassMetrics(string Label, long TruePositives, long FalsePositives, long FalseNegatives)
{
    /// <summary>Gets the value a ratio with a zero denominator takes (<see cref="ModelMonitorOptions.ZeroDivision"/>); <see cref="ZeroDivision.Zero"/> by default.</summary>
    public ZeroDivision ZeroDivision { get; init; }

    /// <summary>Gets the number of pairs whose actual class is this one.</summary>
    public long Support => TruePositives + FalseNegatives;

    /// <summary>Gets TP / (TP + FP), or <see cref="ZeroDivision"/> when the class was never predicted.</summary>
    public double Precision => TruePositives + FalsePositives == 0 ? Undefined : (double)TruePositives / (TruePositives + FalsePositives);

    /// <summary>Gets TP / (TP + FN), or <see cref="ZeroDivision"/> when the class never occurred.</summary>
    public double Recall => TruePositives + FalseNegatives == 0 ? Undefined : (double)TruePositives / (TruePositives + FalseNegatives);

    /// <summary>Gets the harmonic mean of precision and recall, 2TP / (2TP + FP + FN), or <see cref="ZeroDivision"/> when that is 0/0.</summary>
    public double F1 => TruePositives + FalsePositives + FalseNegatives == 0
        ? Undefined
        : 2.0 * TruePositives / ((2.0 * TruePositives) + FalsePositives + FalseNegatives);

    private double Undefined => ZeroDivision == ZeroDivision.One ? 1 : 0;
}
