// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

namespace ModelMetrics;

/// <summary>Adds an output cache to a predictor pipeline.</summary>
public static class CachePredictorBuilderExtensions
{
    /// <summary>
    /// Serves repeated inputs from a bounded in-memory cache of the model's outputs, keyed by <paramref name="keySelector"/>.
    /// Concurrent calls with the same key while its model call is in flight share that one call (and its outcome, an
    /// exception included); a failed call is not cached. Single calls (<c>Predict</c>, <c>PredictAsync</c>) are cached, and batch
    /// calls item by item (the model gets one batch of the items it must answer, each key once); streamed calls pass through
    /// to the model uncached. Read the counts from <c>predictor.GetService&lt;CacheStatistics&gt;()</c>, or from the monitor's
    /// snapshots and the <c>model.cache.*</c> instruments (<see cref="CacheOptions.Monitor"/>).
    /// </summary>
    /// <remarks>
    /// Where the stage sits decides what a metrics stage counts: with <c>.UseCache(…).UseMetrics(monitor)</c> the monitor
    /// records model inferences only (hits and coalesced calls never reach it); with <c>.UseMetrics(monitor).UseCache(…)</c> it
    /// records every call served, hits included.
    /// </remarks>
    /// <typeparam name="TInput">The model's input.</typeparam>
    /// <typeparam name="TOutput">The model's output. A cached output is returned to every caller that hits it: use immutable outputs.</typeparam>
    /// <typeparam name="TKey">The cache key. Its equality decides which inputs share an output.</typeparam>
    /// <param name="builder">The pipeline.</param>
    /// <param name="keySelector">
    /// Returns an input's key: cheap, and the same for inputs the model answers the same. Never recorded anywhere. When it
    /// throws or returns <see langword="null"/>, the call goes to the model uncached and is counted in <see cref="CacheStatistics.KeyFaults"/>.
    /// </param>
    /// <param name="configure">Sets the capacity, time to live and clock; optional.</param>
    /// <returns>The pipeline.</returns>
    public static PredictorBuilder<TInput, TOutput> UseCache<TInput, TOutput, TKey>(
        this PredictorBuilder<TInput, TOutput> builder,
        Func<TInput, TKey> keySelector,
        Action<CacheOptions>? configure = null)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(keySelector);
        var options = new CacheOptions();
        configure?.Invoke(options);
        return builder.Use(inner => new CachingPredictor<TInput, TOutput, TKey>(inner, keySelector, options));
    }
}
