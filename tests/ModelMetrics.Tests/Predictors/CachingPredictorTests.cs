// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace ModelMetrics.Tests.Predictors;

public class CachingPredictorTests
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    [Test]
    public void Predict_RepeatedKey_ServedFromCacheWithoutModelCall()
    {
        int modelCalls = 0;
        using IPredictor<int, int> pipeline = Predictor.Create<int, int>(x => { Interlocked.Increment(ref modelCalls); return x * 10; })
            .AsBuilder().UseCache(x => x % 100).Build();

        int[] answers = [pipeline.Predict(7), pipeline.Predict(7), pipeline.Predict(107), pipeline.Predict(8)];

        CacheStatistics statistics = pipeline.GetService<CacheStatistics>()!;
        Assert.Multiple(() =>
        {
            // 107 has the key of 7: it is answered with 7's output, as the key selector says they are the same.
            Assert.That(answers, Is.EqualTo(new[] { 70, 70, 70, 80 }));
            Assert.That(modelCalls, Is.EqualTo(2));
            Assert.That(statistics.Hits, Is.EqualTo(2));
            Assert.That(statistics.Misses, Is.EqualTo(2));
            Assert.That(statistics.Coalesced, Is.Zero);
            Assert.That(statistics.Entries, Is.EqualTo(2));
            Assert.That(statistics.HitRatio, Is.EqualTo(0.5));
        });
    }

    /// <summary>Two threads over a shared set of keys that fits: one model call per key, every lookup counted once.</summary>
    [Test]
    public void Predict_TwoThreadsKeysFit_ExactlyOneModelCallPerKey()
    {
        const int Keys = 1000;
        const int CallsPerThread = 50_000;
        int modelCalls = 0;
        using IPredictor<int, int> pipeline = Predictor.Create<int, int>(x => { Interlocked.Increment(ref modelCalls); return -x; })
            .AsBuilder().UseCache(x => x, o => o.TimeProvider = new FakeTimeProvider()).Build();
        var run = new ConcurrentRun(2);
        run.Execute(thread =>
        {
            for (int i = 0; i < CallsPerThread && run.InTime; i++)
            {
                int input = ((i * 7) + (thread * 500)) % Keys;
                if (pipeline.Predict(input) != -input)
                {
                    run.Problem($"input {input}: a wrong answer");
                }
            }
        });

        run.AssertClean();
        CacheStatistics statistics = pipeline.GetService<CacheStatistics>()!;
        Assert.Multiple(() =>
        {
            Assert.That(modelCalls, Is.EqualTo(Keys));
            Assert.That(statistics.Misses, Is.EqualTo(Keys));
            Assert.That(statistics.Hits + statistics.Coalesced, Is.EqualTo((2L * CallsPerThread) - Keys));
            Assert.That(statistics.Entries, Is.EqualTo(Keys));
            Assert.That(statistics.CapacityEvictions + statistics.ExpiredEvictions, Is.Zero);
        });
    }

    /// <summary>Two threads over more keys than fit: every stored output is still held or was evicted, and the cache never ends over capacity.</summary>
    [Test]
    public void Predict_TwoThreadsKeysOverflow_EvictionsAccountForEveryStoredOutput()
    {
        const int Capacity = 500;
        const int CallsPerThread = 50_000;
        int modelCalls = 0;
        using IPredictor<int, int> pipeline = Predictor.Create<int, int>(x => { Interlocked.Increment(ref modelCalls); return -x; })
            .AsBuilder().UseCache(x => x, o => { o.Capacity = Capacity; o.TimeProvider = new FakeTimeProvider(); }).Build();
        var run = new ConcurrentRun(2);
        run.Execute(thread =>
        {
            for (int i = 0; i < CallsPerThread && run.InTime; i++)
            {
                // Hot keys below 100 stay cached; the rest cycle through 3000 keys and push each other out.
                int input = i % 4 == 0 ? (i / 4) % 3000 + 100 : (i + thread) % 100;
                if (pipeline.Predict(input) != -input)
                {
                    run.Problem($"input {input}: a wrong answer");
                }
            }
        });

        run.AssertClean();
        CacheStatistics statistics = pipeline.GetService<CacheStatistics>()!;
        Assert.Multiple(() =>
        {
            Assert.That(statistics.Misses, Is.EqualTo(modelCalls));
            Assert.That(statistics.Hits + statistics.Misses + statistics.Coalesced, Is.EqualTo(2L * CallsPerThread));
            Assert.That(statistics.Entries + statistics.CapacityEvictions, Is.EqualTo(statistics.Misses));
            Assert.That(statistics.ExpiredEvictions, Is.Zero);
            Assert.That(statistics.Entries, Is.InRange(Capacity - (Capacity / 16), Capacity));
            Assert.That(statistics.CapacityEvictions, Is.GreaterThanOrEqualTo(3000 + 100 - Capacity));
        });
    }

    /// <summary>100 calls with one key issued while its model call is pending: one model call, 99 coalesced, all get its output.</summary>
    [Test]
    public async Task PredictAsync_HundredIdenticalWhileInFlight_OneModelCallNinetyNineCoalesced()
    {
        int modelCalls = 0;
        var gate = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using IPredictor<int, string> pipeline = Predictor.CreateFromTask<int, string>((_, _) => { Interlocked.Increment(ref modelCalls); return gate.Task; })
            .AsBuilder().UseCache(x => x).Build();

        Task<string>[] calls = [.. Enumerable.Range(0, 100).Select(_ => pipeline.PredictAsync(42).AsTask())];
        gate.SetResult("answer");
        string[] answers = await Task.WhenAll(calls).WaitAsync(WaitLimit);

        CacheStatistics statistics = pipeline.GetService<CacheStatistics>()!;
        Assert.Multiple(() =>
        {
            Assert.That(answers, Is.All.EqualTo("answer"));
            Assert.That(modelCalls, Is.EqualTo(1));
            Assert.That(statistics.Misses, Is.EqualTo(1));
            Assert.That(statistics.Coalesced, Is.EqualTo(99));
            Assert.That(statistics.Hits, Is.Zero);
        });
    }

    /// <summary>100 concurrent identical calls from thread-pool threads, the model held until all have started: exactly one model call.</summary>
    [Test]
    public async Task PredictAsync_HundredConcurrentIdentical_ExactlyOneModelCall()
    {
        const int Calls = 100;
        int modelCalls = 0;
        using var started = new CountdownEvent(Calls);
        using IPredictor<int, int> pipeline = Predictor.CreateFromTask<int, int>(async (x, _) =>
            {
                Interlocked.Increment(ref modelCalls);
                await Task.Run(() => started.Wait(WaitLimit)).ConfigureAwait(false);
                return x + 1;
            })
            .AsBuilder().UseCache(x => x).Build();

        Task<int>[] calls = [.. Enumerable.Range(0, Calls).Select(_ => Task.Run(async () =>
        {
            started.Signal();
            return await pipeline.PredictAsync(5).ConfigureAwait(false);
        }))];
        int[] answers = await Task.WhenAll(calls).WaitAsync(WaitLimit);

        CacheStatistics statistics = pipeline.GetService<CacheStatistics>()!;
        Assert.Multiple(() =>
        {
            Assert.That(answers, Is.All.EqualTo(6));
            Assert.That(modelCalls, Is.EqualTo(1));
            Assert.That(statistics.Misses, Is.EqualTo(1));
            Assert.That(statistics.Hits + statistics.Coalesced, Is.EqualTo(Calls - 1));
        });
    }

    [Test]
    public void Predict_TimeToLivePassed_CallsModelAgainAndCountsExpiry()
    {
        var clock = new FakeTimeProvider();
        int modelCalls = 0;
        using IPredictor<int, int> pipeline = Predictor.Create<int, int>(_ => ++modelCalls)
            .AsBuilder().UseCache(x => x, o => { o.TimeToLive = TimeSpan.FromMinutes(1); o.TimeProvider = clock; }).Build();

        int first = pipeline.Predict(1);
        clock.Advance(TimeSpan.FromSeconds(59));
        int beforeExpiry = pipeline.Predict(1);
        clock.Advance(TimeSpan.FromSeconds(1));
        int atExpiry = pipeline.Predict(1);

        CacheStatistics statistics = pipeline.GetService<CacheStatistics>()!;
        Assert.Multiple(() =>
        {
            Assert.That(new[] { first, beforeExpiry, atExpiry }, Is.EqualTo(new[] { 1, 1, 2 }));
            Assert.That(statistics.Hits, Is.EqualTo(1));
            Assert.That(statistics.Misses, Is.EqualTo(2));
            Assert.That(statistics.ExpiredEvictions, Is.EqualTo(1));
            Assert.That(statistics.Entries, Is.EqualTo(1));
        });
    }

    [Test]
    public void Predict_OverCapacity_EvictsLeastRecentlyUsed()
    {
        int modelCalls = 0;
        using IPredictor<int, int> pipeline = Predictor.Create<int, int>(x => { modelCalls++; return x; })
            .AsBuilder().UseCache(x => x, o => { o.Capacity = 3; o.TimeProvider = new FakeTimeProvider(); }).Build();

        pipeline.Predict(1);
        pipeline.Predict(2);
        pipeline.Predict(3);
        pipeline.Predict(1); // 2 is now the least recently used
        pipeline.Predict(4); // evicts 2
        CacheStatistics afterInsert = pipeline.GetService<CacheStatistics>()!;
        pipeline.Predict(1);
        pipeline.Predict(3);
        pipeline.Predict(4);
        int callsBefore = modelCalls;
        pipeline.Predict(2);

        Assert.Multiple(() =>
        {
            Assert.That(afterInsert.Entries, Is.EqualTo(3));
            Assert.That(afterInsert.CapacityEvictions, Is.EqualTo(1));
            Assert.That(callsBefore, Is.EqualTo(4), "1, 3 and 4 were still cached");
            Assert.That(modelCalls, Is.EqualTo(5), "2 was evicted");
            Assert.That(pipeline.GetService<CacheStatistics>()!.Entries, Is.EqualTo(3));
        });
    }

    [Test]
    public void Predict_OverCapacityWithExpiredEntry_RemovesTheExpiredOneFirst()
    {
        var clock = new FakeTimeProvider();
        using IPredictor<int, int> pipeline = Predictor.Create<int, int>(x => x)
            .AsBuilder().UseCache(x => x, o => { o.Capacity = 3; o.TimeToLive = TimeSpan.FromMinutes(1); o.TimeProvider = clock; }).Build();

        pipeline.Predict(1);
        clock.Advance(TimeSpan.FromSeconds(30));
        pipeline.Predict(2);
        pipeline.Predict(3);
        clock.Advance(TimeSpan.FromSeconds(31)); // 1 has expired, 2 and 3 have not
        pipeline.Predict(4);
        CacheStatistics afterInsert = pipeline.GetService<CacheStatistics>()!;
        pipeline.Predict(2);
        pipeline.Predict(3);
        pipeline.Predict(4);

        CacheStatistics statistics = pipeline.GetService<CacheStatistics>()!;
        Assert.Multiple(() =>
        {
            Assert.That(afterInsert.ExpiredEvictions, Is.EqualTo(1));
            Assert.That(afterInsert.CapacityEvictions, Is.Zero);
            Assert.That(afterInsert.Entries, Is.EqualTo(3));
            Assert.That(statistics.Hits, Is.EqualTo(3));
            Assert.That(statistics.Misses, Is.EqualTo(4));
        });
    }

    [Test]
    public void Predict_Hits_TimeSavedIsHitsTimesRecentMissLatency()
    {
        var clock = new FakeTimeProvider();
        using IPredictor<int, int> pipeline = Predictor.Create<int, int>(x =>
            {
                clock.Advance(TimeSpan.FromMilliseconds(x));
                return x;
            })
            .AsBuilder().UseCache(x => x, o => o.TimeProvider = clock).Build();

        pipeline.Predict(100);
        pipeline.Predict(100);
        pipeline.Predict(100);
        CacheStatistics afterFirstMiss = pipeline.GetService<CacheStatistics>()!;
        pipeline.Predict(200); // the mean moves 1/8 of the way: 100 + (200 − 100) / 8 = 112.5 ms
        pipeline.Predict(200);

        CacheStatistics statistics = pipeline.GetService<CacheStatistics>()!;
        Assert.Multiple(() =>
        {
            Assert.That(afterFirstMiss.MeanMissLatency, Is.EqualTo(TimeSpan.FromMilliseconds(100)));
            Assert.That(afterFirstMiss.TimeSaved, Is.EqualTo(TimeSpan.FromMilliseconds(200)));
            Assert.That(statistics.MeanMissLatency, Is.EqualTo(TimeSpan.FromMilliseconds(112.5)));
            Assert.That(statistics.TimeSaved, Is.EqualTo(TimeSpan.FromMilliseconds(312.5)));
        });
    }

    [Test]
    public void Predict_ModelThrows_NotCachedAndNextCallRetries()
    {
        int modelCalls = 0;
        var thrown = new InvalidOperationException("model failed");
        using IPredictor<int, int> pipeline = Predictor.Create<int, int>(x => ++modelCalls == 1 ? throw thrown : x)
            .AsBuilder().UseCache(x => x).Build();

        var caught = Assert.Throws<InvalidOperationException>(() => pipeline.Predict(1));
        int retried = pipeline.Predict(1);
        int cached = pipeline.Predict(1);

        CacheStatistics statistics = pipeline.GetService<CacheStatistics>()!;
        Assert.Multiple(() =>
        {
            Assert.That(caught, Is.SameAs(thrown));
            Assert.That(new[] { retried, cached }, Is.EqualTo(new[] { 1, 1 }));
            Assert.That(modelCalls, Is.EqualTo(2));
            Assert.That(statistics.Misses, Is.EqualTo(2));
            Assert.That(statistics.Hits, Is.EqualTo(1));
            Assert.That(statistics.Entries, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task PredictAsync_SharedCallFails_EveryWaiterGetsTheExceptionAndNothingIsCached()
    {
        int modelCalls = 0;
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thrown = new TimeoutException("model timed out");
        using IPredictor<int, int> pipeline = Predictor.CreateFromTask<int, int>((x, _) => Interlocked.Increment(ref modelCalls) == 1 ? gate.Task : Task.FromResult(x))
            .AsBuilder().UseCache(x => x).Build();

        Task<int>[] calls = [.. Enumerable.Range(0, 10).Select(_ => pipeline.PredictAsync(3).AsTask())];
        gate.SetException(thrown);
        foreach (Task<int> call in calls)
        {
            Assert.That(Assert.ThrowsAsync<TimeoutException>(() => call.WaitAsync(WaitLimit)), Is.SameAs(thrown));
        }

        int retried = await pipeline.PredictAsync(3);

        CacheStatistics statistics = pipeline.GetService<CacheStatistics>()!;
        Assert.Multiple(() =>
        {
            Assert.That(retried, Is.EqualTo(3));
            Assert.That(modelCalls, Is.EqualTo(2));
            Assert.That(statistics.Coalesced, Is.EqualTo(9));
            Assert.That(statistics.Misses, Is.EqualTo(2));
        });
    }

    [Test]
    public void Predict_KeySelectorThrowsOrReturnsNull_CallsModelUncachedAndCountsFault()
    {
        int modelCalls = 0;
        using IPredictor<string?, int> pipeline = Predictor.Create<string?, int>(s => { modelCalls++; return s?.Length ?? -1; })
            .AsBuilder().UseCache(s => s!.Length == 0 ? null! : s.ToUpperInvariant()).Build();

        int[] answers = [pipeline.Predict(null), pipeline.Predict(null), pipeline.Predict(string.Empty), pipeline.Predict("ab"), pipeline.Predict("AB")];

        CacheStatistics statistics = pipeline.GetService<CacheStatistics>()!;
        Assert.Multiple(() =>
        {
            Assert.That(answers, Is.EqualTo(new[] { -1, -1, 0, 2, 2 }));
            Assert.That(modelCalls, Is.EqualTo(4));
            Assert.That(statistics.KeyFaults, Is.EqualTo(3));
            Assert.That(statistics.Hits + statistics.Misses, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task PredictBatchAsync_HitsAndRepeatedKeys_ModelGetsEachMissingKeyOnce()
    {
        var batches = new List<int[]>();
        using IPredictor<int, int> pipeline = Predictor.CreateBatch<int, int>((inputs, _) =>
            {
                batches.Add([.. inputs]);
                return new ValueTask<IReadOnlyList<int>>([.. inputs.Select(x => x * 2)]);
            })
            .AsBuilder().UseCache(x => x < 0 ? null! : x.ToString(System.Globalization.CultureInfo.InvariantCulture)).Build();

        IReadOnlyList<int> first = await pipeline.PredictBatchAsync([1, 2, 1, 3]);
        IReadOnlyList<int> second = await pipeline.PredictBatchAsync([2, 4, -5, 3]);
        IReadOnlyList<int> third = await pipeline.PredictBatchAsync([1, 4]);
        int single = pipeline.Predict(4);

        CacheStatistics statistics = pipeline.GetService<CacheStatistics>()!;
        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo(new[] { 2, 4, 2, 6 }));
            Assert.That(second, Is.EqualTo(new[] { 4, 8, -10, 6 }));
            Assert.That(third, Is.EqualTo(new[] { 2, 8 }));
            Assert.That(single, Is.EqualTo(8));

            // The third batch is all hits: no model call. The key-less item (-5) goes to the model uncached.
            Assert.That(batches, Is.EqualTo(new[] { new[] { 1, 2, 3 }, new[] { 4, -5 } }));
            Assert.That(statistics.Misses, Is.EqualTo(4));
            Assert.That(statistics.Coalesced, Is.EqualTo(1));
            Assert.That(statistics.Hits, Is.EqualTo(5));
            Assert.That(statistics.KeyFaults, Is.EqualTo(1));
            Assert.That(statistics.Entries, Is.EqualTo(4));
        });
    }

    [Test]
    public async Task PredictBatchAsync_WaitsForSameKeyInFlight_SharesThatCall()
    {
        int singleCalls = 0;
        var batches = new List<int[]>();
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        using IPredictor<int, int> pipeline = new GatedModel(gate, batches, () => Interlocked.Increment(ref singleCalls))
            .AsBuilder().UseCache(x => x).Build();

        Task<int> inFlight = pipeline.PredictAsync(7).AsTask();
        Task<IReadOnlyList<int>> batch = pipeline.PredictBatchAsync([7, 8]).AsTask();
        gate.SetResult(70);
        IReadOnlyList<int> outputs = await batch.WaitAsync(WaitLimit);

        CacheStatistics statistics = pipeline.GetService<CacheStatistics>()!;
        Assert.Multiple(() =>
        {
            Assert.That(inFlight.Result, Is.EqualTo(70));
            Assert.That(outputs, Is.EqualTo(new[] { 70, 80 }));
            Assert.That(singleCalls, Is.EqualTo(1));
            Assert.That(batches, Is.EqualTo(new[] { new[] { 8 } }));
            Assert.That(statistics.Coalesced, Is.EqualTo(1));
            Assert.That(statistics.Misses, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task PredictBatchAsync_ModelFails_NothingCachedAndNextBatchRetries()
    {
        int batchCalls = 0;
        var thrown = new InvalidOperationException("batch failed");
        using IPredictor<int, int> pipeline = Predictor.CreateBatch<int, int>((inputs, _) =>
                ++batchCalls == 1 ? throw thrown : new ValueTask<IReadOnlyList<int>>([.. inputs]))
            .AsBuilder().UseCache(x => x).Build();

        var caught = Assert.ThrowsAsync<InvalidOperationException>(async () => await pipeline.PredictBatchAsync([1, 2]));
        IReadOnlyList<int> retried = await pipeline.PredictBatchAsync([1, 2]);

        Assert.Multiple(() =>
        {
            Assert.That(caught, Is.SameAs(thrown));
            Assert.That(retried, Is.EqualTo(new[] { 1, 2 }));
            Assert.That(batchCalls, Is.EqualTo(2));
            Assert.That(pipeline.GetService<CacheStatistics>()!.Entries, Is.EqualTo(2));
        });
    }

    [Test]
    public void PredictBatchAsync_ModelReturnsWrongCount_FailsWithClearErrorAndCachesNothing()
    {
        using IPredictor<int, int> pipeline = Predictor.CreateBatch<int, int>((inputs, _) => new ValueTask<IReadOnlyList<int>>([1]))
            .AsBuilder().UseCache(x => x).Build();

        var caught = Assert.ThrowsAsync<InvalidOperationException>(async () => await pipeline.PredictBatchAsync([1, 2, 3]));

        Assert.Multiple(() =>
        {
            Assert.That(caught!.Message, Does.Contain("1 outputs for a batch of 3 inputs"));
            Assert.That(pipeline.GetService<CacheStatistics>()!.Entries, Is.Zero);
        });
    }

    [Test]
    public async Task PredictStreamingAsync_PassesThroughUncached()
    {
        int streams = 0;
        using IPredictor<int, int> pipeline = Predictor.CreateStreaming<int, int>((x, _) => Chunks(x, () => streams++))
            .AsBuilder().UseCache(x => x).Build();

        var chunks = new List<int>();
        for (int call = 0; call < 2; call++)
        {
            await foreach (int chunk in pipeline.PredictStreamingAsync(3))
            {
                chunks.Add(chunk);
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(chunks, Is.EqualTo(new[] { 0, 1, 2, 0, 1, 2 }));
            Assert.That(streams, Is.EqualTo(2));
            Assert.That(pipeline.GetService<CacheStatistics>()!.Misses + pipeline.GetService<CacheStatistics>()!.Hits, Is.Zero);
        });

        static async IAsyncEnumerable<int> Chunks(int count, Action started)
        {
            started();
            for (int i = 0; i < count; i++)
            {
                await Task.Yield();
                yield return i;
            }
        }
    }

    /// <summary>The stage's place decides what the monitor counts: after the cache, model inferences; before it, every call served.</summary>
    [Test]
    public void UseMetrics_AfterOrBeforeCache_CountsInferencesOrCallsServed()
    {
        using var inferences = new ModelMonitor(new ModelMonitorOptions { ModelName = "cache-inner-" + TestContext.CurrentContext.Test.Name });
        using var served = new ModelMonitor(new ModelMonitorOptions { ModelName = "cache-outer-" + TestContext.CurrentContext.Test.Name });
        using IPredictor<int, int> pipeline = Predictor.Create<int, int>(x => x)
            .AsBuilder()
            .UseMetrics(served)
            .UseCache(x => x)
            .UseMetrics(inferences)
            .Build();

        foreach (int input in new[] { 1, 1, 1, 2, 2 })
        {
            pipeline.Predict(input);
        }

        Assert.Multiple(() =>
        {
            Assert.That(inferences.GetSnapshot().Calls, Is.EqualTo(2));
            Assert.That(served.GetSnapshot().Calls, Is.EqualTo(5));
        });
    }

    /// <summary>A hit allocates nothing, <c>Predict</c> and <c>PredictAsync</c> alike (the best of three measurements of 10 000 hits, so that a one-time runtime allocation cannot fail it).</summary>
    [Test]
    public void Hit_PredictAndPredictAsync_AllocateNothing()
    {
        const int Keys = 100;
        using IPredictor<int, int> pipeline = Predictor.Create<int, int>(static x => x + 1).AsBuilder().UseCache(static x => x).Build();
        int wrong = 0;
        for (int i = 0; i < 10 * Keys; i++)
        {
            wrong += pipeline.Predict(i % Keys) == (i % Keys) + 1 ? 0 : 1;
            wrong += pipeline.PredictAsync(i % Keys).AsTask().Result == (i % Keys) + 1 ? 0 : 1;
        }

        long best = long.MaxValue;
        for (int attempt = 0; attempt < 3 && best > 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10_000; i++)
            {
                wrong += pipeline.Predict(i % Keys) == (i % Keys) + 1 ? 0 : 1;
                ValueTask<int> pending = pipeline.PredictAsync(i % Keys);
                wrong += pending.IsCompletedSuccessfully && pending.Result == (i % Keys) + 1 ? 0 : 1;
            }

            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Multiple(() =>
        {
            Assert.That(best, Is.Zero);
            Assert.That(wrong, Is.Zero);
            Assert.That(pipeline.GetService<CacheStatistics>()!.Misses, Is.EqualTo(Keys));
        });
    }

    [Test]
    public void CacheOptions_OutOfRange_ThrowsNamingTheOption()
    {
        var options = new CacheOptions();
        Assert.Multiple(() =>
        {
            Assert.That(() => options.Capacity = 0, Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("Capacity"));
            Assert.That(() => options.Capacity = CacheOptions.MaxCapacity + 1, Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("Capacity"));
            Assert.That(() => options.TimeToLive = TimeSpan.Zero, Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("TimeToLive"));
            Assert.That(() => options.TimeToLive = CacheOptions.MaxTimeToLive + TimeSpan.FromTicks(1), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("TimeToLive"));
            Assert.That(() => options.TimeProvider = null!, Throws.ArgumentNullException.With.Property("ParamName").EqualTo("TimeProvider"));
            Assert.That(options.Capacity, Is.EqualTo(10_000));
            Assert.That(options.TimeToLive, Is.EqualTo(TimeSpan.FromMinutes(5)));
        });
    }

    /// <summary>A model whose single calls wait for a gate and whose batches answer at once (input × 10).</summary>
    private sealed class GatedModel(TaskCompletionSource<int> gate, List<int[]> batches, Action singleCall) : IPredictor<int, int>
    {
        public int Predict(int input) => throw new NotSupportedException();

        public ValueTask<int> PredictAsync(int input, CancellationToken cancellationToken = default)
        {
            singleCall();
            return new ValueTask<int>(gate.Task);
        }

        public ValueTask<IReadOnlyList<int>> PredictBatchAsync(IReadOnlyList<int> inputs, CancellationToken cancellationToken = default)
        {
            batches.Add([.. inputs]);
            return new ValueTask<IReadOnlyList<int>>([.. inputs.Select(x => x * 10)]);
        }

        public IAsyncEnumerable<int> PredictStreamingAsync(int input, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
