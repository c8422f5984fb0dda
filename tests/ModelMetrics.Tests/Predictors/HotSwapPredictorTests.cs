// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace ModelMetrics.Tests.Predictors;

public class HotSwapPredictorTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Two threads × 10^6 calls (sync and async alternately) while a third swaps the model every millisecond: every call
    /// is answered by a model that was live while it ran, the models' own counts equal the callers' tallies and add up to
    /// the calls, no model is called after its disposal or disposed during a call, and each is disposed exactly once.
    /// </summary>
    [Test]
    public void Swap_EveryMillisecondUnderTwoCallers_ExactCountsAndOneDisposalEach()
    {
        const int Callers = 2;
        const int CallsPerCaller = 1_000_000;
        const int MaxSwaps = 10_000;
        var models = new List<CountingModel> { new(0) };
        var drains = new List<Task<IPredictor<int, int>>>();
        var hot = new HotSwapPredictor<int, int>(models[0]);

        // A swap bumps _started before and _completed after: the model live at any moment has an id in [completed, started].
        int started = 0;
        int completed = 0;
        long[][] tallies = [.. Enumerable.Range(0, Callers).Select(_ => new long[MaxSwaps + 2])];
        var run = new ConcurrentRun(Callers) { MaxReadings = MaxSwaps };
        run.Execute(
            write: caller =>
            {
                long[] tally = tallies[caller];
                var sinceStart = Stopwatch.StartNew();
                for (int i = 0; i < CallsPerCaller && run.InTime; i++)
                {
                    if (i == CallsPerCaller / 2)
                    {
                        // Halfway, make sure some swaps happened while we call (the swapper shares two cores with us);
                        // bounded by time: the assertions below say so if it never happened.
                        while (hot.Swaps < 2 && sinceStart.Elapsed < Wait && run.InTime)
                        {
                            Thread.Yield();
                        }
                    }

                    int low = Volatile.Read(ref completed);
                    int answer = (i & 1) == 0 ? hot.Predict(i) : hot.PredictAsync(i).AsTask().Result;
                    int high = Volatile.Read(ref started);
                    if (answer < low || answer > high)
                    {
                        run.Problem($"caller {caller}, call {i}: answered by model {answer}, live ones were {low}..{high}");
                    }

                    tally[answer]++;
                }
            },
            read: swap =>
            {
                var next = new CountingModel(swap);
                models.Add(next);
                Volatile.Write(ref started, swap);
                drains.Add(hot.Swap(next));
                Volatile.Write(ref completed, swap);
                Thread.Sleep(1);
            });
        hot.Dispose();
        bool drained = Task.WaitAll([.. drains], Wait);
        SpinWait.SpinUntil(() => models[^1].Disposals != 0, Wait);

        run.AssertClean();
        Assert.That(drained, Is.True, "every replaced model drained and disposed");
        Assert.Multiple(() =>
        {
            Assert.That(hot.Swaps, Is.EqualTo(models.Count - 1));
            Assert.That(hot.Swaps, Is.GreaterThanOrEqualTo(2), "swaps while the callers ran");
            Assert.That(models.Sum(m => m.Calls), Is.EqualTo((long)Callers * CallsPerCaller), "calls counted by the models");
            for (int id = 0; id < models.Count; id++)
            {
                long tallied = tallies.Sum(t => t[id]);
                Assert.That(models[id].Calls, Is.EqualTo(tallied), $"model {id}: its count vs. the answers it gave");
                Assert.That(models[id].Disposals, Is.EqualTo(1), $"model {id}: disposals");
            }

            Assert.That(models.Sum(m => m.Violations), Is.Zero, "calls after disposal or disposals during a call");
        });
    }

    [Test]
    public async Task Swap_AsyncCallInFlight_FinishesOnOldModelWhichIsDisposedAfterIt()
    {
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var old = new CountingModel(1, gate.Task);
        var next = new CountingModel(2);
        using var hot = new HotSwapPredictor<int, int>(old);

        ValueTask<int> inFlight = hot.PredictAsync(0);
        Task<IPredictor<int, int>> drained = hot.Swap(next);
        int afterSwap = hot.Predict(0);

        Assert.Multiple(() =>
        {
            Assert.That(inFlight.IsCompleted, Is.False);
            Assert.That(afterSwap, Is.EqualTo(2), "a call after the swap runs on the new model");
            Assert.That(old.Disposals, Is.Zero, "disposed while a call runs on it");
            Assert.That(drained.IsCompleted, Is.False);
            Assert.That(hot.Current, Is.SameAs(next));
        });

        gate.SetResult(0);
        int answer = await inFlight;
        IPredictor<int, int> replaced = await drained.WaitAsync(Wait);

        Assert.Multiple(() =>
        {
            Assert.That(answer, Is.EqualTo(1), "the call in flight finished on the old model");
            Assert.That(replaced, Is.SameAs(old));
            Assert.That(old.Disposals, Is.EqualTo(1));
            Assert.That(next.Disposals, Is.Zero);
        });
    }

    [Test]
    public async Task Swap_BatchInFlight_FinishesOnOldModel()
    {
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var old = new CountingModel(1, gate.Task);
        using var hot = new HotSwapPredictor<int, int>(old);

        ValueTask<IReadOnlyList<int>> inFlight = hot.PredictBatchAsync([1, 2, 3]);
        Task<IPredictor<int, int>> drained = hot.Swap(new CountingModel(2));
        IReadOnlyList<int> afterSwap = await hot.PredictBatchAsync([4]);
        Assert.That(old.Disposals, Is.Zero);

        gate.SetResult(0);
        IReadOnlyList<int> answers = await inFlight;
        await drained.WaitAsync(Wait);

        Assert.Multiple(() =>
        {
            Assert.That(answers, Is.EqualTo(new[] { 1, 1, 1 }));
            Assert.That(afterSwap, Is.EqualTo(new[] { 2 }));
            Assert.That(old.Disposals, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Swap_DuringStream_StreamEndsOnOldModelWhichIsDisposedWhenTheEnumeratorIs()
    {
        var old = new CountingModel(1);
        var next = new CountingModel(2);
        using var hot = new HotSwapPredictor<int, int>(old);

        var chunks = new List<int>();
        Task<IPredictor<int, int>>? drained = null;
        await foreach (int chunk in hot.PredictStreamingAsync(3))
        {
            chunks.Add(chunk);
            if (drained is null)
            {
                drained = hot.Swap(next);
                Assert.That(old.Disposals, Is.Zero, "disposed in the middle of a stream");
            }
        }

        await drained!.WaitAsync(Wait);
        var afterSwap = new List<int>();
        await foreach (int chunk in hot.PredictStreamingAsync(2))
        {
            afterSwap.Add(chunk);
        }

        Assert.Multiple(() =>
        {
            Assert.That(chunks, Is.EqualTo(new[] { 1, 1, 1 }));
            Assert.That(afterSwap, Is.EqualTo(new[] { 2, 2 }));
            Assert.That(old.Disposals, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Swap_StreamNeverEnumerated_HoldsNothing()
    {
        var old = new CountingModel(1);
        using var hot = new HotSwapPredictor<int, int>(old);

        _ = hot.PredictStreamingAsync(3);
        await hot.Swap(new CountingModel(2)).WaitAsync(Wait);

        Assert.That(old.Disposals, Is.EqualTo(1));
    }

    [Test]
    public async Task Predict_ModelThrows_CallIsReleasedAndExceptionReachesCaller()
    {
        var failing = new CountingModel(1) { Failure = new InvalidOperationException("model failed") };
        using var hot = new HotSwapPredictor<int, int>(failing);

        Assert.Throws<InvalidOperationException>(() => hot.Predict(0));
        Assert.ThrowsAsync<InvalidOperationException>(async () => await hot.PredictAsync(0));
        await hot.Swap(new CountingModel(2)).WaitAsync(Wait);

        Assert.That(failing.Disposals, Is.EqualTo(1), "a failed call still left the model");
    }

    [Test]
    public void Dispose_Idle_DisposesTheLiveModelAtOnce()
    {
        var model = new CountingModel(1);
        new HotSwapPredictor<int, int>(model).Dispose();
        Assert.That(model.Disposals, Is.EqualTo(1));
    }

    [Test]
    public async Task Swap_NotOwningModels_NeverDisposesAndRollsBack()
    {
        var champion = new CountingModel(1);
        var challenger = new CountingModel(2);
        var hot = new HotSwapPredictor<int, int>(champion, ownsModels: false);

        IPredictor<int, int> replaced = await hot.Swap(challenger).WaitAsync(Wait);
        int promoted = hot.Predict(0);
        await hot.Swap(replaced).WaitAsync(Wait);
        int rolledBack = hot.Predict(0);
        hot.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(replaced, Is.SameAs(champion));
            Assert.That(promoted, Is.EqualTo(2));
            Assert.That(rolledBack, Is.EqualTo(1));
            Assert.That(champion.Disposals + challenger.Disposals, Is.Zero);
            Assert.That(hot.Swaps, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task Swap_TheLiveModelItself_ChangesNothing()
    {
        var model = new CountingModel(1);
        using var hot = new HotSwapPredictor<int, int>(model);

        IPredictor<int, int> same = await hot.Swap(model).WaitAsync(Wait);

        Assert.Multiple(() =>
        {
            Assert.That(same, Is.SameAs(model));
            Assert.That(hot.Predict(0), Is.EqualTo(1));
            Assert.That(model.Disposals, Is.Zero);
            Assert.That(hot.Swaps, Is.Zero);
        });
    }

    [Test]
    public async Task Dispose_WithCallInFlight_DisposesModelAfterItAndRefusesNewCalls()
    {
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var model = new CountingModel(1, gate.Task);
        var hot = new HotSwapPredictor<int, int>(model);

        ValueTask<int> inFlight = hot.PredictAsync(0);
        hot.Dispose();
        Assert.That(model.Disposals, Is.Zero);
        Assert.Throws<ObjectDisposedException>(() => hot.Predict(0));
        Assert.Throws<ObjectDisposedException>(() => hot.Swap(new CountingModel(2)));
        Assert.That(hot.GetService<ModelMonitor>(), Is.Null, "GetService after Dispose finds nothing and does not throw");

        gate.SetResult(0);
        Assert.That(await inFlight, Is.EqualTo(1));
        Assert.That(SpinWait.SpinUntil(() => model.Disposals != 0, Wait), Is.True, "disposed (on the thread pool) after the call");
        Assert.That(model.Disposals, Is.EqualTo(1));
        hot.Dispose();
        Assert.That(model.Disposals, Is.EqualTo(1), "a second Dispose disposes nothing more");
    }

    [Test]
    public void GetService_FindsItselfAndTheLiveModelsMonitor()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "swap-service", ModelVersion = "2" });
        IPredictor<int, int> versioned = new CountingModel(2).AsBuilder().UseMetrics(monitor).Build();
        using var hot = new HotSwapPredictor<int, int>(new CountingModel(1));
        hot.Swap(versioned);

        Assert.Multiple(() =>
        {
            Assert.That(hot.GetService<HotSwapPredictor<int, int>>(), Is.SameAs(hot));
            Assert.That(hot.GetService<ModelMonitor>(), Is.SameAs(monitor));
        });
    }

    /// <summary>A model that answers its id, counts its calls and disposals, and notes a call after disposal.</summary>
    private sealed class CountingModel(int id, Task? gate = null) : IPredictor<int, int>
    {
        private long _calls;
        private int _inFlight;
        private int _disposals;
        private int _violations;

        public long Calls => Interlocked.Read(ref _calls);

        public int Disposals => Volatile.Read(ref _disposals);

        public int Violations => Volatile.Read(ref _violations);

        public Exception? Failure { get; init; }

        public int Predict(int input)
        {
            Enter();
            try
            {
                return Failure is null ? id : throw Failure;
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        public async ValueTask<int> PredictAsync(int input, CancellationToken cancellationToken = default)
        {
            if (gate is null && Failure is null)
            {
                return Predict(input);
            }

            Enter();
            try
            {
                if (gate is not null)
                {
                    await gate;
                }

                return Failure is null ? id : throw Failure;
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        public async ValueTask<IReadOnlyList<int>> PredictBatchAsync(IReadOnlyList<int> inputs, CancellationToken cancellationToken = default)
        {
            var outputs = new List<int>();
            foreach (int input in inputs)
            {
                outputs.Add(await PredictAsync(input, cancellationToken));
            }

            return outputs;
        }

        public async IAsyncEnumerable<int> PredictStreamingAsync(int input, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            for (int i = 0; i < input; i++)
            {
                await Task.Yield();
                yield return Predict(input);
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
            if (Volatile.Read(ref _inFlight) != 0)
            {
                Interlocked.Increment(ref _violations);
            }

            Interlocked.Increment(ref _disposals);
        }

        private void Enter()
        {
            Interlocked.Increment(ref _inFlight);
            Interlocked.Increment(ref _calls);
            if (Volatile.Read(ref _disposals) != 0)
            {
                Interlocked.Increment(ref _violations);
            }
        }
    }
}
