// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Numerics;

namespace ModelMetrics.Recording;

/// <summary>
/// Turns successive cumulative readings of an array of counters into the counts of a recent window,
/// without storing individual events.
/// </summary>
/// <typeparam name="T">
/// The cell type: <see cref="long"/> for counts, <see cref="double"/> for sums of non-negative values
/// (the regression sums). Every cell must be non-decreasing over time for the window to mean anything.
/// </typeparam>
/// <remarks>
/// <para>
/// The window keeps checkpoints: copies of the cumulative array taken at readings, at most every
/// window / <see cref="Checkpoints"/>. The counts of the window are the current cumulative counts minus
/// the newest checkpoint that is at least a window old, so the window covers at least its length and at
/// most its length plus the spacing of checkpoints (window / <see cref="Checkpoints"/>, or the interval
/// between readings when that is longer). The creation of the window is an implicit all-zero checkpoint,
/// so until a window has passed since start-up it holds everything recorded.
/// </para>
/// <para>
/// Covering at least the window, rather than at most, keeps what a reader sees stable when readings are
/// about a window apart: a 2-second window read every second covers 2 to 3 seconds, never alternately 1
/// and 2. When readings are further apart than the window (an exporter that collects every 5 minutes
/// with a 1-minute window) the window is "since the previous reading", the most recent information there is.
/// </para>
/// <para>
/// A window cell is never negative: cells only grow, so a difference below zero can only come from a
/// reading that raced writers (see <see cref="Update(long, T[], T[])"/>), and it is reported as 0.
/// </para>
/// <para>Not thread-safe: the owner serializes readers. Writers never touch it.</para>
/// </remarks>
internal class RollingWindow<T>
    where T : struct, INumber<T>
{
    public const int Checkpoints = 4;

    private readonly int _length;
    private readonly long _windowTicks;
    private readonly long _minSpacingTicks;
    private readonly LinkedList<Checkpoint> _checkpoints = new();
    private long _nextChange = long.MaxValue; // a window never updated holds nothing, and nothing of it can move

    public RollingWindow(int length, TimeSpan window, long nowTicks)
    {
        _length = length;
        _windowTicks = window.Ticks;
        _minSpacingTicks = window.Ticks / Checkpoints;
        // The creation checkpoint is all zeros; null stands for it, so that a window never read holds no array.
        _checkpoints.AddLast(new Checkpoint(nowTicks, default));
    }

    /// <summary>
    /// Gets the time (TimeSpan ticks) from which an update with unchanged cumulative counts could give other window
    /// counts or take a checkpoint: when the next checkpoint becomes a window old (the base moves), or when a
    /// checkpoint falls due that the last update put off (its cells differ from the newest checkpoint's).
    /// </summary>
    /// <remarks>
    /// Before then, a reader whose counters did not change may reuse its last window counts instead of updating:
    /// the result would be the same, and so would every later one. After the newest checkpoint was taken at an
    /// update, unchanged counts need no further checkpoint (it would copy the same cells), so a quiet window stops
    /// moving once its older checkpoints have aged out.
    /// </remarks>
    public long NextChange => _nextChange;

    /// <summary>
    /// Writes into <paramref name="window"/> the counts recorded in the recent window, given the
    /// cumulative counts <paramref name="cumulative"/> read at <paramref name="nowTicks"/> (TimeSpan ticks).
    /// </summary>
    public void Update(long nowTicks, T[] cumulative, T[] window) => Update(nowTicks, cumulative, window, 0, _length, _length, 0);

    /// <summary>
    /// Like <see cref="Update(long, T[], T[])"/> for two segments of the cells only, written one after the other
    /// into <paramref name="window"/>: cells [<paramref name="start"/>, +<paramref name="length"/>) then
    /// [<paramref name="tailStart"/>, +<paramref name="tailLength"/>). A histogram's window needs only the buckets
    /// that hold something (and its boundary cells), a small part of its thousands of buckets.
    /// </summary>
    /// <remarks>
    /// Checkpoints copy only those segments. That is exact as long as every cell outside the segments is zero in
    /// <paramref name="cumulative"/> now, and the segments of later calls contain those of earlier ones (true for the
    /// non-zero range of cumulative counts, which only grows): a checkpoint's cells outside its segments were zero
    /// when it was taken, and stay zero in its new array.
    /// </remarks>
    public void Update(long nowTicks, T[] cumulative, T[] window, int start, int length, int tailStart, int tailLength)
    {
        WindowBase<T> baseCounts = Advance(nowTicks, cumulative, start, length, tailStart, tailLength);
        Subtract(cumulative, baseCounts, window.AsSpan(0, length), start);
        SubtractTail(cumulative, baseCounts, window.AsSpan(length, tailLength), tailStart);
    }

    /// <summary>
    /// Moves the window to <paramref name="nowTicks"/> and returns its base: the checkpoint whose cells, subtracted from
    /// <paramref name="cumulative"/>'s (and never below zero), are the window's counts; <see cref="WindowBase{T}.Cells"/>
    /// null stands for all zeros. Takes a checkpoint of the two segments (as <see cref="Update(long, T[], T[], int, int, int, int)"/>) when due.
    /// </summary>
    /// <remarks>
    /// A checkpoint is never changed once taken, nor reused once dropped, so a base handed out can be held (a window's
    /// latency snapshot subtracts it only when read) for as long as anyone needs it. It keeps only the two segments
    /// (cells outside them were zero when it was taken): a latency histogram's checkpoint holds the range of buckets
    /// used, a few hundred cells, not the whole 2,176.
    /// </remarks>
    public WindowBase<T> Advance(long nowTicks, T[] cumulative, int start, int length, int tailStart, int tailLength)
    {
        // The base is the newest checkpoint at least a window old: drop the oldest while the next one
        // also qualifies. The first checkpoint always stays, as the base when none is that old yet.
        while (_checkpoints.Count > 1 && _checkpoints.First!.Next!.Value.Ticks <= nowTicks - _windowTicks)
        {
            _checkpoints.RemoveFirst();
        }

        WindowBase<T> baseCounts = _checkpoints.First!.Value.Base;
        if (nowTicks - _checkpoints.Last!.Value.Ticks >= _minSpacingTicks)
        {
            T[] copy = new T[length + tailLength];
            Array.Copy(cumulative, start, copy, 0, length);
            Array.Copy(cumulative, tailStart, copy, length, tailLength);
            _checkpoints.AddLast(new Checkpoint(nowTicks, new WindowBase<T>(copy, start, length)));
            _nextChange = long.MaxValue;
        }
        else
        {
            _nextChange = _checkpoints.Last.Value.Ticks + _minSpacingTicks;
        }

        if (_checkpoints.Count > 1)
        {
            _nextChange = Math.Min(_nextChange, _checkpoints.First.Next!.Value.Ticks + _windowTicks);
        }

        return baseCounts;
    }

    private static void Subtract(T[] cumulative, WindowBase<T> baseCounts, Span<T> window, int start)
    {
        for (int i = 0; i < window.Length; i++)
        {
            // Note: counts only grow, but a checkpoint copied while writers ran can hold a value that a
            // later, slower reader of another stripe did not yet see; never report a negative count.
            // MaxNumber, not Max: for double a NaN difference (impossible while cells stay finite) would
            // read as 0 rather than poison every metric derived from the window.
            window[i] = T.MaxNumber(T.Zero, cumulative[start + i] - baseCounts.At(start + i));
        }
    }

    private static void SubtractTail(T[] cumulative, WindowBase<T> baseCounts, Span<T> window, int tailStart)
    {
        for (int i = 0; i < window.Length; i++)
        {
            window[i] = T.MaxNumber(T.Zero, cumulative[tailStart + i] - baseCounts.TailAt(i));
        }
    }

    private readonly record struct Checkpoint(long Ticks, WindowBase<T> Base);
}

