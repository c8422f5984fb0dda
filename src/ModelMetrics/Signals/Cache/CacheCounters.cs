// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Runtime.CompilerServices;
using System.Threading;

namespace ModelMetrics.Signals;

/// <summary>
/// The counts of one output-cache stage (<see cref="CachePredictorBuilderExtensions.UseCache"/>, or the hybrid-cache stage
/// of ModelMetrics.Hosting): interlocked counters on the call path, read whole by <see cref="Read"/>, and reported to the
/// <see cref="CacheSignal"/> of the model's monitor while <see cref="Attach"/>ed.
/// </summary>
internal sealed class CacheCounters
{
    // Each miss's duration weighs 1/8 in the recent mean (the first one sets it).
    private const int MeanWeightDivisor = 8;

    private readonly object _meanLock = new();
    private readonly Func<CacheStatistics> _read;
    private CacheSignal? _signal;
    private long _entries;
    private long _hits;
    private long _misses;
    private long _coalesced;
    private long _keyFaults;
    private long _expiredEvictions;
    private long _capacityEvictions;
    private long _timeSavedTicks;
    private long _meanMissTicks;
    private bool _hasMean;

    public CacheCounters() => _read = Read;

    /// <summary>Gets the entries held now.</summary>
    public long Entries => Interlocked.Read(ref _entries);

    /// <summary>Reports these counts to <paramref name="monitor"/>'s cache signal (added to it on first use) until <see cref="Detach"/>.</summary>
    public void Attach(ModelMonitor? monitor)
    {
        if (monitor is null)
        {
            return;
        }

        _signal = monitor.GetOrAddSignal(static context => new CacheSignal(context));
        _signal.Attach(_read);
    }

    /// <summary>Leaves the final counts in the monitor's totals and stops reporting; idempotent.</summary>
    public void Detach() => _signal?.Detach(_read);

    /// <summary>Counts a hit and adds the recent mean miss latency to the time saved.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Hit()
    {
        Interlocked.Increment(ref _hits);

        // Interlocked read: the mean is a long written under a lock by misses; a torn read is impossible on 64-bit
        // but not promised on 32-bit.
        Interlocked.Add(ref _timeSavedTicks, Interlocked.Read(ref _meanMissTicks));

        // A monitor skips re-reading a signal until something marks it changed.
        _signal?.MarkChanged();
    }

    public void Miss() => Count(ref _misses);

    public void Coalesced() => Count(ref _coalesced);

    public void KeyFault() => Count(ref _keyFaults);

    /// <summary>Counts an entry added and returns the entries held.</summary>
    public long EntryAdded() => Interlocked.Increment(ref _entries);

    /// <summary>Counts an entry removed because its time to live had passed.</summary>
    public void Expired()
    {
        Interlocked.Decrement(ref _entries);
        Count(ref _expiredEvictions);
    }

    /// <summary>Counts a live entry removed to stay within the capacity.</summary>
    public void EvictedForCapacity()
    {
        Interlocked.Decrement(ref _entries);
        Count(ref _capacityEvictions);
    }

    /// <summary>Moves the recent mean of the model's durations on misses towards <paramref name="latency"/>.</summary>
    public void RecordMissLatency(TimeSpan latency)
    {
        long ticks = Math.Max(0, latency.Ticks);
        lock (_meanLock)
        {
            long mean = _hasMean ? _meanMissTicks + ((ticks - _meanMissTicks) / MeanWeightDivisor) : ticks;
            _hasMean = true;

            // Interlocked write: hits read it without the lock.
            Interlocked.Exchange(ref _meanMissTicks, mean);
        }
    }

    /// <summary>Reads every count; each is read on its own, so counts of calls still running may be a call apart.</summary>
    public CacheStatistics Read() => new(
        Interlocked.Read(ref _hits),
        Interlocked.Read(ref _misses),
        Interlocked.Read(ref _coalesced),
        Interlocked.Read(ref _keyFaults),
        Interlocked.Read(ref _expiredEvictions),
        Interlocked.Read(ref _capacityEvictions),
        Interlocked.Read(ref _entries),
        TimeSpan.FromTicks(Interlocked.Read(ref _timeSavedTicks)),
        TimeSpan.FromTicks(Interlocked.Read(ref _meanMissTicks)));

    private void Count(ref long cell)
    {
        Interlocked.Increment(ref cell);
        _signal?.MarkChanged();
    }
}
