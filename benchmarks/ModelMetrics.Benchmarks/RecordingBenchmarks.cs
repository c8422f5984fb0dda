// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using ModelMetrics.Recording;

namespace ModelMetrics.Benchmarks;

/// <summary>
/// The cost of recording one call on one thread, piece by piece: what the decorator adds to a model call,
/// and what it is built from. The recording cost is <see cref="Decorator_Predict"/> minus
/// <see cref="Undecorated_Predict"/> (or minus <see cref="RawModelCall"/>) minus <see cref="TwoTimestamps"/>.
/// There is no baseline: the raw call takes under a nanosecond, so ratios to it would say nothing; the
/// differences do.
/// </summary>
[MemoryDiagnoser]
public class RecordingBenchmarks
{
    private const int BatchSize = 32;

    private ModelMonitor _monitor = null!;
    private IPredictor<int, int> _undecorated = null!;
    private IPredictor<int, int> _decorated = null!;
    private IPredictor<int, int> _decoratedBatch = null!;
    private StripedHistogram _histogram = null!;
    private StripedHistogram _stripedOnly = null!;
    private StripedCells _stripedInFlight = null!;
    private int[] _batch = null!;
    private long _counter;
    private readonly int _input = 41;
    private readonly int _predicted = 1;
    private readonly int _actual = 2;

    [GlobalSetup]
    public void Setup()
    {
        _monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "bench-recording",
            ModelVersion = "1",
            ClassLabels = ["a", "b", "c"],
            MeterName = "ModelMetrics.Benchmarks.Recording",
        });
        _undecorated = Predictor.Create<int, int>(TrivialModel.Predict);
        _decorated = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder().UseMetrics(_monitor).Build();

        // The batch model returns a ready list, so that the benchmark measures the decorator, not the model's allocation.
        _batch = new int[BatchSize];
        IReadOnlyList<int> outputs = new int[BatchSize];
        _decoratedBatch = Predictor
            .CreateBatch<int, int>((inputs, _) => new ValueTask<IReadOnlyList<int>>(outputs))
            .AsBuilder()
            .UseMetrics(_monitor)
            .Build();
        _histogram = _monitor.Calls.Latency.Histogram;

        // The recording path before thread-owned cells (issue 11), kept here to compare within one run.
        _stripedOnly = new StripedHistogram(_histogram.Layout, new Rejections(), [.. _monitor.Calls.Latency.Boundaries.Select(StripedHistogram.ToBoundaryValue)]);
        _stripedInFlight = new StripedCells(1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _decorated.Dispose();
        _decoratedBatch.Dispose();
        _monitor.Dispose();
    }

    [Benchmark(Description = "raw model call")]
    public int RawModelCall() => TrivialModel.Predict(_input);

    [Benchmark(Description = "Predictor.Create(model).Predict, no decorator")]
    public int Undecorated_Predict() => _undecorated.Predict(_input);

    [Benchmark(Description = "2 x Stopwatch.GetTimestamp")]
    public long TwoTimestamps() => Stopwatch.GetTimestamp() + Stopwatch.GetTimestamp();

    [Benchmark(Description = "Interlocked.Increment, uncontended")]
    public long InterlockedIncrement() => Interlocked.Increment(ref _counter);

    [Benchmark(Description = "MetricsPredictor.Predict")]
    public int Decorator_Predict() => _decorated.Predict(_input);

    [Benchmark(Description = "MetricsPredictor.PredictAsync, completes synchronously")]
    public int Decorator_PredictAsync()
    {
        ValueTask<int> pending = _decorated.PredictAsync(_input);
        return pending.IsCompletedSuccessfully ? pending.Result : throw new InvalidOperationException("The call should have completed synchronously.");
    }

    [Benchmark(Description = "MetricsPredictor.PredictBatchAsync, 32 items")]
    public int Decorator_PredictBatchAsync()
    {
        ValueTask<IReadOnlyList<int>> pending = _decoratedBatch.PredictBatchAsync(_batch);
        return pending.IsCompletedSuccessfully ? pending.Result.Count : throw new InvalidOperationException("The call should have completed synchronously.");
    }

    [Benchmark(Description = "monitor.StartCall + EndCall")]
    public void StartCall_EndCall()
    {
        long start = _monitor.StartCall();
        _monitor.EndCall(start);
    }

    /// <summary>What <see cref="StartCall_EndCall"/> did before issue 11: three interlocked operations on striped cells.</summary>
    [Benchmark(Description = "before: in flight +1, striped bucket +1, in flight -1 (interlocked)")]
    public void Striped_StartCall_EndCall()
    {
        _stripedInFlight.Increment(0);
        long start = Stopwatch.GetTimestamp();
        _stripedOnly.Record(Stopwatch.GetTimestamp() - start);
        _stripedInFlight.Add(0, -1);
    }

    [Benchmark(Description = "StripedHistogram.Record (internal)")]
    public void StripedHistogram_Record() => _histogram.Record(12_345);

    [Benchmark(Description = "monitor.RecordGroundTruth(int, int)")]
    public void RecordGroundTruth() => _monitor.RecordGroundTruth(_predicted, _actual);
}
