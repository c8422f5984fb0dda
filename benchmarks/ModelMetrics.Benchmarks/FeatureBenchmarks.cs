// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Linq;
using BenchmarkDotNet.Attributes;

namespace ModelMetrics.Benchmarks;

/// <summary>
/// The cost of recording an input's features (issue: ≤ 100 ns for 20 numeric features beyond the extractor, 0 B):
/// one monitor, a call recorded without features (the baseline), the same call with 20 numeric features recorded
/// directly, with 20 categorical ones, and the decorator with a feature extractor against the decorator without; and
/// what reading such a monitor costs (a snapshot with drift for every feature and window).
/// </summary>
[MemoryDiagnoser]
public class FeatureBenchmarks
{
    private const int Features = 20;

    private ModelMonitor _monitor = null!;
    private ModelMonitor _categorical = null!;
    private IPredictor<int, int> _decorated = null!;
    private IPredictor<int, int> _extracting = null!;
    private double[] _values = null!;
    private double[] _categories = null!;

    [GlobalSetup]
    public void Setup()
    {
        _monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "bench-features",
            MeterName = "ModelMetrics.Benchmarks.Features",
            Features = [.. Enumerable.Range(0, Features).Select(f => FeatureDefinition.Numeric($"f{f}"))],
        });
        _categorical = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "bench-features-categorical",
            MeterName = "ModelMetrics.Benchmarks.Features",
            Features = [.. Enumerable.Range(0, Features).Select(f => FeatureDefinition.Categorical($"c{f}", ["a", "b", "c", "d"]))],
        });

        // A reference of 10,000 rows spread over a few hundred buckets per feature, for the reading benchmark.
        var random = new Random(17);
        _monitor.Features!.SetReference(Enumerable.Range(0, 10_000).Select(_ => Enumerable.Range(0, Features).Select(f => (f + 1) * (random.NextDouble() - 0.3) * 10).ToArray()));
        for (int i = 0; i < 10_000; i++)
        {
            _monitor.RecordFeatures([.. Enumerable.Range(0, Features).Select(f => (f + 1) * (random.NextDouble() - 0.2) * 10)]);
        }

        // Values of several magnitudes and both signs, so that features land in different buckets.
        _values = [.. Enumerable.Range(0, Features).Select(f => (f % 2 == 0 ? 1 : -1) * (f + 1) * 3.7)];
        _categories = [.. Enumerable.Range(0, Features).Select(f => (double)(f % 4))];
        _decorated = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder().UseMetrics(_monitor).Build();
        double[] values = _values;
        _extracting = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder()
            .UseMetrics(_monitor, (int input, Span<double> features) => values.CopyTo(features))
            .Build();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _decorated.Dispose();
        _extracting.Dispose();
        _monitor.Dispose();
        _categorical.Dispose();
    }

    [Benchmark(Baseline = true, Description = "StartCall + EndCall, no features")]
    public void CallWithoutFeatures() => _monitor.EndCall(_monitor.StartCall());

    [Benchmark(Description = "StartCall + EndCall + RecordFeatures(20 numeric)")]
    public void CallWithNumericFeatures()
    {
        _monitor.RecordFeatures(_values);
        _monitor.EndCall(_monitor.StartCall());
    }

    [Benchmark(Description = "StartCall + EndCall + RecordFeatures(20 categorical)")]
    public void CallWithCategoricalFeatures()
    {
        _categorical.RecordFeatures(_categories);
        _categorical.EndCall(_categorical.StartCall());
    }

    [Benchmark(Description = "GetSnapshot: 20 numeric features, a reference, 3 windows (not a recording: its ratio says nothing)")]
    public ModelMonitorSnapshot Snapshot() => _monitor.GetSnapshot();

    [Benchmark(Description = "MetricsPredictor.Predict, no extractor")]
    public int DecoratorWithoutExtractor() => _decorated.Predict(41);

    [Benchmark(Description = "MetricsPredictor.Predict, extractor copying 20 values")]
    public int DecoratorWithExtractor() => _extracting.Predict(41);
}
