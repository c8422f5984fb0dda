// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Threading;
using System.Threading.Tasks;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Resources;

/// <summary>Readers on many threads, a collector and a dispose at once: no exception, and cumulative figures never go back.</summary>
[TestFixture]
public sealed class ResourceConcurrencyTests
{
    private int _disposer;

    [Test]
    public void Concurrent_readers_and_collections_see_monotonic_cumulative_figures_and_survive_dispose()
    {
        string meter = "ResourceConcurrency." + Guid.NewGuid().ToString("N");
        using var collector = new MeasurementCollector(meter);
        var resources = new ResourceMonitor(new ResourceMonitorOptions { MeterName = meter, Interval = TimeSpan.Zero, IncludeGpu = false });
        var errors = new ConcurrentQueue<string>();
        using var disposed = new ManualResetEventSlim();

        void Read(int iterations)
        {
            ResourceSnapshot? previous = null;
            for (int i = 0; i < iterations; i++)
            {
                try
                {
                    ResourceSnapshot s = resources.GetSnapshot();
                    if (previous is not null && (s.ProcessCpuUserTime < previous.ProcessCpuUserTime || s.GcAllocatedBytes < previous.GcAllocatedBytes || s.Timestamp < previous.Timestamp))
                    {
                        errors.Enqueue($"went back at {i}: user {previous.ProcessCpuUserTime} → {s.ProcessCpuUserTime}, allocated {previous.GcAllocatedBytes} → {s.GcAllocatedBytes}");
                    }

                    if (s.ProcessCpuUtilization is < 0 or double.NaN)
                    {
                        errors.Enqueue($"utilisation {s.ProcessCpuUtilization}");
                    }

                    previous = s;
                    if (i == iterations / 2 && Interlocked.Exchange(ref _disposer, 1) == 0)
                    {
                        resources.Dispose();
                        disposed.Set();
                    }
                }
                catch (Exception e)
                {
                    errors.Enqueue(e.ToString());
                }
            }
        }

        Task[] readers = [Task.Run(() => Read(300)), Task.Run(() => Read(300)), Task.Run(() => Read(300))];
        Task collecting = Task.Run(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                try
                {
                    collector.CollectAll();
                }
                catch (Exception e)
                {
                    errors.Enqueue(e.ToString());
                }
            }
        });

        Assert.That(Task.WaitAll([.. readers, collecting], TimeSpan.FromSeconds(60)), Is.True, "bounded");
        Assert.That(errors, Is.Empty);
        Assert.That(disposed.IsSet, Is.True);
        Assert.That(collector.CollectAll(), Is.Empty, "a disposed resource monitor publishes nothing");
    }
}
