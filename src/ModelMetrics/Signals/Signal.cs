// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
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
    /// <summary>How old a polled signal's reading may be when a publishing pass reuses it.</summary>
    public static readonly long PolledMaxAge = TimeSpan.FromSeconds(1).Ticks;

    private readonly List<object>[] _lastParts; // the parts of the last reading: cumulative, then each window's
    private int _changed = 1; // set by writers, taken by readers; set at first, so the first reading reads
    private bool _confirm; // the last reading took a change: the next one reads again (see ReadInto)
    private bool _hasReading;
    private bool _lastReused; // the last reading's parts are refilled by the next publishing reading (see ReusesParts)
    private long _readAt; // the reader's time (TimeSpan ticks) of the last reading
    private long _stamp; // how many readings made new parts (publishing replays measurements of parts it already saw)
    private SignalInstruments? _family;

    protected Signal(SignalContext context)
    {
        Context = context;
        _lastParts = new List<object>[1 + context.Windows.Length];
        for (int i = 0; i < _lastParts.Length; i++)
        {
            _lastParts[i] = new(1);
        }
    }

    public SignalContext Context { get; }

    /// <summary>Gets the instruments of this signal's family, created once per meter.</summary>
    public abstract SignalInstruments Instruments { get; }

    /// <summary>Gets <see cref="Instruments"/>, cached: publishing finds a monitor's signal of a family by reference.</summary>
    public SignalInstruments Family => _family ??= Instruments;

    /// <summary>
    /// Gets whether this signal is read again once its reading is a second old, even when nothing marked it changed:
    /// true for signals whose state moves without being recorded (the process's CPU time, a cache's entries, pending
    /// predictions expiring), and by default, so that a signal that does not mark every change is never more than a
    /// second stale. A signal that calls <see cref="MarkChanged"/> on every change returns false: unchanged, it costs a
    /// publishing pass nothing.
    /// </summary>
    public virtual bool IsPolled => true;

    /// <summary>Marks this signal changed since its last reading.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void MarkChanged()
    {
        // Note: read before write, so the flag's cache line is written once per reading, not once per call;
        // otherwise every core would fight over it.
        if (Volatile.Read(ref _changed) == 0)
        {
            Volatile.Write(ref _changed, 1);
        }
    }

    /// <summary>Reads this signal's cumulative state and each window into <paramref name="snapshot"/>.</summary>
    public abstract void Read(SnapshotBuilder snapshot);

    /// <summary>
    /// Returns whether a reading at <paramref name="now"/> must read this signal, rather than add its last reading's
    /// parts again: when <paramref name="all"/> signals must be read (a window of the monitor can move), when
    /// it changed or was never read, to confirm a change, and when it is polled and its reading is a second old (or at
    /// once for a <paramref name="fresh"/> reading, which <see cref="ModelMonitor.GetSnapshot"/> asks for).
    /// </summary>
    public bool MustRead(long now, bool all, bool fresh) =>
        all || !_hasReading || _confirm || Volatile.Read(ref _changed) != 0 || (IsPolled && (fresh || now - _readAt >= PolledMaxAge));

    /// <summary>Reads this signal into <paramref name="snapshot"/>, or adds its last reading's parts when <paramref name="read"/> is false.</summary>
    /// <remarks>
    /// A change is taken before the counters are read, and writers mark after they write, so a write is in this reading
    /// or marks the next. One race is left: a writer that saw the mark still set skips marking, and its write (a store
    /// the CPU may still hold back) can miss a reading that takes the mark just then. So a reading that took a change is
    /// confirmed by one more reading; by then every such store is visible.
    /// </remarks>
    /// <param name="snapshot">The snapshot being built.</param>
    /// <param name="read">Whether to read this signal (<see cref="MustRead"/>) rather than add its last parts.</param>
    /// <param name="onlyWindowsMove">
    /// Whether the reading reads every signal only because a window can move: a signal nothing was recorded into since
    /// then may advance its windows from its last reading (<see cref="TryAdvanceWindows"/>) instead of reading its cells.
    /// </param>
    public void ReadInto(SnapshotBuilder snapshot, bool read, bool onlyWindowsMove = false)
    {
        // A snapshot a user may keep never takes parts that a publishing reading will fill again: it reads anew.
        read |= _lastReused && !snapshot.Reuses;
        if (!read)
        {
            snapshot.Cumulative.AddRange(_lastParts[0]);
            for (int w = 0; w < snapshot.Windows.Length; w++)
            {
                snapshot.Windows[w].AddRange(_lastParts[1 + w]);
            }

            snapshot.SetStamp(Family, _stamp);
            return;
        }

        bool confirming = _confirm;
        _confirm = Interlocked.Exchange(ref _changed, 0) != 0;
        int windows = snapshot.Windows.Length;
        Span<int> from = windows <= 16 ? stackalloc int[1 + windows] : new int[1 + windows];
        from[0] = snapshot.Cumulative.Count;
        for (int w = 0; w < windows; w++)
        {
            from[1 + w] = snapshot.Windows[w].Count;
        }

        bool unchanged = onlyWindowsMove && _hasReading && !_confirm && !confirming && !IsPolled && !(_lastReused && !snapshot.Reuses);
        if (!(unchanged && TryAdvanceWindows(snapshot)))
        {
            Read(snapshot);
            _readAt = snapshot.Now;
        }

        _lastReused = snapshot.Reuses && ReusesParts;

        snapshot.Cumulative.CopyTo(from[0], _lastParts[0]);
        for (int w = 0; w < windows; w++)
        {
            snapshot.Windows[w].CopyTo(from[1 + w], _lastParts[1 + w]);
        }

        _hasReading = true;
        snapshot.SetStamp(Family, ++_stamp);
    }

    /// <summary>
    /// Gets whether this signal's <see cref="Read"/> refills the parts of its last reading when the snapshot
    /// <see cref="SnapshotBuilder.Reuses"/> them (a publishing pass), instead of building new ones: then a snapshot a
    /// user may keep reads this signal anew rather than share them. False by default: parts are built new every reading.
    /// </summary>
    protected virtual bool ReusesParts => false;

    /// <summary>
    /// Adds this signal's parts when nothing was recorded into it since its last reading and only its windows move: the
    /// last cumulative part again, and windows advanced from the last reading, without summing its cells again (what an
    /// idle monitor's reading costs when a checkpoint falls due). Returns false to be read in full, the default.
    /// </summary>
    protected virtual bool TryAdvanceWindows(SnapshotBuilder snapshot) => false;

    /// <summary>Gets the one cumulative part of this signal's last reading, or <see langword="null"/> when it added none or several.</summary>
    protected object? LastCumulativePart => _lastParts[0].Count == 1 ? _lastParts[0][0] : null;
}

