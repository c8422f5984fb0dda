// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using ModelMetrics.TestHost;
using NUnit.Framework;

namespace ModelMetrics.IntegrationTests.Otlp;

/// <summary>
/// The hosting path a user writes (<c>services.AddOpenTelemetry().WithMetrics(m => m.AddModelMetrics().AddOtlpExporter())</c>),
/// in a separate process configured only by the standard OTEL_* environment variables.
/// </summary>
[TestFixture]
public class OtlpHostingTests
{
    [TestCase("grpc")]
    [TestCase("http/protobuf")]
    public async Task TestHost_ConfiguredByEnvironment_ExportsScenarioAExactly(string protocol)
    {
        string secret = "secret-" + Guid.NewGuid().ToString("N");
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        var environment = new Dictionary<string, string?>
        {
            // The base address only: for http/protobuf the exporter appends /v1/metrics itself (the receiver serves nothing else).
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = (protocol == "grpc" ? receiver.GrpcBaseUrl : receiver.HttpBaseUrl).ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = protocol,
            ["OTEL_EXPORTER_OTLP_HEADERS"] = $"api-key={secret}",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        };

        TestHostProcess host = await TestHostProcess.StartAsync("a", ["--otlp"], environment);
        ReceivedExport[] exports;
        try
        {
            // Two exports: they repeat at the interval from the environment (the default, 60 s, is longer than the wait).
            exports = await receiver.WaitForAsync(e => e.ForModel(Scenarios.FleetModel).All.Count > 0, "the fleet model", count: 2);
        }
        finally
        {
            await host.DisposeAsync();
        }

        FleetMember a = Scenarios.A;
        Assert.Multiple(() =>
        {
            // The fleet traffic is fixed and recorded before the host's meter provider starts: every cumulative export has all of it.
            foreach (ReceivedExport export in exports)
            {
                ModelPoints fleet = export.ForModel(Scenarios.FleetModel);
                Assert.That(export.Protocol, Is.EqualTo(protocol == "grpc" ? "grpc" : "http"));
                Assert.That(export.Headers.GetValueOrDefault("api-key"), Is.EqualTo(secret));
                Assert.That(export.ResourceAttribute("service.name"), Is.EqualTo(new[] { "modelmetrics-testhost" }));
                Assert.That(fleet.All.Select(p => p.Attribute("model.version")).Distinct(), Is.EqualTo(new[] { Scenarios.FleetVersion }));

                // A TimeoutException is published as error.type "timeout" (OutcomeTable), not as its type name.
                Assert.That(fleet.Named("model.inference.calls").Sum(p => p.Value), Is.EqualTo(a.Latencies.Length));
                Assert.That(fleet.Value("model.inference.calls"), Is.EqualTo(a.Latencies.Length - a.Failures));
                Assert.That(fleet.Value("model.inference.calls", ("error.type", "timeout")), Is.EqualTo(a.Failures));
                Assert.That(fleet.Value("model.inference.duration.count"), Is.EqualTo(a.Latencies.Length));
                Assert.That(fleet.Value("model.inference.duration.sum"), Is.EqualTo(a.Latencies.Sum()).Within(1).Percent);
                for (int actual = 0; actual < Scenarios.Classes.Count; actual++)
                {
                    for (int predicted = 0; predicted < Scenarios.Classes.Count; predicted++)
                    {
                        Assert.That(
                            fleet.Value("model.classification.confusion", ("model.class.actual", Scenarios.Classes[actual]), ("model.class.predicted", Scenarios.Classes[predicted])),
                            Is.EqualTo(a.Confusion[actual][predicted]),
                            $"cell {Scenarios.Classes[actual]}→{Scenarios.Classes[predicted]}");
                    }
                }
            }

            Assert.That(receiver.Received.Any(e => e.ForModel(Scenarios.LiveModel).All.Count > 0), Is.True, "the live model is exported beside it");
            Assert.That(host.Output, Does.Not.Contain(secret));
        });
    }
}
