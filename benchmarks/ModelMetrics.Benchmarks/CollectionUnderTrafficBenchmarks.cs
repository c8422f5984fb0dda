// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics.Metrics;
using System.Threading;
using BenchmarkDotNet.Attributes;

namespace ModelMetrics.Benchmarks;

/// <summary>
/// A collection pass over one monitor while another thread records into it without pause, as in a busy service:
/// the monitor changes between every two instrument callbacks of the pass, so this shows whether a pass reads
/// the monitor once or once per instrument.
/// </summary>
[MemoryDiagnoser]
public class CollectionUnderTrafficBenchmarks
{
    private static int s_setups;

    private ModelMonitor _monitor = null!;
    private MeterListener _listener = null!;
    private Thread _writer = null!;
    private volatile bool _stop;
    private double _sink;

    [GlobalSetup]
    public void Setup()
    {
        string meterName = $"ModelMetrics.Benchmarks.CollectionUnderTraffic.{Interlocked.Increment(ref s_setups)}";
        _monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "busy", ModelVersion = "1", ClassLabels = ["setosa", "versicolor", "virginica"], MeterName = meterName });
        _listener = CollectionBenchmarks.StartListener(meterName, value => _sink += value);

        _stop = false;
        _writer = new Thread(() =>
        {
            var random = new Random(7);
            while (!_stop)
            {
                _monitor.RecordCall(1e-5 * Math.Pow(10, 4 * random.NextDouble()));
                int actual = random.Next(3);
                _monitor.RecordGroundTruth(random.NextDouble() < 0.9 ? actual : random.Next(3), actual);
            }
        })
        { IsBackground = true };
        _writer.Start();
        Thread.Sleep(100);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop = true;
        _writer.Join();
        _listener.Dispose();
        _monitor.Dispose();
    }

    [Benchmark(Description = "MeterListener collection pass, monitor recorded into meanwhile")]
    public double Collect()
    {
        _listener.RecordObservableInstruments();
        return _sink;
    }
}
