// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using NUnit.Framework;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using AggregationTemporality = ModelMetrics.IntegrationTests.Otlp.Protocol.AggregationTemporality;

namespace ModelMetrics.IntegrationTests.Otlp;

/// <summary>Known traffic, exported over both OTLP protocols, arrives with exact names, units, attributes and values.</summary>
[TestFixture]
public class OtlpExportValuesTests
{
    private const string Model = "otlp-values";
    private const int Timeouts = 30;
    private const int InvalidOperations = 20;

    private static readonly string[] Classes = ["cat", "dog", "bird"];

    /// <summary>Labelled predictions, <c>Matrix[actual][predicted]</c>.</summary>
    private static readonly long[][] Matrix = [[50, 5, 3], [4, 40, 6], [2, 3, 30]];

    /// <summary>
    /// 1,000 distinct durations in five groups, each well inside a gap between two default <c>le</c> boundaries:
    /// a boundary counts its whole HDR bucket (within 1%), so no boundary may come near a recorded value.
    /// Every published quantile's rank falls inside a group, so rank conventions cannot matter.
    /// </summary>
    private static readonly double[] Latencies =
    [
        .. Spread(0.0012, 0.0022), .. Spread(0.006, 0.009), .. Spread(0.012, 0.022), .. Spread(0.06, 0.09), .. Spread(0.3, 0.45),
    ];

    private static readonly string[] Windows = ["60", "300", "3600"];

