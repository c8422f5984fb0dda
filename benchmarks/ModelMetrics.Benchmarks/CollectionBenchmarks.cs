// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics.Metrics;
using System.Threading;
using BenchmarkDotNet.Attributes;

namespace ModelMetrics.Benchmarks;

/// <summary>
/// The cost on the reading side, paid once per collection (every 10 to 60 s in a service), never per call:
/// one snapshot, and one pass of a <see cref="MeterListener"/> over every published instrument, as an
/// OpenTelemetry reader or dotnet-counters makes.
/// </summary>
[MemoryDiagnoser]
public class CollectionBenchmarks
{
    private const int RecordedCalls = 100_000;
    private static int s_setups;

    private ModelMonitor[] _monitors = null!;
    private MeterListener _listener = null!;
    private string _meterName = null!;
    private double _sink;

    [Params(1, 100)]
    public int Monitors { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // A meter of its own per setup, so that monitors of other benchmarks in the same process are not collected.
        _meterName = $"ModelMetrics.Benchmarks.Collection.{Interlocked.Increment(ref s_setups)}";
        _monitors = CreateMonitors(Monitors, _meterName, RecordedCalls);

        _listener = StartListener(_meterName, value => _sink += value);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener.Dispose();
        foreach (ModelMonitor monitor in _monitors)
        {
            monitor.Dispose();
        }
    }

    /// <summary>One <see cref="ModelMonitor.GetSnapshot"/> of the first monitor (the same for both parameter values).</summary>
    [Benchmark(Description = "GetSnapshot, 1 monitor")]
    public ModelMonitorSnapshot GetSnapshot() => _monitors[0].GetSnapshot();

    /// <summary>
    /// One collection pass over all instruments of all monitors. One call is recorded into each monitor
    /// first: a monitor that changed since the last pass is read again, as in a real collection (an unchanged
    /// one would be served from its cached snapshot).
    /// </summary>
    [Benchmark(Description = "MeterListener collection pass")]
    public double Collect()
    {
        foreach (ModelMonitor monitor in _monitors)
        {
            monitor.RecordCall(0.001);
        }

        _listener.RecordObservableInstruments();
        return _sink;
    }

    /// <summary>
    /// Starts a listener on every instrument of <paramref name="meterName"/>, as an OpenTelemetry reader or
    /// dotnet-counters does, handing each measurement to <paramref name="onMeasurement"/>.
    /// </summary>
    /// <summary>
    /// Creates classifier monitors on one meter, each holding <paramref name="recordedCalls"/> calls: durations from 10 µs to
    /// about 100 ms (log-uniform), a few failures, ground truth for every call (90 % right); a fixed seed.
    /// </summary>
    internal static ModelMonitor[] CreateMonitors(int count, string meterName, int recordedCalls)
    {
        var monitors = new ModelMonitor[count];
        var random = new Random(7);
        for (int m = 0; m < count; m++)
        {
            var monitor = new ModelMonitor(new ModelMonitorOptions
            {
                ModelName = $"model-{m}",
                ModelVersion = "1",
                ClassLabels = ["setosa", "versicolor", "virginica"],
                MeterName = meterName,
            });
            for (int i = 0; i < recordedCalls; i++)
            {
                double seconds = 1e-5 * Math.Pow(10, 4 * random.NextDouble());
                monitor.RecordCall(seconds, i % 100 == 0 ? new InvalidOperationException() : null);
                int actual = random.Next(3);
                monitor.RecordGroundTruth(random.NextDouble() < 0.9 ? actual : random.Next(3), actual);
            }

            monitors[m] = monitor;
        }

        return monitors;
    }

    internal static MeterListener StartListener(string meterName, Action<double> onMeasurement)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, self) =>
            {
                if (instrument.Meter.Name == meterName)
                {
                    self.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => onMeasurement(value));
        listener.SetMeasurementEventCallback<double>((_, value, _, _) => onMeasurement(value));
        listener.Start();
        return listener;
    }
}

/// <summary>
/// A collection pass over a fleet: 1,000 monitors (10^4 calls with ground truth each), all busy (one call recorded
/// into every monitor before each pass, so every one is read again) or all idle (nothing recorded between passes).
/// Issue 11's goals: ≤ 20 ms and ≤ 64 KiB allocated per busy pass, ≤ 2 ms per idle pass.
/// </summary>
[MemoryDiagnoser]
public class FleetCollectionBenchmarks
{
    private const int Monitors = 1000;
    private const int RecordedCalls = 10_000;
    private static int s_setups;

    private ModelMonitor[] _monitors = null!;
    private MeterListener _listener = null!;
    private double _sink;

    /// <summary>Gets or sets a value indicating whether one call is recorded into every monitor before each pass.</summary>
    [Params(true, false)]
    public bool Busy { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string meterName = $"ModelMetrics.Benchmarks.FleetCollection.{Interlocked.Increment(ref s_setups)}";
        _monitors = CollectionBenchmarks.CreateMonitors(Monitors, meterName, RecordedCalls);

        _listener = CollectionBenchmarks.StartListener(meterName, value => _sink += value);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener.Dispose();
        foreach (ModelMonitor monitor in _monitors)
        {
            monitor.Dispose();
        }
    }

    [Benchmark(Description = "MeterListener pass over 1,000 monitors")]
    public double Collect()
    {
        if (Busy)
        {
            foreach (ModelMonitor monitor in _monitors)
            {
                monitor.RecordCall(0.001);
            }
        }

        _listener.RecordObservableInstruments();
        return _sink;
    }
}
