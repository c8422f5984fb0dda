// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using ModelMetrics.Resources;
using ModelMetrics.Signals;

namespace ModelMetrics.Publishing;

/// <summary>
/// Owns one <see cref="Meter"/> and the observable instruments of every signal family published on it.
/// </summary>
/// <remarks>
/// <para>
/// Each family's instruments (<see cref="SignalInstruments"/>) are created once per meter, when the first
/// monitor with that signal joins; each callback then reports every monitor of the meter that has the signal,
/// distinguished by <c>model.name</c> and <c>model.version</c>. The monitors come from the public
/// <see cref="ModelMonitorRegistry"/> each was registered in; this class keeps no list of monitors.
/// </para>
/// <para>
/// Nothing here runs on the predict path: callbacks run when a listener or an OpenTelemetry reader collects.
/// </para>
/// </remarks>
#pragma warning disable CA1001 // Note: a publisher lives as long as its meter's instruments, which have no end of their own.
internal sealed class MeterPublisher
#pragma warning restore CA1001
{
    private static readonly Dictionary<string, MeterPublisher> SharedMeters = new(StringComparer.Ordinal);
    private static readonly ConditionalWeakTable<Meter, MeterPublisher> FactoryMeters = [];
    private static readonly object Gate = new();
    private static readonly string MeterVersion = typeof(MeterPublisher).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    /// <summary>The last publishing pass id handed out, over all meters (ids are never reused).</summary>
    private static long s_passes;

    /// <summary>The last instrument number handed out, over all meters: one thread's pass may collect several meters.</summary>
    private static int s_instruments = -1;

    /// <summary>The collecting thread's publishing pass.</summary>
    [ThreadStatic]
    private static PublishingPass? t_pass;

    private readonly HashSet<SignalInstruments> _created = [];
    private ModelMonitorRegistry[] _registries = [];
    private Histogram<double>? _nativeDuration;
    private double[]? _nativeBoundaries;
    private ResourceMonitor? _resources;
    private bool _resourceInstruments;
    private ModelRuleSet[] _ruleSets = [];
    private bool _ruleInstruments;
    private SignalInstruments? _creating; // the family whose instruments are being created (under the gate)
    private PublishedInstrument[] _instruments = []; // every signal instrument of this meter, copy on write
    private readonly ThreadLocal<FleetView> _fleets = new(static () => new()); // per collecting thread: what its last preparation saw

    private MeterPublisher(Meter meter) => Meter = meter;

    public Meter Meter { get; }

    /// <summary>Gets the boundaries the native duration histogram was created with, or <see langword="null"/> before.</summary>
    public IReadOnlyList<double>? NativeBoundaries => Volatile.Read(ref _nativeBoundaries);

    /// <summary>Gets the live resource monitor that publishes on this meter, or <see langword="null"/>.</summary>
    public ResourceMonitor? Resources => Volatile.Read(ref _resources);

    /// <summary>Gets the live rule sets that publish on this meter.</summary>
    public ModelRuleSet[] RuleSets => Volatile.Read(ref _ruleSets);

    /// <summary>Returns the publisher of the meter with this name, from the factory or process-wide.</summary>
    public static MeterPublisher For(string meterName, IMeterFactory? factory)
    {
        lock (Gate)
        {
            if (factory is null)
            {
                if (!SharedMeters.TryGetValue(meterName, out MeterPublisher? shared))
                {
                    // Note: a process-wide meter lives as long as the process, like a static Meter field.
                    shared = new MeterPublisher(new Meter(meterName, MeterVersion));
                    SharedMeters.Add(meterName, shared);
                }

                return shared;
            }

            // The factory caches meters by name, so every monitor of one factory shares one meter.
            Meter meter = factory.Create(new MeterOptions(meterName) { Version = MeterVersion });
            if (!FactoryMeters.TryGetValue(meter, out MeterPublisher? publisher))
            {
                publisher = new MeterPublisher(meter);
                FactoryMeters.Add(meter, publisher);
            }

            return publisher;
        }
    }

    /// <summary>Returns the publisher of <paramref name="meter"/>, or <see langword="null"/> when no monitor uses it.</summary>
    public static MeterPublisher? Of(Meter meter)
    {
        lock (Gate)
        {
            if (FactoryMeters.TryGetValue(meter, out MeterPublisher? publisher))
            {
                return publisher;
            }

            return SharedMeters.TryGetValue(meter.Name, out MeterPublisher? shared) && ReferenceEquals(shared.Meter, meter) ? shared : null;
        }
    }

    /// <summary>
    /// Adds the monitor to its registry and to this meter: creates the instruments of its signals that the meter does not
    /// have yet, and observes its registry.
    /// </summary>
    /// <exception cref="ArgumentException">A live monitor of the same model name and version already publishes on this meter.</exception>
    public void Join(ModelMonitor monitor)
    {
        lock (Gate)
        {
            // Two monitors of one model on one meter would export the same series twice, and an exporter keeps either's
            // value, not their sum. Refused here, under the lock every monitor of every registry joins under.
            foreach (ModelMonitorRegistry registry in _registries)
            {
                foreach (ModelMonitor other in registry.Monitors)
                {
                    if (ReferenceEquals(other.Publisher, this) && other.ModelName == monitor.ModelName && other.ModelVersion == monitor.ModelVersion)
                    {
#pragma warning disable CA2208 // Note: the error names the option the user set.
                        throw new ArgumentException(
                            $"A live monitor of model '{monitor.ModelName}' version '{monitor.ModelVersion ?? "(none)"}' already publishes on meter '{Meter.Name}': two would export one series with either's values. Dispose it first, share it, or give this one another ModelVersion or MeterName.",
                            nameof(ModelMonitorOptions.ModelName));
#pragma warning restore CA2208
                    }
                }
            }

            monitor.Registry.Insert(monitor);
            foreach (Signal signal in monitor.Signals)
            {
                CreateLocked(signal.Family);
            }

            if (Array.IndexOf(_registries, monitor.Registry) < 0)
            {
                _registries = [.. _registries, monitor.Registry];
            }
        }
    }

    /// <summary>Creates a signal family's instruments on this meter unless it has them (a signal added after its monitor joined).</summary>
    public void Adopt(SignalInstruments instruments)
    {
        lock (Gate)
        {
            CreateLocked(instruments);
        }
    }

    private void CreateLocked(SignalInstruments family)
    {
        if (_created.Add(family))
        {
            _creating = family;
            try
            {
                family.Create(this);
            }
            finally
            {
                _creating = null;
            }
        }
    }

    /// <summary>Makes <paramref name="monitor"/> the meter's resource monitor, creating the resource instruments on first use.</summary>
    /// <exception cref="ArgumentException">Another live resource monitor publishes on this meter.</exception>
    public void JoinResources(ResourceMonitor monitor)
    {
        lock (Gate)
        {
            if (_resources is not null)
            {
#pragma warning disable CA2208 // Note: the error names the option the user set.
                throw new ArgumentException(
                    $"A live ResourceMonitor already publishes on meter '{Meter.Name}': resources belong to the process, and two would export every series twice. Dispose it first, share it, or use another MeterName.",
                    nameof(ResourceMonitorOptions.MeterName));
#pragma warning restore CA2208
            }

            if (!_resourceInstruments)
            {
                ResourceInstruments.Create(this);
                _resourceInstruments = true;
            }

            Volatile.Write(ref _resources, monitor);
        }
    }

    /// <summary>Stops publishing <paramref name="monitor"/>'s resources (the instruments stay and report nothing).</summary>
    public void LeaveResources(ResourceMonitor monitor)
    {
        lock (Gate)
        {
            if (ReferenceEquals(_resources, monitor))
            {
                Volatile.Write(ref _resources, null);
            }
        }
    }

    /// <summary>Publishes <paramref name="rules"/>' states on this meter, creating the rule instruments on first use.</summary>
    public void JoinRules(ModelRuleSet rules)
    {
        lock (Gate)
        {
            if (!_ruleInstruments)
            {
                Rules.RuleInstruments.Create(this);
                _ruleInstruments = true;
            }

            Volatile.Write(ref _ruleSets, [.. _ruleSets, rules]);
        }
    }

    /// <summary>Stops publishing <paramref name="rules"/> (the instruments stay for the others).</summary>
    public void LeaveRules(ModelRuleSet rules)
    {
        lock (Gate)
        {
            Volatile.Write(ref _ruleSets, Array.FindAll(_ruleSets, r => !ReferenceEquals(r, rules)));
        }
    }

    /// <summary>
    /// Returns the native duration histogram, created on first use with <paramref name="boundaries"/>; every
    /// monitor of one meter shares the instrument, so later monitors must ask for the same boundaries.
    /// </summary>
    /// <exception cref="ArgumentException">The histogram already exists with other boundaries.</exception>
    public Histogram<double> NativeDurationHistogram(IReadOnlyList<double> boundaries)
    {
        lock (Gate)
        {
            if (_nativeDuration is null)
            {
                double[] bounds = [.. boundaries];
                Volatile.Write(ref _nativeBoundaries, bounds);
                _nativeDuration = CallsInstruments.CreateNativeDuration(Meter, bounds);
            }
            else if (!((ReadOnlySpan<double>)_nativeBoundaries).SequenceEqual([.. boundaries]))
            {
#pragma warning disable CA2208 // Note: the error names the option the user set.
                throw new ArgumentException(
                    $"BucketBoundaries must equal those of the native histogram already created on meter '{Meter.Name}' (EnableNativeHistogram): monitors sharing a meter share that instrument. Use other boundaries with another MeterName.",
                    nameof(ModelMonitorOptions.BucketBoundaries));
#pragma warning restore CA2208
            }

            return _nativeDuration;
        }
    }

    public void Counter<TSignal, T>(InstrumentInfo info, Action<TSignal, ModelMonitorSnapshot, List<Measurement<T>>> observe)
        where TSignal : Signal
        where T : struct => Meter.CreateObservableCounter(info.Name, Numbered(observe), info.Unit, info.Description);

    public void UpDownCounter<TSignal, T>(InstrumentInfo info, Action<TSignal, ModelMonitorSnapshot, List<Measurement<T>>> observe)
        where TSignal : Signal
        where T : struct => Meter.CreateObservableUpDownCounter(info.Name, Numbered(observe), info.Unit, info.Description);

    public void Gauge<TSignal, T>(InstrumentInfo info, Action<TSignal, ModelMonitorSnapshot, List<Measurement<T>>> observe)
        where TSignal : Signal
        where T : struct => Meter.CreateObservableGauge(info.Name, Numbered(observe), info.Unit, info.Description);

    /// <summary>
    /// Wraps an instrument's observation of one monitor into a callback over every monitor of this meter that has the
    /// signal. A collecting thread's pass reads each monitor once, and fills every instrument it collected in its last
    /// pass in one sweep over the monitors (see <see cref="Prepare"/>); each callback then hands out its own list.
    /// </summary>
    private Func<IEnumerable<Measurement<T>>> Numbered<TSignal, T>(Action<TSignal, ModelMonitorSnapshot, List<Measurement<T>>> observe)
        where TSignal : Signal
        where T : struct
    {
        var instrument = new PublishedInstrument<TSignal, T>(
            Interlocked.Increment(ref s_instruments),
            _creating ?? throw new InvalidOperationException("Signal instruments are created by MeterPublisher.Join or Adopt."),
            observe);
        Volatile.Write(ref _instruments, [.. _instruments, instrument]); // under the gate (Create runs under it)
        return () =>
        {
            PublishingPass pass = t_pass ??= new PublishingPass();
            long id = pass.Enter(instrument.Number);
            Slot<T> slot = instrument.Slot;
            if (slot.Pass != id)
            {
                Prepare(pass, id);
                if (slot.Pass != id)
                {
                    // Not collected in this thread's last pass (its first pass, or a listener that just enabled it): alone.
                    slot.Start(id);
                    ObserveAlone(instrument, slot, id);
                }
            }

            return slot.Finish();
        };
    }

    /// <summary>
    /// Fills, in one sweep over the monitors, the lists of every instrument of this meter that the collecting thread
    /// collected in its last pass: each monitor is read once and all its measurements taken while its data is in cache,
    /// rather than one sweep over a thousand monitors per instrument (a pass was mostly cache misses). A listener hands
    /// each list to its callback before calling the next one (<c>MeterListener.RecordObservableInstruments</c>), and
    /// the lists belong to the thread, so each stays as filled until the thread's next pass.
    /// </summary>
    private void Prepare(PublishingPass pass, long id)
    {
        if (!pass.StartPreparing(this, id))
        {
            return;
        }

        FleetView fleet = _fleets.Value!;
        List<(PublishedInstrument Instrument, Slot Slot)> prepared = pass.Prepared;
        prepared.Clear();
        bool sameSlots = true; // every slot filled by this thread's last preparation of this meter, in the same order
        foreach (PublishedInstrument instrument in Volatile.Read(ref _instruments))
        {
            if (pass.CollectedLastPass(instrument.Number))
            {
                Slot slot = instrument.CurrentSlot();
                sameSlots &= slot.Pass == fleet.Pass && fleet.WasPrepared(prepared.Count, instrument.Number);
                slot.Start(id);
                prepared.Add((instrument, slot));
            }
        }

        if (prepared.Count == 0)
        {
            return;
        }

        // The monitors of this pass, read once: a monitor joining meanwhile is in the next pass (and makes it sweep again).
        ModelMonitorRegistry[] registries = Volatile.Read(ref _registries);
        List<ModelMonitor[]> monitors = pass.Monitors;
        List<long> versions = pass.Versions;
        monitors.Clear();
        versions.Clear();
        foreach (ModelMonitorRegistry registry in registries)
        {
            versions.Add(registry.Version); // before the array: a change in between makes the next pass sweep again
            monitors.Add(registry.Live);
        }

        if (!(sameSlots && fleet.SameMonitors(registries, versions, prepared.Count) && UpdateChanged(prepared, monitors, fleet)))
        {
            foreach ((_, Slot slot) in prepared)
            {
                slot.Start(id); // an update given up halfway left its slots as valid lists: the sweep matches them again
            }

            ObserveAll(prepared, monitors, fleet);
        }

        fleet.Remember(id, prepared, registries, versions);
        monitors.Clear(); // not kept past the pass: disposed monitors must be collectable
    }

    /// <summary>
    /// Fills the prepared lists in one sweep over every monitor, in order, each read once and all its measurements taken
    /// while its data is in cache; notes where each monitor's segment is and which reading it was taken from.
    /// </summary>
    private void ObserveAll(List<(PublishedInstrument Instrument, Slot Slot)> prepared, List<ModelMonitor[]> monitors, FleetView fleet)
    {
        int ordinal = 0;
        foreach (ModelMonitor[] live in monitors)
        {
            foreach (ModelMonitor monitor in live)
            {
                if (!ReferenceEquals(monitor.Publisher, this))
                {
                    continue;
                }

                fleet.SetReading(ordinal, FleetView.NotRead);
                if (HasAny(monitor, prepared))
                {
                    monitor.Publish(new PreparedObserver(monitor, prepared, fleet, ordinal));
                }
                else
                {
                    foreach ((_, Slot slot) in prepared)
                    {
                        slot.SetSegment(ordinal, -1);
                    }
                }

                ordinal++;
            }
        }
    }

    /// <summary>
    /// Updates the prepared lists where a monitor made a new reading since this thread's last pass, leaving every other
    /// monitor's segments as they are (an idle fleet costs one check per monitor, not one per monitor and instrument).
    /// Returns false when a list must be swept again: a segment changes length, or a monitor gained a signal.
    /// </summary>
    private bool UpdateChanged(List<(PublishedInstrument Instrument, Slot Slot)> prepared, List<ModelMonitor[]> monitors, FleetView fleet)
    {
        fleet.GaveUp = false;
        int ordinal = 0;
        foreach (ModelMonitor[] live in monitors)
        {
            foreach (ModelMonitor monitor in live)
            {
                if (!ReferenceEquals(monitor.Publisher, this))
                {
                    continue;
                }

                if (fleet.ReadingOf(ordinal) != FleetView.NotRead)
                {
                    monitor.Publish(new ChangedObserver(monitor, prepared, fleet, ordinal));
                    if (fleet.GaveUp)
                    {
                        return false;
                    }
                }
                else if (HasAny(monitor, prepared))
                {
                    return false; // a signal joined the monitor since
                }

                ordinal++;
            }
        }

        foreach ((_, Slot slot) in prepared)
        {
            slot.KeepAll();
        }

        return true;
    }

    private static bool HasAny(ModelMonitor monitor, List<(PublishedInstrument Instrument, Slot Slot)> prepared)
    {
        foreach ((PublishedInstrument instrument, _) in prepared)
        {
            if (monitor.FindSignal(instrument.Family) is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Observes every prepared instrument of one monitor, in a sweep (under its reader lock: the snapshot is refilled by the next pass).</summary>
    private readonly struct PreparedObserver(ModelMonitor monitor, List<(PublishedInstrument Instrument, Slot Slot)> prepared, FleetView fleet, int ordinal) : ISnapshotObserver
    {
        public void Observe(ModelMonitorSnapshot snapshot, long reading)
        {
            foreach ((PublishedInstrument instrument, Slot slot) in prepared)
            {
                if (monitor.FindSignal(instrument.Family) is { } signal)
                {
                    instrument.Observe(signal, snapshot, slot, ordinal);
                }
                else
                {
                    slot.SetSegment(ordinal, -1);
                }
            }

            fleet.SetReading(ordinal, reading);
        }
    }

    /// <summary>Updates one monitor's segments in place when it made a new reading since this thread's last pass (under its reader lock).</summary>
    private readonly struct ChangedObserver(ModelMonitor monitor, List<(PublishedInstrument Instrument, Slot Slot)> prepared, FleetView fleet, int ordinal) : ISnapshotObserver
    {
        public void Observe(ModelMonitorSnapshot snapshot, long reading)
        {
            if (reading == fleet.ReadingOf(ordinal))
            {
                return; // the reading this thread measured last pass: every segment of the monitor still holds
            }

            foreach ((PublishedInstrument instrument, Slot slot) in prepared)
            {
                if (monitor.FindSignal(instrument.Family) is { } signal && !instrument.TryUpdate(signal, snapshot, slot, ordinal))
                {
                    fleet.GaveUp = true;
                    return;
                }
            }

            fleet.SetReading(ordinal, reading);
        }
    }

    /// <summary>
    /// What one collecting thread's last preparation of this meter saw: its pass, the instruments it prepared, the monitors
    /// (each registry's version, which changes whenever one joins or leaves) and the reading each monitor's segments came from.
    /// </summary>
    private sealed class FleetView
    {
        /// <summary>A monitor none of whose segments was taken from a reading (it had none of the prepared signals).</summary>
        public const long NotRead = -1;

        private readonly List<int> _prepared = [];
        private readonly List<long> _versions = [];
        private long[] _readings = [];
        private ModelMonitorRegistry[]? _registries;

        /// <summary>Gets the pass of the last preparation, 0 before one.</summary>
        public long Pass { get; private set; }

        /// <summary>Gets or sets whether an update in place was given up (under a monitor's lock, read after it).</summary>
        public bool GaveUp { get; set; }

        /// <summary>Returns whether the last preparation's <paramref name="index"/>-th instrument was number <paramref name="number"/>.</summary>
        public bool WasPrepared(int index, int number) => index < _prepared.Count && _prepared[index] == number;

        /// <summary>Returns whether <paramref name="registries"/>, at <paramref name="versions"/>, hold the monitors of the last preparation, which prepared <paramref name="count"/> instruments.</summary>
        public bool SameMonitors(ModelMonitorRegistry[] registries, List<long> versions, int count) =>
            count == _prepared.Count && ReferenceEquals(registries, _registries) && CollectionsMarshal.AsSpan(versions).SequenceEqual(CollectionsMarshal.AsSpan(_versions));

        public long ReadingOf(int ordinal) => (uint)ordinal < (uint)_readings.Length ? _readings[ordinal] : NotRead;

        public void SetReading(int ordinal, long reading)
        {
            if (ordinal >= _readings.Length)
            {
                Array.Resize(ref _readings, Math.Max(ordinal + 1, _readings.Length * 2));
            }

            _readings[ordinal] = reading;
        }

        /// <summary>Remembers a preparation: its pass, instruments and monitors (the readings were noted as it went).</summary>
        public void Remember(long pass, List<(PublishedInstrument Instrument, Slot Slot)> prepared, ModelMonitorRegistry[] registries, List<long> versions)
        {
            Pass = pass;
            _prepared.Clear();
            foreach ((PublishedInstrument instrument, _) in prepared)
            {
                _prepared.Add(instrument.Number);
            }

            _registries = registries;
            _versions.Clear();
            _versions.AddRange(versions);
        }
    }

    /// <summary>Fills one instrument's list in a sweep of its own (an instrument the thread did not collect in its last pass).</summary>
    private void ObserveAlone(PublishedInstrument instrument, Slot slot, long id)
    {
        foreach (ModelMonitorRegistry registry in Volatile.Read(ref _registries))
        {
            foreach (ModelMonitor monitor in registry.Live)
            {
                if (ReferenceEquals(monitor.Publisher, this) && monitor.FindSignal(instrument.Family) is { } signal)
                {
                    instrument.Observe(signal, monitor.ReadForPublishing(id), slot, ordinal: -1);
                }
            }
        }
    }

    /// <summary>One collecting thread's measurements of one instrument, and the pass they belong to.</summary>
    private abstract class Slot
    {
        public long Pass { get; private set; }

        /// <summary>Empties the measurements for pass <paramref name="id"/> (those of the pass before stay, to replay).</summary>
        public void Start(long id)
        {
            Pass = id;
            Clear();
        }

        /// <summary>Notes that the monitor numbered <paramref name="ordinal"/> in a sweep has its segment at <paramref name="segment"/> (−1: none).</summary>
        public abstract void SetSegment(int ordinal, int segment);

        /// <summary>Keeps every segment of the pass before as it is (or as updated in place): the pass's list is the last one.</summary>
        public abstract void KeepAll();

        protected abstract void Clear();
    }

    /// <summary>
    /// One collecting thread's measurements of one instrument, kept from pass to pass: each monitor's measurements are a
    /// segment, keyed by the reading of the signal they were taken from. A signal whose parts did not change since (same
    /// stamp, same rejections) keeps its segment as it is; a changed one is observed again and, when it measures as many
    /// values as before (the usual case), written over its segment in place. An instrument's measurements are a function
    /// of its signal's parts and the monitor's rejections alone, so a kept segment is what observing would add.
    /// </summary>
    /// <remarks>
    /// So a pass over a fleet of idle models costs a few compares per monitor and instrument, and a busy model costs the
    /// measurements of the signals that changed, with nothing copied or allocated. Only when a monitor joins or leaves, or
    /// a segment changes length (a new error type, a window that empties), is the list rebuilt: from the segments of the
    /// pass before, copied, and the observations of this pass.
    /// </remarks>
    private sealed class Slot<T> : Slot
        where T : struct
    {
        private List<Measurement<T>> _list = [];
        private List<Segment> _segments = [];
        private List<Measurement<T>> _previous = []; // while rebuilding: the pass before's list (else a spare)
        private List<Segment> _previousSegments = [];
        private readonly List<Measurement<T>> _observed = []; // one monitor's new measurements, before they go in place
        private int _cursor; // the next segment (of this list in place, of the pass before while rebuilding) a monitor may match
        private bool _inPlace; // this pass updates the list of the pass before in place (else it rebuilds it)
        private int[] _segmentOf = []; // per monitor, in the order of the last sweep: the index of its segment, or −1

        /// <summary>
        /// Adds <paramref name="signal"/>'s measurements, of the monitor numbered <paramref name="ordinal"/> in this sweep:
        /// kept from the pass before when its parts are the same.
        /// </summary>
        public void Observe<TSignal>(Action<TSignal, ModelMonitorSnapshot, List<Measurement<T>>> observe, TSignal signal, ModelMonitorSnapshot snapshot, SignalInstruments family, int ordinal)
            where TSignal : Signal
        {
            long stamp = snapshot.StampOf(family);
            Dictionary<string, long> rejected = snapshot.RejectedTable;
            if (_inPlace)
            {
                Span<Segment> segments = CollectionsMarshal.AsSpan(_segments);
                if ((uint)_cursor < (uint)segments.Length && ReferenceEquals(segments[_cursor].Signal, signal))
                {
                    SetSegment(ordinal, _cursor);
                    if (TryUpdate(ref segments[_cursor], observe, signal, snapshot, stamp, rejected))
                    {
                        _cursor++;
                        return;
                    }

                    StartRebuilding();
                    _cursor++; // this monitor's segment is replaced by what was just observed
                    AddSegment(signal, stamp, rejected, _observed);
                    SetSegment(ordinal, _segments.Count - 1);
                    return;
                }

                StartRebuilding();
            }

            int start = _list.Count;
            if (FindPrevious(signal) is { } last && last.Matches(signal, stamp, rejected))
            {
                _list.AddRange(CollectionsMarshal.AsSpan(_previous).Slice(last.Start, last.Count));
            }
            else
            {
                observe(signal, snapshot, _list);
            }

            _segments.Add(new Segment(signal, stamp, rejected, start, _list.Count - start));
            SetSegment(ordinal, _segments.Count - 1);
        }

        /// <summary>
        /// Updates in place the segment of the monitor numbered <paramref name="ordinal"/> in the last sweep, outside a
        /// sweep; returns false when it cannot (no such segment, or its measurements changed in number): sweep again.
        /// </summary>
        public bool TryUpdate<TSignal>(Action<TSignal, ModelMonitorSnapshot, List<Measurement<T>>> observe, TSignal signal, ModelMonitorSnapshot snapshot, SignalInstruments family, int ordinal)
            where TSignal : Signal
        {
            int index = (uint)ordinal < (uint)_segmentOf.Length ? _segmentOf[ordinal] : -1;
            Span<Segment> segments = CollectionsMarshal.AsSpan(_segments);
            return _inPlace && (uint)index < (uint)segments.Length && ReferenceEquals(segments[index].Signal, signal)
                && TryUpdate(ref segments[index], observe, signal, snapshot, snapshot.StampOf(family), snapshot.RejectedTable);
        }

        public override void SetSegment(int ordinal, int segment)
        {
            if (ordinal < 0)
            {
                return; // an instrument observed alone: its list is swept again before it is updated in place
            }

            if (ordinal >= _segmentOf.Length)
            {
                Array.Resize(ref _segmentOf, Math.Max(ordinal + 1, _segmentOf.Length * 2));
            }

            _segmentOf[ordinal] = segment;
        }

        public override void KeepAll() => _cursor = _segments.Count;

        /// <summary>Returns the pass's measurements.</summary>
        public List<Measurement<T>> Finish()
        {
            if (_inPlace && _cursor < _segments.Count)
            {
                // Monitors that left at the end: drop their segments.
                _list.RemoveRange(_segments[_cursor].Start, _list.Count - _segments[_cursor].Start);
                _segments.RemoveRange(_cursor, _segments.Count - _cursor);
            }

            _inPlace = false;
            return _list;
        }

        protected override void Clear()
        {
            _cursor = 0;
            _inPlace = true;
        }

        /// <summary>
        /// Turns this pass into a rebuild: the list so far becomes the pass before's, and the new list starts with the
        /// segments already kept or updated (those before the cursor).
        /// </summary>
        private void StartRebuilding()
        {
            (_previous, _list) = (_list, _previous);
            (_previousSegments, _segments) = (_segments, _previousSegments);
            _list.Clear();
            _segments.Clear();
            int end = _cursor < _previousSegments.Count ? _previousSegments[_cursor].Start : _previous.Count;
            _list.AddRange(CollectionsMarshal.AsSpan(_previous)[..end]);
            _segments.AddRange(CollectionsMarshal.AsSpan(_previousSegments)[.._cursor]);
            _inPlace = false;
        }

        /// <summary>
        /// Leaves <paramref name="kept"/> as it is when its reading is the same, or writes what <paramref name="signal"/>
        /// measures now over it when as many values; otherwise returns false, with the new measurements in <c>_observed</c>.
        /// </summary>
        private bool TryUpdate<TSignal>(ref Segment kept, Action<TSignal, ModelMonitorSnapshot, List<Measurement<T>>> observe, TSignal signal, ModelMonitorSnapshot snapshot, long stamp, Dictionary<string, long> rejected)
            where TSignal : Signal
        {
            if (kept.Matches(signal, stamp, rejected))
            {
                return true;
            }

            _observed.Clear();
            observe(signal, snapshot, _observed);
            if (_observed.Count != kept.Count)
            {
                return false;
            }

            CollectionsMarshal.AsSpan(_observed).CopyTo(CollectionsMarshal.AsSpan(_list).Slice(kept.Start, kept.Count));
            kept = kept with { Stamp = stamp, Rejected = rejected };
            return true;
        }

        private void AddSegment(Signal signal, long stamp, Dictionary<string, long> rejected, List<Measurement<T>> measurements)
        {
            _segments.Add(new Segment(signal, stamp, rejected, _list.Count, measurements.Count));
            _list.AddRange(CollectionsMarshal.AsSpan(measurements));
        }

        /// <summary>
        /// Returns the segment of the pass before taken from <paramref name="signal"/>, or <see langword="null"/>. Monitors
        /// come in the registry's order, so it is the next one, or the one after when a monitor left in between; a monitor
        /// that joined finds none and leaves the cursor where it was.
        /// </summary>
        private Segment? FindPrevious(Signal signal)
        {
            for (int i = _cursor; i < _previousSegments.Count && i <= _cursor + 1; i++)
            {
                if (ReferenceEquals(_previousSegments[i].Signal, signal))
                {
                    _cursor = i + 1;
                    return _previousSegments[i];
                }
            }

            return null;
        }

        /// <summary>One monitor's measurements in a pass's list: from <see cref="Start"/>, <see cref="Count"/> of them.</summary>
        private readonly record struct Segment(Signal Signal, long Stamp, Dictionary<string, long> Rejected, int Start, int Count)
        {
            /// <summary>Returns whether a reading of <paramref name="signal"/> would measure what this segment holds.</summary>
            public bool Matches(Signal signal, long stamp, Dictionary<string, long> rejected) =>
                ReferenceEquals(Signal, signal) && Stamp == stamp && stamp >= 0 && ReferenceEquals(Rejected, rejected);
        }
    }

    /// <summary>A signal instrument of this meter: its number, its family, and what it observes of one monitor.</summary>
    private abstract class PublishedInstrument(int number, SignalInstruments family)
    {
        public int Number { get; } = number;

        public SignalInstruments Family { get; } = family;

        /// <summary>Returns the collecting thread's slot.</summary>
        public abstract Slot CurrentSlot();

        /// <summary>Adds the measurements of <paramref name="signal"/>'s monitor, numbered <paramref name="ordinal"/> in the sweep, to <paramref name="slot"/>.</summary>
        public abstract void Observe(Signal signal, ModelMonitorSnapshot snapshot, Slot slot, int ordinal);

        /// <summary>Updates the segment of <paramref name="signal"/>'s monitor (numbered <paramref name="ordinal"/> in the last sweep) in place, or returns false.</summary>
        public abstract bool TryUpdate(Signal signal, ModelMonitorSnapshot snapshot, Slot slot, int ordinal);
    }

#pragma warning disable CA1001 // Note: lives as long as its meter's instrument, which has no end of its own.
    private sealed class PublishedInstrument<TSignal, T>(int number, SignalInstruments family, Action<TSignal, ModelMonitorSnapshot, List<Measurement<T>>> observe)
        : PublishedInstrument(number, family)
#pragma warning restore CA1001
        where TSignal : Signal
        where T : struct
    {
        private readonly ThreadLocal<Slot<T>> _slots = new(static () => new());

        public Slot<T> Slot => _slots.Value!;

        public override Slot CurrentSlot() => Slot;

        // Note: no cast check: a family's instruments observe the one signal type that declares them.
        public override void Observe(Signal signal, ModelMonitorSnapshot snapshot, Slot slot, int ordinal) =>
            Unsafe.As<Slot<T>>(slot).Observe(observe, Unsafe.As<TSignal>(signal), snapshot, Family, ordinal);

        public override bool TryUpdate(Signal signal, ModelMonitorSnapshot snapshot, Slot slot, int ordinal) =>
            Unsafe.As<Slot<T>>(slot).TryUpdate(observe, Unsafe.As<TSignal>(signal), snapshot, Family, ordinal);
    }

    /// <summary>
    /// One collecting thread's publishing pass: the instruments it observed, of any meter, and those of its last pass. A
    /// pass ends when an instrument is observed again (a listener's next collection) or when it is a second old (a pass
    /// that long reads again, so a listener collecting other instruments meanwhile sees data at most that old).
    /// </summary>
    private sealed class PublishingPass
    {
        private static readonly long MaxAge = Stopwatch.Frequency;

        private readonly List<(MeterPublisher Publisher, long Pass)> _preparing = [];
        private ulong[] _observed = new ulong[1];
        private ulong[] _lastPass = new ulong[1];
        private long _id;
        private long _started;

        /// <summary>Gets a list reused by each preparation on this thread.</summary>
        public List<(PublishedInstrument Instrument, Slot Slot)> Prepared { get; } = [];

        /// <summary>Gets a list reused by each preparation on this thread: each registry's monitors, as read once.</summary>
        public List<ModelMonitor[]> Monitors { get; } = [];

        /// <summary>Gets a list reused by each preparation on this thread: each registry's <see cref="ModelMonitorRegistry.Version"/>, read just before its monitors.</summary>
        public List<long> Versions { get; } = [];

        /// <summary>Returns the id of the pass that observes <paramref name="instrument"/>, starting a new pass when needed.</summary>
        public long Enter(int instrument)
        {
            int word = instrument >> 6;
            ulong bit = 1UL << (instrument & 63);
            if (word >= _observed.Length)
            {
                Array.Resize(ref _observed, word + 1);
            }

            long now = Stopwatch.GetTimestamp();
            if (_id == 0 || (_observed[word] & bit) != 0 || now - _started > MaxAge)
            {
                _id = Interlocked.Increment(ref s_passes);
                _started = now;
                (_lastPass, _observed) = (_observed, _lastPass);
                if (_observed.Length < _lastPass.Length)
                {
                    _observed = new ulong[_lastPass.Length];
                }

                Array.Clear(_observed);
                _preparing.Clear();
            }

            _observed[word] |= bit;
            return _id;
        }

        /// <summary>Returns whether <paramref name="instrument"/> was observed in this thread's last pass.</summary>
        public bool CollectedLastPass(int instrument)
        {
            int word = instrument >> 6;
            return word < _lastPass.Length && (_lastPass[word] & (1UL << (instrument & 63))) != 0;
        }

        /// <summary>Returns true the first time <paramref name="publisher"/> prepares pass <paramref name="id"/> on this thread.</summary>
        public bool StartPreparing(MeterPublisher publisher, long id)
        {
            foreach ((MeterPublisher prepared, long pass) in _preparing)
            {
                if (ReferenceEquals(prepared, publisher) && pass == id)
                {
                    return false;
                }
            }

            _preparing.Add((publisher, id));
            return true;
        }
    }
}
