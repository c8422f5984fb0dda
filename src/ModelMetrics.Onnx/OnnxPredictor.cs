// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using Microsoft.ML.OnnxRuntime;

namespace ModelMetrics.Onnx;

/// <summary>
/// Serves an ONNX Runtime <see cref="InferenceSession"/> as an <see cref="IPredictor{TInput, TOutput}"/> that records each
/// prediction's class and probabilities (or regression score) into a <see cref="ModelMonitor"/>, for drift and delayed
/// labels, without mapping code. Add <c>.AsBuilder().UseMetrics(monitor)</c> to record the calls too.
/// </summary>
/// <remarks>
/// <para>
/// One input per call becomes one row of the model's float input tensor [batch, features]; <c>PredictBatchAsync</c> sends
/// a batch in one run (up to <see cref="OnnxPredictorOptions{TInput}.MaxBatchSize"/> rows) and splits the outputs back per
/// input. The input tensor lives over a pooled array (no copy into native memory), and the session runs concurrently from
/// any number of threads (<see cref="InferenceSession"/>'s <c>Run</c> is thread-safe).
/// </para>
/// <para>
/// A call whose token can be cancelled runs with its own <see cref="RunOptions"/>, whose <c>Terminate</c> flag the token
/// sets: the run stops and the call ends with an <see cref="OperationCanceledException"/> for that token.
/// </para>
/// </remarks>
public static class OnnxPredictor
{
    /// <summary>Creates a predictor over <paramref name="session"/> whose inputs are written into the model's input tensor by <paramref name="writeInput"/>.</summary>
    /// <typeparam name="TInput">The model's input.</typeparam>
    /// <param name="session">The model. Not disposed with the predictor unless <see cref="OnnxPredictorOptions{TInput}.DisposeSession"/> is set.</param>
    /// <param name="monitor">Where predictions are recorded: a classifier's monitor declares its <see cref="ModelMonitorOptions.ClassLabels"/>. The caller keeps ownership of it.</param>
    /// <param name="writeInput">Writes one input's features into its row of the input tensor.</param>
    /// <param name="configure">Names the outputs to read (at least one of label, probabilities or score) and sets the other options.</param>
    /// <returns>The predictor; dispose it to release its native resources.</returns>
    /// <exception cref="ArgumentException">
    /// An option does not fit the model or the monitor (an unknown or ambiguous input or output, an output of the wrong type or
    /// shape, a class count that differs from the monitor's labels); <see cref="ArgumentException.ParamName"/> names the option.
    /// </exception>
    public static IPredictor<TInput, OnnxPrediction> Create<TInput>(InferenceSession session, ModelMonitor monitor, OnnxInputWriter<TInput> writeInput, Action<OnnxPredictorOptions<TInput>> configure)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(monitor);
        ArgumentNullException.ThrowIfNull(writeInput);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new OnnxPredictorOptions<TInput>();
        configure(options);
        return new OnnxSessionPredictor<TInput>(session, monitor, writeInput, options);
    }

    /// <summary>
    /// Creates a predictor over <paramref name="session"/> whose input is the feature vector itself: each <see cref="float"/>
    /// array is copied into its row of the input tensor (an array of another length fails the call with an <see cref="ArgumentException"/>).
    /// </summary>
    /// <param name="session">The model. Not disposed with the predictor unless <see cref="OnnxPredictorOptions{TInput}.DisposeSession"/> is set.</param>
    /// <param name="monitor">Where predictions are recorded. The caller keeps ownership of it.</param>
    /// <param name="configure">Names the outputs to read and sets the other options.</param>
    /// <returns>The predictor; dispose it to release its native resources.</returns>
    /// <exception cref="ArgumentException">An option does not fit the model or the monitor; see <see cref="Create{TInput}"/>.</exception>
    public static IPredictor<float[], OnnxPrediction> Create(InferenceSession session, ModelMonitor monitor, Action<OnnxPredictorOptions<float[]>> configure) =>
        Create(session, monitor, CopyFeatures, configure);

    private static void CopyFeatures(float[] input, Span<float> row)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Length != row.Length)
        {
            throw new ArgumentException($"The input has {input.Length} features; the model takes {row.Length}.", nameof(input));
        }

        input.CopyTo(row);
    }
}
