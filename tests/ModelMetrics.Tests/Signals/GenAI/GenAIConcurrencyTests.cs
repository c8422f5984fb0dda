// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.GenAI;

/// <summary>Generative calls from many threads at once, read by a concurrent reader: exact totals, and no reading runs backwards.</summary>
public class GenAIConcurrencyTests
{
    private const int PerThread = 5_000;
    private const int Chunks = 4;

    [Test]
    public void ManyThreads_StreamedCallsWithUsageAndFeedback_ExactTotals_AndReadingsNeverRunBackwards()
    {
        int threads = Math.Max(4, Environment.ProcessorCount);
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = nameof(ManyThreads_StreamedCallsWithUsageAndFeedback_ExactTotals_AndReadingsNeverRunBackwards),
            MeterName = "ModelMetrics.Tests.GenAI.Concurrency",
            GenAI = new GenAIOptions(),
        });
        GenAIRecorder genAI = monitor.GenAI!;
        long previousCalls = 0, previousOutput = 0;
        var run = new ConcurrentRun(threads) { MaxReadings = 200 };
        run.Execute(
            id =>
            {
                for (int i = 0; i < PerThread; i++)
                {
                    GenAICall call = genAI.StartCall();
                    for (int c = 0; c < Chunks; c++)
                    {
                        call.RecordChunk();
                    }

                    long responseId = ((long)id * PerThread) + i;
                    if (i % 10 == 9)
                    {
                        call.Fail(new InvalidOperationException());
                    }
                    else
                    {
                        call.Complete(new GenAIUsage(3, 5), i % 2 == 0 ? GenAIFinishReason.Stop : GenAIFinishReason.Length, responseId: responseId);
                        genAI.RecordFeedback(responseId, positive: i % 3 == 0);
                    }
                }
            },
            reading =>
            {
                GenAISnapshot g = monitor.GetSnapshot().GenAI!;
                if (g.Calls < previousCalls || g.OutputTokens < previousOutput || g.InFlight < 0 || g.OutputTokens < g.Succeeded * 5 || g.Duration.Count < g.Calls)
                {
                    run.Problem($"reading {reading}: calls {g.Calls} (before {previousCalls}), output {g.OutputTokens} (before {previousOutput}), succeeded {g.Succeeded}, durations {g.Duration.Count}, in flight {g.InFlight}");
                }

                previousCalls = g.Calls;
                previousOutput = g.OutputTokens;
            }).AssertClean();

        GenAISnapshot total = monitor.GetSnapshot().GenAI!;
        long calls = (long)threads * PerThread;
        long succeeded = calls - (calls / 10);
        Assert.Multiple(() =>
        {
            Assert.That(total.Calls, Is.EqualTo(calls));
            Assert.That(total.Succeeded, Is.EqualTo(succeeded));
            Assert.That(total.Failed, Is.EqualTo(calls / 10));
            Assert.That(total.FinishReasons["stop"], Is.EqualTo((long)threads * (PerThread / 2)), "every even i completes (the failures, i % 10 == 9, are odd)");
            Assert.That(total.FinishReasons["length"], Is.EqualTo(succeeded - ((long)threads * (PerThread / 2))));
            Assert.That(total.InputTokens, Is.EqualTo(succeeded * 3));
            Assert.That(total.OutputTokens, Is.EqualTo(succeeded * 5));
            Assert.That(total.UnknownInputTokens, Is.EqualTo(calls / 10), "failed calls reported no usage");
            Assert.That(total.InterChunkLatency.Count, Is.EqualTo(calls * (Chunks - 1)));
            Assert.That(total.TimeToFirstToken.Count, Is.EqualTo(calls));
            Assert.That(total.TimePerOutputToken.Count, Is.EqualTo(succeeded));
            Assert.That(total.Feedback, Is.EqualTo(succeeded));
            Assert.That(total.PendingResponses, Is.Zero);
            Assert.That(total.InFlight, Is.Zero);
        });
    }
}
