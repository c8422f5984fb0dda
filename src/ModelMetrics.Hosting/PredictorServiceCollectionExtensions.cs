// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using ModelMetrics;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers predictor pipelines, as <c>AddChatClient</c> does for chat clients.</summary>
public static class PredictorServiceCollectionExtensions
{
    /// <summary>
    /// Adds a singleton <see cref="IPredictor{TInput, TOutput}"/> built, when first resolved, from the returned pipeline
    /// around the model that <paramref name="innerPredictorFactory"/> creates.
    /// </summary>
    /// <typeparam name="TInput">The model's input.</typeparam>
    /// <typeparam name="TOutput">The model's output.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="innerPredictorFactory">Creates the model, innermost in the pipeline.</param>
    /// <param name="monitorName">
    /// The key of a monitor added with <c>AddModelMonitor</c> that the pipeline records into, as its outermost decorator
    /// (it sees every call, including those that later decorators answer); <see langword="null"/> to add metrics yourself.
    /// </param>
    /// <returns>The pipeline, to add decorators to.</returns>
    public static PredictorBuilder<TInput, TOutput> AddPredictor<TInput, TOutput>(
        this IServiceCollection services, Func<IServiceProvider, IPredictor<TInput, TOutput>> innerPredictorFactory, string? monitorName = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        PredictorBuilder<TInput, TOutput> builder = CreateBuilder(innerPredictorFactory, monitorName);
        services.AddSingleton(builder.Build);
        return builder;
    }

    /// <summary>
    /// Adds a singleton <see cref="IPredictor{TInput, TOutput}"/> keyed by <paramref name="serviceKey"/>, built, when first
    /// resolved, from the returned pipeline around the model that <paramref name="innerPredictorFactory"/> creates.
    /// </summary>
    /// <typeparam name="TInput">The model's input.</typeparam>
    /// <typeparam name="TOutput">The model's output.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="serviceKey">The service key.</param>
    /// <param name="innerPredictorFactory">Creates the model, innermost in the pipeline.</param>
    /// <param name="monitorName">
    /// The key of a monitor added with <c>AddModelMonitor</c> that the pipeline records into, as its outermost decorator
    /// (it sees every call, including those that later decorators answer); <see langword="null"/> to add metrics yourself.
    /// </param>
    /// <returns>The pipeline, to add decorators to.</returns>
    public static PredictorBuilder<TInput, TOutput> AddKeyedPredictor<TInput, TOutput>(
        this IServiceCollection services, object? serviceKey, Func<IServiceProvider, IPredictor<TInput, TOutput>> innerPredictorFactory, string? monitorName = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        PredictorBuilder<TInput, TOutput> builder = CreateBuilder(innerPredictorFactory, monitorName);
        services.AddKeyedSingleton(serviceKey, (provider, _) => builder.Build(provider));
        return builder;
    }

    private static PredictorBuilder<TInput, TOutput> CreateBuilder<TInput, TOutput>(Func<IServiceProvider, IPredictor<TInput, TOutput>> innerPredictorFactory, string? monitorName)
    {
        ArgumentNullException.ThrowIfNull(innerPredictorFactory);
        var builder = new PredictorBuilder<TInput, TOutput>(innerPredictorFactory);
        if (monitorName is not null)
        {
            builder.Use((inner, provider) => new MetricsPredictor<TInput, TOutput>(inner, provider.GetRequiredKeyedService<ModelMonitor>(monitorName)));
        }

        return builder;
    }
}
