// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.DependencyInjection;
using ModelMetrics.Tests;
using NUnit.Framework;

namespace ModelMetrics.Hosting.Tests;

[TestFixture]
public sealed class HybridCacheTests
{
    /// <summary>Two instances of a service share one distributed cache: the second answers from it without calling its model.</summary>
    [Test]
    public async Task Second_instance_is_answered_from_the_shared_distributed_layer()
    {
        // HybridCache skips MemoryDistributedCache (it would duplicate its own memory layer): a store of our own stands in for Redis.
        var shared = new SharedStore();
        int modelCalls = 0;
        using ServiceProvider first = Instance(shared);
        using ServiceProvider second = Instance(shared);
        using IPredictor<int, Score> one = Pipeline(first, () => Interlocked.Increment(ref modelCalls));
        using IPredictor<int, Score> two = Pipeline(second, () => Interlocked.Increment(ref modelCalls));

        Score fromModel = await one.PredictAsync(21);
        Score fromOwnMemory = await one.PredictAsync(21);
        for (int i = 0; i < 100 && shared.Get("score:21") is null; i++)
        {
            await Task.Delay(10);
        }

        Assert.That(shared.Get("score:21"), Is.Not.Null, "written to the distributed layer");
        Score fromDistributed = await two.PredictAsync(21);
        Score syncFromMemory = two.Predict(21);

        CacheStatistics a = one.GetService<CacheStatistics>()!;
        CacheStatistics b = two.GetService<CacheStatistics>()!;
        Assert.Multiple(() =>
        {
            Assert.That(new[] { fromModel, fromOwnMemory, fromDistributed, syncFromMemory }, Is.All.EqualTo(new Score("21", 42)));
            Assert.That(modelCalls, Is.EqualTo(1));
            Assert.That((a.Hits, a.Misses), Is.EqualTo((1L, 1L)));
            Assert.That((b.Hits, b.Misses), Is.EqualTo((2L, 0L)));
        });
    }

