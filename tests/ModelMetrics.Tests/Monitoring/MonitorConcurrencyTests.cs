// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using NUnit.Framework;

namespace ModelMetrics.Tests.Monitoring;

/// <summary>Many threads call StartCall/EndCall and record ground truth while another thread takes snapshots.</summary>
public class MonitorConcurrencyTests
{
    private const int PerThread = 1_000_000;
    private const int MaxSnapshots = 2_000;

    [Test]
    public void StartEndCall_TwoWritersWithConcurrentSnapshots_TotalsAreExactAndSnapshotsConsistent() =>
        Run(2, nameof(StartEndCall_TwoWritersWithConcurrentSnapshots_TotalsAreExactAndSnapshotsConsistent));

    [Test]
    public void StartEndCall_ProcessorCountWritersWithConcurrentSnapshots_TotalsAreExactAndSnapshotsConsistent() =>
        Run(Environment.ProcessorCount, nameof(StartEndCall_ProcessorCountWritersWithConcurrentSnapshots_TotalsAreExactAndSnapshotsConsistent));

    private static void Run(int threadCount, string name)
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = name, ClassLabels = ["neg", "pos"] });
        long previousCalls = 0, previousItems = 0, previousPairs = 0;
        var run = new ConcurrentRun(threadCount) { MaxReadings = MaxSnapshots };
        run.Execute(
            id =>
            {
                for (int i = 0; i < PerThread; i++)
                {
                    long start = monitor.StartCall();
                    monitor.EndCall(start);

                    // Cell (actual i % 2, predicted (i / 2 + id) % 2).
                    monitor.RecordGroundTruth(((i / 2) + id) % 2, i % 2);
                }
            },
            reading =>
            {
                ModelMonitorSnapshot s = monitor.GetSnapshot();
                long bucketTotal = 0;
                foreach (long count in s.Latency.Buckets) // the buckets held (the boundary cells follow them)
                {
                    bucketTotal += count;
                }

                string where = $"snapshot {reading}: calls {s.Calls}, items {s.Items}, in flight {s.InFlight}, latency count {s.Latency.Count}";
                if (s.Latency.Count != bucketTotal)
                {
                    run.Problem($"{where}: bucket total {bucketTotal}");
                }

                if (s.InFlight < 0 || s.Items < s.Calls || s.Calls < previousCalls || s.Items < previousItems)
                {
                    run.Problem($"{where}: previous calls {previousCalls}, items {previousItems}");
                }

                if (s.Latency.Count != s.Calls || s.Failed != 0 || s.Calls > (long)threadCount * PerThread)
                {
                    run.Problem($"{where}: failed {s.Failed}");
                }

                if (s.Classification!.Total < previousPairs)
                {
                    run.Problem($"{where}: labelled pairs {s.Classification.Total} after {previousPairs}");
                }

                previousCalls = s.Calls;
                previousItems = s.Items;
                previousPairs = s.Classification.Total;
            });
        run.AssertClean();

        long total = (long)threadCount * PerThread;
        ModelMonitorSnapshot final = monitor.GetSnapshot();
        Assert.That(final.Calls, Is.EqualTo(total));
        Assert.That(final.Succeeded, Is.EqualTo(total));
        Assert.That(final.Items, Is.EqualTo(total));
        Assert.That(final.InFlight, Is.Zero);
        Assert.That(final.Latency.Count, Is.EqualTo(total));
        Assert.That(final.Latency.Sum, Is.GreaterThan(0));
        Assert.That(final.Rejected, Is.Empty);

        // Per thread, i runs over 10^6 values; (actual, predicted) = (i % 2, (i / 2 + id) % 2) cycles through
        // (0, id), (1, id), (0, 1 - id), (1, 1 - id) every 4 values, so each cell gets 250 000 per thread.
        ClassificationSnapshot quality = final.Classification!;
        Assert.That(quality.Total, Is.EqualTo(total));
        for (int a = 0; a < 2; a++)
        {
            for (int p = 0; p < 2; p++)
            {
                Assert.That(quality.GetCount(predicted: p, actual: a), Is.EqualTo(total / 4), $"actual {a}, predicted {p}");
            }
        }
    }
}
