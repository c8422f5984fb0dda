// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

namespace ModelMetrics.Onnx;

/// <summary>
/// Which of an ONNX model's inputs and outputs an adapter (<see cref="OnnxPredictor"/>) uses, and how it batches.
/// Validated against the session's metadata when the predictor is created.
/// </summary>
/// <typeparam name="TInput">The model's input.</typeparam>
public sealed class OnnxPredictorOptions<TInput>
{
    /// <summary>The largest <see cref="MaxBatchSize"/>.</summary>
    public const int MaxMaxBatchSize = 1 << 20;

    private int _maxBatchSize = 1024;

    /// <summary>
    /// Gets or sets the name of the model's input: a float tensor of shape [batch, features] with a fixed feature count
    /// (the batch dimension symbolic, or 1).
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the model's only input.</value>
    public string? InputName { get; set; }

    /// <summary>
    /// Gets or sets the name of the output holding the predicted class: an int64 or int32 tensor of class indices into
    /// <see cref="ModelMonitor.ClassLabels"/> (what <c>ArgMax</c> gives), or a string tensor of labels (looked up in
    /// <see cref="ModelMonitor.ClassLabels"/>), of shape [batch] or [batch, 1].
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the class is the most probable one of <see cref="ProbabilitiesOutput"/>.</value>
    public string? LabelOutput { get; set; }

    /// <summary>
    /// Gets or sets the name of the output holding the class probabilities: a float tensor [batch, classes] in label order
    /// (what <c>Softmax</c> gives), or the ONNX-ML <c>ZipMap</c> form, a sequence of maps from class (int64 index or string
    /// label) to probability.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no probabilities are read.</value>
    public string? ProbabilitiesOutput { get; set; }

    /// <summary>
    /// Gets or sets the name of a regression model's output: a float tensor [batch] or [batch, 1]. It cannot be combined
    /// with <see cref="LabelOutput"/> or <see cref="ProbabilitiesOutput"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the model is not a regression model.</value>
    public string? ScoreOutput { get; set; }

    /// <summary>
    /// Gets or sets a function that returns an input's prediction id, for ground truth that arrives later: each prediction
    /// is then recorded with <see cref="ModelMonitor.RecordPrediction(PredictionId, ReadOnlySpan{float})"/> (or its class
    /// index, or <see cref="ModelMonitor.RecordRegressionPrediction"/> for a score) so that
    /// <see cref="ModelMonitor.RecordLabel(PredictionId, int)"/> can join it. An exception it throws never fails the call:
    /// the prediction is recorded with an invalid id, which the monitor counts (<c>invalid_id</c>) and does not keep, and it
    /// still counts for drift.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: predictions are counted for drift only (a regression score is not recorded).</value>
    public Func<TInput, PredictionId>? PredictionId { get; set; }

    /// <summary>
    /// Gets or sets the most inputs of a <c>PredictBatchAsync</c> call sent to the model in one run; a larger batch is
    /// split into runs of this size. A model whose batch dimension is fixed at 1 runs one input at a time.
    /// </summary>
    /// <value>The default value is 1024. From 1 to <see cref="MaxMaxBatchSize"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is out of range.</exception>
    public int MaxBatchSize
    {
        get => _maxBatchSize;
        set => _maxBatchSize = value is >= 1 and <= MaxMaxBatchSize
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), value, $"MaxBatchSize must be from 1 to {MaxMaxBatchSize}.");
    }

    /// <summary>Gets or sets a value indicating whether disposing the predictor disposes the <c>InferenceSession</c> too.</summary>
    /// <value>The default value is <see langword="false"/>: the caller keeps ownership of the session.</value>
    public bool DisposeSession { get; set; }
}
