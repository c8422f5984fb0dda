// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using ModelMetrics.Signals;

namespace ModelMetrics;

/// <summary>
/// Reads a monitor's signals into a <see cref="ModelMonitorSnapshot"/>, and shares one snapshot per publishing pass.
/// </summary>
/// <remarks>
/// Readers serialize on a lock among themselves (the signals' windows are stateful); writers never take it.
/// Each signal reads its counters in the reverse of the order writers write them, so derived values never run
/// backwards: items never lag calls, in-flight is never negative, and every published counter is monotonic.
/// </remarks>
internal sealed class SnapshotReader
{
    /// <summary>
    /// A publishing pass calls every instrument's callback in turn, and each reads the monitor. They share one
    /// snapshot, taken when the pass's first instrument asks; an instrument asking again starts the next pass.
    /// A snapshot older than this is never shared, so a pass that takes longer reads again, and a second listener
    /// collecting other instruments at the same time sees data at most this old.
    /// </summary>
    private static readonly TimeSpan ShareWithin = TimeSpan.FromSeconds(1);

    /// <summary>How many collecting threads keep their own pass at once (more are served in turn, oldest replaced).</summary>
    private const int PassSlots = 4;

    private readonly ModelMonitor _monitor;
    private readonly TimeProvider _time;
    private readonly long _createdTimestamp;
    private readonly object _gate = new();
    private readonly Pass[] _passes = new Pass[PassSlots];
    private ModelMonitorSnapshot? _last; // the newest reading, by any reader
    private TimeSpan _lastAt;
    private TimeSpan _lastClock; // the clock's elapsed time at the last reading
    private TimeSpan _now; // time since creation as the windows see it: the clock's forward steps only
    private int _nextSlot;

    public SnapshotReader(ModelMonitor monitor, TimeProvider time)
    {
        _monitor = monitor;
        _time = time;
        _createdTimestamp = time.GetTimestamp();
    }

    /// <summary>Reads a new snapshot (what <see cref="ModelMonitor.GetSnapshot"/> returns).</summary>
    public ModelMonitorSnapshot Read()
    {
        lock (_gate)
        {
            _monitor.Context.TakeChanged();
            return Refresh(Now());
        }
    }

    /// <summary>
    /// Returns the snapshot of the current publishing pass of the calling thread for <paramref name="instrument"/>: the
    /// one already taken in this pass, or a new one when the instrument read that one already (a new pass has begun).
    /// </summary>
    /// <remarks>
    /// <para>
    /// So a pass reports what was recorded before it began, in one consistent snapshot, and costs one read of the
    /// monitor however many instruments it has; under traffic, reading per instrument would cost ~45 reads a pass.
    /// Instruments are told apart modulo 64: two sharing a bit only make a pass read once more than needed.
    /// </para>
    /// <para>
    /// A pass belongs to a thread: a listener's <c>RecordObservableInstruments</c> calls every callback on the collecting
    /// thread, so keying passes by thread keeps a second listener (dotnet-counters collecting one instrument on its own
    /// thread) from starting a new snapshot in the middle of the first one's pass. A new pass reuses the newest reading
    /// of any thread when nothing was recorded since it (the change flag is cleared only by a reading that becomes the
    /// newest), so a read after the writers stop shows the final state to every listener.
    /// </para>
    /// </remarks>
    public ModelMonitorSnapshot ReadForPublishing(int instrument)
    {
        ulong bit = 1UL << (instrument & 63);
        int thread = Environment.CurrentManagedThreadId;
        lock (_gate)
        {
            TimeSpan now = Now();
            Pass pass = PassOf(thread);
            if (pass.Snapshot is not null && now - pass.At < ShareWithin && (pass.ReadBy & bit) == 0)
            {
                pass.ReadBy |= bit;
                return pass.Snapshot;
            }

            // A new pass: read again, unless nothing was recorded since the newest reading.
            bool recent = _last is not null && now - _lastAt < ShareWithin;
            ModelMonitorSnapshot snapshot = !_monitor.Context.TakeChanged() && recent ? _last! : Refresh(now);
            pass.Snapshot = snapshot;
            pass.At = snapshot == _last ? _lastAt : now;
            pass.ReadBy = bit;
            return snapshot;
        }
    }

    /// <summary>Returns the pass of <paramref name="thread"/>, taking over the oldest slot for a thread not seen lately. Under the lock.</summary>
    private Pass PassOf(int thread)
    {
        foreach (Pass? pass in _passes)
        {
            if (pass?.Thread == thread)
            {
                return pass;
            }
        }

        int slot = _nextSlot;
        _nextSlot = (_nextSlot + 1) % PassSlots;
        return _passes[slot] = new Pass { Thread = thread };
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

    private ModelMonitorSnapshot Refresh(TimeSpan now)
    {
        _last = ReadCore(now);
        _lastAt = now;
        return _last;
    }

    private ModelMonitorSnapshot ReadCore(TimeSpan now)
    {
        // Each signal reads its cumulative state and every window, in registration order: the reverse of the order
        // one prediction's records are written (see Signal), so no part runs ahead of another in one snapshot.
        var builder = new SnapshotBuilder(_monitor.Windows, now.Ticks);
        foreach (Signal signal in _monitor.Signals)
        {
            signal.Read(builder);
        }

        return new ModelMonitorSnapshot(_monitor, _time.GetUtcNow(), builder, _monitor.Context.Rejections.NonZero());
    }

    /// <summary>One thread's publishing pass: its snapshot, when it was read, and which instruments have read it.</summary>
    private sealed class Pass
    {
        public int Thread { get; init; }

        public ModelMonitorSnapshot? Snapshot { get; set; }

        public TimeSpan At { get; set; }

        public ulong ReadBy { get; set; }
    }
}
