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

    private readonly ModelMonitor _monitor;
    private readonly TimeProvider _time;
    private readonly long _createdTimestamp;
    private readonly object _gate = new();
    private ModelMonitorSnapshot? _last;
    private TimeSpan _lastAt;
    private TimeSpan _lastClock; // the clock's elapsed time at the last reading
    private TimeSpan _now; // time since creation as the windows see it: the clock's forward steps only

    // The instruments (by number, modulo 64) that have read _last: one bit each.
    private ulong _readBy;

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
    /// Returns the snapshot of the current publishing pass for <paramref name="instrument"/>: the one already taken
    /// in this pass, or a new one when the instrument read the last one already (a new pass has begun).
    /// </summary>
    /// <remarks>
    /// So a pass reports what was recorded before it began, in one consistent snapshot, and costs one read of the
    /// monitor however many instruments it has; under traffic, reading per instrument would cost ~45 reads a pass.
    /// A monitor unchanged since the last snapshot (and read within <see cref="ShareWithin"/>) is not read again.
    /// Instruments are told apart modulo 64: two sharing a bit only make a pass read once more than needed.
    /// </remarks>
    public ModelMonitorSnapshot ReadForPublishing(int instrument)
    {
        ulong bit = 1UL << (instrument & 63);
        lock (_gate)
        {
            TimeSpan now = Now();
            bool recent = _last is not null && now - _lastAt < ShareWithin;
            if (recent && (_readBy & bit) == 0)
            {
                _readBy |= bit;
                return _last!;
            }

            // A new pass: read again, unless nothing was recorded since the last snapshot.
            if (!_monitor.Context.TakeChanged() && recent)
            {
                _readBy = bit;
                return _last!;
            }

            ModelMonitorSnapshot snapshot = Refresh(now);
            _readBy = bit;
            return snapshot;
        }
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
        _readBy = 0;
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
}
