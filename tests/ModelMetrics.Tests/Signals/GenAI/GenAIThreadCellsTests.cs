// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Threading;
using ModelMetrics.Recording;
using ModelMetrics.Signals;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.GenAI;

/// <summary>
/// The generative signal's thread-owned cells (counters and the inter-chunk histogram, <see cref="ThreadCells"/>) and the
/// gaps a call keeps until it records them 16 at a time: a stream whose chunks arrive on several threads counts every
/// gap once, threads that exit lose nothing and release their cells, and totals stay exact under many threads while a
/// reader snapshots. (Precision 2 and 3: histograms small enough for thread-owned cells; precision 5 records into stripes,
/// which the scripted tests cover.)
/// </summary>
[NonParallelizable]
public class GenAIThreadCellsTests
{
    [Test]
    public void OneStream_ChunksOnFourThreadsThatExit_EveryGapCountedOnce_ExactValues_AndCellsReleased()
    {
        var time = new FakeTimeProvider();
        using ModelMonitor monitor = Create(time, precision: 3);
        GenAIRecorder genAI = monitor.GenAI!;
        var call = new GenAICall[1]; // the call lives on the heap, as in a stream's enumerator, and moves between threads

        RunOnNewThread(() => call[0] = genAI.StartCall());

        // 40 chunks, 10 on each of four threads: the first 100 ms in, then gaps of 10 ms (odd chunks) and 40 ms (even).
        for (int thread = 0; thread < 4; thread++)
        {
            int first = thread * 10;
            RunOnNewThread(() =>
            {
                for (int chunk = first; chunk < first + 10; chunk++)
                {
                    time.Advance(TimeSpan.FromMilliseconds(chunk == 0 ? 100 : chunk % 2 == 1 ? 10 : 40));
                    call[0].RecordChunk();
                }
            });
        }

        GenAISnapshot inFlight = monitor.GetSnapshot().GenAI!;
        RunOnNewThread(() => call[0].Complete(new GenAIUsage(7, 40), GenAIFinishReason.Stop));
        GenAISnapshot g = monitor.GetSnapshot().GenAI!;
        GenAISignal signal = genAI.Signal;

        Assert.Multiple(() =>
        {
            Assert.That(inFlight.InFlight, Is.EqualTo(1), "started on a thread that exited: still in flight");
            Assert.That(inFlight.InterChunkLatency.Count, Is.EqualTo(32), "39 gaps so far: two batches of 16 recorded, 7 kept by the call");
            Assert.That(g.Calls, Is.EqualTo(1));
            Assert.That(g.InFlight, Is.Zero, "started on one thread, ended on another: counted once");
            Assert.That(g.OutputTokens, Is.EqualTo(40));
            Assert.That(g.InterChunkLatency.Count, Is.EqualTo(39));
            Assert.That(g.InterChunkLatency.CountAtOrBelow(0.025), Is.EqualTo(20), "the 10 ms gaps (chunks 1, 3, ..., 39), counted exactly at the boundary");
            Assert.That(g.InterChunkLatency.Max, Is.EqualTo(0.04).Within(0.04e-3));
            Assert.That(g.InterChunkLatency.GetQuantile(0), Is.EqualTo(0.01).Within(0.01e-3));
            Assert.That(g.InterChunkLatency.Sum, Is.EqualTo((20 * 0.01) + (19 * 0.04)).Within(0.96e-3));
            Assert.That(g.TimeToFirstToken.Count, Is.EqualTo(1));
            Assert.That(g.TimeToFirstToken.Max, Is.EqualTo(0.1).Within(0.1e-3));
            Assert.That(signal.Owned.LiveSets, Is.Zero, "every thread exited: its cells were folded by the reads");
            Assert.That(signal.Owned.FoldedSets, Is.EqualTo(4), "cells of their own for the starting thread, the two that recorded a batch (gaps 16 and 32) and the ending one");
        });
    }

