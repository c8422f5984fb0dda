// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

namespace ModelMetrics.Onnx;

/// <summary>
/// What an ONNX model predicted for one input, read from the outputs named in <see cref="OnnxPredictorOptions{TInput}"/>:
/// the class (an index into the monitor's <see cref="ModelMonitor.ClassLabels"/> and its label), the class probabilities in
/// label order, or a regression score.
/// </summary>
public sealed class OnnxPrediction
{
    /// <summary>Initializes a new prediction (the adapter creates them; tests and fakes may too).</summary>
    /// <param name="classIndex">The predicted class index, or -1 when there is none.</param>
    /// <param name="label">The predicted class label, or <see langword="null"/>.</param>
    /// <param name="probabilities">One probability per class in label order; empty when the model gives none.</param>
    /// <param name="score">The regression score; NaN when the model gives none.</param>
    public OnnxPrediction(int classIndex, string? label, ReadOnlyMemory<float> probabilities, float score)
    {
        ClassIndex = classIndex;
        Label = label;
        Probabilities = probabilities;
        Score = score;
    }

    /// <summary>
    /// Gets the predicted class: the label output's value (an integer label is the class index, a string label is looked up
    /// in <see cref="ModelMonitor.ClassLabels"/>), or else the most probable class (the first on ties); -1 when the model has
    /// neither output or its label is not a declared class.
    /// </summary>
    public int ClassIndex { get; }

    /// <summary>Gets the predicted class's label from <see cref="ModelMonitor.ClassLabels"/>, or <see langword="null"/> when <see cref="ClassIndex"/> is -1.</summary>
    public string? Label { get; }

    /// <summary>
    /// Gets the class probabilities, one per declared class in label order (a ZipMap output is reordered to it); empty when
    /// no probabilities output is read. Pass <c>Probabilities.Span</c> to <see cref="ModelMonitor.RecordGroundTruth(ReadOnlySpan{float}, int)"/>
    /// when the truth is known.
    /// </summary>
    public ReadOnlyMemory<float> Probabilities { get; }

    /// <summary>Gets the regression score, or NaN when no score output is read.</summary>
    public float Score { get; }
}
