// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;

namespace ModelMetrics.Recording;

/// <summary>
/// Turns successive cumulative readings of an array of counters into the counts of a recent window,
/// without storing individual events.
/// </summary>
/// <remarks>
/// <para>
/// The window keeps checkpoints: copies of the cumulative array taken at most every
/// window / <see cref="Checkpoints"/>. The counts of the window are the current cumulative counts minus
/// the oldest checkpoint that is not older than the window, so the window covers between
/// (1 - 1/<see cref="Checkpoints"/>) and 1 times its length. The creation of the window is an implicit
/// all-zero checkpoint, so right after start-up the window holds everything recorded.
/// </para>
/// <para>
/// When readings are further apart than the window (an exporter that collects every 5 minutes with a
/// 1-minute window) no checkpoint is young enough and the window falls back to "since the previous
/// reading", which is the most recent information there is.
/// </para>
/// <para>Not thread-safe: the owner serializes readers. Writers never touch it.</para>
/// </remarks>
internal sealed class RollingWindow
{
    public const int Checkpoints = 4;

    private readonly int _length;
    private readonly long _windowTicks;
    private readonly long _minSpacingTicks;
    private readonly LinkedList<Checkpoint> _checkpoints = new();
    private readonly Stack<long[]> _free = new();

    public RollingWindow(int length, TimeSpan window, long nowTicks)
    {
        _length = length;
        _windowTicks = window.Ticks;
        _minSpacingTicks = window.Ticks / Checkpoints;
        _checkpoints.AddLast(new Checkpoint(nowTicks, new long[length]));
    }

    /// <summary>
    /// Writes into <paramref name="window"/> the counts recorded in the recent window, given the
    /// cumulative counts <paramref name="cumulative"/> read at <paramref name="nowTicks"/> (TimeSpan ticks).
    /// </summary>
    public void Update(long nowTicks, long[] cumulative, long[] window)
    {
        // Drop checkpoints that are too old, but always keep the newest one as a fallback base.
        while (_checkpoints.Count > 1 && _checkpoints.First!.Value.Ticks < nowTicks - _windowTicks)
        {
            _free.Push(_checkpoints.First.Value.Counts);
            _checkpoints.RemoveFirst();
        }

        long[] baseCounts = _checkpoints.First!.Value.Counts;
        for (int i = 0; i < _length; i++)
        {
            // Note: counts only grow, but a checkpoint copied while writers ran can hold a value that a
            // later, slower reader of another stripe did not yet see; never report a negative count.
            window[i] = Math.Max(0, cumulative[i] - baseCounts[i]);
        }

        if (nowTicks - _checkpoints.Last!.Value.Ticks >= _minSpacingTicks)
        {
            long[] copy = _free.Count > 0 ? _free.Pop() : new long[_length];
            Array.Copy(cumulative, copy, _length);
            _checkpoints.AddLast(new Checkpoint(nowTicks, copy));
        }
    }

    private readonly record struct Checkpoint(long Ticks, long[] Counts);
}