    [Test]
    public void Counts_reach_the_monitor_of_the_metrics_stage_the_cache_wraps_with_time_saved()
    {
        var clock = new FakeTimeProvider();
        using ServiceProvider services = Instance(distributed: null);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "hybrid-" + Guid.NewGuid().ToString("N"), TimeProvider = clock });
        using IPredictor<int, int> pipeline = Predictor.Create<int, int>(x =>
            {
                clock.Advance(TimeSpan.FromMilliseconds(30));
                return x * 2;
            })
            .AsBuilder()
            .UseHybridCache(x => x.ToString(CultureInfo.InvariantCulture), o => o.TimeProvider = clock)
            .UseMetrics(monitor)
            .Build(services);

        int[] answers = [pipeline.Predict(1), pipeline.Predict(1), pipeline.Predict(1), pipeline.Predict(2)];

        CacheStatistics cache = monitor.GetSnapshot().Cache!;
        Assert.Multiple(() =>
        {
            Assert.That(answers, Is.EqualTo(new[] { 2, 2, 2, 4 }));
            Assert.That((cache.Hits, cache.Misses, cache.KeyFaults), Is.EqualTo((2L, 2L, 0L)));
            Assert.That(cache.MeanMissLatency, Is.EqualTo(TimeSpan.FromMilliseconds(30)));
            Assert.That(cache.TimeSaved, Is.EqualTo(TimeSpan.FromMilliseconds(60)));

            // The monitor inside the cache counts model inferences only.
            Assert.That(monitor.GetSnapshot().Calls, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task Model_failure_propagates_unchanged_and_is_not_cached()
    {
        using ServiceProvider services = Instance(distributed: null);
        int calls = 0;
        var thrown = new InvalidOperationException("model failed");
        using IPredictor<int, int> pipeline = Predictor.Create<int, int>(x => ++calls == 1 ? throw thrown : x)
            .AsBuilder().UseHybridCache(x => x.ToString(CultureInfo.InvariantCulture)).Build(services);

        Assert.That(Assert.ThrowsAsync<InvalidOperationException>(async () => await pipeline.PredictAsync(5)), Is.SameAs(thrown));
        int retried = await pipeline.PredictAsync(5);
        int cached = await pipeline.PredictAsync(5);

        CacheStatistics statistics = pipeline.GetService<CacheStatistics>()!;
        Assert.Multiple(() =>
        {
            Assert.That((retried, cached, calls), Is.EqualTo((5, 5, 2)));
            Assert.That((statistics.Misses, statistics.Hits, statistics.KeyFaults), Is.EqualTo((2L, 1L, 0L)));
        });
    }

    [Test]
    public void Faulty_key_selector_or_failing_cache_is_served_by_the_model_and_counted()
    {
        int calls = 0;
        using IPredictor<int, int> badKeys = Predictor.Create<int, int>(x => ++calls)
            .AsBuilder().UseHybridCache(x => x < 0 ? null! : throw new FormatException(), o => o.Cache = new FailingCache()).Build();
        using IPredictor<int, int> badCache = Predictor.Create<int, int>(x => x * 3)
            .AsBuilder().UseHybridCache(x => "k", o => o.Cache = new FailingCache()).Build();

        int[] answers = [badKeys.Predict(-1), badKeys.Predict(1), badCache.Predict(4), badCache.PredictAsync(5).AsTask().GetAwaiter().GetResult()];

        Assert.Multiple(() =>
        {
            Assert.That(answers, Is.EqualTo(new[] { 1, 2, 12, 15 }));
            Assert.That(badKeys.GetService<CacheStatistics>()!.KeyFaults, Is.EqualTo(2));
            Assert.That(badCache.GetService<CacheStatistics>()!.KeyFaults, Is.EqualTo(2));
            Assert.That(badCache.GetService<CacheStatistics>()!.Hits + badCache.GetService<CacheStatistics>()!.Misses, Is.Zero);
        });
    }

    [Test]
    public void Without_a_registered_HybridCache_building_fails_saying_how_to_add_one()
    {
        PredictorBuilder<int, int> builder = Predictor.Create<int, int>(x => x).AsBuilder().UseHybridCache(x => "k");

        var error = Assert.Throws<InvalidOperationException>(() => builder.Build());
        Assert.That(error!.Message, Does.Contain("services.AddHybridCache()"));
    }

    private static ServiceProvider Instance(IDistributedCache? distributed)
    {
        var services = new ServiceCollection();
        if (distributed is not null)
        {
            services.AddSingleton(distributed);
        }

        services.AddHybridCache();
        return services.BuildServiceProvider();
    }

    private static IPredictor<int, Score> Pipeline(IServiceProvider services, Action modelCalled) =>
        Predictor.Create<int, Score>(x =>
            {
                modelCalled();
                return new Score(x.ToString(CultureInfo.InvariantCulture), x * 2);
            })
            .AsBuilder()
            .UseHybridCache(x => "score:" + x.ToString(CultureInfo.InvariantCulture))
            .Build(services);

    /// <summary>An output the cache serializes (System.Text.Json) to share it through the distributed layer.</summary>
    public sealed record Score(string Id, int Value);

    /// <summary>A distributed cache in a dictionary, shared by the test's two service instances (no expiry: entries live for the test).</summary>
    private sealed class SharedStore : IDistributedCache
    {
        private readonly ConcurrentDictionary<string, byte[]> _entries = new();

        public byte[]? Get(string key) => _entries.TryGetValue(key, out byte[]? value) ? value : null;

        public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => Task.FromResult(Get(key));

        public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => _entries[key] = value;

        public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
        {
            Set(key, value, options);
            return Task.CompletedTask;
        }

        public void Refresh(string key)
        {
        }

        public Task RefreshAsync(string key, CancellationToken token = default) => Task.CompletedTask;

        public void Remove(string key) => _entries.TryRemove(key, out _);

        public Task RemoveAsync(string key, CancellationToken token = default)
        {
            Remove(key);
            return Task.CompletedTask;
        }
    }

    /// <summary>A cache whose every operation fails, as a broken store would.</summary>
    private sealed class FailingCache : HybridCache
    {
        public override ValueTask<T> GetOrCreateAsync<TState, T>(
            string key,
            TState state,
            Func<TState, CancellationToken, ValueTask<T>> factory,
            HybridCacheEntryOptions? options = null,
            IEnumerable<string>? tags = null,
            CancellationToken cancellationToken = default) => throw new InvalidOperationException("cache store down");

        public override ValueTask SetAsync<T>(string key, T value, HybridCacheEntryOptions? options = null, IEnumerable<string>? tags = null, CancellationToken cancellationToken = default) =>
            throw new InvalidOperationException("cache store down");

        public override ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default) => throw new InvalidOperationException("cache store down");

        public override ValueTask RemoveByTagAsync(string tag, CancellationToken cancellationToken = default) => throw new InvalidOperationException("cache store down");
    }
}
