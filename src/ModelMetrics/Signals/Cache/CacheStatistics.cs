// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

namespace ModelMetrics;

/// <summary>
/// The counts of an output cache (<see cref="CachePredictorBuilderExtensions.UseCache"/>): since it was built when the pipeline
/// gives it (<c>predictor.GetService&lt;CacheStatistics&gt;()</c>, a new snapshot each call); summed over the caches that serve a
/// monitor's model in <see cref="ModelMonitorSnapshot.Cache"/>, and over one window in <see cref="WindowSnapshot.Cache"/> (where
/// <see cref="Entries"/> and <see cref="MeanMissLatency"/> are the current values).
/// </summary>
/// <remarks>
/// Each count is read on its own, so a snapshot taken while calls run may be a few calls apart between counts; every count
/// is exact once the calls have ended. <see cref="Hits"/> + <see cref="Misses"/> + <see cref="Coalesced"/> is the number of
/// calls that looked up the cache; <see cref="Misses"/> is the number of model calls the cache made.
/// </remarks>
public sealed class CacheStatistics
{
    internal CacheStatistics(
        long hits,
        long misses,
        long coalesced,
        long keyFaults,
        long expiredEvictions,
        long capacityEvictions,
        long entries,
        TimeSpan timeSaved,
        TimeSpan meanMissLatency)
    {
        Hits = hits;
        Misses = misses;
        Coalesced = coalesced;
        KeyFaults = keyFaults;
        ExpiredEvictions = expiredEvictions;
        CapacityEvictions = capacityEvictions;
        Entries = entries;
        TimeSaved = timeSaved;
        MeanMissLatency = meanMissLatency;
    }

    /// <summary>Gets the calls answered from the cache, without a model call.</summary>
    public long Hits { get; }

    /// <summary>Gets the calls that called the model (and stored its output when it succeeded).</summary>
    public long Misses { get; }

    /// <summary>Gets the calls that found the same key's model call in flight and waited for its outcome instead of calling the model.</summary>
    public long Coalesced { get; }

    /// <summary>
    /// Gets the calls whose key selector threw or returned <see langword="null"/>: they went to the model uncached and are not
    /// counted as lookups.
    /// </summary>
    public long KeyFaults { get; }

    /// <summary>Gets the entries removed because their time to live had passed.</summary>
    public long ExpiredEvictions { get; }

    /// <summary>Gets the live entries removed to keep the cache within its capacity (least recently used first).</summary>
    public long CapacityEvictions { get; }

    /// <summary>Gets the entries held (expired ones not yet removed included).</summary>
    public long Entries { get; }

    /// <summary>
    /// Gets the model time the hits saved: each hit adds <see cref="MeanMissLatency"/> as it was at that moment. Coalesced
    /// calls add nothing: they waited for a model call.
    /// </summary>
    public TimeSpan TimeSaved { get; }

    /// <summary>
    /// Gets the recent mean duration of the model's calls made on misses: an exponentially weighted mean, each miss weighing
    /// 1/8 (the first one sets it). Zero before the first miss.
    /// </summary>
    public TimeSpan MeanMissLatency { get; }

    /// <summary>Gets the share of lookups answered from the cache: <see cref="Hits"/> ÷ (hits + misses + coalesced); 0 before any lookup.</summary>
    public double HitRatio
    {
        get
        {
            long lookups = Hits + Misses + Coalesced;
            return lookups == 0 ? 0 : (double)Hits / lookups;
        }
    }
}
