// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.GenAI;

public class StreamingPredictorTokensTests
{
    [Test]
    public async Task StreamingPredictor_WithATokenCounter_ReportsTokensTimeToFirstTokenAndTimePerOutputToken()
    {
        var time = new FakeTimeProvider();
        using ModelMonitor monitor = Create(time);

        // Words of 1 to 3 "tokens" (one per character here): 200 ms to the first, then 30 ms apart.
        string[] words = ["a", "bb", "ccc", "dd"];
        using IPredictor<string, string> predictor = Predictor.CreateStreaming<string, string>((prompt, ct) => Generate(time, words, ct))
            .AsBuilder().UseMetrics(monitor, chunk => chunk.Length).Build();

        var received = new List<string>();
        await foreach (string chunk in predictor.PredictStreamingAsync("prompt"))
        {
            received.Add(chunk);
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        GenAISnapshot g = snapshot.GenAI!;
        Assert.Multiple(() =>
        {
            Assert.That(received, Is.EqualTo(words), "chunks pass through untouched");
            Assert.That(g.Succeeded, Is.EqualTo(1));
            Assert.That(g.OutputTokens, Is.EqualTo(8));
            Assert.That(g.UnknownInputTokens, Is.EqualTo(1), "a predictor reports no input usage");
            Assert.That(g.TimeToFirstToken.P50, Is.EqualTo(0.2).Within(0.2e-5));
            Assert.That(g.InterChunkLatency.Count, Is.EqualTo(3));
            Assert.That(g.InterChunkLatency.P50, Is.EqualTo(0.03).Within(0.03e-5));

            // (290 - 200) ms over 7 tokens after the first; 8 tokens in 290 ms.
            Assert.That(g.TimePerOutputToken.P50, Is.EqualTo(0.09 / 7).Within(0.09 / 7 * 1e-5));
            Assert.That(g.OutputTokensPerSecond, Is.EqualTo(8 / 0.29).Within(1e-6));
            Assert.That(snapshot.Calls, Is.EqualTo(1), "the calls signal records the stream as well");
            Assert.That(snapshot.Chunks, Is.EqualTo(4));
        });
    }

    [Test]
    public async Task StreamingPredictor_StoppedEarly_IsAbandoned_AndAFailingStreamFailsWithItsError()
    {
        var time = new FakeTimeProvider();
        using ModelMonitor monitor = Create(time);
        using IPredictor<string, string> predictor = Predictor.CreateStreaming<string, string>((prompt, ct) => Generate(time, ["x", "y", "z"], ct, failAfter: prompt == "fail" ? 2 : -1))
            .AsBuilder().UseMetrics(monitor, chunk => chunk == "y" ? throw new FormatException("bad counter") : 1).Build();

        await foreach (string chunk in predictor.PredictStreamingAsync("stop early"))
        {
            break;
        }

        Assert.CatchAsync<InvalidOperationException>(async () =>
        {
            await foreach (string chunk in predictor.PredictStreamingAsync("fail"))
            {
            }
        });

        GenAISnapshot g = monitor.GetSnapshot().GenAI!;
        Assert.Multiple(() =>
        {
            Assert.That(g.Succeeded, Is.Zero);
            Assert.That(g.Failures, Is.EqualTo(new Dictionary<string, long> { ["cancelled"] = 1, ["System.InvalidOperationException"] = 1 }));
            Assert.That(g.InFlight, Is.Zero);
            Assert.That(g.OutputTokens, Is.EqualTo(2), "x twice; y's counter threw, so y counted no tokens");
        });
    }

    [Test]
    public async Task StreamingPredictor_OnAMonitorWithoutGenAI_RecordsCallsOnly()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(StreamingPredictor_OnAMonitorWithoutGenAI_RecordsCallsOnly), MeterName = "ModelMetrics.Tests.GenAI.NoGenAI" });
        var time = new FakeTimeProvider();
        using IPredictor<string, string> predictor = Predictor.CreateStreaming<string, string>((prompt, ct) => Generate(time, ["a"], ct))
            .AsBuilder().UseMetrics(monitor, chunk => 1).Build();
        await foreach (string chunk in predictor.PredictStreamingAsync("p"))
        {
        }

        Assert.That(monitor.GetSnapshot().Chunks, Is.EqualTo(1));
        Assert.That(monitor.GetSnapshot().GenAI, Is.Null);
    }

    private static async IAsyncEnumerable<string> Generate(FakeTimeProvider time, string[] chunks, [EnumeratorCancellation] CancellationToken cancellationToken, int failAfter = -1)
    {
        for (int i = 0; i < chunks.Length; i++)
        {
            if (i == failAfter)
            {
                throw new InvalidOperationException("generation failed");
            }

            await Task.Yield();
            time.Advance(TimeSpan.FromMilliseconds(i == 0 ? 200 : 30));
            yield return chunks[i];
        }
    }

    private static ModelMonitor Create(TimeProvider time) => new(new ModelMonitorOptions
    {
        ModelName = TestContext.CurrentContext.Test.Name,
        MeterName = "ModelMetrics.Tests.GenAI." + TestContext.CurrentContext.Test.Name,
        TimeProvider = time,
        LatencyPrecision = 5,
        GenAI = new GenAIOptions(),
    });
}