/// <summary>What every signal of one monitor shares: identity, windows, clock, rejections (with their change flag) and every windowed array.</summary>
internal sealed class SignalContext
{
    private readonly object _windowSetsGate = new();
    private int _rejectedChanged;
    private IWindowedCells[] _windowSets = [];
    private readonly ConcurrentDictionary<(string Key, string Value), KeyValuePair<string, object?>[]> _tagsWith = new();

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

    /// <summary>
    /// Returns <see cref="ModelTags"/> plus <paramref name="key"/> = <paramref name="value"/>, built once per pair: values come
    /// from bounded sets (error types past the outcome cap are <c>_OTHER</c>, rejection reasons are fixed).
    /// </summary>
    public KeyValuePair<string, object?>[] ModelTagsWith(string key, string value) =>
        _tagsWith.GetOrAdd((key, value), static (pair, tags) => Tags.With(tags, pair.Key, pair.Value), ModelTags);

    /// <summary>Gets whether a value was rejected since the flag was last taken.</summary>
    public bool IsRejectedChanged => Volatile.Read(ref _rejectedChanged) != 0;

    /// <summary>Returns and clears the flag that says a value was rejected since the last reading.</summary>
    public bool TakeRejectedChanged() => Interlocked.Exchange(ref _rejectedChanged, 0) != 0;

    /// <summary>Counts a rejected value and marks the rejections changed.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void Reject(RejectionReason reason)
    {
        Rejections.Count(reason);
        if (Volatile.Read(ref _rejectedChanged) == 0)
        {
            Volatile.Write(ref _rejectedChanged, 1);
        }
    }

