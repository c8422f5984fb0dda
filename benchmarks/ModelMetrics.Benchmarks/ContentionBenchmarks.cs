// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading;
using BenchmarkDotNet.Attributes;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Prometheus;

namespace ModelMetrics.Benchmarks;

/// <summary>
/// Many threads recording into one shared monitor (one model served by a whole service) against the
/// OpenTelemetry-instrument decorator, prometheus-net's bound children and HdrHistogram.NET's
/// <c>LongConcurrentHistogram</c> in the same setup (the decorators of <see cref="PeerBenchmarks"/>). Each invocation makes <see cref="TotalCalls"/>
/// calls split evenly over <see cref="Threads"/> threads that start together, so the reported time per
/// operation is the inverse of the throughput of all threads together: perfect scaling halves it
/// from 1 to 2 threads.
/// </summary>
[MemoryDiagnoser]
public class ContentionBenchmarks
{
    private const int TotalCalls = 200_000;
    private const string MeterName = "ModelMetrics.Benchmarks.Contention";

    private readonly List<Metric> _exported = [];
    private Meter _meter = null!;
    private MeterProvider _provider = null!;
    private ModelMonitor _monitor = null!;
    private IPredictor<int, int> _modelMetrics = null!;
    private IPredictor<int, int> _openTelemetry = null!;
    private IPredictor<int, int> _prometheus = null!;
    private IPredictor<int, int> _hdrHistogram = null!;
    private Thread[] _workers = null!;
    private Barrier _barrier = null!;
    private Action<int> _startEndCalls = null!;
    private Action<int> _decoratedCalls = null!;
    private Action<int> _openTelemetryCalls = null!;
    private Action<int> _prometheusCalls = null!;
    private Action<int> _hdrHistogramCalls = null!;
    private Action<int> _timestampsOnly = null!;
    private volatile Action<int>? _work;
    private long _sink;

    /// <summary>Gets the thread counts to run: 1, 2 and one per processor.</summary>
    public static IEnumerable<int> ThreadCounts => new[] { 1, 2, Environment.ProcessorCount }.Distinct().Order();

    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _meter = new Meter(MeterName);
        _provider = Sdk.CreateMeterProviderBuilder().AddMeter(MeterName).AddInMemoryExporter(_exported).Build();
        _monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "bench-contention", ModelVersion = "1" });
        _modelMetrics = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder().UseMetrics(_monitor).Build();
        _openTelemetry = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder()
            .Use(inner => new OpenTelemetryInstrumentPredictor<int, int>(inner, _meter, "bench-contention", "1"))
            .Build();
        _prometheus = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder()
            .Use(inner => new PrometheusPredictor<int, int>(inner, Metrics.WithCustomRegistry(Metrics.NewCustomRegistry()), "bench-contention", "1", bindLabelsOnce: true))
            .Build();
        _hdrHistogram = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder()
            .Use(inner => new HdrHistogramPredictor<int, int>(inner, HdrHistogramPeer.NewConcurrentHistogram()))
            .Build();
        _startEndCalls = StartEndCalls;
        _decoratedCalls = DecoratedCalls;
        _openTelemetryCalls = OpenTelemetryCalls;
        _prometheusCalls = PrometheusCalls;
        _hdrHistogramCalls = HdrHistogramCalls;
        _timestampsOnly = TimestampsOnly;

        // Threads live across invocations, so an invocation measures calls, not thread start-up. The barrier
        // has one more participant (the benchmark thread): its phases alternate "go" and "done".
        _barrier = new Barrier(Threads + 1);
        _workers = new Thread[Threads];
        for (int t = 0; t < Threads; t++)
        {
            int calls = (TotalCalls / Threads) + (t < TotalCalls % Threads ? 1 : 0);
            _workers[t] = new Thread(() => RunWorker(calls)) { IsBackground = true, Name = $"bench worker {t}" };
            _workers[t].Start();
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _work = null;
        _barrier.SignalAndWait(); // "go" with no work: the workers exit
        foreach (Thread worker in _workers)
        {
            worker.Join();
        }

        _barrier.Dispose();
        _modelMetrics.Dispose();
        _openTelemetry.Dispose();
        _monitor.Dispose();
        _provider.Dispose();
        _meter.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = TotalCalls, Description = "monitor.StartCall + EndCall")]
    public void ModelMetrics_StartEndCall() => RunAll(_startEndCalls);

    [Benchmark(OperationsPerInvoke = TotalCalls, Description = "ModelMetrics decorator")]
    public void ModelMetrics_Decorator() => RunAll(_decoratedCalls);

    [Benchmark(OperationsPerInvoke = TotalCalls, Description = "OTel instruments, explicit buckets")]
    public void OpenTelemetry_Decorator() => RunAll(_openTelemetryCalls);

    [Benchmark(OperationsPerInvoke = TotalCalls, Description = "prometheus-net, bound children")]
    public void Prometheus_BoundChildren() => RunAll(_prometheusCalls);

    [Benchmark(OperationsPerInvoke = TotalCalls, Description = "HdrHistogram LongConcurrentHistogram")]
    public void HdrHistogram_LongConcurrentHistogram() => RunAll(_hdrHistogramCalls);

    /// <summary>
    /// The control: two timestamps per call and no shared state. It shows how far this machine itself lets
    /// threads scale (cores taken by other processes, a slow clock source), to compare the others with.
    /// </summary>
    [Benchmark(OperationsPerInvoke = TotalCalls, Description = "control: 2 x GetTimestamp, nothing shared")]
    public void Control_Timestamps() => RunAll(_timestampsOnly);

    private void TimestampsOnly(int calls)
    {
        long sum = 0;
        for (int i = 0; i < calls; i++)
        {
            sum += Stopwatch.GetTimestamp() - Stopwatch.GetTimestamp();
        }

        _sink = sum; // keeps the loop from being optimized away
    }

    private void RunAll(Action<int> work)
    {
        _work = work;
        _barrier.SignalAndWait(); // go
        _barrier.SignalAndWait(); // done
    }

    private void RunWorker(int calls)
    {
        while (true)
        {
            _barrier.SignalAndWait();
            Action<int>? work = _work;
            if (work is null)
            {
                return;
            }

            work(calls);
            _barrier.SignalAndWait();
        }
    }

    private void StartEndCalls(int calls)
    {
        ModelMonitor monitor = _monitor;
        for (int i = 0; i < calls; i++)
        {
            long start = monitor.StartCall();
            monitor.EndCall(start);
        }
    }

    private void DecoratedCalls(int calls)
    {
        IPredictor<int, int> predictor = _modelMetrics;
        for (int i = 0; i < calls; i++)
        {
            predictor.Predict(i);
        }
    }

    private void OpenTelemetryCalls(int calls)
    {
        IPredictor<int, int> predictor = _openTelemetry;
        for (int i = 0; i < calls; i++)
        {
            predictor.Predict(i);
        }
    }

    private void PrometheusCalls(int calls)
    {
        IPredictor<int, int> predictor = _prometheus;
        for (int i = 0; i < calls; i++)
        {
            predictor.Predict(i);
        }
    }

    private void HdrHistogramCalls(int calls)
    {
        IPredictor<int, int> predictor = _hdrHistogram;
        for (int i = 0; i < calls; i++)
        {
            predictor.Predict(i);
        }
    }
}
