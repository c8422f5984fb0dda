// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Reliability;

/// <summary>
/// Disposal while work is in flight: nothing throws, nothing recorded is lost, a disposed monitor leaves the
/// meter. (Publishing/MeterPublishingTests disposes an idle monitor twice; these dispose busy ones.)
/// </summary>
[NonParallelizable]
public class ShutdownTests
{
    private const int PerThread = 1_000_000;

    [Test]
    public void Dispose_WhileTwoThreadsRecord_NeitherThrowsNorLosesCounts()
    {
        string meter = ReliabilityHelpers.MeterName();
        string model = ReliabilityHelpers.ModelName();
        using var collector = new MeasurementCollector(meter);
        var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = model, MeterName = meter, ClassLabels = ["neg", "pos"] });
        var failure = new InvalidOperationException("recorded, never thrown");
        long callsSeenBeforeDispose = 0, pairsSeenBeforeDispose = 0;
        Exception? disposeError = null;
        bool publishedWhileAlive = false;
        bool disposed = false;

        // The reader is the disposer: it waits until the writers are well under way, then disposes twice while they run.
        var run = new ConcurrentRun(2) { MaxReadings = 1_000_000 };
        run.Execute(
            id =>
            {
                for (int i = 0; i < PerThread; i++)
                {
                    long start = monitor.StartCall();
                    if (i % 100 == 0)
                    {
                        monitor.EndCall(start, failure);
                    }
                    else
                    {
                        monitor.EndCall(start);
                    }

                    monitor.RecordGroundTruth(i % 2, id);
                }
            },
            reading =>
            {
                if (disposed || monitor.GetSnapshot().Calls < PerThread / 2)
                {
                    Thread.Sleep(1);
                    return;
                }

                publishedWhileAlive = collector.Collect(model).Any(o => o.Instrument == "model.inference.calls");
                ModelMonitorSnapshot before = monitor.GetSnapshot();
                callsSeenBeforeDispose = before.Calls;
                pairsSeenBeforeDispose = before.Classification!.Total;
                disposed = true;
                try
                {
                    monitor.Dispose();
                    monitor.Dispose();
                }
                catch (Exception e)
                {
                    disposeError = e;
                }
            });
        IReadOnlyList<Exception> errors = run.Errors;
        if (!disposed)
        {
            // The writers finished first (the assertion on callsSeenBeforeDispose fails); dispose all the same.
            monitor.Dispose();
        }

        ModelMonitorSnapshot final = monitor.GetSnapshot();
        List<Observed> publishedAfter = collector.Collect(model);
        Assert.Multiple(() =>
        {
            Assert.That(errors, Is.Empty, "no writer saw an exception");
            Assert.That(disposeError, Is.Null, "neither Dispose threw");
            Assert.That(publishedWhileAlive, Is.True);
            Assert.That(callsSeenBeforeDispose, Is.InRange(1, (2 * PerThread) - 1), "disposed while the writers ran");

            // Everything is counted: what was recorded before the disposal and what the writers recorded after it.
            Assert.That(final.Calls, Is.EqualTo(2 * PerThread));
            Assert.That(final.Failed, Is.EqualTo(2 * (PerThread / 100)));
            Assert.That(final.Latency.Count, Is.EqualTo(2 * PerThread));
            Assert.That(final.InFlight, Is.Zero);
            Assert.That(final.Classification!.Total, Is.EqualTo(2 * PerThread));
            Assert.That(final.Classification.GetCount(predicted: 0, actual: 0) + final.Classification.GetCount(predicted: 1, actual: 0), Is.EqualTo(PerThread), "writer 0's pairs");
            Assert.That(final.Calls, Is.GreaterThanOrEqualTo(callsSeenBeforeDispose));
            Assert.That(final.Classification.Total, Is.GreaterThanOrEqualTo(pairsSeenBeforeDispose));
            Assert.That(publishedAfter, Is.Empty, "a disposed monitor is no longer published");
        });
    }

    [Test]
    public void PipelineDispose_WhileSyncAndAsyncCallsAreInFlight_CallsCompleteAndAreCounted()
    {
        string meter = ReliabilityHelpers.MeterName();
        string model = ReliabilityHelpers.ModelName();
        using var collector = new MeasurementCollector(meter);
        using var gate = new ManualResetEventSlim(false);
        var asyncGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int entered = 0;

        // The pipeline owns its monitor (UseMetrics with options): disposing the pipeline disposes the monitor.
        IPredictor<int, int> predictor = Predictor.Create<int, int>(x =>
            {
                Interlocked.Increment(ref entered);
                gate.Wait(TimeSpan.FromSeconds(30));
                return x + 1;
            })
            .AsBuilder()
            .UseMetrics(o =>
            {
                o.ModelName = model;
                o.MeterName = meter;
            })
            .Build();
        var monitor = (ModelMonitor)predictor.GetService(typeof(ModelMonitor))!;
        IPredictor<int, int> asyncPredictor = Predictor.CreateFromValueTask<int, int>(async (x, ct) =>
            {
                Interlocked.Increment(ref entered);
                await asyncGate.Task;
                return x + 2;
            })
            .AsBuilder()
            .UseMetrics(monitor)
            .Build();

        // Two synchronous calls block inside the model on two threads; three asynchronous ones await it.
        var results = new int[2];
        var threads = Enumerable.Range(0, 2).Select(i => new Thread(() => results[i] = predictor.Predict(i * 10))).ToList();
        threads.ForEach(t => t.Start());
        Task<int>[] pending = [asyncPredictor.PredictAsync(100).AsTask(), asyncPredictor.PredictAsync(200).AsTask(), asyncPredictor.PredictAsync(300).AsTask()];
        SpinWait.SpinUntil(() => Volatile.Read(ref entered) == 5, TimeSpan.FromSeconds(30));
        long inFlightBeforeDispose = monitor.GetSnapshot().InFlight;

        Assert.That(() => predictor.Dispose(), Throws.Nothing);
        Assert.That(() => predictor.Dispose(), Throws.Nothing, "a second Dispose is harmless");
        bool publishedAfterDispose = collector.Collect(model).Count != 0;

        gate.Set();
        asyncGate.SetResult();
        threads.ForEach(t => t.Join());
        int[] asyncResults = pending.Select(p => p.GetAwaiter().GetResult()).ToArray();

        // A call made after disposal still works and is still counted (the decorator does not refuse calls).
        int late = predictor.Predict(7);

        ModelMonitorSnapshot s = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(inFlightBeforeDispose, Is.EqualTo(5));
            Assert.That(publishedAfterDispose, Is.False);
            Assert.That(results, Is.EqualTo(new[] { 1, 11 }));
            Assert.That(asyncResults, Is.EqualTo(new[] { 102, 202, 302 }));
            Assert.That(late, Is.EqualTo(8));
            Assert.That(s.Succeeded, Is.EqualTo(6));
            Assert.That(s.Failed, Is.Zero);
            Assert.That(s.InFlight, Is.Zero);
        });
        asyncPredictor.Dispose();
    }
}
