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
    private readonly Func<IServiceProvider, IPredictor<TInput, TOutput>> _innerPredictorFactory;
    private readonly List<Func<IPredictor<TInput, TOutput>, IServiceProvider, IPredictor<TInput, TOutput>>> _decorators = [];

    /// <summary>Initializes a new builder around the model.</summary>
    /// <param name="innerPredictor">The model, innermost in the pipeline.</param>
    public PredictorBuilder(IPredictor<TInput, TOutput> innerPredictor)
    {
        ArgumentNullException.ThrowIfNull(innerPredictor);
        _innerPredictorFactory = _ => innerPredictor;
    }

    /// <summary>Initializes a new builder around a model created when the pipeline is built.</summary>
    /// <param name="innerPredictorFactory">
    /// Creates the model, innermost in the pipeline, from the services passed to <see cref="Build"/>. It is
    /// called once per <see cref="Build"/>.
    /// </param>
    public PredictorBuilder(Func<IServiceProvider, IPredictor<TInput, TOutput>> innerPredictorFactory)
    {
        ArgumentNullException.ThrowIfNull(innerPredictorFactory);
        _innerPredictorFactory = innerPredictorFactory;
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
    /// <param name="services">Services for the model's factory and the decorators that need them; an empty provider when <see langword="null"/>.</param>
    /// <returns>The outermost predictor.</returns>
    /// <exception cref="InvalidOperationException">The model's factory or a decorator returned <see langword="null"/>.</exception>
    public IPredictor<TInput, TOutput> Build(IServiceProvider? services = null)
    {
        services ??= EmptyServiceProvider.Instance;
        IPredictor<TInput, TOutput> predictor = _innerPredictorFactory(services)
            ?? throw new InvalidOperationException("The factory passed to the PredictorBuilder constructor returned null; it must return the model's predictor.");

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
