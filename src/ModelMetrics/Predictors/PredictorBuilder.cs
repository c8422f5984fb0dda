// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;

namespace ModelMetrics;

/// <summary>
/// Builds a pipeline of decorators around a predictor. The first decorator added is the outermost: it
/// sees each call first.
/// </summary>
/// <typeparam name="TInput">The model's input.</typeparam>
/// <typeparam name="TOutput">The model's output.</typeparam>
public sealed class PredictorBuilder<TInput, TOutput>
{
    private readonly IPredictor<TInput, TOutput> _innerPredictor;
    private readonly List<Func<IPredictor<TInput, TOutput>, IServiceProvider, IPredictor<TInput, TOutput>>> _decorators = [];

    /// <summary>Initializes a new builder around the model.</summary>
    /// <param name="innerPredictor">The model, innermost in the pipeline.</param>
    public PredictorBuilder(IPredictor<TInput, TOutput> innerPredictor)
    {
        ArgumentNullException.ThrowIfNull(innerPredictor);
        _innerPredictor = innerPredictor;
    }

    /// <summary>Adds a decorator.</summary>
    /// <param name="decorator">Wraps the predictor built so far.</param>
    /// <returns>This builder.</returns>
    public PredictorBuilder<TInput, TOutput> Use(Func<IPredictor<TInput, TOutput>, IPredictor<TInput, TOutput>> decorator)
    {
        ArgumentNullException.ThrowIfNull(decorator);
        return Use((inner, _) => decorator(inner));
    }

    /// <summary>Adds a decorator that needs services (for example an <c>IMeterFactory</c>).</summary>
    /// <param name="decorator">Wraps the predictor built so far, given the services passed to <see cref="Build"/>.</param>
    /// <returns>This builder.</returns>
    public PredictorBuilder<TInput, TOutput> Use(Func<IPredictor<TInput, TOutput>, IServiceProvider, IPredictor<TInput, TOutput>> decorator)
    {
        ArgumentNullException.ThrowIfNull(decorator);
        _decorators.Add(decorator);
        return this;
    }

    /// <summary>Builds the pipeline.</summary>
    /// <param name="services">Services for decorators that need them; an empty provider when <see langword="null"/>.</param>
    /// <returns>The outermost predictor.</returns>
    /// <exception cref="InvalidOperationException">A decorator returned <see langword="null"/>.</exception>
    public IPredictor<TInput, TOutput> Build(IServiceProvider? services = null)
    {
        services ??= EmptyServiceProvider.Instance;
        IPredictor<TInput, TOutput> predictor = _innerPredictor;

        // Applied in reverse so that the first decorator added ends up outermost.
        for (int i = _decorators.Count - 1; i >= 0; i--)
        {
            predictor = _decorators[i](predictor, services)
                ?? throw new InvalidOperationException($"The decorator at position {i} returned null.");
        }

        return predictor;
    }

    private sealed class EmptyServiceProvider : IServiceProvider
    {
        public static readonly EmptyServiceProvider Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}
