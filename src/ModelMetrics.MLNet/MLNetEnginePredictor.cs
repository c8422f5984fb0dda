// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.ML;

namespace ModelMetrics.MLNet;

/// <summary>
/// The model: each call rents a prediction engine from the pool, predicts on the caller's thread and gives the engine
/// back. <c>GetService</c> answers this type, so that <c>UseMLNetPredictions</c> finds the output schema down the pipeline.
/// </summary>
/// <typeparam name="TInput">The model's input row.</typeparam>
/// <typeparam name="TOutput">The model's output row.</typeparam>
internal sealed class MLNetEnginePredictor<TInput, TOutput> : IPredictor<TInput, TOutput>
    where TInput : class
    where TOutput : class, new()
{
    private readonly PredictionEnginePool<TInput, TOutput> _pool;

    public MLNetEnginePredictor(PredictionEnginePool<TInput, TOutput> pool) => _pool = pool;

    /// <summary>Gets the schema of the model's output rows.</summary>
    public DataViewSchema OutputSchema => _pool.OutputSchema;

    /// <summary>Gets the pool (for tests).</summary>
    internal PredictionEnginePool<TInput, TOutput> Pool => _pool;

    public TOutput Predict(TInput input)
    {
        PredictionEngine<TInput, TOutput> engine = _pool.Rent();
        TOutput output;
        try
        {
            output = engine.Predict(input);
        }
        catch
        {
            // Note: an engine whose Predict threw may hold a half-filled row; it is dropped rather than shared again.
            engine.Dispose();
            throw;
        }

        _pool.Return(engine);
        return output;
    }

    public ValueTask<TOutput> PredictAsync(TInput input, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<TOutput>(cancellationToken);
        }

        try
        {
            return new ValueTask<TOutput>(Predict(input));
        }
        catch (Exception exception)
        {
            return ValueTask.FromException<TOutput>(exception);
        }
    }

    public ValueTask<IReadOnlyList<TOutput>> PredictBatchAsync(IReadOnlyList<TInput> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<IReadOnlyList<TOutput>>(cancellationToken);
        }

        PredictionEngine<TInput, TOutput> engine;
        try
        {
            engine = _pool.Rent();
        }
        catch (Exception exception)
        {
            return ValueTask.FromException<IReadOnlyList<TOutput>>(exception);
        }

        var outputs = new TOutput[inputs.Count];
        try
        {
            for (int i = 0; i < outputs.Length; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                outputs[i] = engine.Predict(inputs[i]);
            }
        }
        catch (Exception exception)
        {
            engine.Dispose();
            return exception is OperationCanceledException && cancellationToken.IsCancellationRequested
                ? ValueTask.FromCanceled<IReadOnlyList<TOutput>>(cancellationToken)
                : ValueTask.FromException<IReadOnlyList<TOutput>>(exception);
        }

        _pool.Return(engine);
        return new ValueTask<IReadOnlyList<TOutput>>(outputs);
    }

    public async IAsyncEnumerable<TOutput> PredictStreamingAsync(TInput input, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await Task.CompletedTask.ConfigureAwait(false);
        yield return Predict(input);
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose() => _pool.Dispose();
}
