// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using HdrHistogram;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Prometheus;

namespace ModelMetrics.Benchmarks;

/// <summary>
/// ModelMetrics side by side with the usual alternatives, each a decorator configured as its users
/// configure it, all in one run so that the ratios come from one table:
/// <list type="bullet">
/// <item>a decorator that records into a <see cref="Histogram{T}"/> and a <see cref="Counter{T}"/> which the
/// OpenTelemetry SDK aggregates, with the SDK's default explicit-bucket histogram and with a base-2
/// exponential one. Every meter here has an OpenTelemetry <see cref="MeterProvider"/> listening (exporting
/// to memory once a minute, the SDK's default period), so every instrument is enabled and does its full work;</item>
/// <item>prometheus-net: a histogram and an outcome counter in a registry of their own, with the children
/// bound once and with the labels looked up on every call (<see cref="PrometheusPredictor{TInput, TOutput}"/>);</item>
/// <item>HdrHistogram.NET: one <c>RecordValue</c> per call into a <see cref="LongConcurrentHistogram"/> and into
/// a <see cref="Recorder"/> (<see cref="HdrHistogramPredictor{TInput, TOutput}"/>).</item>
/// </list>
/// Every decorator reads the clock twice and calls the model once, so a row minus the timestamp row (and the
/// raw call) is what its recording costs.
/// </summary>
[MemoryDiagnoser]
public class PeerBenchmarks
{
    private const string ExplicitMeterName = "ModelMetrics.Benchmarks.Peer.Explicit";
    private const string ExponentialMeterName = "ModelMetrics.Benchmarks.Peer.Exponential";
    private const string NativeMeterName = "ModelMetrics.Benchmarks.Peer.Native";

    private readonly List<Metric> _exported = [];
    private readonly int _input = 41;
    private Meter _explicitMeter = null!;
    private Meter _exponentialMeter = null!;
    private MeterProvider _provider = null!;
    private ModelMonitor _monitor = null!;
    private ModelMonitor _nativeMonitor = null!;
    private IPredictor<int, int> _modelMetrics = null!;
    private IPredictor<int, int> _modelMetricsNative = null!;
    private IPredictor<int, int> _explicitBuckets = null!;
    private IPredictor<int, int> _exponentialBuckets = null!;
    private IPredictor<int, int> _prometheusBound = null!;
    private IPredictor<int, int> _prometheusPerCallLabels = null!;
    private IPredictor<int, int> _hdrConcurrentHistogram = null!;
    private IPredictor<int, int> _hdrRecorder = null!;

    [GlobalSetup]
    public void Setup()
    {
        _explicitMeter = new Meter(ExplicitMeterName);
        _exponentialMeter = new Meter(ExponentialMeterName);
        _provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(ExplicitMeterName, ExponentialMeterName)
            .AddView(instrument => instrument.Meter.Name == ExponentialMeterName && instrument.Name == "model.inference.duration"
                ? new Base2ExponentialBucketHistogramConfiguration()
                : null)
            .AddModelMetrics(NativeMeterName)
            .AddInMemoryExporter(_exported)
            .Build();

        _monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "bench-peer", ModelVersion = "1" });
        _modelMetrics = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder().UseMetrics(_monitor).Build();

        // The same decorator with the optional native histogram on, which the provider aggregates too.
        _nativeMonitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "bench-peer",
            ModelVersion = "1",
            MeterName = NativeMeterName,
            EnableNativeHistogram = true,
        });
        _modelMetricsNative = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder().UseMetrics(_nativeMonitor).Build();

        _explicitBuckets = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder()
            .Use(inner => new OpenTelemetryInstrumentPredictor<int, int>(inner, _explicitMeter, "bench-peer", "1"))
            .Build();
        _exponentialBuckets = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder()
            .Use(inner => new OpenTelemetryInstrumentPredictor<int, int>(inner, _exponentialMeter, "bench-peer", "1"))
            .Build();

        // A registry each, as an application with its own /metrics endpoint would have; nothing collects them here.
        _prometheusBound = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder()
            .Use(inner => new PrometheusPredictor<int, int>(inner, Metrics.WithCustomRegistry(Metrics.NewCustomRegistry()), "bench-peer", "1", bindLabelsOnce: true))
            .Build();
        _prometheusPerCallLabels = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder()
            .Use(inner => new PrometheusPredictor<int, int>(inner, Metrics.WithCustomRegistry(Metrics.NewCustomRegistry()), "bench-peer", "1", bindLabelsOnce: false))
            .Build();

        _hdrConcurrentHistogram = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder()
            .Use(inner => new HdrHistogramPredictor<int, int>(inner, HdrHistogramPeer.NewConcurrentHistogram()))
            .Build();
        _hdrRecorder = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder()
            .Use(inner => new HdrHistogramPredictor<int, int>(inner, HdrHistogramPeer.NewRecorder()))
            .Build();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _modelMetrics.Dispose();
        _modelMetricsNative.Dispose();
        _monitor.Dispose();
        _nativeMonitor.Dispose();
        _provider.Dispose();
        _explicitMeter.Dispose();
        _exponentialMeter.Dispose();
    }

    [Benchmark(Description = "raw model call")]
    public int RawModelCall() => TrivialModel.Predict(_input);

    /// <summary>The clock reads every decorator here makes; subtract it (and the raw call) to compare the recording alone.</summary>
    [Benchmark(Description = "2 x Stopwatch.GetTimestamp")]
    public long TwoTimestamps() => Stopwatch.GetTimestamp() + Stopwatch.GetTimestamp();

    [Benchmark(Baseline = true, Description = "ModelMetrics decorator")]
    public int ModelMetrics() => _modelMetrics.Predict(_input);

    [Benchmark(Description = "ModelMetrics decorator + native histogram")]
    public int ModelMetrics_NativeHistogram() => _modelMetricsNative.Predict(_input);

    [Benchmark(Description = "OTel instruments, explicit buckets")]
    public int OpenTelemetry_ExplicitBuckets() => _explicitBuckets.Predict(_input);

    [Benchmark(Description = "OTel instruments, exponential")]
    public int OpenTelemetry_ExponentialBuckets() => _exponentialBuckets.Predict(_input);

    [Benchmark(Description = "prometheus-net, bound children")]
    public int Prometheus_BoundChildren() => _prometheusBound.Predict(_input);

    [Benchmark(Description = "prometheus-net, WithLabels per call")]
    public int Prometheus_WithLabelsPerCall() => _prometheusPerCallLabels.Predict(_input);

    [Benchmark(Description = "HdrHistogram LongConcurrentHistogram")]
    public int HdrHistogram_LongConcurrentHistogram() => _hdrConcurrentHistogram.Predict(_input);

    [Benchmark(Description = "HdrHistogram Recorder")]
    public int HdrHistogram_Recorder() => _hdrRecorder.Predict(_input);
}