    [TestCase(OtlpExportProtocol.Grpc)]
    [TestCase(OtlpExportProtocol.HttpProtobuf)]
    public async Task KnownTraffic_ArrivesWithExactValues(OtlpExportProtocol protocol)
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        string meterName = OtlpTestKit.NewMeterName();
        using MeterProvider provider = OtlpTestKit.CreateProvider(meterName, receiver, protocol);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = Model, ModelVersion = "7", ClassLabels = Classes, MeterName = meterName });
        for (int i = 0; i < Latencies.Length; i++)
        {
            // Failures are spread over the groups (every 20th call a timeout, every 50th+1 an invalid operation).
            Exception? failure = i % 20 == 0 && i / 20 < Timeouts ? new TimeoutException() : i % 50 == 1 ? new InvalidOperationException() : null;
            monitor.RecordCall(Latencies[i], failure);
        }

        for (int actual = 0; actual < Classes.Length; actual++)
        {
            for (int predicted = 0; predicted < Classes.Length; predicted++)
            {
                for (long n = 0; n < Matrix[actual][predicted]; n++)
                {
                    monitor.RecordGroundTruth(predicted, actual);
                }
            }
        }

        Assert.That(provider.ForceFlush(), Is.True, "the export succeeded");

        ReceivedExport export = receiver.Received.Single();
        ModelPoints points = export.ForModel(Model);
        Assert.Multiple(() =>
        {
            Assert.That(export.ResourceAttribute("service.name"), Is.EqualTo(new[] { OtlpTestKit.ServiceName }));
            Assert.That(points.All, Is.Not.Empty);
            Assert.That(points.All.Select(p => p.Scope).Distinct(), Is.EqualTo(new[] { meterName }), "the scope is the meter");
            Assert.That(points.All.Select(p => p.Attribute("model.version")).Distinct(), Is.EqualTo(new[] { "7" }));
            AssertShapes(points);
            AssertCalls(points);
            AssertLatency(points);
            AssertClassification(points);
        });
    }

    /// <summary>Units, and counters as monotonic cumulative sums, gauges as gauges.</summary>
    private static void AssertShapes(ModelPoints points)
    {
        var expected = new Dictionary<string, (string Unit, OtlpKind Kind, bool Monotonic)>
        {
            ["model.inference.calls"] = ("{call}", OtlpKind.Sum, true),
            ["model.inference.items"] = ("{item}", OtlpKind.Sum, true),
            ["model.inference.active_calls"] = ("{call}", OtlpKind.Sum, false),
            ["model.inference.duration.quantile"] = ("s", OtlpKind.Gauge, false),
            ["model.inference.duration.bucket"] = ("{call}", OtlpKind.Sum, true),
            ["model.inference.duration.sum"] = ("s", OtlpKind.Sum, true),
            ["model.inference.duration.count"] = ("{call}", OtlpKind.Sum, true),
            ["model.classification.confusion"] = ("{prediction}", OtlpKind.Sum, true),
            ["model.classification.true_positives"] = ("{prediction}", OtlpKind.Sum, true),
            ["model.classification.false_positives"] = ("{prediction}", OtlpKind.Sum, true),
            ["model.classification.false_negatives"] = ("{prediction}", OtlpKind.Sum, true),
            ["model.classification.accuracy"] = ("1", OtlpKind.Gauge, false),
            ["model.classification.precision"] = ("1", OtlpKind.Gauge, false),
            ["model.classification.recall"] = ("1", OtlpKind.Gauge, false),
            ["model.classification.f1"] = ("1", OtlpKind.Gauge, false),
            ["model.classification.macro_f1"] = ("1", OtlpKind.Gauge, false),
        };
        foreach ((string name, (string unit, OtlpKind kind, bool monotonic)) in expected)
        {
            IReadOnlyList<OtlpPoint> named = points.Named(name);
            Assert.That(named, Is.Not.Empty, name);
            Assert.That(named.Select(p => (p.Unit, p.Kind, p.IsMonotonic)).Distinct(), Is.EqualTo(new[] { (unit, kind, monotonic) }), name);
            if (kind == OtlpKind.Sum)
            {
                Assert.That(named.Select(p => p.Temporality).Distinct(), Is.EqualTo(new[] { AggregationTemporality.Cumulative }), name);
            }
        }
    }

    private static void AssertCalls(ModelPoints points)
    {
        // TimeoutException is published as the outcome "timeout"; other exceptions by full type name.
        Assert.That(points.Named("model.inference.calls"), Has.Count.EqualTo(3));
        Assert.That(points.Value("model.inference.calls"), Is.EqualTo(Latencies.Length - Timeouts - InvalidOperations));
        Assert.That(points.Value("model.inference.calls", ("error.type", "timeout")), Is.EqualTo(Timeouts));
        Assert.That(points.Value("model.inference.calls", ("error.type", "System.InvalidOperationException")), Is.EqualTo(InvalidOperations));
        Assert.That(points.Value("model.inference.items"), Is.EqualTo(Latencies.Length));
        Assert.That(points.Value("model.inference.active_calls"), Is.Zero);
    }

    private static void AssertLatency(ModelPoints points)
    {
        // Failed calls are timed too: every duration is in the histogram.
        Assert.That(points.Value("model.inference.duration.count"), Is.EqualTo(Latencies.Length));
        Assert.That(points.Value("model.inference.duration.sum"), Is.EqualTo(Latencies.Sum()).Within(1).Percent);

        string[] bounds = [.. ModelMonitorOptions.DefaultBucketBoundaries.Select(b => b.ToString(CultureInfo.InvariantCulture)), "+Inf"];
        Assert.That(points.Named("model.inference.duration.bucket").Select(p => p.Attribute("le")), Is.EquivalentTo(bounds));
        foreach (double bound in ModelMonitorOptions.DefaultBucketBoundaries)
        {
            string le = bound.ToString(CultureInfo.InvariantCulture);
            Assert.That(points.Value("model.inference.duration.bucket", ("le", le)), Is.EqualTo(Latencies.Count(l => l <= bound)), $"le={le}");
        }

        Assert.That(points.Value("model.inference.duration.bucket", ("le", "+Inf")), Is.EqualTo(Latencies.Length));

        // Every call falls in every window (the scenario runs within the shortest one): one series per window and quantile.
        double[] sorted = [.. Latencies.Order()];
        foreach (string window in Windows)
        {
            foreach ((string quantile, double q) in new[] { ("0.5", 0.5), ("0.9", 0.9), ("0.95", 0.95), ("0.99", 0.99), ("0.999", 0.999), ("1", 1.0) })
            {
                Assert.That(points.Value("model.inference.duration.quantile", ("quantile", quantile), ("window", window)), Is.EqualTo(OtlpTestKit.NearestRank(sorted, q)).Within(1).Percent, $"quantile {quantile}, window {window}");
            }
        }

        Assert.That(points.Named("model.inference.duration.quantile"), Has.Count.EqualTo(6 * Windows.Length));
    }

    private static void AssertClassification(ModelPoints points)
    {
        long total = Matrix.Sum(row => row.Sum());
        long correct = 0;
        double f1Sum = 0, precisionSum = 0, recallSum = 0;
        for (int c = 0; c < Classes.Length; c++)
        {
            (string, string) label = ("model.class", Classes[c]);
            long tp = Matrix[c][c];
            long fp = Enumerable.Range(0, Classes.Length).Where(a => a != c).Sum(a => Matrix[a][c]);
            long fn = Enumerable.Range(0, Classes.Length).Where(p => p != c).Sum(p => Matrix[c][p]);
            double precision = (double)tp / (tp + fp);
            double recall = (double)tp / (tp + fn);
            double f1 = 2 * precision * recall / (precision + recall);
            correct += tp;
            f1Sum += f1;
            precisionSum += precision;
            recallSum += recall;

            Assert.That(points.Value("model.classification.true_positives", label), Is.EqualTo(tp), Classes[c]);
            Assert.That(points.Value("model.classification.false_positives", label), Is.EqualTo(fp), Classes[c]);
            Assert.That(points.Value("model.classification.false_negatives", label), Is.EqualTo(fn), Classes[c]);
            for (int p = 0; p < Classes.Length; p++)
            {
                Assert.That(
                    points.Value("model.classification.confusion", ("model.class.actual", Classes[c]), ("model.class.predicted", Classes[p])),
                    Is.EqualTo(Matrix[c][p]),
                    $"cell {Classes[c]}→{Classes[p]}");
            }

            foreach (string window in Windows)
            {
                Assert.That(points.Value("model.classification.precision", ("window", window), label), Is.EqualTo(precision).Within(1e-12), $"precision {Classes[c]} {window}");
                Assert.That(points.Value("model.classification.recall", ("window", window), label), Is.EqualTo(recall).Within(1e-12), $"recall {Classes[c]} {window}");
                Assert.That(points.Value("model.classification.f1", ("window", window), label), Is.EqualTo(f1).Within(1e-12), $"f1 {Classes[c]} {window}");
            }
        }

        Assert.That(points.Named("model.classification.confusion"), Has.Count.EqualTo(Classes.Length * Classes.Length));
        foreach (string window in Windows)
        {
            Assert.That(points.Value("model.classification.accuracy", ("window", window)), Is.EqualTo((double)correct / total).Within(1e-12), $"accuracy {window}");
            Assert.That(points.Value("model.classification.macro_f1", ("window", window)), Is.EqualTo(f1Sum / Classes.Length).Within(1e-12), $"macro_f1 {window}");
            Assert.That(points.Value("model.classification.macro_precision", ("window", window)), Is.EqualTo(precisionSum / Classes.Length).Within(1e-12), $"macro_precision {window}");
            Assert.That(points.Value("model.classification.macro_recall", ("window", window)), Is.EqualTo(recallSum / Classes.Length).Within(1e-12), $"macro_recall {window}");
        }

        Assert.That(points.Named("model.classification.accuracy").Select(p => p.Attribute("window")), Is.EquivalentTo(Windows));
    }

    private static IEnumerable<double> Spread(double from, double to) =>
        Enumerable.Range(0, 200).Select(i => from + ((to - from) * i / 199));
}
