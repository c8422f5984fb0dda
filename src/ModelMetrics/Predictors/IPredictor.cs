// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace ModelMetrics;

/// <summary>
/// A model that turns inputs into outputs: one at a time, asynchronously, in batches, or as a stream of
/// chunks. Decorators such as <see cref="MetricsPredictor{TInput, TOutput}"/> wrap it; build a pipeline
/// with <see cref="PredictorBuilder{TInput, TOutput}"/> and create one from plain delegates with
/// <see cref="Predictor"/>.
/// </summary>
/// <typeparam name="TInput">The model's input.</typeparam>
/// <typeparam name="TOutput">The model's output (or, when streamed, one chunk of it).</typeparam>
public interface IPredictor<TInput, TOutput> : IPredictor
{
    /// <summary>Predicts the output for one input, synchronously.</summary>
    /// <param name="input">The input.</param>
    /// <returns>The model's output.</returns>
    TOutput Predict(TInput input);

    /// <summary>Predicts the output for one input.</summary>
    /// <param name="input">The input.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The model's output.</returns>
    ValueTask<TOutput> PredictAsync(TInput input, CancellationToken cancellationToken = default);

    /// <summary>Predicts one output per input, in input order.</summary>
    /// <param name="inputs">The inputs.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The outputs, one per input.</returns>
    ValueTask<IReadOnlyList<TOutput>> PredictBatchAsync(IReadOnlyList<TInput> inputs, CancellationToken cancellationToken = default);

    /// <summary>Predicts the output for one input as a stream of chunks (tokens, partial results).</summary>
    /// <param name="input">The input.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The chunks, in order.</returns>
    IAsyncEnumerable<TOutput> PredictStreamingAsync(TInput input, CancellationToken cancellationToken = default);
}

/// <summary>
/// What every <see cref="IPredictor{TInput, TOutput}"/> has whatever its input and output types: it can be
/// asked for services and disposed. Code that holds predictors of different types can hold them as this.
/// </summary>
/// <remarks>
/// It also lets <see cref="PredictorExtensions.GetService{TService}(IPredictor, object?)"/> take only the
/// service's type: C# infers all of a method's type arguments or none, so an extension method on
/// <see cref="IPredictor{TInput, TOutput}"/> would need the input and output types spelled out too.
/// </remarks>
public interface IPredictor : IDisposable
{
    /// <summary>
    /// Returns a service of the given type from this predictor or the ones it wraps (for example the
    /// <see cref="ModelMonitor"/> of a metrics decorator), or <see langword="null"/>.
    /// </summary>
    /// <param name="serviceType">The type of service asked for.</param>
    /// <param name="serviceKey">An optional key.</param>
    /// <returns>The service, or <see langword="null"/>.</returns>
    object? GetService(Type serviceType, object? serviceKey = null);
}