/// <summary>
/// A window's base: a checkpoint of cumulative cells, kept compact. <see cref="Cells"/> holds cells <see cref="Start"/> to
/// <see cref="Start"/> + <see cref="Length"/> − 1, then the tail segment's cells; every other cell of the checkpoint was
/// zero when it was taken. <see cref="Cells"/> null: all zeros (the creation of the window).
/// </summary>
internal readonly record struct WindowBase<T>(T[]? Cells, int Start, int Length)
    where T : struct, INumber<T>
{
    /// <summary>Returns the base's value of cell <paramref name="index"/> of the first segment's array.</summary>
    public T At(int index) => Cells is { } cells && (uint)(index - Start) < (uint)Length ? cells[index - Start] : T.Zero;

    /// <summary>Returns the base's value of the tail segment's cell <paramref name="index"/> (from its start).</summary>
    public T TailAt(int index) => Cells is { } cells && Length + index < cells.Length ? cells[Length + index] : T.Zero;
}

/// <summary>The window over <see cref="long"/> counters (histogram buckets, confusion cells).</summary>
/// <remarks>
/// Kept as a named type so that the counters' readers and tests say <c>RollingWindow</c>; it adds
/// nothing to <see cref="RollingWindow{T}"/>, which is unsealed only for this.
/// </remarks>
internal sealed class RollingWindow : RollingWindow<long>
{
    public RollingWindow(int length, TimeSpan window, long nowTicks)
        : base(length, window, nowTicks)
    {
    }
}
