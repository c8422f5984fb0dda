// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics.Metrics;
using System.Threading;
using BenchmarkDotNet.Attributes;

namespace ModelMetrics.Benchmarks;

/// <summary>
/// What resources cost on the reading side: one collection pass over a monitor's instruments with and without a
/// <see cref="ResourceMonitor"/> on the same meter (its reading cached for a second, as by default), and one
/// uncached reading.
/// </summary>
[MemoryDiagnoser]
public class ResourceCollectionBenchmarks
{
    private static int s_setups;

    private ModelMonitor _monitor = null!;
    private ResourceMonitor? _resources;
    private ResourceMonitor _uncached = null!;
    private MeterListener _listener = null!;
    private double _sink;

    [Params(false, true)]
    public bool Resources { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        string meter = $"ModelMetrics.Benchmarks.Resources.{Interlocked.Increment(ref s_setups)}";
        _monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "bench-resources", ClassLabels = ["a", "b", "c"], MeterName = meter });
        for (int i = 0; i < 10_000; i++)
        {
            _monitor.RecordCall(1e-4 * (1 + (i % 100)));
            _monitor.RecordGroundTruth(i % 3, (i / 3) % 3);
        }

        _resources = Resources ? new ResourceMonitor(new ResourceMonitorOptions { MeterName = meter }) : null;
        _uncached = new ResourceMonitor(new ResourceMonitorOptions { MeterName = meter + ".uncached", Interval = TimeSpan.Zero });
        _listener = CollectionBenchmarks.StartListener(meter, value => _sink += value);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _listener.Dispose();
        _resources?.Dispose();
        _uncached.Dispose();
        _monitor.Dispose();
    }

    /// <summary>One collection pass (the model monitor changed since the last, so it is read again).</summary>
    [Benchmark(Description = "MeterListener collection pass, 1 model monitor")]
    public double Collect()
    {
        _monitor.RecordCall(0.001);
        _listener.RecordObservableInstruments();
        return _sink;
    }

    /// <summary>A reading that is never cached: what the first collection of each interval pays.</summary>
    [Benchmark(Description = "ResourceMonitor.GetSnapshot, uncached")]
    public ResourceSnapshot Read() => _uncached.GetSnapshot();
}

/// <summary>
/// What sampling the thread CPU time of one call in N costs per call, side by side with sampling off (the baseline),
/// on the decorator path.
/// </summary>
[MemoryDiagnoser]
public class CpuTimeSamplingBenchmarks
{
    private ModelMonitor _off = null!;
    private ModelMonitor _every100 = null!;
    private ModelMonitor _everyCall = null!;
    private IPredictor<int, int> _predictOff = null!;
    private IPredictor<int, int> _predict100 = null!;
    private IPredictor<int, int> _predictEveryCall = null!;
    private readonly int _input = 41;

    [GlobalSetup]
    public void Setup()
    {
        _off = new ModelMonitor(new ModelMonitorOptions { ModelName = "bench-cpu-off", MeterName = "ModelMetrics.Benchmarks.CpuTime" });
        _every100 = new ModelMonitor(new ModelMonitorOptions { ModelName = "bench-cpu-100", MeterName = "ModelMetrics.Benchmarks.CpuTime", CpuTimeSampling = 100 });
        _everyCall = new ModelMonitor(new ModelMonitorOptions { ModelName = "bench-cpu-1", MeterName = "ModelMetrics.Benchmarks.CpuTime", CpuTimeSampling = 1 });
        _predictOff = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder().UseMetrics(_off).Build();
        _predict100 = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder().UseMetrics(_every100).Build();
        _predictEveryCall = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder().UseMetrics(_everyCall).Build();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _predictOff.Dispose();
        _predict100.Dispose();
        _predictEveryCall.Dispose();
        _off.Dispose();
        _every100.Dispose();
        _everyCall.Dispose();
    }

    [Benchmark(Baseline = true, Description = "decorator, CPU sampling off")]
    public int Off() => _predictOff.Predict(_input);

    [Benchmark(Description = "decorator, CPU sampling 1 in 100")]
    public int Every100() => _predict100.Predict(_input);

    [Benchmark(Description = "decorator, CPU sampling every call")]
    public int EveryCall() => _predictEveryCall.Predict(_input);
}
