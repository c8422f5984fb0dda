// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.Tracing;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace ModelMetrics.Tests.Predictors;

/// <summary>The champion / challenger events of the <c>ModelMetrics</c> EventSource (ids 60–69).</summary>
public class ChallengerEventsTests
{
    [Test]
    public void Swap_WritesModelSwappedWithBothModelsNamesAndVersions()
    {
        string name = "swap-event-" + Guid.NewGuid();
        using var listener = new Listener();
        using var v1 = new ModelMonitor(new ModelMonitorOptions { ModelName = name, ModelVersion = "1" });
        using var v2 = new ModelMonitor(new ModelMonitorOptions { ModelName = name, ModelVersion = "2" });
        using var hot = new HotSwapPredictor<int, int>(Predictor.Create<int, int>(x => x).AsBuilder().UseMetrics(v1).Build());

        hot.Swap(Predictor.Create<int, int>(x => x).AsBuilder().UseMetrics(v2).Build());

        EventWrittenEventArgs swapped = listener.Events(61).Single(e => (string)e.Payload![0]! == $"{name} 1");
        Assert.Multiple(() =>
        {
            Assert.That(swapped.EventName, Is.EqualTo("ModelSwapped"));
            Assert.That(swapped.Level, Is.EqualTo(EventLevel.Informational));
            Assert.That(swapped.Payload![1], Is.EqualTo($"{name} 2"));
        });
    }

    [Test]
    public void Shadow_FullQueue_WritesShadowDroppedRateLimited()
    {
        string name = "shadow-event-" + Guid.NewGuid();
        using var listener = new Listener();
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = name });
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        IPredictor<int, int> challenger = Predictor.CreateFromTask<int, int>((_, cancellationToken) => gate.Task.WaitAsync(cancellationToken));
        IPredictor<int, int> pipeline = Predictor.Create<int, int>(x => x).AsBuilder()
            .UseShadow(challenger, 1, o => o.QueueCapacity = 1)
            .UseMetrics(monitor)
            .Build();

        for (int i = 0; i < 10_000; i++)
        {
            pipeline.Predict(i);
        }

        ShadowComparison shadow = pipeline.GetService<ShadowComparison>()!;
        List<EventWrittenEventArgs> dropped = [.. listener.Events(60).Where(e => (string)e.Payload![0]! == name)];
        gate.SetResult(0);
        pipeline.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(shadow.Dropped, Is.GreaterThanOrEqualTo(9_998), "at most one running and one queued");
            Assert.That(dropped, Has.Count.InRange(1, 100), "10 a second, never one per drop");
            Assert.That(dropped.All(e => e.EventName == "ShadowDropped" && e.Level == EventLevel.Warning), Is.True);
        });
    }

    private sealed class Listener : EventListener
    {
        private readonly List<EventWrittenEventArgs> _events = [];

        public List<EventWrittenEventArgs> Events(int id)
        {
            lock (_events)
            {
                return [.. _events.Where(e => e.EventId == id)];
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
