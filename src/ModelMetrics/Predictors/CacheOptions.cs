// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

namespace ModelMetrics;

/// <summary>How an output cache (<see cref="CachePredictorBuilderExtensions.UseCache"/>) bounds and ages its entries.</summary>
public sealed class CacheOptions
{
    /// <summary>The largest <see cref="Capacity"/>.</summary>
    public const int MaxCapacity = 100_000_000;

    /// <summary>The longest <see cref="TimeToLive"/>.</summary>
    public static readonly TimeSpan MaxTimeToLive = TimeSpan.FromDays(365);

    private int _capacity = 10_000;
    private TimeSpan _timeToLive = TimeSpan.FromMinutes(5);
    private TimeProvider _timeProvider = TimeProvider.System;

    /// <summary>
    /// Gets or sets the most outputs the cache holds. When an insert goes past it, expired entries are removed first; if that
    /// is not enough, the least recently used entries are removed until <c>Capacity − Capacity / 16</c> are left (so that the
    /// scan that finds them runs once per <c>Capacity / 16</c> inserts, not on every one).
    /// </summary>
    /// <value>The default value is 10 000. From 1 to <see cref="MaxCapacity"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is out of range.</exception>
    public int Capacity
    {
        get => _capacity;
        set => _capacity = value is >= 1 and <= MaxCapacity
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Capacity), value, $"The cache capacity must be from 1 to {MaxCapacity}.");
    }

    /// <summary>
    /// Gets or sets how long an output is served from the cache after the model returned it. An expired entry is removed
    /// when it is looked up or when the cache is full.
    /// </summary>
    /// <value>The default value is 5 minutes. Positive, at most <see cref="MaxTimeToLive"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is out of range.</exception>
    public TimeSpan TimeToLive
    {
        get => _timeToLive;
        set => _timeToLive = value > TimeSpan.Zero && value <= MaxTimeToLive
            ? value
            : throw new ArgumentOutOfRangeException(nameof(TimeToLive), value, $"The cache time to live must be positive and at most {MaxTimeToLive}.");
    }

    /// <summary>
    /// Gets or sets the monitor of the model this cache serves: the cache's counts go into its snapshots
    /// (<see cref="ModelMonitorSnapshot.Cache"/>, per window too) and are published as <c>model.cache.*</c> with its model
    /// name and version. Several caches of one monitor add up. When the pipeline is disposed, the cache's counts stay in the
    /// monitor's totals.
    /// </summary>
    /// <value>
    /// The default value is <see langword="null"/>: the monitor of the metrics stage the cache wraps
    /// (<c>.UseCache(…).UseMetrics(monitor)</c>), if there is one; with the metrics stage outside the cache, set it.
    /// </value>
    public ModelMonitor? Monitor { get; set; }

    /// <summary>Gets or sets the clock that ages entries and times the model's calls (for <see cref="CacheStatistics.TimeSaved"/>).</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    /// <exception cref="ArgumentNullException">The value is <see langword="null"/>.</exception>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set => _timeProvider = value ?? throw new ArgumentNullException(nameof(TimeProvider));
    }
}
