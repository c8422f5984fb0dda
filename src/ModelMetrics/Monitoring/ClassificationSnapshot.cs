// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;

namespace ModelMetrics;

/// <summary>
/// Prediction quality of a classifier from its confusion matrix: accuracy, per-class precision, recall
/// and F1, and their macro averages.
/// </summary>
/// <remarks>
/// Zero-division rule (as scikit-learn's default <c>zero_division=0</c>): a precision whose class was
/// never predicted, a recall whose class never occurred, and an F1 whose precision and recall are both
/// 0 are 0. Macro averages are unweighted means over the classes that occurred or were predicted at
/// least once (scikit-learn's default label set); with no such class they are 0. Accuracy of an empty
/// matrix is 0; check <see cref="Total"/> before reading it.
/// </remarks>
public sealed class ClassificationSnapshot
{
    private readonly long[]? _matrix;

    internal ClassificationSnapshot(IReadOnlyList<string> labels, long[] cells, bool fullMatrix)
    {
        int k = labels.Count;
        Labels = labels;
        var truePositives = new long[k];
        var actualCounts = new long[k];
        var predictedCounts = new long[k];
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
        var classes = new ClassMetrics[k];
        double precisionSum = 0, recallSum = 0, f1Sum = 0;
        int present = 0;
        for (int i = 0; i < k; i++)
        {
            total += actualCounts[i];
            correct += truePositives[i];
            var metrics = new ClassMetrics(labels[i], truePositives[i], predictedCounts[i] - truePositives[i], actualCounts[i] - truePositives[i]);
            classes[i] = metrics;
            if (actualCounts[i] > 0 || predictedCounts[i] > 0)
            {
                present++;
                precisionSum += metrics.Precision;
                recallSum += metrics.Recall;
                f1Sum += metrics.F1;
            }
        }

        Total = total;
        Correct = correct;
        Classes = classes;
        MacroPrecision = present == 0 ? 0 : precisionSum / present;
        MacroRecall = present == 0 ? 0 : recallSum / present;
        MacroF1 = present == 0 ? 0 : f1Sum / present;
    }

    /// <summary>Gets the declared class labels, in index order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Gets the number of (predicted, actual) pairs recorded.</summary>
    public long Total { get; }

    /// <summary>Gets the number of pairs whose prediction was right.</summary>
    public long Correct { get; }

    /// <summary>Gets the fraction of right predictions (0 when <see cref="Total"/> is 0).</summary>
    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;

    /// <summary>Gets per-class counts and metrics, in label order.</summary>
    public IReadOnlyList<ClassMetrics> Classes { get; }

    /// <summary>Gets the unweighted mean precision over the classes present.</summary>
    public double MacroPrecision { get; }

    /// <summary>Gets the unweighted mean recall over the classes present.</summary>
    public double MacroRecall { get; }

    /// <summary>Gets the unweighted mean F1 over the classes present.</summary>
    public double MacroF1 { get; }

    /// <summary>
    /// Gets a value indicating whether the full matrix is kept (the class count is at most
    /// <see cref="ModelMonitorOptions.MaxMatrixClasses"/>).
    /// </summary>
    public bool HasMatrix => _matrix is not null;

    /// <summary>Returns how many times class <paramref name="actual"/> was predicted as <paramref name="predicted"/>.</summary>
    /// <param name="actual">The index of the true class.</param>
    /// <param name="predicted">The index of the predicted class.</param>
    /// <exception cref="InvalidOperationException">The model has more classes than <see cref="ModelMonitorOptions.MaxMatrixClasses"/>.</exception>
    public long GetCount(int actual, int predicted)
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
    /// <summary>Gets the number of pairs whose actual class is this one.</summary>
    public long Support => TruePositives + FalseNegatives;

    /// <summary>Gets TP / (TP + FP), or 0 when the class was never predicted.</summary>
    public double Precision => TruePositives + FalsePositives == 0 ? 0 : (double)TruePositives / (TruePositives + FalsePositives);

    /// <summary>Gets TP / (TP + FN), or 0 when the class never occurred.</summary>
    public double Recall => TruePositives + FalseNegatives == 0 ? 0 : (double)TruePositives / (TruePositives + FalseNegatives);

    /// <summary>Gets the harmonic mean of precision and recall, 2TP / (2TP + FP + FN), or 0 when that is 0/0.</summary>
    public double F1 => TruePositives == 0 ? 0 : 2.0 * TruePositives / ((2.0 * TruePositives) + FalsePositives + FalseNegatives);
}
