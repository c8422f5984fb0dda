// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
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
        var errors = new List<Exception>();
        var problems = new List<string>();
        int writersLeft = threadCount;
        int snapshots = 0;
        using var barrier = new Barrier(threadCount + 1);

        var threads = new List<Thread>();
        for (int t = 0; t < threadCount; t++)
        {
            int id = t;
            threads.Add(new Thread(() =>
            {
                try
                {
                    barrier.SignalAndWait();
                    for (int i = 0; i < PerThread; i++)
                    {
                        long start = monitor.StartCall();
                        monitor.EndCall(start);

                        // Cell (actual i % 2, predicted (i / 2 + id) % 2).
                        monitor.RecordGroundTruth(((i / 2) + id) % 2, i % 2);
                    }
                }
                catch (Exception e)
                {
                    lock (errors)
                    {
                        errors.Add(e);
                    }
                }
                finally
                {
                    Interlocked.Decrement(ref writersLeft);
                }
            }));
        }

        threads.Add(new Thread(() =>
        {
            try
            {
                long previousCalls = 0, previousItems = 0, previousPairs = 0;
                barrier.SignalAndWait();
                while (Volatile.Read(ref writersLeft) > 0 && snapshots < MaxSnapshots && problems.Count < 10)
                {
                    ModelMonitorSnapshot s = monitor.GetSnapshot();
                    snapshots++;
                    long bucketTotal = 0;
                    foreach (long count in s.Latency.Counts[..s.Latency.Layout.BucketCount]) // the buckets; the boundary cells follow
                    {
                        bucketTotal += count;
                    }

                    string where = $"snapshot {snapshots}: calls {s.Calls}, items {s.Items}, in flight {s.InFlight}, latency count {s.Latency.Count}";
                    if (s.Latency.Count != bucketTotal)
                    {
                        problems.Add($"{where}: bucket total {bucketTotal}");
                    }

                    if (s.InFlight < 0 || s.Items < s.Calls || s.Calls < previousCalls || s.Items < previousItems)
                    {
                        problems.Add($"{where}: previous calls {previousCalls}, items {previousItems}");
                    }

                    if (s.Latency.Count != s.Calls || s.Failed != 0 || s.Calls > (long)threadCount * PerThread)
                    {
                        problems.Add($"{where}: failed {s.Failed}");
                    }

                    if (s.Classification!.Total < previousPairs)
                    {
                        problems.Add($"{where}: labelled pairs {s.Classification.Total} after {previousPairs}");
                    }

                    previousCalls = s.Calls;
                    previousItems = s.Items;
                    previousPairs = s.Classification.Total;
                }
            }
            catch (Exception e)
            {
                lock (errors)
                {
                    errors.Add(e);
                }
            }
        }));

        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.That(errors, Is.Empty);
        Assert.That(problems, Is.Empty);
        Assert.That(snapshots, Is.Positive);

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
