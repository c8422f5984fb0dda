// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using ModelMetrics.Publishing;

namespace ModelMetrics.Signals;

/// <summary>
/// The output-cache signal: the counts of the caches (<see cref="CachePredictorBuilderExtensions.UseCache"/>) that serve a
/// monitor's model, summed, cumulative and per window. A cache keeps its own counters on its hit path (it must not pay for a
/// second set); this signal reads them at snapshot time. Added to a monitor by the first cache that attaches to it
/// (<see cref="ModelMonitor.GetOrAddSignal"/>), so monitors without a cache publish no cache instruments.
/// </summary>
internal sealed class CacheSignal : Signal
{
    // The windowed cells, in the order of CacheStatistics' constructor.
    private const int Hits = 0;
    private const int Misses = 1;
    private const int Coalesced = 2;
    private const int KeyFaults = 3;
    private const int ExpiredEvictions = 4;
    private const int CapacityEvictions = 5;
    private const int TimeSavedTicks = 6;
    private const int CellCount = 7;

    private static readonly string[] LookupResults = ["hit", "miss", "coalesced"];
    private static readonly string[] EvictionReasons = ["expired", "capacity"];

    private readonly object _gate = new();
    private readonly WindowedCells<long> _windows;
    private readonly long[] _detached = new long[CellCount]; // the final counts of caches that detached, so counters never go back
    private Func<CacheStatistics>[] _sources = [];

    public CacheSignal(SignalContext context)
        : base(context)
    {
        _windows = context.CreateWindows<long>(CellCount);
        LookupTags = Tags.Each(context.ModelTags, CacheInstruments.Result, LookupResults);
        EvictionTags = Tags.Each(context.ModelTags, MetricNames.Reason, EvictionReasons);
    }

    public override SignalInstruments Instruments => CacheInstruments.Instance;

    /// <summary>Gets the attribute sets of <c>model.cache.lookups</c>: hit, miss, coalesced.</summary>
    public KeyValuePair<string, object?>[][] LookupTags { get; }

    /// <summary>Gets the attribute sets of <c>model.cache.evictions</c>: expired, capacity.</summary>
    public KeyValuePair<string, object?>[][] EvictionTags { get; }

    /// <summary>Adds a cache's counts to this signal until <see cref="Detach"/>.</summary>
    public void Attach(Func<CacheStatistics> source)
    {
        lock (_gate)
        {
            _sources = [.. _sources, source];
        }

        MarkChanged();
    }

    /// <summary>Keeps a cache's final counts (they stay in the counters) and stops reading it.</summary>
    public void Detach(Func<CacheStatistics> source)
    {
        lock (_gate)
        {
            int index = Array.IndexOf(_sources, source);
            if (index < 0)
            {
                return;
            }

            Add(_detached, source());
            _sources = [.. _sources[..index], .. _sources[(index + 1)..]];
        }

        MarkChanged();
    }

    public override void Read(SnapshotBuilder snapshot)
    {
        var cumulative = new long[CellCount];
        long entries = 0;
        long meanTicks = 0;
        int means = 0;

        // Under the gate, so that a cache detaching now is counted once: in the base or as a source, never both or neither.
        lock (_gate)
        {
            _detached.CopyTo(cumulative, 0);
            foreach (Func<CacheStatistics> source in _sources)
            {
                CacheStatistics statistics = source();
                Add(cumulative, statistics);
                entries += statistics.Entries;
                if (statistics.MeanMissLatency > TimeSpan.Zero)
                {
                    meanTicks += statistics.MeanMissLatency.Ticks;
                    means++;
                }
            }
        }

        var meanMiss = TimeSpan.FromTicks(means == 0 ? 0 : meanTicks / means);
        snapshot.Cumulative.Add(ToStatistics(cumulative, entries, meanMiss));
        long[][] windows = _windows.Read(snapshot.Now, cumulative);
        for (int w = 0; w < windows.Length; w++)
        {
            snapshot.Windows[w].Add(ToStatistics(windows[w], entries, meanMiss));
        }
    }

    private static void Add(long[] cells, CacheStatistics statistics)
    {
        cells[Hits] += statistics.Hits;
        cells[Misses] += statistics.Misses;
        cells[Coalesced] += statistics.Coalesced;
        cells[KeyFaults] += statistics.KeyFaults;
        cells[ExpiredEvictions] += statistics.ExpiredEvictions;
        cells[CapacityEvictions] += statistics.CapacityEvictions;
        cells[TimeSavedTicks] += statistics.TimeSaved.Ticks;
    }

    private static CacheStatistics ToStatistics(long[] cells, long entries, TimeSpan meanMissLatency) => new(
        cells[Hits],
        cells[Misses],
        cells[Coalesced],
        cells[KeyFaults],
        cells[ExpiredEvictions],
        cells[CapacityEvictions],
        entries,
        TimeSpan.FromTicks(cells[TimeSavedTicks]),
        meanMissLatency);
}
