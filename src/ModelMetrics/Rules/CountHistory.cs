// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

namespace ModelMetrics.Rules;

/// <summary>
/// The bad and total events of one long window (hours to a month), from successive cumulative readings: a ring of at
/// most <see cref="Capacity"/> checkpoints spaced at least a twelfth of the window apart, so a 30-day window costs
/// the same few hundred bytes as a 5-minute one.
/// </summary>
/// <remarks>
/// The window's counts are the cumulative counts now minus the newest checkpoint at least a window old: the window
/// covers its length plus at most its checkpoint spacing (a twelfth, or the interval between readings when longer).
/// Until a window has passed since the first reading, the baseline is zero: everything since the monitor started.
/// At most 13 checkpoints can be younger than the window (spaced ≥ window / 12), so the 14th newest, the one needed,
/// is always still in the ring. Not thread-safe: the rule set serializes evaluations.
/// </remarks>
internal sealed class CountHistory
{
    public const int Resolution = 12;
    public const int Capacity = Resolution + 2;

    private readonly long _windowTicks;
    private readonly long _spacingTicks;
    // Note: one array of (ticks, bad, total) triples rather than three arrays: 2 array headers less per window.
    private readonly long[] _slots = new long[3 * Capacity];
    private int _newest = -1;
    private int _count;

    public CountHistory(TimeSpan window)
    {
        Window = window;
        _windowTicks = window.Ticks;
        _spacingTicks = window.Ticks / Resolution;
    }

    public TimeSpan Window { get; }

    /// <summary>Adds the reading at <paramref name="nowTicks"/> and returns the bad and total events of the window ending there.</summary>
    public (long Bad, long Total) Update(long nowTicks, long bad, long total)
    {
        if (_count == 0 || nowTicks - _slots[3 * _newest] >= _spacingTicks)
        {
            _newest = (_newest + 1) % Capacity;
            _slots[3 * _newest] = nowTicks;
            _slots[(3 * _newest) + 1] = bad;
            _slots[(3 * _newest) + 2] = total;
            _count = Math.Min(_count + 1, Capacity);
        }

        long baseBad = 0;
        long baseTotal = 0;
        for (int i = 0; i < _count; i++)
        {
            int slot = (_newest - i + Capacity) % Capacity;
            if (_slots[3 * slot] <= nowTicks - _windowTicks)
            {
                baseBad = _slots[(3 * slot) + 1];
                baseTotal = _slots[(3 * slot) + 2];
                break;
            }
        }

        // Cumulative counts never fall; a difference below zero could only come from a reading that raced writers.
        return (Math.Max(0, bad - baseBad), Math.Max(0, total - baseTotal));
    }
}
