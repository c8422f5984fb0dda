// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using Microsoft.ML;

namespace ModelMetrics.MLNet;

/// <summary>Creates predictors over ML.NET models.</summary>
public static class MLNetPredictor
{
    /// <summary>
    /// Creates a predictor that serves <paramref name="model"/> through a pool of ML.NET prediction engines, so that it is
    /// safe for concurrent calls (a <see cref="PredictionEngine{TSrc, TDst}"/> is not). It records nothing itself: add
    /// <c>UseMLNetPredictions</c> to record each prediction's class and probabilities, and <c>UseMetrics</c> for calls and
    /// latency.
    /// </summary>
    /// <remarks>
    /// Every call shape works: <c>PredictAsync</c> completes synchronously (the model runs on the caller's thread), a batch
    /// predicts its items one after another on one engine, and a stream yields the one output as one chunk. The model's
    /// exception reaches the caller unchanged.
    /// </remarks>
    /// <typeparam name="TInput">The model's input row (a class whose members are the input columns).</typeparam>
    /// <typeparam name="TOutput">The model's output row, for example with <c>PredictedLabel</c> and <c>Score</c> members. A new one per call.</typeparam>
    /// <param name="mlContext">The context the model was trained or loaded with.</param>
    /// <param name="model">The trained or loaded model.</param>
    /// <param name="configure">Sets the pool's options; optional.</param>
    /// <returns>The predictor; dispose it to dispose its engines.</returns>
    /// <exception cref="ArgumentException">An option is out of range, or the input and output types do not fit the model.</exception>
    public static IPredictor<TInput, TOutput> Create<TInput, TOutput>(MLContext mlContext, ITransformer model, Action<MLNetPredictorOptions>? configure = null)
        where TInput : class
        where TOutput : class, new()
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentNullException.ThrowIfNull(model);
        var options = new MLNetPredictorOptions();
        configure?.Invoke(options);
        options.Validate();
        return new MLNetEnginePredictor<TInput, TOutput>(new PredictionEnginePool<TInput, TOutput>(mlContext, model, options.MaxRetainedEngines));
    }
}
