// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.Tracing;
using System.Linq;
using NUnit.Framework;

namespace ModelMetrics.Tests.Diagnostics;

public class EventSourceTests
{
    [Test]
    public void Rejections_FloodOfBadInput_EventsRateLimitedButAllCounted()
    {
        string model = "events-" + Guid.NewGuid();
        using var listener = new Listener();
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = model, ClassLabels = ["a", "b"] });

        for (int i = 0; i < 100_000; i++)
        {
            monitor.RecordCall(double.NaN);
            monitor.RecordGroundTruth("a", "zzz");
        }

        List<EventWrittenEventArgs> events = listener.Events(model);
        Assert.Multiple(() =>
        {
            Assert.That(monitor.GetSnapshot().Rejected["nan_duration"], Is.EqualTo(100_000));
            Assert.That(monitor.GetSnapshot().Rejected["unknown_label"], Is.EqualTo(100_000));

            // 10 a second per event kind: the loop takes a few seconds at most, never 200,000 events.
            Assert.That(events, Has.Count.InRange(1, 100));
            Assert.That(events.All(e => e.EventName == "ValueRejected" && e.Level == EventLevel.Warning), Is.True);
            Assert.That(events.Select(e => (string)e.Payload![1]!).Distinct(), Is.SubsetOf(new[] { "nan_duration", "unknown_label" }));
        });
    }

    [Test]
    public void ErrorTypes_BeyondCap_GoToOtherAndOverflowIsReported()
    {
        string model = "overflow-" + Guid.NewGuid();
        using var listener = new Listener();
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = model });
        Type[] types = typeof(Exception).Assembly.GetTypes()
            .Where(t => typeof(Exception).IsAssignableFrom(t) && !t.IsAbstract && t.GetConstructor(Type.EmptyTypes) is not null
                && !typeof(OperationCanceledException).IsAssignableFrom(t) && !typeof(TimeoutException).IsAssignableFrom(t))
            .Take(40)
            .ToArray();
        Assume.That(types, Has.Length.EqualTo(40));

        foreach (Type type in types)
        {
            monitor.RecordCall(0.001, (Exception)Activator.CreateInstance(type)!);
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Failures, Has.Count.EqualTo(33));
        Assert.That(snapshot.Failures["_OTHER"], Is.EqualTo(8));
        Assert.That(snapshot.Failed, Is.EqualTo(40));
        Assert.That(listener.Events(model).Where(e => e.EventName == "AttributeOverflowed").Select(e => e.Payload![1]), Has.Some.EqualTo("error.type"));
    }

    private sealed class Listener : EventListener
    {
        private readonly List<EventWrittenEventArgs> _events = [];

        public List<EventWrittenEventArgs> Events(string model)
        {
            lock (_events)
            {
                return _events.Where(e => e.Payload is { Count: > 0 } p && (p[0] as string) == model).ToList();
            }
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "ModelMetrics")
            {
                EnableEvents(eventSource, EventLevel.Verbose);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            lock (_events)
            {
                _events.Add(eventData);
            }
        }
    }
}
