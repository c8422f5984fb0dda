// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace ModelMetrics.Tests.OpenTelemetry;

public class AddModelMetricsTests
{
    [Test]
    public void AddModelMetrics_InMemoryExporter_ReceivesDocumentedInstruments()
    {
        var exported = new List<MetricSnapshot>();
        using MeterProvider provider = Sdk.CreateMeterProviderBuilder()
            .AddModelMetrics()
            .AddInMemoryExporter(exported)
            .Build();
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "otel-model", ModelVersion = "3", ClassLabels = ["legit", "fraud"], EnableNativeHistogram = true });
        using var predictor = Predictor.Create<double, bool>(score => score > 0.5 ? true : throw new ArgumentOutOfRangeException(nameof(score))).AsBuilder().UseMetrics(monitor).Build();

        for (int i = 0; i < 4; i++)
        {
            bool predicted = predictor.Predict(0.9);
            monitor.RecordGroundTruth(predicted, actual: i != 0);
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => predictor.Predict(0.1));

        provider.ForceFlush();

        Dictionary<string, MetricSnapshot> byName = exported.GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.Last());
        Assert.Multiple(() =>
        {
            Assert.That(byName.Keys, Is.SupersetOf(new[]
            {
                "model.inference.calls", "model.inference.items", "model.inference.active_calls",
                "model.inference.duration.quantile", "model.inference.duration.bucket", "model.inference.duration.sum",
                "model.inference.duration.count", "model.inference.duration", "model.classification.confusion",
                "model.classification.true_positives", "model.classification.false_positives", "model.classification.false_negatives",
                "model.classification.accuracy", "model.classification.precision", "model.classification.recall", "model.classification.f1",
                "model.classification.macro_precision", "model.classification.macro_recall", "model.classification.macro_f1",
            }));

            MetricSnapshot calls = byName["model.inference.calls"];
            Assert.That(calls.Unit, Is.EqualTo("{call}"));
            Assert.That(calls.MetricType, Is.EqualTo(MetricType.LongSum));
            Assert.That(Points(calls, "otel-model").Single(p => Tag(p, "error.type") is null).GetSumLong(), Is.EqualTo(4));
            Assert.That(Points(calls, "otel-model").Single(p => Tag(p, "error.type") is "System.ArgumentOutOfRangeException").GetSumLong(), Is.EqualTo(1));
            Assert.That(Points(calls, "otel-model").All(p => Tag(p, "model.version") is "3"), Is.True);

            MetricSnapshot accuracy = byName["model.classification.accuracy"];
            Assert.That(accuracy.MetricType, Is.EqualTo(MetricType.DoubleGauge));
            Assert.That(Points(accuracy, "otel-model").Select(p => Tag(p, "window")), Is.EquivalentTo(new[] { "60", "300", "3600" }), "one series per quality window");
            Assert.That(Points(accuracy, "otel-model").Select(p => p.GetGaugeLastValueDouble()), Is.All.EqualTo(0.75));

            MetricSnapshot truePositives = byName["model.classification.true_positives"];
            Assert.That(Points(truePositives, "otel-model").Single(p => Tag(p, "model.class") is "fraud").GetSumLong(), Is.EqualTo(3));
            Assert.That(Points(byName["model.classification.false_positives"], "otel-model").Single(p => Tag(p, "model.class") is "fraud").GetSumLong(), Is.EqualTo(1));

            MetricSnapshot count = byName["model.inference.duration.count"];
            Assert.That(Points(count, "otel-model").Single().GetSumLong(), Is.EqualTo(5));
            MetricSnapshot bucket = byName["model.inference.duration.bucket"];
            Assert.That(Points(bucket, "otel-model").Single(p => Tag(p, "le") is "+Inf").GetSumLong(), Is.EqualTo(5));

            // The optional native histogram gets the same boundaries as the published le counters.
            MetricSnapshot native = byName["model.inference.duration"];
            Assert.That(native.MetricType, Is.EqualTo(MetricType.Histogram));
            Assert.That(native.Unit, Is.EqualTo("s"));
            var bounds = new List<double>();
            foreach (HistogramBucket b in Points(native, "otel-model").First(p => Tag(p, "error.type") is null).GetHistogramBuckets())
            {
                bounds.Add(b.ExplicitBound);
            }

            Assert.That(bounds.Take(bounds.Count - 1), Is.EqualTo(ModelMonitorOptions.DefaultBucketBoundaries));
            Assert.That(Points(native, "otel-model").Sum(p => p.GetHistogramCount()), Is.EqualTo(5));
        });
    }

    [Test]
    public void AddModelMetrics_CustomMeterName_ExportsOnlyThatMeter()
    {
        var exported = new List<MetricSnapshot>();
        using MeterProvider provider = Sdk.CreateMeterProviderBuilder()
            .AddModelMetrics("Custom.ModelMetrics")
            .AddInMemoryExporter(exported)
            .Build();
        using var custom = new ModelMonitor(new ModelMonitorOptions { ModelName = "custom-meter", MeterName = "Custom.ModelMetrics" });
        using var other = new ModelMonitor(new ModelMonitorOptions { ModelName = "default-meter" });
        custom.RecordCall(0.01);
        other.RecordCall(0.01);

        provider.ForceFlush();

        MetricSnapshot calls = exported.Last(m => m.Name == "model.inference.calls");
        Assert.That(Points(calls, "custom-meter"), Has.Count.EqualTo(1));
        Assert.That(Points(calls, "default-meter"), Is.Empty);
    }

    [Test]
    public void NativeHistogram_PlainAddMeterWithoutTheView_GetsDefaultBoundariesFromAdvice()
    {
        // Without AddModelMetrics (no view) the SDK's own defaults (0, 5, 10, ... 10,000) would put every call of
        // a model into the first bucket; the instrument's advice carries the seconds-scale boundaries instead.
        var exported = new List<MetricSnapshot>();
        using MeterProvider provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter("Advice.ModelMetrics")
            .AddInMemoryExporter(exported)
            .Build();
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "advice", MeterName = "Advice.ModelMetrics", EnableNativeHistogram = true });
        monitor.RecordCall(0.003);
        monitor.RecordCall(0.2);

        provider.ForceFlush();

        MetricPoint point = Points(exported.Last(m => m.Name == "model.inference.duration"), "advice").Single();
        var buckets = new List<(double Bound, long Count)>();
        foreach (HistogramBucket b in point.GetHistogramBuckets())
        {
            buckets.Add((b.ExplicitBound, b.BucketCount));
        }

        Assert.Multiple(() =>
        {
            Assert.That(buckets.Select(b => b.Bound).SkipLast(1), Is.EqualTo(ModelMonitorOptions.DefaultBucketBoundaries));
            Assert.That(buckets.Single(b => b.Bound == 0.005).Count, Is.EqualTo(1), "3 ms falls in (0.0025, 0.005]");
            Assert.That(buckets.Single(b => b.Bound == 0.25).Count, Is.EqualTo(1), "200 ms falls in (0.1, 0.25]");
        });
    }

    [Test]
    public void AddModelMetrics_GenAIConventionHistograms_GetTheAdvisedBoundariesOnEveryTargetFramework()
    {
        var exported = new List<MetricSnapshot>();
        using MeterProvider provider = Sdk.CreateMeterProviderBuilder()
            .AddModelMetrics("GenAIViews.ModelMetrics")
            .AddInMemoryExporter(exported)
            .Build();
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "genai-views", MeterName = "GenAIViews.ModelMetrics", GenAI = new GenAIOptions { ProviderName = "test" } });
        GenAICall call = monitor.GenAI!.StartCall("m");
        call.Complete(new GenAIUsage(InputTokens: 100, OutputTokens: 3), GenAIFinishReason.Stop, "m");

        provider.ForceFlush();

        static List<double> Bounds(MetricSnapshot metric)
        {
            var bounds = new List<double>();
            foreach (HistogramBucket b in metric.MetricPoints[0].GetHistogramBuckets())
            {
                bounds.Add(b.ExplicitBound);
            }

            return bounds.SkipLast(1).ToList();
        }

        Assert.Multiple(() =>
        {
            Assert.That(Bounds(exported.Last(m => m.Name == "gen_ai.client.token.usage")), Is.EqualTo(new double[] { 1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864 }));
            Assert.That(Bounds(exported.Last(m => m.Name == "gen_ai.client.operation.duration")), Is.EqualTo(new[] { 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92 }));
        });
    }

    [Test]
    public void AddModelMetrics_NullBuilder_Throws() =>
        Assert.Throws<ArgumentNullException>(() => ModelMetricsMeterProviderBuilderExtensions.AddModelMetrics(null!));

    private static List<MetricPoint> Points(MetricSnapshot metric, string model) =>
        metric.MetricPoints.Where(p => Tag(p, "model.name") as string == model).ToList();

    private static object? Tag(MetricPoint point, string key)
    {
        foreach (KeyValuePair<string, object?> tag in point.Tags)
        {
            if (tag.Key == key)
            {
                return tag.Value;
            }
        }

        return null;
    }
}
