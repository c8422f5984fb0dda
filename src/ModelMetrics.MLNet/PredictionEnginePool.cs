// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Threading;
using Microsoft.ML;

namespace ModelMetrics.MLNet;

/// <summary>
/// A pool of ML.NET prediction engines: a <see cref="PredictionEngine{TSrc, TDst}"/> keeps per-row buffers and is not
/// thread-safe, so each call takes an engine of its own and gives it back. Lock-free on the way in and out; only
/// creating an engine (when every retained one is busy) takes a lock.
/// </summary>
/// <typeparam name="TInput">The model's input row.</typeparam>
/// <typeparam name="TOutput">The model's output row.</typeparam>
internal sealed class PredictionEnginePool<TInput, TOutput> : IDisposable
    where TInput : class
    where TOutput : class, new()
{
    private readonly MLContext _mlContext;
    private readonly ITransformer _model;
    private readonly int _maxRetained;
    private readonly ConcurrentQueue<PredictionEngine<TInput, TOutput>> _idle = new();
    private readonly object _createLock = new();
    private int _idleCount;
    private int _created;
    private int _disposed;

    public PredictionEnginePool(MLContext mlContext, ITransformer model, int maxRetained)
    {
        _mlContext = mlContext;
        _model = model;
        _maxRetained = maxRetained;

        // One engine at once: an input or output type that does not fit the model fails here, at construction, not
        // in the first call; and its output schema tells which kind of model this is.
        PredictionEngine<TInput, TOutput> first = Create();
        OutputSchema = first.OutputSchema;
        Return(first);
    }

    /// <summary>Gets the schema of the rows the engines produce (column names, types, slot names, key values).</summary>
    public DataViewSchema OutputSchema { get; }

    /// <summary>Gets how many engines the pool created so far (for tests: one per concurrent caller at most).</summary>
    public int Created => Volatile.Read(ref _created);

    public PredictionEngine<TInput, TOutput> Rent()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_idle.TryDequeue(out PredictionEngine<TInput, TOutput>? engine))
        {
            // Note: the count may briefly read low or high against the queue; it only bounds how many are retained.
            Interlocked.Decrement(ref _idleCount);
            return engine;
        }

        return Create();
    }

    public void Return(PredictionEngine<TInput, TOutput> engine)
    {
        if (Volatile.Read(ref _disposed) == 0 && Interlocked.Increment(ref _idleCount) <= _maxRetained)
        {
            _idle.Enqueue(engine);

            // A Dispose that ran between the check and the enqueue has already drained the queue: drain again, so
            // that no engine outlives the pool.
            if (Volatile.Read(ref _disposed) != 0)
            {
                Drain();
            }

            return;
        }

        if (Volatile.Read(ref _disposed) == 0)
        {
            Interlocked.Decrement(ref _idleCount);
        }

        engine.Dispose();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Drain();
        }
    }

    private PredictionEngine<TInput, TOutput> Create()
    {
        // MLContext is not documented as thread-safe: engines are created one at a time (rare: at most one per
        // concurrent caller, and retained afterwards).
        lock (_createLock)
        {
            PredictionEngine<TInput, TOutput> engine = _mlContext.Model.CreatePredictionEngine<TInput, TOutput>(_model);
            Interlocked.Increment(ref _created);
            return engine;
        }
    }

    private void Drain()
    {
        while (_idle.TryDequeue(out PredictionEngine<TInput, TOutput>? engine))
        {
            engine.Dispose();
        }
    }
}
