// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using Microsoft.Extensions.Caching.Hybrid;

namespace ModelMetrics;

/// <summary>How an output cache on <see cref="HybridCache"/> (<see cref="HybridCachePredictorBuilderExtensions.UseHybridCache"/>) stores and reports.</summary>
public sealed class HybridOutputCacheOptions
{
    private TimeProvider _timeProvider = TimeProvider.System;

    /// <summary>Gets or sets the cache that stores the outputs.</summary>
    /// <value>The default value is <see langword="null"/>: the <see cref="HybridCache"/> of the pipeline's services (<c>services.AddHybridCache()</c>).</value>
    public HybridCache? Cache { get; set; }

    /// <summary>Gets or sets the expiry and flags of the entries this stage writes.</summary>
    /// <value>The default value is <see langword="null"/>: the cache's defaults.</value>
    public HybridCacheEntryOptions? EntryOptions { get; set; }

    /// <summary>Gets or sets the tags of the entries this stage writes, to remove them all at once (<c>RemoveByTagAsync</c>, for example when the model is replaced).</summary>
    /// <value>The default value is <see langword="null"/>: no tags.</value>
    public IReadOnlyCollection<string>? Tags { get; set; }

    /// <summary>
    /// Gets or sets the monitor of the model this cache serves: the stage's counts go into its snapshots
    /// (<see cref="ModelMonitorSnapshot.Cache"/>) and are published as <c>model.cache.*</c>.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: the monitor of the metrics stage the cache wraps, if there is one.</value>
    public ModelMonitor? Monitor { get; set; }

    /// <summary>Gets or sets the clock that times the model's calls (for <see cref="CacheStatistics.TimeSaved"/>).</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    /// <exception cref="ArgumentNullException">The value is <see langword="null"/>.</exception>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set => _timeProvider = value ?? throw new ArgumentNullException(nameof(TimeProvider));
    }
}
