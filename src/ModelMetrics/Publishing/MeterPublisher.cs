// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
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
internal sealed class MeterPublisher
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
    /// Wraps an instrument's observation of one monitor into a callback over every monitor of this meter that has
    /// the signal, and gives the instrument its number: a monitor reads one snapshot per collection pass, and the
    /// collecting thread's pass ends when an instrument asks again (see <see cref="PublishingPass"/>).
    /// </summary>
    private Func<IEnumerable<Measurement<T>>> Numbered<TSignal, T>(Action<TSignal, ModelMonitorSnapshot, List<Measurement<T>>> observe)
        where TSignal : Signal
        where T : struct
    {
        int instrument = Interlocked.Increment(ref s_instruments);
        SignalInstruments family = _creating ?? throw new InvalidOperationException("Signal instruments are created by MeterPublisher.Join or Adopt.");

        // Note: a listener enumerates what a callback returns before it calls any other callback on that thread
        // (MeterListener.RecordObservableInstruments, which the OpenTelemetry SDK and dotnet-counters use), so one list
        // per instrument and collecting thread is free again when the callback next runs there: a pass over a fleet of
        // monitors allocates no measurement lists once they have grown (they were most of an idle pass's garbage).
        var lists = new ThreadLocal<List<Measurement<T>>>(static () => []);
        return () =>
        {
            long pass = (t_pass ??= new PublishingPass()).Enter(instrument);
            List<Measurement<T>> list = lists.Value!;
            list.Clear();
            foreach (ModelMonitorRegistry registry in Volatile.Read(ref _registries))
            {
                foreach (ModelMonitor monitor in registry.Live)
                {
                    if (ReferenceEquals(monitor.Publisher, this) && monitor.FindSignal(family) is { } signal)
                    {
                        // Note: no cast check: a family's instruments observe the one signal type that declares them.
                        observe(Unsafe.As<TSignal>(signal), monitor.ReadForPublishing(pass), list);
                    }
                }
            }

            return list;
        };
    }

    /// <summary>
    /// One collecting thread's publishing pass: the instruments it observed, of any meter. A pass ends when an instrument
    /// is observed again (a listener's next collection) or when it is a second old (a pass that long reads again, so a
    /// listener collecting other instruments meanwhile sees data at most that old); the next instrument starts a new one.
    /// </summary>
    private sealed class PublishingPass
    {
        private static readonly long MaxAge = Stopwatch.Frequency;

        private ulong[] _observed = new ulong[1];
        private long _id;
        private long _started;

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
                Array.Clear(_observed);
            }

            _observed[word] |= bit;
            return _id;
        }
    }
}
