// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using ModelMetrics.Signals;

namespace ModelMetrics;

/// <summary>
/// Reads a monitor's signals into a <see cref="ModelMonitorSnapshot"/>, and shares one snapshot per publishing pass.
/// </summary>
/// <remarks>
/// <para>
/// Readers serialize on a lock among themselves (the signals' windows are stateful); writers never take it.
/// Each signal reads its counters in the reverse of the order writers write them, so derived values never run
/// backwards: items never lag calls, in-flight is never negative, and every published counter is monotonic.
/// </para>
/// <para>
/// A reading reads only what can have changed: a signal nothing was recorded into since its last reading, whose windows
/// cannot move yet (<see cref="SignalContext.WindowsStableUntil"/>), adds its last reading's parts again (see
/// <see cref="Signal.ReadInto"/>). A publishing pass over a monitor where nothing can have changed reuses the whole last
/// snapshot: it costs a few loads, however many buckets the monitor holds.
/// </para>
/// <para>
/// A prepared publishing pass (<see cref="Publish"/>) reads into one snapshot the monitor keeps and refills from pass to
/// pass, and observes it under the lock: a busy monitor's pass allocates nothing. Every other reading builds a new
/// snapshot, never changed after (a user may keep it).
/// </para>
/// </remarks>
internal sealed class SnapshotReader
{
    /// <summary>How many publishing passes (one per collecting thread) keep their own snapshot at once; more are served in turn.</summary>
    private const int PassSlots = 4;

    private readonly ModelMonitor _monitor;
    private readonly TimeProvider _time;
    private readonly long _createdTimestamp;
    private readonly object _gate = new();
    private readonly Pass[] _passes = new Pass[PassSlots];
    private ModelMonitorSnapshot? _last; // the newest reading, by any reader (the reused one included)
    private ModelMonitorSnapshot? _reused; // the snapshot prepared publishing passes refill, with its builder (see Publish)
    private Dictionary<string, long>? _rejected; // the rejections of the newest reading
    private long _stableUntil = long.MinValue; // until when no window of the monitor can move without a record
    private bool _confirmRejected;
    private TimeSpan _lastClock; // the clock's elapsed time at the last reading
    private TimeSpan _now; // time since creation as the windows see it: the clock's forward steps only
    private int _nextSlot;
    private long _readings; // how many readings were built (any kind): see ISnapshotObserver.Observe

    public SnapshotReader(ModelMonitor monitor, TimeProvider time)
    {
        _monitor = monitor;
        _time = time;
        _createdTimestamp = time.GetTimestamp();
    }

    /// <summary>Reads a new snapshot (what <see cref="ModelMonitor.GetSnapshot"/> returns): polled signals are read now.</summary>
    public ModelMonitorSnapshot Read()
    {
        lock (_gate)
        {
            return Build(Now().Ticks, fresh: true, reuse: false);
        }
    }

    /// <summary>
    /// Hands <paramref name="observer"/> the snapshot of a prepared publishing pass, under the lock: the last one when
    /// nothing can have changed since, else a new reading into the snapshot refilled from pass to pass.
    /// </summary>
    /// <remarks>
    /// The caller asks once per pass and observes every instrument of the monitor from that one snapshot, so a pass
    /// reports what was recorded before it began, in one consistent snapshot, and costs one read of the monitor however
    /// many instruments it has. The snapshot must not be kept: the next pass (of any thread) refills it.
    /// </remarks>
    public void Publish<TObserver>(in TObserver observer)
        where TObserver : struct, ISnapshotObserver
    {
        lock (_gate)
        {
            long now = Now().Ticks;
            ModelMonitorSnapshot snapshot = _last is { } last && !MustReadAny(now) ? last : Build(now, fresh: false, reuse: true);
            observer.Observe(snapshot, _readings);
        }
    }

    /// <summary>
    /// Returns the snapshot of publishing pass <paramref name="pass"/> for an instrument observed alone (not in a prepared
    /// pass): the one already taken in this pass, or a new one (the last one when nothing can have changed since).
    /// </summary>
    /// <remarks>
    /// Passes are told apart by the publisher (<see cref="Publishing.MeterPublisher"/>), per collecting thread: a listener's
    /// <c>RecordObservableInstruments</c> calls every callback on the collecting thread, so a second listener (dotnet-counters
    /// collecting one instrument on its own thread) never starts a new snapshot in the middle of the first one's pass. The
    /// snapshot is read outside the lock, so it is never the reused one.
    /// </remarks>
    /// <param name="pass">The publishing pass (see <see cref="Publishing.MeterPublisher"/>).</param>
    public ModelMonitorSnapshot ReadForPublishing(long pass)
    {
        lock (_gate)
        {
            foreach (Pass? taken in _passes)
            {
                if (taken?.Id == pass)
                {
                    return taken.Snapshot!;
                }
            }

            long now = Now().Ticks;
            ModelMonitorSnapshot snapshot = _last is { } last && !ReferenceEquals(last, _reused) && !MustReadAny(now) ? last : Build(now, fresh: false, reuse: false);
            Pass slot = SlotOf(Environment.CurrentManagedThreadId);
            slot.Id = pass;
            slot.Snapshot = snapshot;
            return snapshot;
        }
    }

