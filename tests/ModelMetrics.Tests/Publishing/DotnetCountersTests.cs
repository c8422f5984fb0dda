// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.Linq;
using System.Threading;
using NUnit.Framework;

namespace ModelMetrics.Tests.Publishing;

/// <summary>
/// dotnet-counters (and dotnet-monitor) read System.Diagnostics.Metrics through the runtime's
/// "System.Diagnostics.Metrics" EventSource. An in-process EventListener turns on the same source with the same
/// arguments the tool sends, so this checks what the tool would show, without the tool.
/// </summary>
[NonParallelizable] // the runtime's metrics EventSource serves one session at a time, process-wide
public class DotnetCountersTests
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    [Test]
    public void MetricsEventSource_AsDotnetCountersReadsIt_ShowsCallsQuantilesAndAccuracy()
    {
        string meter = "ModelMetrics.DotnetCounters." + Guid.NewGuid().ToString("N");
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "counters", ModelVersion = "1", ClassLabels = ["a", "b"], MeterName = meter });
        for (int i = 0; i < 8; i++)
        {
            monitor.RecordCall(0.010, i < 3 ? new TimeoutException() : null);
            monitor.RecordGroundTruth(predicted: i % 4 == 0 ? 1 : 0, actual: 0); // 6 of 8 right
        }

        using var listener = new MetricsEventListener(meter);
        Assert.Multiple(() =>
        {
            Assert.That(listener.WaitFor("CounterRateValuePublished", "model.inference.calls", "error.type=timeout", "value"), Is.EqualTo(3));
            Assert.That(listener.WaitFor("CounterRateValuePublished", "model.inference.calls", "model.version=1", "value", excluding: "error.type"), Is.EqualTo(5));
            Assert.That(listener.WaitFor("GaugeValuePublished", "model.classification.accuracy", "window=60", "lastValue"), Is.EqualTo(0.75));
            Assert.That(listener.WaitFor("GaugeValuePublished", "model.inference.duration.quantile", "quantile=0.99", "lastValue"), Is.EqualTo(0.010).Within(1).Percent);
        });
    }

    /// <summary>Listens to the runtime's metrics EventSource for one meter, as dotnet-counters does, and keeps every value.</summary>
    private sealed class MetricsEventListener : EventListener
    {
        private readonly string _meter;
        private readonly string _session = Guid.NewGuid().ToString("N");
        private readonly ConcurrentQueue<(string Event, string Instrument, string Tags, IReadOnlyDictionary<string, string> Values)> _events = new();

        public MetricsEventListener(string meter)
        {
            _meter = meter;

            // Sources created before this constructor returned were offered to OnEventSourceCreated while _meter was
            // still null; enable the metrics source again now that the meter is known.
            foreach (EventSource source in EventSource.GetSources().Where(s => s.Name == "System.Diagnostics.Metrics"))
            {
                Enable(source);
            }
        }

        /// <summary>Waits (bounded) for a value of <paramref name="field"/> of a series whose tags contain <paramref name="tag"/>.</summary>
        public double WaitFor(string eventName, string instrument, string tag, string field, string? excluding = null)
        {
            var elapsed = Stopwatch.StartNew();
            for (int poll = 0; poll < 3000 && elapsed.Elapsed < WaitLimit; poll++)
            {
                foreach (var e in _events)
                {
                    if (e.Event == eventName && e.Instrument == instrument && e.Tags.Split(',').Contains(tag) &&
                        (excluding is null || !e.Tags.Contains(excluding, StringComparison.Ordinal)) &&
                        double.TryParse(e.Values.GetValueOrDefault(field), NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                    {
                        return value;
                    }
                }

                Thread.Sleep(10);
            }

            Assert.Fail($"No {eventName} of {instrument} with {tag} within {WaitLimit.TotalSeconds} s; seen: {string.Join("; ", _events.Select(e => $"{e.Event} {e.Instrument} [{e.Tags}]").Distinct().Take(20))}");
            return double.NaN;
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "System.Diagnostics.Metrics" && _meter is not null)
            {
                Enable(eventSource);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.Payload is null || eventData.PayloadNames is null || eventData.EventName is null)
            {
                return;
            }

            var values = new Dictionary<string, string>();
            for (int i = 0; i < eventData.PayloadNames.Count; i++)
            {
                values[eventData.PayloadNames[i]] = Convert.ToString(eventData.Payload[i], CultureInfo.InvariantCulture) ?? string.Empty;
            }

            if (values.GetValueOrDefault("sessionId") == _session && values.GetValueOrDefault("meterName") == _meter)
            {
                _events.Enqueue((eventData.EventName, values.GetValueOrDefault("instrumentName") ?? string.Empty, values.GetValueOrDefault("tags") ?? string.Empty, values));
            }
        }

        private void Enable(EventSource source) =>
            EnableEvents(source, EventLevel.Informational, (EventKeywords)0x3, new Dictionary<string, string?>
            {
                ["SessionId"] = _session,
                ["Metrics"] = _meter,
                ["RefreshInterval"] = "0.2",
                ["MaxTimeSeries"] = "1000",
                ["MaxHistograms"] = "20",
            });
    }
}