    /// <summary>
    /// Returns the earliest time (TimeSpan ticks since the monitor's creation) at which any window of the monitor could
    /// move without anything being recorded (<see cref="RollingWindow{T}.NextChange"/>). Called by the serialized readers.
    /// </summary>
    public long WindowsStableUntil()
    {
        long until = long.MaxValue;
        foreach (IWindowedCells cells in Volatile.Read(ref _windowSets))
        {
            until = Math.Min(until, cells.NextChange);
        }

        return until;
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
        where T : struct, INumber<T>
    {
        var cells = new WindowedCells<T>(length, Windows);
        lock (_windowSetsGate)
        {
            // Note: copy on write; readers enumerate without the lock (signals can join a monitor that is being read).
            Volatile.Write(ref _windowSets, [.. _windowSets, cells]);
        }

        return cells;
    }
}

/// <summary>What a reader needs of every <see cref="WindowedCells{T}"/> of a monitor, whatever its cell type.</summary>
internal interface IWindowedCells
{
    /// <summary>Gets the earliest <see cref="RollingWindow{T}.NextChange"/> of its windows.</summary>
    long NextChange { get; }
}

/// <summary>
/// The rolling windows (one per configured window) of one cumulative array: the one window concept shared by
/// every signal. Readers pass the cumulative reading; each window subtracts its own checkpoint.
/// </summary>
/// <typeparam name="T">The cell type (<see cref="long"/> counts or <see cref="double"/> non-negative sums).</typeparam>
internal sealed class WindowedCells<T> : IWindowedCells
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

    /// <inheritdoc/>
    public long NextChange
    {
        get
        {
            long next = long.MaxValue;
            foreach (RollingWindow<T> window in _windows)
            {
                next = Math.Min(next, window.NextChange);
            }

            return next;
        }
    }

    /// <summary>Advances every window to <paramref name="now"/> (TimeSpan ticks since the monitor's creation) and returns each window's cells, shortest first.</summary>
    public T[][] Read(long now, T[] cumulative) => Read(now, cumulative, 0, Length, Length, 0);

    /// <summary>As <see cref="Read(long, T[])"/>, into <paramref name="into"/> (one array of <see cref="Length"/> cells per window) when given.</summary>
    public T[][] Read(long now, T[] cumulative, T[][]? into)
    {
        if (into is null)
        {
            return Read(now, cumulative);
        }

        ReadInto(now, cumulative, 0, Length, Length, 0, into);
        return into;
    }

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
        }

        ReadInto(now, cumulative, start, length, tailStart, tailLength, result);
        return result;
    }

    /// <summary>As <see cref="Read(long, T[], int, int, int, int)"/>, into arrays the caller reuses (each at least <paramref name="length"/> + <paramref name="tailLength"/> long).</summary>
    public void ReadInto(long now, T[] cumulative, int start, int length, int tailStart, int tailLength, T[][] windows)
    {
        for (int w = 0; w < _windows.Length; w++)
        {
            _windows[w].Update(now, cumulative, windows[w], start, length, tailStart, tailLength);
        }
    }

    /// <summary>
    /// Advances every window to <paramref name="now"/> over two segments of the cells, as <see cref="Read(long, T[], int, int, int, int)"/>
    /// does, and writes each window's base into <paramref name="bases"/> (see <see cref="RollingWindow{T}.Advance"/>) instead
    /// of subtracting it: the caller's snapshots subtract when read.
    /// </summary>
    public void Advance(long now, T[] cumulative, int start, int length, int tailStart, int tailLength, Span<WindowBase<T>> bases)
    {
        for (int w = 0; w < _windows.Length; w++)
        {
            bases[w] = _windows[w].Advance(now, cumulative, start, length, tailStart, tailLength);
        }
    }
}

/// <summary>Collects the parts of one snapshot as the signals read them.</summary>
internal sealed class SnapshotBuilder
{
    /// <param name="windows">The monitor's windows.</param>
    /// <param name="now">The reading's time (see <see cref="Now"/>).</param>
    /// <param name="families">The signal families there are (see <see cref="Stamps"/>).</param>
    /// <param name="signals">The monitor's signals: one part each, usually.</param>
    /// <param name="reuses">Whether this builder is refilled from reading to reading (see <see cref="Reuses"/>).</param>
    public SnapshotBuilder(TimeSpan[] windows, long now, int families, int signals, bool reuses = false)
    {
        Now = now;
        Reuses = reuses;
        Cumulative = new SnapshotParts(signals);
        Windows = new SnapshotParts[windows.Length];
        for (int w = 0; w < Windows.Length; w++)
        {
            Windows[w] = new SnapshotParts(signals);
        }

        Stamps = new long[families];
        Stamps.AsSpan().Fill(-1);
    }