    /// <summary>
    /// Returns the slot of <paramref name="thread"/>'s passes, taking over the oldest slot for a thread not seen lately:
    /// a listener that starts pass after pass (dotnet-counters collecting one instrument) replaces its own pass, never
    /// another thread's pass in progress. Under the lock.
    /// </summary>
    private Pass SlotOf(int thread)
    {
        foreach (Pass? slot in _passes)
        {
            if (slot?.Thread == thread)
            {
                return slot;
            }
        }

        Pass taken = _passes[_nextSlot] ??= new Pass();
        _nextSlot = (_nextSlot + 1) % PassSlots;
        taken.Thread = thread;
        return taken;
    }

    /// <summary>Returns whether anything can have changed since the last reading. Under the lock.</summary>
    private bool MustReadAny(long now)
    {
        SignalContext context = _monitor.Context;
        if (now >= _stableUntil || _confirmRejected || context.IsRejectedChanged)
        {
            return true;
        }

        foreach (Signal signal in _monitor.Signals)
        {
            if (signal.MustRead(now, all: false, fresh: false))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The windows' time: it advances by the clock's forward steps and ignores its backward ones, so a clock stepping
    /// back (NTP on a VM, a custom <see cref="TimeProvider"/>) neither freezes the windows until it catches up nor
    /// moves them backwards: they go on from where they were. Called under the lock.
    /// </summary>
    private TimeSpan Now()
    {
        TimeSpan clock = _time.GetElapsedTime(_createdTimestamp);
        TimeSpan step = clock - _lastClock;
        _lastClock = clock;
        if (step > TimeSpan.Zero)
        {
            _now += step;
        }

        return _now;
    }

    /// <summary>
    /// Builds a snapshot, reading the signals that can have changed: a new one, or with <paramref name="reuse"/> the
    /// snapshot prepared publishing passes refill (see <see cref="Publish"/>). Under the lock.
    /// </summary>
    private ModelMonitorSnapshot Build(long now, bool fresh, bool reuse)
    {
        SignalContext context = _monitor.Context;

        // A window that can move makes every signal read (an unchanged one may only advance its windows).
        bool windowsMove = now >= _stableUntil;

        // Each signal reads its cumulative state and every window, in registration order: the reverse of the order
        // one prediction's records are written (see Signal), so no part runs ahead of another in one snapshot.
        SnapshotBuilder builder;
        if (reuse && _reused is { } reused)
        {
            builder = reused.Builder;
            builder.Restart(now, _monitor.FamilyCount);
        }
        else
        {
            builder = new SnapshotBuilder(_monitor.Windows, now, _monitor.FamilyCount, _monitor.Signals.Length, reuse);
        }

        foreach (Signal signal in _monitor.Signals)
        {
            signal.ReadInto(builder, signal.MustRead(now, windowsMove, fresh), windowsMove && !fresh);
        }

        _stableUntil = context.WindowsStableUntil();

        bool rejected = context.TakeRejectedChanged();
        if (rejected || _confirmRejected || _rejected is null)
        {
            var table = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach ((string reason, long count) in context.Rejections.NonZero())
            {
                table[reason] = count;
            }

            _rejected = table;
        }

        _confirmRejected = rejected;
        _readings++;
        ModelMonitorSnapshot snapshot;
        if (reuse && _reused is not null)
        {
            snapshot = _reused;
            snapshot.Refill(_time.GetUtcNow(), _rejected);
        }
        else
        {
            snapshot = new ModelMonitorSnapshot(_monitor, _time.GetUtcNow(), builder, _rejected);
            _reused = reuse ? snapshot : _reused;
        }

        _last = snapshot;
        return snapshot;
    }

    /// <summary>One collecting thread's publishing pass: its id and snapshot. Read and written under the lock.</summary>
    private sealed class Pass
    {
        public int Thread { get; set; }

        public long Id { get; set; }

        public ModelMonitorSnapshot? Snapshot { get; set; }
    }
}

/// <summary>What a prepared publishing pass does with a monitor's snapshot (<see cref="SnapshotReader.Publish"/>), under the monitor's reader lock.</summary>
internal interface ISnapshotObserver
{
    /// <summary>Observes <paramref name="snapshot"/>, which must not be kept (the next pass refills it).</summary>
    /// <param name="snapshot">The monitor's snapshot for the pass.</param>
    /// <param name="reading">
    /// The number of readings the monitor made so far, that snapshot's included: equal numbers mean the same reading, so
    /// a publisher that measured it before may keep what it measured.
    /// </param>
    void Observe(ModelMonitorSnapshot snapshot, long reading);
}
