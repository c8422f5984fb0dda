// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using ModelMetrics.Publishing;

namespace ModelMetrics.Signals;

/// <summary>
/// The instruments of the output-cache signal: lookups by result, key faults, evictions by reason and the time saved as
/// counters (a fleet's hit ratio is the rate of hits over the rate of lookups), entries held, and the hit ratio per window.
/// </summary>
internal sealed class CacheInstruments : SignalInstruments
{
    /// <summary>The attribute of <see cref="Lookups"/>: <c>hit</c>, <c>miss</c> or <c>coalesced</c>.</summary>
    public const string Result = "result";

    public static readonly InstrumentInfo Lookups = new("model.cache.lookups", "{lookup}", "Calls that looked up the output cache, by result: hit (answered from the cache), miss (the cache called the model), coalesced (waited for the same key's model call in flight).");
    public static readonly InstrumentInfo KeyFaults = new("model.cache.key_faults", "{call}", "Calls whose cache key selector threw or returned null: they went to the model uncached.");
    public static readonly InstrumentInfo Evictions = new("model.cache.evictions", "{entry}", "Entries removed from the output cache, by reason: expired (time to live passed) or capacity (least recently used, to stay within the capacity).");
    public static readonly InstrumentInfo Entries = new("model.cache.entries", "{entry}", "Outputs the cache holds.");
    public static readonly InstrumentInfo TimeSaved = new("model.cache.time_saved", MetricNames.Seconds, "Model time saved by cache hits: each hit adds the recent mean duration of the model calls made on misses.");
    public static readonly InstrumentInfo HitRatio = new("model.cache.hit_ratio", MetricNames.Ratio, "Share of the lookups answered from the cache over each window (windows with lookups).");

    public static readonly CacheInstruments Instance = new();

    private CacheInstruments()
    {
    }

    public override void Create(MeterPublisher publisher)
    {
        publisher.Counter<CacheSignal, long>(Lookups, static (signal, s, list) =>
        {
            if (s.Cache is { } cache)
            {
                list.Add(cache.Hits, signal.LookupTags[0]);
                list.Add(cache.Misses, signal.LookupTags[1]);
                list.Add(cache.Coalesced, signal.LookupTags[2]);
            }
        });
        publisher.Counter<CacheSignal, long>(KeyFaults, static (signal, s, list) => list.AddIf(s.Cache is not null, s.Cache?.KeyFaults ?? 0, signal.Context.ModelTags));
        publisher.Counter<CacheSignal, long>(Evictions, static (signal, s, list) =>
        {
            if (s.Cache is { } cache)
            {
                list.Add(cache.ExpiredEvictions, signal.EvictionTags[0]);
                list.Add(cache.CapacityEvictions, signal.EvictionTags[1]);
            }
        });
        publisher.UpDownCounter<CacheSignal, long>(Entries, static (signal, s, list) => list.AddIf(s.Cache is not null, s.Cache?.Entries ?? 0, signal.Context.ModelTags));
        publisher.Counter<CacheSignal, double>(TimeSaved, static (signal, s, list) => list.AddIf(s.Cache is not null, s.Cache?.TimeSaved.TotalSeconds ?? 0, signal.Context.ModelTags));
        publisher.Gauge<CacheSignal, double>(HitRatio, static (signal, s, list) =>
        {
            for (int w = 0; w < s.Windows.Count; w++)
            {
                // No lookup in the window: no figure (0 would read as "the cache never hits").
                if (s.Windows[w].Cache is { } cache && cache.Hits + cache.Misses + cache.Coalesced > 0)
                {
                    list.Add(cache.HitRatio, signal.Context.WindowTags[w]);
                }
            }
        });
    }
}