    /// <summary>
    /// Gets whether this builder and its snapshot are refilled by the monitor's next publishing reading: then signals may
    /// refill their parts of the last such reading instead of building new ones (<see cref="Signal.ReusesParts"/>). Such
    /// a snapshot is read only under the monitor's reader lock and never handed to a user.
    /// </summary>
    public bool Reuses { get; }

    /// <summary>
    /// Gets, per signal family (<see cref="SignalInstruments.Id"/>), the stamp of the reading whose parts the snapshot
    /// holds: equal stamps of one signal mean the same parts, so a publisher may replay what it measured of them.
    /// −1 for a family the monitor does not have.
    /// </summary>
    public long[] Stamps { get; private set; }

    /// <summary>Records that <paramref name="family"/>'s parts come from its reading <paramref name="stamp"/>.</summary>
    public void SetStamp(SignalInstruments family, long stamp)
    {
        if ((uint)family.Id < (uint)Stamps.Length)
        {
            Stamps[family.Id] = stamp;
        }
    }

    /// <summary>Gets the reading's time: TimeSpan ticks since the monitor was created (what windows advance to).</summary>
    public long Now { get; private set; }

    /// <summary>Gets the cumulative parts (since the monitor started).</summary>
    public SnapshotParts Cumulative { get; }

    /// <summary>Gets the parts of each window, shortest first.</summary>
    public SnapshotParts[] Windows { get; }

    /// <summary>Empties a reused builder for a new reading at <paramref name="now"/> (<paramref name="families"/> may have grown: a signal joined).</summary>
    public void Restart(long now, int families)
    {
        Debug.Assert(Reuses, "Only a reused builder is refilled.");
        Now = now;
        Cumulative.Clear();
        foreach (SnapshotParts window in Windows)
        {
            window.Clear();
        }

        if (Stamps.Length != families)
        {
            Stamps = new long[families];
        }

        Stamps.AsSpan().Fill(-1);
    }
}

/// <summary>The parts of a snapshot (cumulative or one window), one per signal family, found by type.</summary>
internal sealed class SnapshotParts
{
    private object[] _parts;
    private int _count;

    /// <param name="capacity">The parts expected: one per signal usually.</param>
    public SnapshotParts(int capacity = 4) => _parts = new object[Math.Max(capacity, 1)];

    /// <summary>Gets the number of parts added so far.</summary>
    public int Count => _count;

    /// <summary>Removes every part (a reused builder's next reading).</summary>
    public void Clear()
    {
        Array.Clear(_parts, 0, _count);
        _count = 0;
    }

    public void Add(object part)
    {
        if (_count == _parts.Length)
        {
            Array.Resize(ref _parts, _count * 2);
        }

        _parts[_count++] = part;
    }

    /// <summary>Adds <paramref name="parts"/> (a signal's parts of an earlier reading, reused).</summary>
    public void AddRange(List<object> parts)
    {
        foreach (object part in parts)
        {
            Add(part);
        }
    }

    /// <summary>Replaces the contents of <paramref name="into"/> with the parts added from index <paramref name="from"/> on.</summary>
    public void CopyTo(int from, List<object> into)
    {
        into.Clear();
        for (int i = from; i < _count; i++)
        {
            into.Add(_parts[i]);
        }
    }

    /// <summary>Returns the part of type <typeparamref name="T"/> (a sealed part type), or <see langword="null"/>.</summary>
    public T? Get<T>()
        where T : class
    {
        // Note: an exact type test, not `is T`: in shared generic code that is a cast helper call per part, and a
        // publishing pass asks ~100 times per monitor.
        for (int i = 0; i < _count; i++)
        {
            object part = _parts[i];
            if (part.GetType() == typeof(T))
            {
                return Unsafe.As<T>(part);
            }
        }

        return null;
    }
}
