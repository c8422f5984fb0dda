// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace ModelMetrics;

/// <summary>
/// A predictor that passes every call to an inner predictor: the base class for decorators. Override only
/// the calls a decorator changes.
/// </summary>
/// <typeparam name="TInput">The model's input.</typeparam>
/// <typeparam name="TOutput">The model's output.</typeparam>
public class DelegatingPredictor<TInput, TOutput> : IPredictor<TInput, TOutput>
{
    /// <summary>Initializes a new instance that wraps <paramref name="innerPredictor"/>.</summary>
    /// <param name="innerPredictor">The predictor to pass calls to.</param>
    protected DelegatingPredictor(IPredictor<TInput, TOutput> innerPredictor)
    {
        ArgumentNullException.ThrowIfNull(innerPredictor);
        InnerPredictor = innerPredictor;
    }

    /// <summary>Gets the predictor calls are passed to.</summary>
    protected IPredictor<TInput, TOutput> InnerPredictor { get; }

    /// <inheritdoc />
    public virtual TOutput Predict(TInput input) => InnerPredictor.Predict(input);

    /// <inheritdoc />
    public virtual ValueTask<TOutput> PredictAsync(TInput input, CancellationToken cancellationToken = default) =>
        InnerPredictor.PredictAsync(input, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask<IReadOnlyList<TOutput>> PredictBatchAsync(IReadOnlyList<TInput> inputs, CancellationToken cancellationToken = default) =>
        InnerPredictor.PredictBatchAsync(inputs, cancellationToken);

    /// <inheritdoc />
    public virtual IAsyncEnumerable<TOutput> PredictStreamingAsync(TInput input, CancellationToken cancellationToken = default) =>
        InnerPredictor.PredictStreamingAsync(input, cancellationToken);

    /// <inheritdoc />
    public virtual object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this)
            ? this
            : InnerPredictor.GetService(serviceType, serviceKey);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes the inner predictor.</summary>
    /// <param name="disposing"><see langword="true"/> when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            InnerPredictor.Dispose();
        }
    }
}
