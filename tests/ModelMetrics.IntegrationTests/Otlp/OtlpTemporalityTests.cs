// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Linq;
using System.Threading.Tasks;
using NUnit.Framework;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using AggregationTemporality = ModelMetrics.IntegrationTests.Otlp.Protocol.AggregationTemporality;

namespace ModelMetrics.IntegrationTests.Otlp;

/// <summary>
/// The library publishes cumulative counters; the OpenTelemetry SDK turns them into deltas when asked.
/// Either way what a collector receives adds up to exactly what was recorded.
/// </summary>
[TestFixture]
public class OtlpTemporalityTests
{
    private const string Model = "otlp-temporality";

    /// <summary>Calls (of which failed) and "cat predicted as dog" labels recorded before each export.</summary>
    private static readonly (int Calls, int Failed, int Confused)[] Rounds = [(10, 1, 4), (7, 0, 2), (25, 3, 9)];

    [Test]
    public async Task Counters_ArriveAsRunningTotalsOrIncrements(
        [Values(OtlpExportProtocol.Grpc, OtlpExportProtocol.HttpProtobuf)] OtlpExportProtocol protocol,
        [Values(MetricReaderTemporalityPreference.Cumulative, MetricReaderTemporalityPreference.Delta)] MetricReaderTemporalityPreference temporality)
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        string meterName = OtlpTestKit.NewMeterName();
        using MeterProvider provider = OtlpTestKit.CreateProvider(meterName, receiver, protocol, (_, reader) => reader.TemporalityPreference = temporality);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = Model, ClassLabels = ["cat", "dog"], MeterName = meterName });

        int calls = 0, failed = 0, confused = 0;
        foreach ((int roundCalls, int roundFailed, int roundConfused) in Rounds)
        {
            for (int i = 0; i < roundCalls; i++)
            {
                monitor.RecordCall(0.003, i < roundFailed ? new InvalidOperationException() : null);
            }

            for (int i = 0; i < roundConfused; i++)
            {
                monitor.RecordGroundTruth(predicted: 1, actual: 0);
            }

            Assert.That(provider.ForceFlush(), Is.True);
            calls += roundCalls;
            failed += roundFailed;
            confused += roundConfused;

            ModelPoints points = receiver.Received[^1].ForModel(Model);
            bool delta = temporality == MetricReaderTemporalityPreference.Delta;
            Assert.Multiple(() =>
            {
                Assert.That(points.Point("model.inference.calls").Temporality, Is.EqualTo(delta ? AggregationTemporality.Delta : AggregationTemporality.Cumulative));
                Assert.That(points.Value("model.inference.calls"), Is.EqualTo(delta ? roundCalls - roundFailed : calls - failed));
                Assert.That(points.Value("model.inference.duration.count"), Is.EqualTo(delta ? roundCalls : calls));
                Assert.That(points.Value("model.inference.duration.bucket", ("le", "0.005")), Is.EqualTo(delta ? roundCalls : calls));
                Assert.That(points.Value("model.classification.confusion", ("model.class.actual", "cat"), ("model.class.predicted", "dog")), Is.EqualTo(delta ? roundConfused : confused));
                Assert.That(points.Value("model.classification.true_positives", ("model.class", "cat")), Is.Zero);
            });

            // The failure type first appears in the first round; in delta mode a later round without failures may report 0.
            if (roundFailed > 0)
            {
                Assert.That(points.Value("model.inference.calls", ("error.type", "System.InvalidOperationException")), Is.EqualTo(delta ? roundFailed : failed));
            }
        }

        // Whatever the temporality, the exports add up to what the monitor counted.
        Assert.That(receiver.Received, Has.Count.EqualTo(Rounds.Length));
        double[] exported = [.. receiver.Received.Select(e => e.ForModel(Model).Value("model.inference.duration.count"))];
        double total = temporality == MetricReaderTemporalityPreference.Delta ? exported.Sum() : exported[^1];
        Assert.That(total, Is.EqualTo(monitor.GetSnapshot().Calls).And.EqualTo(calls));
    }
}
