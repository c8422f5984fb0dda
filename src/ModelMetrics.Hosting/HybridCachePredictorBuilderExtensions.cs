// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;

namespace ModelMetrics;

/// <summary>Adds an output cache on <see cref="HybridCache"/> (in memory and, when one is registered, a distributed cache shared by the service's instances) to a predictor pipeline.</summary>
public static class HybridCachePredictorBuilderExtensions
{
    /// <summary>
    /// Serves repeated inputs from a <see cref="HybridCache"/>: its in-process layer first, then its distributed layer (Redis,
    /// SQL Server, … when an <c>IDistributedCache</c> is registered), so that every instance of the service shares the model's
    /// outputs. The cache serializes the outputs (System.Text.Json by default) and lets one call per key reach the model at a
    /// time. Single calls are cached; batch and streamed calls pass through to the model uncached. Counts are read as
    /// <see cref="CachePredictorBuilderExtensions.UseCache"/>'s are: <c>predictor.GetService&lt;CacheStatistics&gt;()</c>, the
    /// monitor's snapshots and the <c>model.cache.*</c> instruments.
    /// </summary>
    /// <remarks>
    /// <para>
    /// A hit is a call that the cache answered without running the model, whether from memory, from the distributed layer
    /// or by waiting for another caller's model call: <see cref="HybridCache"/> does not tell them apart, so
    /// <see cref="CacheStatistics.Coalesced"/> stays 0. Capacity, expiry and evictions are the cache's own
    /// (<see cref="CacheStatistics.Entries"/> and the eviction counts stay 0: the cache does not report them).
    /// </para>
    /// <para>
    /// A key selector that throws or returns <see langword="null"/>, and a cache that fails (for example, an output it cannot
    /// serialize), never fail the call: the model answers it uncached and it is counted in <see cref="CacheStatistics.KeyFaults"/>.
    /// The model's own exceptions propagate unchanged and are not cached. <c>Predict</c> waits for the cache's I/O on a
    /// miss in memory: prefer <c>PredictAsync</c> with a distributed layer.
    /// </para>
    /// </remarks>
    /// <typeparam name="TInput">The model's input.</typeparam>
    /// <typeparam name="TOutput">The model's output (serialized by the cache).</typeparam>
    /// <param name="builder">The pipeline.</param>
    /// <param name="keySelector">Returns an input's cache key: cheap, and the same for inputs the model answers the same; never recorded anywhere.</param>
    /// <param name="configure">Sets the cache, entry options, tags, monitor and clock; optional.</param>
    /// <returns>The pipeline.</returns>
    public static PredictorBuilder<TInput, TOutput> UseHybridCache<TInput, TOutput>(
        this PredictorBuilder<TInput, TOutput> builder,
        Func<TInput, string> keySelector,
        Action<HybridOutputCacheOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(keySelector);
        var options = new HybridOutputCacheOptions();
        configure?.Invoke(options);
        return builder.Use((inner, services) =>
        {
            HybridCache cache = options.Cache ?? services.GetService<HybridCache>()
                ?? throw new InvalidOperationException("UseHybridCache needs a HybridCache: register one (services.AddHybridCache()) or set HybridOutputCacheOptions.Cache.");
            return new HybridCachingPredictor<TInput, TOutput>(inner, keySelector, cache, options);
        });
    }
}
