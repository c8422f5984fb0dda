// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using NUnit.Framework;

namespace ModelMetrics.Tests.Reliability;

/// <summary>
/// Ten million recordings per thread through <see cref="ModelMonitor.StartCall"/> and <c>EndCall</c>, one in
/// 1024 of them a failure, while a reader takes snapshots: no count may be lost, and no snapshot may run
/// backwards or show more latency records than calls. (Monitoring/MonitorConcurrencyTests does 10^6 per thread
/// with successes only; this is 10x that, with failures mixed in.)
/// </summary>
/// <remarks>
/// 10^7 per thread, not 10^7 split across threads: on 2 shared cores each test takes a few seconds (measured
/// 2 x 10^7 in 2 to 3 s in Debug, with 16,000 to 20,000 snapshots taken meanwhile), well under its 15 s budget.
/// </remarks>
[NonParallelizable]
public class ConcurrencyAtScaleTests
{
    private const int PerThread = 10_000_000;
    private const int FailEvery = 1024;
    private const int MaxSnapshots = 100_000;

    [Test]
    public void StartEndCall_TwoThreadsTenMillionEach_CountsExactAndSnapshotsNeverRunBackwards() => Run(2);

    [Test]
    public void StartEndCall_ProcessorCountThreadsTenMillionEach_CountsExactAndSnapshotsNeverRunBackwards() => Run(Environment.ProcessorCount);

    private static void Run(int threadCount)
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = ReliabilityHelpers.ModelName(), MeterName = ReliabilityHelpers.MeterName() });
        var failure = new InvalidOperationException("recorded, never thrown");
        long lastCount = 0, lastCalls = 0, lastFailed = 0;

        // The reader takes as many snapshots as it can while the writers run, up to a bound.
        var run = new ConcurrentRun(threadCount) { MaxReadings = MaxSnapshots };
        run.Execute(
            id =>
            {
                for (int i = 0; i < PerThread; i++)
                {
                    long start = monitor.StartCall();
                    if (i % FailEvery == FailEvery - 1)
                    {
                        monitor.EndCall(start, failure);
                    }
                    else
                    {
                        monitor.EndCall(start);
                    }
                }
            },
            reading =>
            {
                ModelMonitorSnapshot s = monitor.GetSnapshot();
                string where = $"snapshot {reading}: latency count {s.Latency.Count}, calls {s.Calls}, failed {s.Failed}, in flight {s.InFlight}";

                // A failure is counted by type before its duration is recorded and read in the reverse order, so the
                // latency count may trail the calls but never lead them.
                if (s.Latency.Count < lastCount || s.Calls < lastCalls || s.Failed < lastFailed || s.Latency.Count > s.Calls)
                {
                    run.Problem($"{where}; before: latency count {lastCount}, calls {lastCalls}, failed {lastFailed}");
                }

                if (s.InFlight < 0 || s.InFlight > threadCount || s.Calls > (long)threadCount * PerThread)
                {
                    run.Problem(where);
                }

                lastCount = s.Latency.Count;
                lastCalls = s.Calls;
                lastFailed = s.Failed;
            });

        long total = (long)threadCount * PerThread;
        long failed = (long)threadCount * (PerThread / FailEvery);
        ModelMonitorSnapshot final = monitor.GetSnapshot();
        TestContext.Out.WriteLine($"{threadCount} threads x {PerThread:N0} recordings, {run.Readings:N0} concurrent snapshots in {run.Elapsed.TotalSeconds:F1} s");
        run.AssertClean();
        Assert.Multiple(() =>
        {
            Assert.That(final.Latency.Count, Is.EqualTo(total));
            Assert.That(final.Calls, Is.EqualTo(total));
            Assert.That(final.Items, Is.EqualTo(total));
            Assert.That(final.Succeeded, Is.EqualTo(total - failed));
            Assert.That(final.Failed, Is.EqualTo(failed));
            Assert.That(final.Failures, Is.EqualTo(new Dictionary<string, long> { ["System.InvalidOperationException"] = failed }));
            Assert.That(final.InFlight, Is.Zero);
            Assert.That(final.Rejected, Is.Empty);
            Assert.That(final.Latency.Count, Is.GreaterThanOrEqualTo(lastCount));
        });
    }
}
