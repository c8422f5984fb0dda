// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using ModelMetrics.Recording;
using ModelMetrics.Tests.Reliability;
using NUnit.Framework;

namespace ModelMetrics.Tests.Recording;

/// <summary>
/// The thread-owned cells of the call path (<see cref="ThreadCells"/>): calls of threads that exit are kept, their
/// cells released, a call started on one thread and ended on another counted once, memory bounded under many threads.
/// (Exact totals under 2 and ProcessorCount threads × 10^7 with a reader: Reliability/ConcurrencyAtScaleTests.)
/// </summary>
[NonParallelizable]
public class ThreadCellsTests
{
    private static ModelMonitor NewMonitor(string suffix = "") =>
        new(new ModelMonitorOptions { ModelName = ReliabilityHelpers.ModelName(suffix), MeterName = ReliabilityHelpers.MeterName() });

    [Test]
    public void StartEndCall_TenThousandShortLivedThreads_NothingLostAndCellsReleased()
    {
        const int Threads = 10_000;
        const int CallsPerThread = 10;
        const int Concurrent = 32;
        using ModelMonitor monitor = NewMonitor();
        ThreadCells owned = monitor.Calls.Owned;
        int maxLive = 0;
        int errors = 0;
        long lastCalls = 0;
        int backwards = 0;

        for (int batch = 0; batch < Threads / Concurrent + 1; batch++)
        {
            int count = Math.Min(Concurrent, Threads - (batch * Concurrent));
            if (count <= 0)
            {
                break;
            }

            var threads = new Thread[count];
            for (int t = 0; t < count; t++)
            {
                threads[t] = new Thread(() =>
                {
                    try
                    {
                        for (int i = 0; i < CallsPerThread; i++)
                        {
                            monitor.EndCall(monitor.StartCall());
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
                threads[t].Start();
            }

            // A reader snapshots while threads exit: it folds their cells and must never see calls go backwards.
            ModelMonitorSnapshot s = monitor.GetSnapshot();
            if (s.Calls < lastCalls || s.InFlight < 0)
            {
                backwards++;
            }

            lastCalls = s.Calls;
            foreach (Thread thread in threads)
            {
                Assert.That(thread.Join(TimeSpan.FromSeconds(30)), Is.True, "a recording thread did not finish");
            }

            maxLive = Math.Max(maxLive, owned.LiveSets);
        }

        ModelMonitorSnapshot final = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(errors, Is.Zero);
            Assert.That(backwards, Is.Zero);
            Assert.That(final.Calls, Is.EqualTo((long)Threads * CallsPerThread));
            Assert.That(final.Latency.Count, Is.EqualTo((long)Threads * CallsPerThread));
            Assert.That(final.InFlight, Is.Zero);
            Assert.That(maxLive, Is.LessThanOrEqualTo(ThreadCells.MaxSets), "live cell sets are bounded");
            Assert.That(owned.LiveSets, Is.Zero, "every exited thread's cells are folded by the next read");
            Assert.That(owned.FoldedSets, Is.GreaterThan(Threads / 2), "most threads got cells of their own");
        });
    }

    [Test]
    public void StartCallOnOneThread_EndCallOnAnother_CountedOnceAndInFlightMeanwhile()
    {
        const int Calls = 1_000;
        using ModelMonitor monitor = NewMonitor();
        long[] starts = new long[Calls];
        long inFlightBetween = -1;

        RunOnNewThread(() =>
        {
            for (int i = 0; i < Calls; i++)
            {
                starts[i] = monitor.StartCall();
            }
        });
        inFlightBetween = monitor.GetSnapshot().InFlight;
        RunOnNewThread(() =>
        {
            for (int i = 0; i < Calls; i++)
            {
                monitor.EndCall(starts[i]);
            }
        });

        ModelMonitorSnapshot s = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(inFlightBetween, Is.EqualTo(Calls), "the starting thread exited: its started calls stay in flight");
            Assert.That(s.Calls, Is.EqualTo(Calls));
            Assert.That(s.Latency.Count, Is.EqualTo(Calls));
            Assert.That(s.InFlight, Is.Zero);
            Assert.That(monitor.Calls.Owned.LiveSets, Is.Zero);
        });
    }

