// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Cache;

public class CacheSignalTests
{
    [Test]
    public void UseCacheOverMetrics_CountsInMonitorSnapshotAndEachWindow()
    {
        var clock = new FakeTimeProvider();
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = Name(), TimeProvider = clock });
        using IPredictor<int, int> pipeline = Predictor.Create<int, int>(x => x)
            .AsBuilder().UseCache(x => x, o => o.TimeProvider = clock).UseMetrics(monitor).Build();

        foreach (int input in new[] { 1, 1, 1, 2 })
        {
            pipeline.Predict(input);
        }

        // Windows keep checkpoints of the counts they read, as every collection does; a window covers from the latest
        // checkpoint at least its length old: here the one at 61 s for the 1-minute window, the start for the others.
        clock.Advance(TimeSpan.FromSeconds(61));
        monitor.GetSnapshot();
        clock.Advance(TimeSpan.FromSeconds(61));
        pipeline.Predict(2);
        pipeline.Predict(3);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        CacheStatistics total = snapshot.Cache!;
        CacheStatistics lastMinute = snapshot.Windows[0].Cache!;
        CacheStatistics lastFive = snapshot.Windows[1].Cache!;
        Assert.Multiple(() =>
        {
            Assert.That((total.Hits, total.Misses, total.Entries), Is.EqualTo((3L, 3L, 3L)));
            Assert.That((lastMinute.Hits, lastMinute.Misses), Is.EqualTo((1L, 1L)));
            Assert.That(lastMinute.HitRatio, Is.EqualTo(0.5));
            Assert.That((lastFive.Hits, lastFive.Misses), Is.EqualTo((3L, 3L)));

            // The monitor counts model inferences only: the three misses.
            Assert.That(snapshot.Calls, Is.EqualTo(3));
        });
    }

    [Test]
    public void MonitorWithoutCache_HasNoCachePartAndPublishesNoCacheInstrument()
    {
        string meter = "ModelMetrics.Tests." + Name();
        using var collector = new MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = Name(), MeterName = meter });
        monitor.RecordCall(0.01);

        List<Observed> observed = collector.Collect(Name());
        Assert.Multiple(() =>
        {
            Assert.That(monitor.GetSnapshot().Cache, Is.Null);
            Assert.That(monitor.GetSnapshot().Windows[0].Cache, Is.Null);
            Assert.That(observed.Where(o => o.Instrument.StartsWith("model.cache.", StringComparison.Ordinal)), Is.Empty);
        });
    }

    /// <summary>With the metrics stage outside the cache, <see cref="CacheOptions.Monitor"/> names the monitor; its instruments carry the model's attributes.</summary>
    [Test]
    public void ExplicitMonitor_PublishesLookupsEvictionsEntriesTimeSavedAndHitRatio()
    {
        string meter = "ModelMetrics.Tests." + Name();
        var clock = new FakeTimeProvider();
        using var collector = new MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = Name(), ModelVersion = "3", MeterName = meter, TimeProvider = clock });
        using IPredictor<int, int> pipeline = Predictor.Create<int, int>(x =>
            {
                clock.Advance(TimeSpan.FromMilliseconds(40));
                return x;
            })
            .AsBuilder()
            .UseMetrics(monitor)
            .UseCache(x => x, o =>
            {
                o.Monitor = monitor;
                o.Capacity = 2;
                o.TimeProvider = clock;
            })
            .Build();

        // Misses 1, 2, 3 (the third insert goes past capacity 2 and evicts the least recently used: 2); hits 1, 1; miss 2 again.
        foreach (int input in new[] { 1, 2, 1, 3, 1, 2 })
        {
            pipeline.Predict(input);
        }

        List<Observed> observed = collector.Collect(Name());
        Assert.Multiple(() =>
        {
            Assert.That(Value(observed, "model.cache.lookups", "result", "hit"), Is.EqualTo(2));
            Assert.That(Value(observed, "model.cache.lookups", "result", "miss"), Is.EqualTo(4));
            Assert.That(Value(observed, "model.cache.lookups", "result", "coalesced"), Is.Zero);
            Assert.That(Value(observed, "model.cache.evictions", "reason", "capacity"), Is.EqualTo(2));
            Assert.That(Value(observed, "model.cache.evictions", "reason", "expired"), Is.Zero);
            Assert.That(Value(observed, "model.cache.entries"), Is.EqualTo(2));
            Assert.That(Value(observed, "model.cache.key_faults"), Is.Zero);

            // Every miss took 40 ms, so the recent mean is 40 ms and each of the two hits saved that.
            Assert.That(Value(observed, "model.cache.time_saved"), Is.EqualTo(0.08).Within(1e-9));
            Assert.That(observed.Where(o => o.Instrument == "model.cache.hit_ratio").Select(o => o.Value), Is.All.EqualTo(2.0 / 6).Within(1e-12));
            Assert.That(observed.Count(o => o.Instrument == "model.cache.hit_ratio"), Is.EqualTo(3), "one per window");
            Assert.That(observed.Where(o => o.Instrument.StartsWith("model.cache.", StringComparison.Ordinal)).Select(o => o.Tag("model.version")), Is.All.EqualTo("3"));
        });
    }

    [Test]
    public void PipelineDisposed_CountsStayInTheMonitor()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = Name() });
        IPredictor<int, int> first = Predictor.Create<int, int>(x => x).AsBuilder().UseCache(x => x, o => o.Monitor = monitor).Build();
        IPredictor<int, int> second = Predictor.Create<int, int>(x => x).AsBuilder().UseCache(x => x, o => o.Monitor = monitor).Build();
        first.Predict(1);
        first.Predict(1);
        second.Predict(5);

        CacheStatistics both = monitor.GetSnapshot().Cache!;
        first.Dispose();
        first.Dispose();
        second.Predict(5);
        CacheStatistics afterDispose = monitor.GetSnapshot().Cache!;
        second.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That((both.Hits, both.Misses, both.Entries), Is.EqualTo((1L, 2L, 2L)));

            // Counters never go back; entries are what live caches hold.
            Assert.That((afterDispose.Hits, afterDispose.Misses, afterDispose.Entries), Is.EqualTo((2L, 2L, 1L)));
            Assert.That(monitor.GetSnapshot().Cache!.Entries, Is.Zero);
        });
    }

    private static double Value(List<Observed> observed, string instrument, string? key = null, string? value = null) =>
        observed.Single(o => o.Instrument == instrument && (key is null || o.Tag(key) == value)).Value;

    private static string Name() => "cache-" + TestContext.CurrentContext.Test.Name;
}
