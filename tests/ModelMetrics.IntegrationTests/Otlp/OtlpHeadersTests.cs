// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.Tracing;
using System.Linq;
using System.Threading.Tasks;
using NUnit.Framework;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;

namespace ModelMetrics.IntegrationTests.Otlp;

/// <summary>A collector's API key set as an exporter header reaches the collector and never any log.</summary>
[TestFixture]
public class OtlpHeadersTests
{
    private const string Model = "otlp-headers";

    [TestCase(OtlpExportProtocol.Grpc)]
    [TestCase(OtlpExportProtocol.HttpProtobuf)]
    public async Task ApiKeyHeader_Arrives_AndNeverAppearsInDiagnosticEvents(OtlpExportProtocol protocol)
    {
        string secret = "secret-" + Guid.NewGuid().ToString("N");
        using var events = new DiagnosticEventCapture();
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        string meterName = OtlpTestKit.NewMeterName();
        using MeterProvider provider = OtlpTestKit.CreateProvider(meterName, receiver, protocol, (exporter, _) => exporter.Headers = $"api-key={secret}");
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = Model, MeterName = meterName });
        monitor.RecordCall(0.01);
        monitor.RecordCall(double.NaN); // A rejected value: the ModelMetrics EventSource has something to say too.

        Assert.That(provider.ForceFlush(), Is.True, "an export that succeeds");
        ReceivedExport export = receiver.Received.Single();
        Assert.That(export.Headers.GetValueOrDefault("api-key"), Is.EqualTo(secret));
        Assert.That(export.ForModel(Model).Value("model.inference.calls"), Is.EqualTo(1));

        // Failing exports are where exporters log the most (request, response, endpoint).
        receiver.Mode = ReceiverMode.Unavailable;
        monitor.RecordCall(0.02);
        Assert.That(provider.ForceFlush(), Is.False, "an export the collector refuses");
        await receiver.StopAsync();
        Assert.That(provider.ForceFlush(), Is.False, "an export nobody listens to");

        Assert.Multiple(() =>
        {
            Assert.That(events.Sources, Does.Contain("OpenTelemetry-Exporter-OpenTelemetryProtocol"), "the listener sees the exporter's events");
            Assert.That(events.Texts.Any(t => t.Contains(receiver.EndpointFor(protocol).Authority, StringComparison.Ordinal)), Is.True, "the failures were logged");
            Assert.That(events.Texts.Where(t => t.Contains(secret, StringComparison.Ordinal)), Is.Empty, "no event carries the secret");
        });
    }

    /// <summary>Every event of the OpenTelemetry and ModelMetrics event sources at Verbose, as text: name, message and payload.</summary>
    private sealed class DiagnosticEventCapture : EventListener
    {
        // Note: field initializers run before the base constructor, which already reports existing sources.
        private readonly ConcurrentQueue<string> _texts = new();
        private readonly ConcurrentDictionary<string, bool> _sources = new(StringComparer.Ordinal);

        public string[] Sources => [.. _sources.Keys];

        public string[] Texts => [.. _texts];

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name.StartsWith("OpenTelemetry", StringComparison.Ordinal) || eventSource.Name == "ModelMetrics")
            {
                EnableEvents(eventSource, EventLevel.Verbose, EventKeywords.All);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            _sources.TryAdd(eventData.EventSource.Name, true);
            object?[] payload = [.. eventData.Payload ?? []];
            _texts.Enqueue($"{eventData.EventSource.Name}/{eventData.EventName}: {eventData.Message} [{string.Join(" | ", payload)}]");
        }
    }
}