    [Test]
    public void ManyThreads_LongStreams_CompletedFailedAndAbandoned_WhileReading_ExactTotals_AndNothingRunsBackwards()
    {
        const int PerThread = 400;
        const int Chunks = 37; // 36 gaps: two full batches and 4 recorded at the end
        int threads = Math.Max(4, Environment.ProcessorCount);
        using ModelMonitor monitor = Create(TimeProvider.System, precision: 2);
        GenAIRecorder genAI = monitor.GenAI!;
        long previousGaps = 0, previousCalls = 0, previousOutput = 0;
        var run = new ConcurrentRun(threads) { MaxReadings = 500 };
        run.Execute(
            _ =>
            {
                for (int i = 0; i < PerThread; i++)
                {
                    GenAICall call = genAI.StartCall();
                    for (int c = 0; c < Chunks; c++)
                    {
                        call.RecordChunk();
                    }

                    switch (i % 10)
                    {
                        case 3:
                            call.Fail(new InvalidOperationException());
                            break;
                        case 7:
                            call.Abandon();
                            break;
                        default:
                            call.Complete(new GenAIUsage(2, Chunks), GenAIFinishReason.Stop);
                            break;
                    }
                }
            },
            reading =>
            {
                GenAISnapshot g = monitor.GetSnapshot().GenAI!;
                // Tokens are written before the finish reason and read after it: never fewer than the calls counted have.
                if (g.InterChunkLatency.Count < previousGaps || g.Calls < previousCalls || g.OutputTokens < previousOutput || g.InFlight < 0
                    || g.OutputTokens < g.Succeeded * Chunks)
                {
                    run.Problem($"reading {reading}: gaps {g.InterChunkLatency.Count} (before {previousGaps}), calls {g.Calls} (before {previousCalls}), succeeded {g.Succeeded}, output {g.OutputTokens}, in flight {g.InFlight}");
                }

                previousGaps = g.InterChunkLatency.Count;
                previousCalls = g.Calls;
                previousOutput = g.OutputTokens;
            }).AssertClean();

        GenAISnapshot total = monitor.GetSnapshot().GenAI!;
        long calls = (long)threads * PerThread;
        long failed = (long)threads * (PerThread / 10);
        Assert.Multiple(() =>
        {
            Assert.That(total.Calls, Is.EqualTo(calls));
            Assert.That(total.Succeeded, Is.EqualTo(calls - (2 * failed)));
            Assert.That(total.Failures[typeof(InvalidOperationException).FullName!], Is.EqualTo(failed));
            Assert.That(total.Failures["cancelled"], Is.EqualTo(failed), "abandoned streams");
            Assert.That(total.OutputTokens, Is.EqualTo((calls - (2 * failed)) * Chunks));
            Assert.That(total.InterChunkLatency.Count, Is.EqualTo(calls * (Chunks - 1)), "the gaps of failed and abandoned calls too");
            Assert.That(total.TimeToFirstToken.Count, Is.EqualTo(calls));
            Assert.That(total.InFlight, Is.Zero);
        });
    }

    [Test]
    public void StreamedCalls_OnTwoThousandShortLivedThreads_NothingLost_AndCellsReleased()
    {
        const int Threads = 2_000;
        const int Concurrent = 32;
        const int CallsPerThread = 3;
        const int Chunks = 20;
        using ModelMonitor monitor = Create(TimeProvider.System, precision: 2);
        GenAIRecorder genAI = monitor.GenAI!;
        ThreadCells owned = genAI.Signal.Owned;
        int errors = 0, backwards = 0, maxLive = 0;
        long lastGaps = 0;

        for (int started = 0; started < Threads; started += Concurrent)
        {
            var batch = new Thread[Math.Min(Concurrent, Threads - started)];
            for (int t = 0; t < batch.Length; t++)
            {
                batch[t] = new Thread(() =>
                {
                    try
                    {
                        for (int i = 0; i < CallsPerThread; i++)
                        {
                            GenAICall call = genAI.StartCall();
                            for (int c = 0; c < Chunks; c++)
                            {
                                call.RecordChunk();
                            }

                            call.Complete(new GenAIUsage(1, Chunks), GenAIFinishReason.Length);
                        }
                    }
                    catch (Exception)
                    {
                        Interlocked.Increment(ref errors);
                    }
                })
                {
                    IsBackground = true,
                };
                batch[t].Start();
            }

            // A reader snapshots while threads record and exit: it folds their cells and must never see gaps go back.
            long gaps = monitor.GetSnapshot().GenAI!.InterChunkLatency.Count;
            backwards += gaps < lastGaps ? 1 : 0;
            lastGaps = gaps;
            foreach (Thread thread in batch)
            {
                Assert.That(thread.Join(TimeSpan.FromSeconds(30)), Is.True, "a recording thread did not finish");
            }

            maxLive = Math.Max(maxLive, owned.LiveSets);
        }

        GenAISnapshot g = monitor.GetSnapshot().GenAI!;
        Assert.Multiple(() =>
        {
            Assert.That(errors, Is.Zero);
            Assert.That(backwards, Is.Zero);
            Assert.That(g.Calls, Is.EqualTo((long)Threads * CallsPerThread));
            Assert.That(g.FinishReasons["length"], Is.EqualTo((long)Threads * CallsPerThread));
            Assert.That(g.OutputTokens, Is.EqualTo((long)Threads * CallsPerThread * Chunks));
            Assert.That(g.InterChunkLatency.Count, Is.EqualTo((long)Threads * CallsPerThread * (Chunks - 1)));
            Assert.That(g.InFlight, Is.Zero);
            Assert.That(maxLive, Is.LessThanOrEqualTo(ThreadCells.MaxSets), "live cell sets are bounded");
            Assert.That(owned.LiveSets, Is.Zero, "every exited thread's cells are folded by the next read");
            Assert.That(owned.FoldedSets, Is.GreaterThan(Threads / 2), "most threads got cells of their own");
        });
    }

    private static ModelMonitor Create(TimeProvider time, int precision) => new(new ModelMonitorOptions
    {
        ModelName = TestContext.CurrentContext.Test.Name,
        MeterName = "ModelMetrics.Tests.GenAI.ThreadCells." + TestContext.CurrentContext.Test.Name,
        TimeProvider = time,
        LatencyPrecision = precision,
        GenAI = new GenAIOptions(),
    });

    private static void RunOnNewThread(Action action)
    {
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception exception)
            {
                error = exception;
            }
        })
        {
            IsBackground = true,
        };
        thread.Start();
        Assert.That(thread.Join(TimeSpan.FromSeconds(30)), Is.True, "the thread did not finish");
        if (error is not null)
        {
            throw new InvalidOperationException("The thread failed.", error);
        }
    }
}
