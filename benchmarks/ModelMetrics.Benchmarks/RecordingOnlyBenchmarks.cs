// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using BenchmarkDotNet.Attributes;
using ModelMetrics.Recording;
using ModelMetrics.Signals;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Prometheus;

namespace ModelMetrics.Benchmarks;

/// <summary>
/// The recording alone, one successful call of a fixed duration on one thread, without the two clock reads and the
/// model: what each library does between them. Measured directly rather than as "decorator − timestamps", because
/// on this VM one clock read (~27 ns, kvm-clock) and its noise are larger than the recording itself. Each row records
/// what its decorator in <see cref="PeerBenchmarks"/> records for a call.
/// </summary>
[MemoryDiagnoser]
public class RecordingOnlyBenchmarks
{
    private const string MeterName = "ModelMetrics.Benchmarks.RecordingOnly";

    // 1.2345 ms: a duration in the middle of the default buckets.
    private static readonly long DurationTicks = (long)(0.0012345 * Stopwatch.Frequency);
    private static readonly double DurationSeconds = DurationTicks / (double)Stopwatch.Frequency;

    private readonly List<Metric> _exported = [];
    private ModelMonitor _monitor = null!;
    private CallsSignal _calls = null!;
    private StripedHistogram _stripedOnly = null!;
    private StripedCells _stripedInFlight = null!;
    private Meter _meter = null!;
    private MeterProvider _provider = null!;
    private Histogram<double> _otelDuration = null!;
    private Counter<long> _otelCalls = null!;
    private Prometheus.Histogram.Child _promDuration = null!;
    private Prometheus.Counter.Child _promCalls = null!;

    [GlobalSetup]
    public void Setup()
    {
        _monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "bench-recording-only", ModelVersion = "1", MeterName = MeterName + ".Monitor" });
        _calls = _monitor.Calls;

        // The path StartCall + EndCall took before issue 11: in flight +1, the bucket, in flight −1, all interlocked.
        StripedHistogram histogram = _calls.Latency.Histogram;
        _stripedOnly = new StripedHistogram(histogram.Layout, new Rejections(), [.. _calls.Latency.Boundaries.Select(StripedHistogram.ToBoundaryValue)]);
        _stripedInFlight = new StripedCells(1);

        // OpenTelemetryInstrumentPredictor's instruments, aggregated by the SDK (explicit buckets).
        _meter = new Meter(MeterName);
        _provider = Sdk.CreateMeterProviderBuilder().AddMeter(MeterName).AddInMemoryExporter(_exported).Build();
        _otelDuration = _meter.CreateHistogram<double>("model.inference.duration", "s");
        _otelCalls = _meter.CreateCounter<long>("model.inference.calls");

        // PrometheusPredictor's children, bound once.
        MetricFactory prometheus = Metrics.WithCustomRegistry(Metrics.NewCustomRegistry());
        _promDuration = prometheus.CreateHistogram(
            "model_inference_duration_seconds",
            "Duration of model inference calls.",
            ["model_name", "model_version"],
            new Prometheus.HistogramConfiguration { Buckets = [.. ModelMonitorOptions.DefaultBucketBoundaries] }).WithLabels("bench-recording-only", "1");
        _promCalls = prometheus.CreateCounter("model_inference_calls_total", "Completed inference calls.", ["model_name", "model_version", "outcome"])
            .WithLabels("bench-recording-only", "1", "success");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _monitor.Dispose();
        _provider.Dispose();
        _meter.Dispose();
    }

    [Benchmark(Baseline = true, Description = "ModelMetrics: StartCall + EndCall minus the clock (thread-owned cells)")]
    public void ModelMetrics_Recording()
    {
        _calls.CountStarted();
        _calls.RecordEnded(DurationTicks);
    }

    [Benchmark(Description = "ModelMetrics before issue 11: in flight +1, striped bucket +1, in flight -1 (interlocked)")]
    public void Striped_Recording()
    {
        _stripedInFlight.Increment(0);
        _stripedOnly.Record(DurationTicks);
        _stripedInFlight.Add(0, -1);
    }

    [Benchmark(Description = "prometheus-net, bound children: Observe + Inc")]
    public void Prometheus_Recording()
    {
        _promDuration.Observe(DurationSeconds);
        _promCalls.Inc();
    }

    [Benchmark(Description = "OTel Histogram<double>.Record + Counter<long>.Add, SDK listening")]
    public void OpenTelemetry_Recording()
    {
        var tags = new TagList
        {
            { "model.name", "bench-recording-only" },
            { "model.version", "1" },
        };
        _otelDuration.Record(DurationSeconds, tags);
        _otelCalls.Add(1, tags);
    }
}
