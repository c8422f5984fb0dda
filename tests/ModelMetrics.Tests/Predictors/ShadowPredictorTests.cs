// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace ModelMetrics.Tests.Predictors;

public class ShadowPredictorTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>
    /// A challenger stuck on its first sample, a queue of 4: of 100 sampled calls one runs, 4 wait and 95 are dropped and
    /// counted, while every caller gets the champion's answer at once. Released, the 5 are compared when the pipeline is disposed.
    /// </summary>
    [Test]
    public void Shadow_SlowChallenger_DropsCountedAndResultsUnchanged()
    {
        using var started = new ManualResetEventSlim();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var challenger = new ScriptedModel(x => x + 1000) { Started = started, Gate = gate.Task };
        IPredictor<int, int> pipeline = new ScriptedModel(x => x * 2).AsBuilder()
            .UseShadow(challenger, sampleRate: 1, o => o.QueueCapacity = 4)
            .Build();
        ShadowComparison shadow = pipeline.GetService<ShadowComparison>()!;

        var answers = new List<int> { pipeline.Predict(0) };
        Assert.That(started.Wait(Wait), Is.True, "the challenger never started");
        for (int i = 1; i < 100; i++)
        {
            answers.Add(pipeline.Predict(i));
        }

        Assert.Multiple(() =>
        {
            Assert.That(answers, Is.EqualTo(Enumerable.Range(0, 100).Select(x => x * 2)), "the champion's answers");
            Assert.That(shadow.Sampled, Is.EqualTo(100));
            Assert.That(shadow.Dropped, Is.EqualTo(95));
            Assert.That(shadow.Compared, Is.Zero);
        });

        gate.SetResult();
        pipeline.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(shadow.Compared, Is.EqualTo(5), "the running sample and the 4 queued, drained by Dispose");
            Assert.That(shadow.Agreed, Is.Zero);
            Assert.That(shadow.Dropped, Is.EqualTo(95));
            Assert.That(challenger.Disposals, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Shadow_ChallengerThrows_NeverReachesTheCaller()
    {
        var challenger = new ScriptedModel(x => x % 2 == 0 ? throw new InvalidOperationException("challenger fault") : x);
        using IPredictor<int, int> pipeline = new ScriptedModel(x => x).AsBuilder().UseShadow(challenger, 1).Build();
        ShadowComparison shadow = pipeline.GetService<ShadowComparison>()!;

        int sync = pipeline.Predict(2);
        int async = await pipeline.PredictAsync(4);
        IReadOnlyList<int> batch = await pipeline.PredictBatchAsync([6, 7]);
        int agreeing = pipeline.Predict(9);
        await WaitUntil(() => shadow.Compared + shadow.ChallengerFailed == 5);

        Assert.Multiple(() =>
        {
            Assert.That(sync, Is.EqualTo(2));
            Assert.That(async, Is.EqualTo(4));
            Assert.That(batch, Is.EqualTo(new[] { 6, 7 }));
            Assert.That(agreeing, Is.EqualTo(9));

            // The batch's challenger call throws on 6, so both of its inputs count as failed.
            Assert.That(shadow.ChallengerFailed, Is.EqualTo(4));
            Assert.That(shadow.Compared, Is.EqualTo(1));
            Assert.That(shadow.Agreed, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Shadow_ChampionThrows_CallerGetsTheChampionsExceptionAndNothingIsSampled()
    {
        var challenger = new ScriptedModel(x => x);
        using IPredictor<int, int> pipeline = new ScriptedModel(_ => throw new FormatException("champion fault")).AsBuilder().UseShadow(challenger, 1).Build();

        Assert.Throws<FormatException>(() => pipeline.Predict(1));
        Assert.ThrowsAsync<FormatException>(async () => await pipeline.PredictAsync(1));
        await Task.Yield();
        Assert.That(pipeline.GetService<ShadowComparison>()!.Sampled, Is.Zero);
    }

    /// <summary>Both predicted classes wait under the input's id; labels join them into McNemar's table.</summary>
    [Test]
    public async Task Shadow_LabelsJoinedById_FillThePairedTable()
    {
        // Champion: class = x mod 2; challenger: class = 1 when x mod 3 == 0, else x mod 2. Truth: 1 when x mod 3 == 0, else x mod 2
        // except every 7th input, where the truth is the other class.
        static int Champion(int x) => x % 2;
        static int Challenger(int x) => x % 3 == 0 ? 1 : x % 2;
        static int Truth(int x) => (x % 3 == 0 ? 1 : x % 2) ^ (x % 7 == 0 ? 1 : 0);

        using IPredictor<int, int> pipeline = new ScriptedModel(Champion).AsBuilder()
            .UseShadow(new ScriptedModel(Challenger), 1, o =>
            {
                o.PredictionId = x => x;
                o.PredictedClass = y => y;
            })
            .Build();
        ShadowComparison shadow = pipeline.GetService<ShadowComparison>()!;
        const int Inputs = 300;
        for (int x = 0; x < Inputs; x++)
        {
            await pipeline.PredictAsync(x);
        }

        await WaitUntil(() => shadow.Compared == Inputs);
        long[] expected = new long[4];
        for (int x = 0; x < Inputs; x++)
        {
            Assert.That(shadow.RecordLabel(x, Truth(x)), Is.True, $"label {x}");
            bool championRight = Champion(x) == Truth(x);
            bool challengerRight = Challenger(x) == Truth(x);
            expected[(championRight ? 0 : 2) + (challengerRight ? 0 : 1)]++;
        }

        bool again = shadow.RecordLabel(5, 1);
        bool unknown = shadow.RecordLabel(Inputs + 1, 1);
        int agreed = Enumerable.Range(0, Inputs).Count(x => Champion(x) == Challenger(x));

        Assert.Multiple(() =>
        {
            Assert.That(shadow.Outcomes, Is.EqualTo(new PairedOutcomes(expected[0], expected[1], expected[2], expected[3])));
            Assert.That(shadow.Outcomes.ChallengerOnlyCorrect, Is.Positive, "the table has discordant pairs to test");
            Assert.That(again, Is.False, "a second label for the same input");
            Assert.That(unknown, Is.False);
            Assert.That(shadow.UnmatchedLabels, Is.EqualTo(2));
            Assert.That(shadow.Agreed, Is.EqualTo(agreed));
            Assert.That(shadow.AgreementRate, Is.EqualTo((double)agreed / Inputs).Within(1e-12));
            Assert.That(shadow.Compare().Verdict, Is.EqualTo(ComparisonVerdict.Better));
        });
    }

    [Test]
    public async Task Shadow_CustomComparer_DecidesAgreement()
    {
        using IPredictor<int, int> pipeline = new ScriptedModel(x => x).AsBuilder()
            .UseShadow(new ScriptedModel(x => x + 10), 1, o => o.Comparer = new LastDigit())
            .Build();
        ShadowComparison shadow = pipeline.GetService<ShadowComparison>()!;
        for (int x = 0; x < 10; x++)
        {
            pipeline.Predict(x);
        }

        await WaitUntil(() => shadow.Compared == 10);
        Assert.That(shadow.AgreementRate, Is.EqualTo(1));
    }

    /// <summary>A champion that completes asynchronously is still shadowed, and the challenger's own monitor records its calls.</summary>
    [Test]
    public async Task Shadow_AsyncChampion_ChallengerRecordedInItsOwnMonitor()
    {
        using var challengerMonitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "shadow-monitor", ModelVersion = "2" });
        IPredictor<int, int> challenger = new ScriptedModel(x => x).AsBuilder().UseMetrics(challengerMonitor).Build();
        using IPredictor<int, int> pipeline = new ScriptedModel(x => x) { YieldFirst = true }.AsBuilder().UseShadow(challenger, 1).Build();
        ShadowComparison shadow = pipeline.GetService<ShadowComparison>()!;

        for (int x = 0; x < 20; x++)
        {
            Assert.That(await pipeline.PredictAsync(x), Is.EqualTo(x));
        }

        await WaitUntil(() => shadow.Compared == 20);
        Assert.Multiple(() =>
        {
            Assert.That(challengerMonitor.GetSnapshot().Calls, Is.EqualTo(20));
            Assert.That(shadow.Agreed, Is.EqualTo(20));
        });
    }

    /// <summary>A sample rate of 0.25: about a quarter of the calls reach the challenger (a binomial draw: within 6 standard deviations).</summary>
    [Test]
    public async Task Shadow_SampleRate_ShadowsThatShareOfCalls()
    {
        const int Calls = 4000;
        using IPredictor<int, int> pipeline = new ScriptedModel(x => x).AsBuilder().UseShadow(new ScriptedModel(x => x), 0.25, o => o.QueueCapacity = Calls).Build();
        ShadowComparison shadow = pipeline.GetService<ShadowComparison>()!;
        for (int x = 0; x < Calls; x++)
        {
            pipeline.Predict(x);
        }

        await WaitUntil(() => shadow.Compared == shadow.Sampled);
        Assert.Multiple(() =>
        {
            Assert.That(shadow.Sampled, Is.EqualTo(Calls * 0.25).Within(6 * Math.Sqrt(Calls * 0.25 * 0.75)));
            Assert.That(shadow.Dropped, Is.Zero);
        });
    }

    /// <summary>A challenger that never answers: Dispose gives up after the drain timeout, cancels it and counts the queued samples as dropped.</summary>
    [Test]
    public async Task Dispose_HungChallenger_CancelsAfterDrainTimeoutAndCountsTheRestDropped()
    {
        using var started = new ManualResetEventSlim();
        var challenger = new ScriptedModel(x => x) { Started = started, Gate = Task.Delay(Timeout.Infinite) };
        IPredictor<int, int> pipeline = new ScriptedModel(x => x).AsBuilder()
            .UseShadow(challenger, 1, o => o.DrainTimeout = TimeSpan.FromMilliseconds(50))
            .Build();
        ShadowComparison shadow = pipeline.GetService<ShadowComparison>()!;
        pipeline.Predict(0);
        Assert.That(started.Wait(Wait), Is.True);
        for (int x = 1; x < 10; x++)
        {
            pipeline.Predict(x);
        }

        pipeline.Dispose();
        int after = pipeline.Predict(42);
        await WaitUntil(() => challenger.Disposals == 1);

        Assert.Multiple(() =>
        {
            Assert.That(after, Is.EqualTo(42), "a call after Dispose still gets the champion's answer (the champion was disposed, the script is not)");
            Assert.That(shadow.ChallengerFailed, Is.EqualTo(1), "the cancelled call");
            Assert.That(shadow.Dropped, Is.EqualTo(10), "the 9 left in the queue and the one offered after Dispose");
            Assert.That(shadow.Compared, Is.Zero);
        });
    }

    /// <summary>A challenger kept for promotion outlives the shadow stage: the pipeline's disposal leaves it alone.</summary>
    [Test]
    public async Task Dispose_DisposeChallengerFalse_LeavesTheChallengerForPromotion()
    {
        var challenger = new ScriptedModel(x => x);
        var live = new HotSwapPredictor<int, int>(new ScriptedModel(x => x).AsBuilder().UseShadow(challenger, 1, o => o.DisposeChallenger = false).Build());
        ShadowComparison shadow = live.GetService<ShadowComparison>()!;
        live.Predict(1);

        await live.Swap(challenger).WaitAsync(Wait);
        int promoted = live.Predict(2);

        Assert.Multiple(() =>
        {
            Assert.That(shadow.Compared, Is.EqualTo(1), "the shadow stage drained when the old pipeline was disposed");
            Assert.That(promoted, Is.EqualTo(2));
            Assert.That(challenger.Disposals, Is.Zero);
        });
        live.Dispose();
        Assert.That(challenger.Disposals, Is.EqualTo(1), "now owned by the hot-swap predictor");
    }

    [Test]
    public void UseShadow_InvalidArguments_ThrowNamingTheParameter()
    {
        PredictorBuilder<int, int> builder = new ScriptedModel(x => x).AsBuilder();
        var challenger = new ScriptedModel(x => x);
        Assert.Multiple(() =>
        {
            Assert.That(() => builder.UseShadow(challenger, 0), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("sampleRate"));
            Assert.That(() => builder.UseShadow(challenger, 1.5), Throws.TypeOf<ArgumentOutOfRangeException>());
            Assert.That(() => builder.UseShadow(challenger, double.NaN), Throws.TypeOf<ArgumentOutOfRangeException>());
            Assert.That(() => builder.UseShadow(challenger, 1, o => o.QueueCapacity = 0), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("QueueCapacity"));
            Assert.That(() => builder.UseShadow(challenger, 1, o => o.DrainTimeout = TimeSpan.FromSeconds(-1)), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("DrainTimeout"));
            Assert.That(() => builder.UseShadow(challenger, 1, o => o.PendingTimeToLive = TimeSpan.Zero), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("PendingTimeToLive"));
        });
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Wait)
            {
                Assert.Fail("the shadow worker did not get there in time");
            }

            await Task.Delay(5);
        }
    }

    private sealed class LastDigit : IEqualityComparer<int>
    {
        public bool Equals(int x, int y) => x % 10 == y % 10;

        public int GetHashCode(int obj) => obj % 10;
    }

    /// <summary>A model from a function; optionally signals its first call, waits on a gate, or completes asynchronously.</summary>
    private sealed class ScriptedModel(Func<int, int> answer) : IPredictor<int, int>
    {
        private int _disposals;

        public ManualResetEventSlim? Started { get; init; }

        public Task? Gate { get; init; }

        public bool YieldFirst { get; init; }

        public int Disposals => Volatile.Read(ref _disposals);

        public int Predict(int input) => answer(input);

        public ValueTask<int> PredictAsync(int input, CancellationToken cancellationToken = default) =>
            Gate is null && !YieldFirst ? new ValueTask<int>(answer(input)) : SlowAsync(input, cancellationToken);

        public async ValueTask<IReadOnlyList<int>> PredictBatchAsync(IReadOnlyList<int> inputs, CancellationToken cancellationToken = default)
        {
            var outputs = new List<int>();
            foreach (int input in inputs)
            {
                outputs.Add(await PredictAsync(input, cancellationToken));
            }

            return outputs;
        }

        public IAsyncEnumerable<int> PredictStreamingAsync(int input, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() => Interlocked.Increment(ref _disposals);

        private async ValueTask<int> SlowAsync(int input, CancellationToken cancellationToken)
        {
            Started?.Set();
            if (YieldFirst)
            {
                await Task.Yield();
            }

            if (Gate is not null)
            {
                await Gate.WaitAsync(cancellationToken);
            }

            return answer(input);
        }
    }
}
