// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace ModelMetrics;

/// <summary>Creates predictors from plain delegates, and pipelines from predictors.</summary>
/// <remarks>
/// A predictor created from one kind of delegate serves every kind of call: an async call of a
/// synchronous model completes synchronously, a batch runs the items one after another, and a stream
/// yields the single output as one chunk. A synchronous call of an asynchronous model blocks on it.
/// A predictor created from a stream can only stream.
/// </remarks>
public static partial class Predictor
{
    /// <summary>Creates a predictor from a synchronous model.</summary>
    /// <typeparam name="TInput">The model's input.</typeparam>
    /// <typeparam name="TOutput">The model's output.</typeparam>
    /// <param name="predict">The model.</param>
    /// <returns>The predictor.</returns>
    public static IPredictor<TInput, TOutput> Create<TInput, TOutput>(Func<TInput, TOutput> predict)
    {
        ArgumentNullException.ThrowIfNull(predict);
        return new DelegatePredictor<TInput, TOutput>(predict, null, null, null);
    }

    /// <summary>Creates a predictor from an asynchronous model returning <see cref="ValueTask{TResult}"/>.</summary>
    /// <typeparam name="TInput">The model's input.</typeparam>
    /// <typeparam name="TOutput">The model's output.</typeparam>
    /// <param name="predictAsync">The model.</param>
    /// <returns>The predictor.</returns>
    public static IPredictor<TInput, TOutput> CreateFromValueTask<TInput, TOutput>(Func<TInput, CancellationToken, ValueTask<TOutput>> predictAsync)
    {
        ArgumentNullException.ThrowIfNull(predictAsync);
        return new DelegatePredictor<TInput, TOutput>(null, predictAsync, null, null);
    }

    /// <summary>Creates a predictor from an asynchronous model returning <see cref="Task{TResult}"/>.</summary>
    /// <typeparam name="TInput">The model's input.</typeparam>
    /// <typeparam name="TOutput">The model's output.</typeparam>
    /// <param name="predictAsync">The model.</param>
    /// <returns>The predictor.</returns>
    public static IPredictor<TInput, TOutput> CreateFromTask<TInput, TOutput>(Func<TInput, CancellationToken, Task<TOutput>> predictAsync)
    {
        ArgumentNullException.ThrowIfNull(predictAsync);
        return CreateFromValueTask<TInput, TOutput>((input, cancellationToken) => new ValueTask<TOutput>(predictAsync(input, cancellationToken)));
    }

    /// <summary>Creates a predictor from a model that predicts batches (one output per input, in order).</summary>
    /// <typeparam name="TInput">The model's input.</typeparam>
    /// <typeparam name="TOutput">The model's output.</typeparam>
    /// <param name="predictBatchAsync">The model.</param>
    /// <returns>The predictor.</returns>
    public static IPredictor<TInput, TOutput> CreateBatch<TInput, TOutput>(Func<IReadOnlyList<TInput>, CancellationToken, ValueTask<IReadOnlyList<TOutput>>> predictBatchAsync)
    {
        ArgumentNullException.ThrowIfNull(predictBatchAsync);
        return new DelegatePredictor<TInput, TOutput>(null, null, predictBatchAsync, null);
    }

    /// <summary>Creates a predictor from a model that streams its output in chunks.</summary>
    /// <typeparam name="TInput">The model's input.</typeparam>
    /// <typeparam name="TOutput">One chunk of the model's output.</typeparam>
    /// <param name="predictStreamingAsync">The model.</param>
    /// <returns>The predictor.</returns>
    public static IPredictor<TInput, TOutput> CreateStreaming<TInput, TOutput>(Func<TInput, CancellationToken, IAsyncEnumerable<TOutput>> predictStreamingAsync)
    {
        ArgumentNullException.ThrowIfNull(predictStreamingAsync);
        return new DelegatePredictor<TInput, TOutput>(null, null, null, predictStreamingAsync);
    }

    /// <summary>Starts a pipeline of decorators around <paramref name="predictor"/>.</summary>
    /// <typeparam name="TInput">The model's input.</typeparam>
    /// <typeparam name="TOutput">The model's output.</typeparam>
    /// <param name="predictor">The model.</param>
    /// <returns>A builder whose innermost predictor is <paramref name="predictor"/>.</returns>
    public static PredictorBuilder<TInput, TOutput> AsBuilder<TInput, TOutput>(this IPredictor<TInput, TOutput> predictor) => new(predictor);
}
