// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Threading.Tasks;
using NUnit.Framework;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;

namespace ModelMetrics.IntegrationTests.Otlp;

/// <summary>
/// A collector that hangs, refuses or is gone never reaches the predict path: calls neither throw nor wait,
/// memory stays bounded, and once the collector is back the cumulative totals it gets are exact.
/// </summary>
[TestFixture]
public class OtlpCollectorTroubleTests
{
    private const string Model = "otlp-trouble";
    private const int CallsPerCycle = 1_000;

    [Test]
    public async Task PredictCalls_DoNotWaitForAnExportTheCollectorHolds([Values] OtlpExportProtocol protocol)
    {
        const int Calls = 100_000;
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        string meterName = OtlpTestKit.NewMeterName();

        // The exporter would wait longer than the receiver holds: only the release ends the held export.
        using MeterProvider provider = OtlpTestKit.CreateProvider(meterName, receiver, protocol, (exporter, _) => exporter.TimeoutMilliseconds = 60_000);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = Model, MeterName = meterName });
        using IPredictor<int, int> predictor = Predictor.Create<int, int>(x => x + 1).AsBuilder().UseMetrics(monitor).Build();
        predictor.Predict(0);

        receiver.Mode = ReceiverMode.Slow;
        Task<bool> flush = Task.Run(() => provider.ForceFlush());
        await receiver.WaitForHeldAsync(1);

        long sum = 0;
        for (int i = 0; i < Calls; i++)
        {
            sum += predictor.Predict(i);
        }

        Assert.Multiple(() =>
        {
            Assert.That(sum, Is.EqualTo(((long)Calls * (Calls + 1)) / 2), "every call returned the model's answer");
            Assert.That(receiver.Held, Is.EqualTo(1), "while the collector still held the export");
            Assert.That(flush.IsCompleted, Is.False, "and the flush still waited for it");
        });

        receiver.Mode = ReceiverMode.Normal;
        Assert.That(await flush.WaitAsync(OtlpReceiver.WaitLimit), Is.True);
        Assert.That(provider.ForceFlush(), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(receiver.Received, Has.Count.EqualTo(2));
            Assert.That(receiver.Received[0].ForModel(Model).Value("model.inference.calls"), Is.EqualTo(1), "the held export was collected before the calls");
            Assert.That(receiver.Received[1].ForModel(Model).Value("model.inference.calls"), Is.EqualTo(Calls + 1));
        });
    }

    [Test]
    public async Task CollectorDownOrUnavailable_CallsNeverFail_MemoryStaysBounded_TotalsExactAfterRecovery(
        [Values] OtlpExportProtocol protocol,
        [Values("down", "unavailable")] string trouble)
    {
        const long MemoryBound = 4 * 1024 * 1024;
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        string meterName = OtlpTestKit.NewMeterName();
        using MeterProvider provider = OtlpTestKit.CreateProvider(meterName, receiver, protocol);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = Model, MeterName = meterName });
        using IPredictor<int, int> predictor = Predictor.Create<int, int>(x => x).AsBuilder().UseMetrics(monitor).Build();

        if (trouble == "down")
        {
            await receiver.StopAsync();
        }
        else
        {
            receiver.Mode = ReceiverMode.Unavailable;
        }

        long calls = 0;
        void Cycle()
        {
            for (int i = 0; i < CallsPerCycle; i++)
            {
                predictor.Predict(i);
            }

            calls += CallsPerCycle;
            Assert.That(provider.ForceFlush(), Is.False, "the export fails");
        }

        // A few cycles first: the exporter's first failures allocate what it keeps (connection pools, buffers).
        for (int cycle = 0; cycle < 5; cycle++)
        {
            Cycle();
        }

        long before = GC.GetTotalMemory(forceFullCollection: true);
        int attemptsBefore = receiver.Attempts;
        for (int cycle = 0; cycle < 40; cycle++)
        {
            Cycle();
        }

        long growth = GC.GetTotalMemory(forceFullCollection: true) - before;
        Assert.Multiple(() =>
        {
            Assert.That(growth, Is.LessThan(MemoryBound), "nothing accumulates per failed export");
            Assert.That(receiver.Attempts - attemptsBefore, Is.EqualTo(trouble == "down" ? 0 : 40), "every export reached the collector, if it was up");
            Assert.That(receiver.Received, Is.Empty);
        });

        if (trouble == "down")
        {
            await receiver.RestartAsync();
        }
        else
        {
            receiver.Mode = ReceiverMode.Normal;
        }

        Assert.That(provider.ForceFlush(), Is.True, "the collector is back");
        ModelPoints points = receiver.Received[^1].ForModel(Model);
        Assert.Multiple(() =>
        {
            Assert.That(points.Value("model.inference.calls"), Is.EqualTo(calls), "calls made during the outage included");
            Assert.That(points.Value("model.inference.duration.count"), Is.EqualTo(calls));
            Assert.That(points.Value("model.inference.active_calls"), Is.Zero);
        });
    }

    [Test]
    public async Task Dispose_WhileCollectorHoldsTheExport_ReturnsWithinTheExporterTimeout([Values] OtlpExportProtocol protocol)
    {
        const int ExporterTimeoutMilliseconds = 2_000;
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        string meterName = OtlpTestKit.NewMeterName();
        MeterProvider provider = OtlpTestKit.CreateProvider(meterName, receiver, protocol, (exporter, _) => exporter.TimeoutMilliseconds = ExporterTimeoutMilliseconds);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = Model, MeterName = meterName });
        monitor.RecordCall(0.01);
        receiver.Mode = ReceiverMode.Slow;

        // Disposing exports one last time; the receiver holds that export for longer than the exporter waits.
        var watch = Stopwatch.StartNew();
        provider.Dispose();
        watch.Stop();

        Assert.Multiple(() =>
        {
            Assert.That(receiver.Attempts, Is.EqualTo(1), "the final export reached the collector");
            Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromMilliseconds(ExporterTimeoutMilliseconds) + TimeSpan.FromSeconds(8)));
        });
    }
}
