// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace ModelMetrics.Tests.Predictors;

public class CanaryPredictorTests
{
    /// <summary>The counter split under two threads: exactly ⌊n · share⌋ calls reach the challenger, and each caller gets the answer of the model that served it.</summary>
    [TestCase(0.1)]
    [TestCase(0.05)]
    [TestCase(1.0 / 3)]
    public void Canary_CounterSplitUnderTwoThreads_ExactShare(double share)
    {
        const int CallsPerThread = 50_000;
        using IPredictor<int, int> pipeline = Predictor.Create<int, int>(x => x).AsBuilder()
            .UseCanary(Predictor.Create<int, int>(x => -x - 1), share)
            .Build();
        long[] challengerAnswers = new long[2];
        var run = new ConcurrentRun(2);
        run.Execute(thread =>
        {
            for (int i = 0; i < CallsPerThread && run.InTime; i++)
            {
                int answer = pipeline.Predict(i);
                if (answer < 0)
                {
                    challengerAnswers[thread]++;
                    if (answer != -i - 1)
                    {
                        run.Problem($"call {i}: the challenger answered {answer}");
                    }
                }
                else if (answer != i)
                {
                    run.Problem($"call {i}: the champion answered {answer}");
                }
            }
        });

        run.AssertClean();
        Assert.That(challengerAnswers.Sum(), Is.EqualTo((long)(2 * CallsPerThread * share)));
    }

    [Test]
    public void Canary_CounterSplit_SpreadsTheChallengersCallsEvenly()
    {
        using IPredictor<int, int> pipeline = Predictor.Create<int, int>(_ => 0).AsBuilder()
            .UseCanary(Predictor.Create<int, int>(_ => 1), 0.1)
            .Build();
        int[] answers = [.. Enumerable.Range(1, 100).Select(pipeline.Predict)];

        // Calls 10, 20, …, 100 (1-based) go to the challenger.
        Assert.That(Enumerable.Range(0, 100).Where(i => answers[i] == 1), Is.EqualTo(Enumerable.Range(1, 10).Select(k => (10 * k) - 1)));
    }

    /// <summary>The random split: a binomial draw, within 6 standard deviations of the share.</summary>
    [Test]
    public void Canary_RandomSplit_ShareWithinTolerance()
    {
        const int Calls = 20_000;
        const double Share = 0.2;
        using IPredictor<int, int> pipeline = Predictor.Create<int, int>(_ => 0).AsBuilder()
            .UseCanary(Predictor.Create<int, int>(_ => 1), Share, CanarySplit.Random)
            .Build();
        int challenger = Enumerable.Range(0, Calls).Sum(pipeline.Predict);

        Assert.That(challenger, Is.EqualTo(Calls * Share).Within(6 * Math.Sqrt(Calls * Share * (1 - Share))));
    }

    [TestCase(0.0, 0)]
    [TestCase(1.0, 100)]
    public void Canary_ShareAtTheEnds_AllOrNothing(double share, int expected)
    {
        using IPredictor<int, int> pipeline = Predictor.Create<int, int>(_ => 0).AsBuilder()
            .UseCanary(Predictor.Create<int, int>(_ => 1), share)
            .Build();
        Assert.That(Enumerable.Range(0, 100).Sum(pipeline.Predict), Is.EqualTo(expected));
    }

    /// <summary>Every kind of call is routed, and each model's own monitor counts exactly the calls it served.</summary>
    [Test]
    public async Task Canary_EveryCallKind_CountedInTheServingModelsMonitor()
    {
        using var championMonitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "canary-kinds", ModelVersion = "1" });
        using var challengerMonitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "canary-kinds", ModelVersion = "2" });
        IPredictor<int, int> challenger = Predictor.Create<int, int>(x => -x).AsBuilder().UseMetrics(challengerMonitor).Build();
        using IPredictor<int, int> pipeline = Predictor.Create<int, int>(x => x).AsBuilder()
            .UseCanary(challenger, 0.5)
            .UseMetrics(championMonitor)
            .Build();

        int sync1 = pipeline.Predict(3);
        int sync2 = pipeline.Predict(3);
        int async1 = await pipeline.PredictAsync(4);
        int async2 = await pipeline.PredictAsync(4);
        IReadOnlyList<int> batch1 = await pipeline.PredictBatchAsync([5]);
        IReadOnlyList<int> batch2 = await pipeline.PredictBatchAsync([5]);
        var streamed = new List<int>();
        for (int i = 0; i < 2; i++)
        {
            await foreach (int chunk in pipeline.PredictStreamingAsync(6))
            {
                streamed.Add(chunk);
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(new[] { sync1, sync2 }, Is.EqualTo(new[] { 3, -3 }));
            Assert.That(new[] { async1, async2 }, Is.EqualTo(new[] { 4, -4 }));
            Assert.That(batch1.Concat(batch2), Is.EqualTo(new[] { 5, -5 }));
            Assert.That(streamed, Is.EqualTo(new[] { 6, -6 }));
            Assert.That(championMonitor.GetSnapshot().Calls, Is.EqualTo(4));
            Assert.That(challengerMonitor.GetSnapshot().Calls, Is.EqualTo(4));
        });
    }

    [Test]
    public void Canary_Dispose_DisposesBothModels()
    {
        var champion = new DisposeCounter();
        var challenger = new DisposeCounter();
        champion.AsBuilder().UseCanary(challenger, 0.5).Build().Dispose();
        Assert.That(champion.Disposals + challenger.Disposals, Is.EqualTo(2));
    }

    [Test]
    public void UseCanary_InvalidArguments_ThrowNamingTheParameter()
    {
        PredictorBuilder<int, int> builder = Predictor.Create<int, int>(x => x).AsBuilder();
        IPredictor<int, int> challenger = Predictor.Create<int, int>(x => x);
        Assert.Multiple(() =>
        {
            Assert.That(() => builder.UseCanary(challenger, -0.1), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("share"));
            Assert.That(() => builder.UseCanary(challenger, double.NaN), Throws.TypeOf<ArgumentOutOfRangeException>());
            Assert.That(() => builder.UseCanary(challenger, 0.5, (CanarySplit)7), Throws.TypeOf<ArgumentOutOfRangeException>().With.Property("ParamName").EqualTo("split"));
        });
    }

    private sealed class DisposeCounter : IPredictor<int, int>
    {
        private int _disposals;

        public int Disposals => Volatile.Read(ref _disposals);

        public int Predict(int input) => input;

        public ValueTask<int> PredictAsync(int input, CancellationToken cancellationToken = default) => new(input);

        public ValueTask<IReadOnlyList<int>> PredictBatchAsync(IReadOnlyList<int> inputs, CancellationToken cancellationToken = default) => new(inputs);

        public IAsyncEnumerable<int> PredictStreamingAsync(int input, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() => Interlocked.Increment(ref _disposals);
    }
}
