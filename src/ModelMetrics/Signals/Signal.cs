// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading;
using ModelMetrics.Diagnostics;
using ModelMetrics.Publishing;
using ModelMetrics.Recording;

namespace ModelMetrics.Signals;

/// <summary>
/// One signal family of a monitor (calls, classification, regression, drift, delayed labels, …): it owns its
/// recording state, reads its own part of every snapshot (cumulative and per window), and declares its
/// instruments. <see cref="ModelMonitor"/> only composes signals.
/// </summary>
/// <remarks>
/// <para>
/// Adding a signal is adding one folder under <c>Signals/</c> with a subclass of this type, its snapshot part
/// and its <see cref="SignalInstruments"/>, and registering it in the monitor's constructor. Recording methods
/// live on the signal (the monitor forwards its public recording calls to them).
/// </para>
/// <para>
/// Readers call <see cref="Read"/> serialized (under the monitor's reader lock), signal by signal in the order
/// the monitor registered them, which is the reverse of the order in which one prediction's records are
/// written (quality before calls), so that one snapshot never shows a label ahead of its call.
/// </para>
/// </remarks>
internal abstract class Signal
{
    protected Signal(SignalContext context) => Context = context;

    public SignalContext Context { get; }

    /// <summary>Gets the instruments of this signal's family, created once per meter.</summary>
    public abstract SignalInstruments Instruments { get; }

    /// <summary>Reads this signal's cumulative state and each window into <paramref name="snapshot"/>.</summary>
    public abstract void Read(SnapshotBuilder snapshot);
}

/// <summary>What every signal of one monitor shares: identity, windows, clock, rejections and the change flag.</summary>
internal sealed class SignalContext
{
    private int _changed;

    public SignalContext(string modelName, string? modelVersion, TimeSpan[] windows, TimeProvider time)
    {
        ModelName = modelName;
        ModelVersion = modelVersion;
        Windows = windows;
        Time = time;
        Rejections = new Rejections(modelName);
        ModelTags = [new(MetricNames.ModelName, modelName), new(MetricNames.ModelVersion, modelVersion)];
        WindowTags = Array.ConvertAll(windows, w => Tags.With(ModelTags, MetricNames.Window, Tags.Seconds(w)));
    }

    public string ModelName { get; }

    public string? ModelVersion { get; }

    /// <summary>Gets the windows of every signal, shortest first (<see cref="ModelMonitorOptions.Windows"/>).</summary>
    public TimeSpan[] Windows { get; }

    public TimeProvider Time { get; }

    public Rejections Rejections { get; }

    /// <summary>Gets the attribute set every instrument of the monitor carries: <c>model.name</c>, <c>model.version</c>.</summary>
    public KeyValuePair<string, object?>[] ModelTags { get; }

    /// <summary>Gets <see cref="ModelTags"/> plus <c>window</c> (in seconds), one set per window.</summary>
    public KeyValuePair<string, object?>[][] WindowTags { get; }

    /// <summary>Marks the monitor changed since its last reading (a reading of an unchanged monitor can be reused).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MarkChanged()
    {
        // Note: read before write, so the flag's cache line is written once per collection, not once per
        // call; otherwise every core would fight over it.
        if (Volatile.Read(ref _changed) == 0)
        {
            Volatile.Write(ref _changed, 1);
        }
    }

    /// <summary>Returns and clears the flag that says something was recorded since the last read.</summary>
    public bool TakeChanged() => Interlocked.Exchange(ref _changed, 0) != 0;

    /// <summary>Counts a rejected value and marks the monitor changed (the rejection counter moved).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Reject(RejectionReason reason)
    {
        Rejections.Count(reason);
        MarkChanged();
    }

    /// <summary>
    /// Records into a synchronous instrument (the native duration histogram, the GenAI convention histograms). Listeners
    /// run inside <c>Record</c>; one that throws is swallowed, counted (<c>listener_fault</c>) and reported, never
    /// thrown into the caller's path.
    /// </summary>
    public void Record<T>(Histogram<T> histogram, T value, in TagList tags)
        where T : struct
    {
        try
        {
            histogram.Record(value, tags);
        }
#pragma warning disable CA1031 // Note: see the summary.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Reject(RejectionReason.ListenerFault);
            ModelMetricsEventSource.Log.Swallowed(ModelName, "a listener of " + histogram.Name, exception);
        }
    }

    /// <summary>Creates one rolling window per configured window over a cumulative array of <paramref name="length"/> cells.</summary>
    public WindowedCells<T> CreateWindows<T>(int length)
        where T : struct, INumber<T> => new(length, Windows);
}

/// <summary>
/// The rolling windows (one per configured window) of one cumulative array: the one window concept shared by
/// every signal. Readers pass the cumulative reading; each window subtracts its own checkpoint.
/// </summary>
/// <typeparam name="T">The cell type (<see cref="long"/> counts or <see cref="double"/> non-negative sums).</typeparam>
internal sealed class WindowedCells<T>
    where T : struct, INumber<T>
{
    private readonly RollingWindow<T>[] _windows;

    public WindowedCells(int length, TimeSpan[] windows)
    {
        Length = length;

        // Time 0 is the monitor's creation: snapshots pass the time elapsed since then.
        _windows = Array.ConvertAll(windows, w => new RollingWindow<T>(length, w, 0));
    }

    public int Length { get; }

    /// <summary>Gets the number of windows.</summary>
    public int Count => _windows.Length;

    /// <summary>Advances every window to <paramref name="now"/> (TimeSpan ticks since the monitor's creation) and returns each window's cells, shortest first.</summary>
    public T[][] Read(long now, T[] cumulative) => Read(now, cumulative, 0, Length, Length, 0);

    /// <summary>
    /// Advances every window to <paramref name="now"/> over two segments of the cells only (see
    /// <see cref="RollingWindow{T}.Update(long, T[], T[], int, int, int, int)"/>): each window's array holds
    /// cells [<paramref name="start"/>, +<paramref name="length"/>) then [<paramref name="tailStart"/>, +<paramref name="tailLength"/>).
    /// </summary>
    public T[][] Read(long now, T[] cumulative, int start, int length, int tailStart, int tailLength)
    {
        var result = new T[_windows.Length][];
        for (int w = 0; w < _windows.Length; w++)
        {
            result[w] = new T[length + tailLength];
            _windows[w].Update(now, cumulative, result[w], start, length, tailStart, tailLength);
        }

        return result;
    }
}

/// <summary>Collects the parts of one snapshot as the signals read them.</summary>
internal sealed class SnapshotBuilder
{
    public SnapshotBuilder(TimeSpan[] windows, long now)
    {
        Now = now;
        Windows = Array.ConvertAll(windows, w => new SnapshotParts());
    }

    /// <summary>Gets the reading's time: TimeSpan ticks since the monitor was created (what windows advance to).</summary>
    public long Now { get; }

    /// <summary>Gets the cumulative parts (since the monitor started).</summary>
    public SnapshotParts Cumulative { get; } = new();

    /// <summary>Gets the parts of each window, shortest first.</summary>
    public SnapshotParts[] Windows { get; }
}

/// <summary>The parts of a snapshot (cumulative or one window), one per signal family, found by type.</summary>
internal sealed class SnapshotParts
{
    private readonly List<object> _parts = new(6);

    public void Add(object part) => _parts.Add(part);

    public T? Get<T>()
        where T : class
    {
        foreach (object part in _parts)
        {
            if (part is T match)
            {
                return match;
            }
        }

        return null;
    }
}