    [Test]
    public void StartEndCall_AcrossThreadsWhileReading_InFlightNeverNegativeAndEndsAtZero()
    {
        const int Calls = 200_000;
        using ModelMonitor monitor = NewMonitor();
        var handOff = new long[Calls];
        int started = 0;

        // Thread 0 starts calls, thread 1 ends them (an async continuation on another thread), the reader reads.
        var run = new ConcurrentRun(2) { MaxReadings = 100_000 };
        run.Execute(
            id =>
            {
                if (id == 0)
                {
                    for (int i = 0; i < Calls; i++)
                    {
                        handOff[i] = monitor.StartCall();
                        Volatile.Write(ref started, i + 1);
                    }
                }
                else
                {
                    for (int i = 0; i < Calls && run.InTime; i++)
                    {
                        while (Volatile.Read(ref started) <= i && run.InTime)
                        {
                            Thread.SpinWait(8);
                        }

                        monitor.EndCall(handOff[i]);
                    }
                }
            },
            reading =>
            {
                ModelMonitorSnapshot s = monitor.GetSnapshot();
                if (s.InFlight < 0 || s.InFlight > Calls || s.Calls + s.InFlight > Calls)
                {
                    run.Problem($"reading {reading}: calls {s.Calls}, in flight {s.InFlight}");
                }
            });

        run.AssertClean();
        ModelMonitorSnapshot final = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(final.Calls, Is.EqualTo(Calls));
            Assert.That(final.InFlight, Is.Zero);
        });
    }

    [Test]
    public void RecordCall_HundredThreadsTenThousandLogNormalEach_LatencyCellsWithin256KiBAndReleased()
    {
        const int Threads = 100;
        const int PerThread = 10_000;
        using ModelMonitor monitor = NewMonitor();
        var ready = new Barrier(Threads + 1);
        var done = new CountdownEvent(Threads);
        long bytesWhileAlive = 0;
        var threads = new List<Thread>();
        for (int t = 0; t < Threads; t++)
        {
            int seed = t;
            var thread = new Thread(() =>
            {
                // Log-normal around 2 ms (σ = 0.5: p99 ≈ 6.4 ms), a model's latencies as a thread sees them.
                var random = new Random(seed);
                for (int i = 0; i < PerThread; i++)
                {
                    double u1 = 1.0 - random.NextDouble();
                    double u2 = random.NextDouble();
                    double normal = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
                    monitor.RecordCall(0.002 * Math.Exp(0.5 * normal));
                }

                done.Signal();

                // Stay alive until the cells are measured, so every thread's cells count at once.
                ready.SignalAndWait(TimeSpan.FromSeconds(60));
            })
            {
                IsBackground = true,
            };
            threads.Add(thread);
            thread.Start();
        }

        Assert.That(done.Wait(TimeSpan.FromSeconds(60)), Is.True, "the recording threads did not finish");
        bytesWhileAlive = monitor.Calls.LatencyCellBytes;
        int liveWhileAlive = monitor.Calls.Owned.LiveSets;
        ready.SignalAndWait(TimeSpan.FromSeconds(60));
        foreach (Thread thread in threads)
        {
            Assert.That(thread.Join(TimeSpan.FromSeconds(30)), Is.True);
        }

        ModelMonitorSnapshot s = monitor.GetSnapshot();
        TestContext.Out.WriteLine($"latency cells with {Threads} threads alive: {bytesWhileAlive / 1024.0:F1} KiB ({liveWhileAlive} thread-owned sets); after they exit: {monitor.Calls.LatencyCellBytes / 1024.0:F1} KiB");
        Assert.Multiple(() =>
        {
            Assert.That(bytesWhileAlive, Is.LessThanOrEqualTo(256 * 1024));
            Assert.That(liveWhileAlive, Is.EqualTo(Math.Min(Threads, ThreadCells.MaxSets)));
            Assert.That(s.Calls, Is.EqualTo((long)Threads * PerThread));
            Assert.That(s.Latency.Count, Is.EqualTo((long)Threads * PerThread));
            Assert.That(s.Latency.GetQuantile(0.5), Is.EqualTo(0.002).Within(0.0002));
            Assert.That(monitor.Calls.Owned.LiveSets, Is.Zero, "the exited threads' cells are folded into the base");
            Assert.That(monitor.Calls.LatencyCellBytes, Is.LessThan(bytesWhileAlive));
        });
    }

    [Test]
    public void Monitors_OneThreadAlternating_EachCountsItsOwnCalls()
    {
        const int Monitors = 6; // more than a thread's cache of recent sets
        const int Rounds = 1_000;
        var monitors = new ModelMonitor[Monitors];
        for (int m = 0; m < Monitors; m++)
        {
            monitors[m] = NewMonitor("-" + m);
        }

        try
        {
            for (int r = 0; r < Rounds; r++)
            {
                for (int m = 0; m < Monitors; m++)
                {
                    for (int k = 0; k <= m; k++)
                    {
                        monitors[m].EndCall(monitors[m].StartCall());
                    }
                }
            }

            for (int m = 0; m < Monitors; m++)
            {
                ModelMonitorSnapshot s = monitors[m].GetSnapshot();
                Assert.That(s.Calls, Is.EqualTo((long)Rounds * (m + 1)), $"monitor {m}");
                Assert.That(monitors[m].Calls.Owned.LiveSets, Is.EqualTo(1), $"monitor {m}: one set for the one thread");
            }
        }
        finally
        {
            foreach (ModelMonitor monitor in monitors)
            {
                monitor.Dispose();
            }
        }
    }

    private static void RunOnNewThread(Action action)
    {
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                error = e;
            }
        })
        {
            IsBackground = true,
        };
        thread.Start();
        Assert.That(thread.Join(TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(error, Is.Null);
    }
}
