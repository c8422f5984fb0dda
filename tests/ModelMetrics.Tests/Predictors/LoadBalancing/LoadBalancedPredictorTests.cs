// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Predictors.LoadBalancing;

public class LoadBalancedPredictorTests
{
    private static readonly TimeSpan Fast = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan Slow = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Four instances, one ten times slower, 8,000 calls arriving one per simulated millisecond (so about three calls are in
    /// flight on a fast instance and ten times as long on the slow one): what share of the calls each strategy sends to the
    /// slow instance. Round-robin: exactly a quarter; least in flight and power of two choices steer away from it.
    /// </summary>
    [TestCase(LoadBalancingStrategy.RoundRobin)]
    [TestCase(LoadBalancingStrategy.LeastInFlight)]
    [TestCase(LoadBalancingStrategy.PowerOfTwoChoices)]
    public async Task PredictAsync_OneInstanceTenTimesSlower_ShareOfTheSlowOneByStrategy(LoadBalancingStrategy strategy)
    {
        const int Calls = 8000;
        var simulation = new TrafficSimulation();
        TrafficSimulation.SimulatedInstance[] instances = [simulation.Instance(Fast), simulation.Instance(Fast), simulation.Instance(Fast), simulation.Instance(Slow)];
        using IPredictor<int, int> balanced = Predictor.LoadBalanced(Named(instances), o =>
        {
            o.Strategy = strategy;
            o.TimeProvider = simulation.Clock;
        });

        var pending = new List<Task<int>>(Calls);
        for (int i = 0; i < Calls; i++)
        {
            pending.Add(balanced.PredictAsync(i).AsTask());
            simulation.RunUntil(simulation.Now + TimeSpan.FromMilliseconds(1).Ticks);
        }

        simulation.Drain();
        foreach (Task<int> call in pending)
        {
            Assert.That(call.IsCompletedSuccessfully, Is.True);
            await call;
        }

        LoadBalancerStatistics statistics = balanced.GetService<LoadBalancerStatistics>()!;
        double slowShare = (double)instances[3].Calls / Calls;
        TestContext.Out.WriteLine($"{strategy}: slow instance share {slowShare:P2}; calls per instance {string.Join(", ", instances.Select(i => i.Calls))}");
        Assert.Multiple(() =>
        {
            Assert.That(statistics.Calls, Is.EqualTo(Calls), "counts per instance sum to the calls");
            Assert.That(statistics.Instances.Select(i => i.Calls), Is.EqualTo(instances.Select(i => (long)i.Calls)), "each instance's count is the calls it got");
            Assert.That(statistics.Instances.Sum(i => i.InFlight), Is.Zero);
            Assert.That(statistics["i3"].RecentLatency, Is.EqualTo(Slow));
            Assert.That(statistics["i0"].RecentLatency, Is.EqualTo(Fast));
            switch (strategy)
            {
                case LoadBalancingStrategy.RoundRobin:
                    Assert.That(instances.Select(i => i.Calls), Is.All.EqualTo(Calls / 4), "round-robin: exactly 1/N each");
                    break;
                case LoadBalancingStrategy.LeastInFlight:
                    // At equal calls in flight the slow one takes 10/310 of the traffic (s × 100 ms = (1 − s)/3 × 10 ms).
                    Assert.That(slowShare, Is.InRange(0.01, 0.06));
                    break;
                default:
                    Assert.That(slowShare, Is.LessThanOrEqualTo(0.10), "power of two choices: at most 10 %");
                    Assert.That(instances[3].Calls, Is.GreaterThan(0), "the slow instance was measured");
                    break;
            }
        });
    }

    /// <summary>
    /// Two instances, calls one after another: b is slow at first, so power of two choices sends every call to a. Once b's
    /// latency is stale (1 s without a call), it gets one call, is measured fast, and takes its share again.
    /// </summary>
    [Test]
    public void Predict_PowerOfTwoChoices_SlowInstanceThatRecovers_IsMeasuredAgainAndGetsItsShareBack()
    {
        var clock = new FakeTimeProvider();
        TimeSpan bLatency = Slow;
        int bCalls = 0;
        using IPredictor<int, int> balanced = Predictor.LoadBalanced(
            new Dictionary<string, IPredictor<int, int>>
            {
                ["a"] = Predictor.Create<int, int>(x => { clock.Advance(Fast); return x; }),
                ["b"] = Predictor.Create<int, int>(x => { bCalls++; clock.Advance(bLatency); return x; }),
            },
            o => o.TimeProvider = clock);

        CallMany(balanced, 50); // 0.5 s: each instance measured once, then a takes everything.
        Assert.That(bCalls, Is.EqualTo(1));

        bLatency = Fast;
        CallMany(balanced, 100); // Past 1 s since b's call ended: b is measured again, at 10 ms.
        int before = bCalls;
        CallMany(balanced, 200);
        Assert.That(bCalls - before, Is.InRange(60, 140), "b is as fast as a again: it gets about half");
    }

    [Test]
    public void Predict_FailingInstance_EjectedAfterFailuresInARowThenProbedAfterDoublingBackOff()
    {
        var clock = new FakeTimeProvider();
        var boom = new InvalidOperationException("instance b is down");
        bool bFails = true;
        int aCalls = 0;
        int bCalls = 0;
        using IPredictor<int, int> balanced = Predictor.LoadBalanced(
            new Dictionary<string, IPredictor<int, int>>
            {
                ["a"] = Predictor.Create<int, int>(x => { aCalls++; return x; }),
                ["b"] = Predictor.Create<int, int>(x => { bCalls++; return bFails ? throw boom : x; }),
            },
            o =>
            {
                o.Strategy = LoadBalancingStrategy.RoundRobin;
                o.FailuresToEject = 3;
                o.BaseEjectionTime = TimeSpan.FromSeconds(10);
                o.MaxEjectionTime = TimeSpan.FromSeconds(15);
                o.TimeProvider = clock;
            });

        // Round-robin alternates a, b: b's third failure in a row ejects it, on call 6.
        for (int i = 0; i < 6; i++)
        {
            if (i % 2 == 0)
            {
                Assert.That(balanced.Predict(i), Is.EqualTo(i));
            }
            else
            {
                // The instance's own exception, the same object: the balancer adds none of its own.
                Assert.That(Assert.Throws<InvalidOperationException>(() => balanced.Predict(i)), Is.SameAs(boom));
            }
        }

        LoadBalancerInstanceStatistics b = balanced.GetService<LoadBalancerStatistics>()!["b"];
        Assert.Multiple(() =>
        {
            Assert.That((b.Failed, b.Ejections, b.IsEjected), Is.EqualTo((3L, 1L, true)));
            Assert.That(bCalls, Is.EqualTo(3));
        });

        // Ejected: every call goes to a, until the back-off is over.
        CallMany(balanced, 10);
        clock.Advance(TimeSpan.FromSeconds(10) - TimeSpan.FromTicks(1));
        CallMany(balanced, 10);
        Assert.That((bCalls, aCalls), Is.EqualTo((3, 23)));

        // The back-off is over: one call probes b; it fails, and b is ejected for twice as long (capped at 15 s).
        clock.Advance(TimeSpan.FromTicks(1));
        Assert.That(Assert.Throws<InvalidOperationException>(() => balanced.Predict(0)), Is.SameAs(boom));
        Assert.That(bCalls, Is.EqualTo(4));
        b = balanced.GetService<LoadBalancerStatistics>()!["b"];
        Assert.That((b.Ejections, b.IsEjected), Is.EqualTo((2L, true)));
        clock.Advance(TimeSpan.FromSeconds(14));
        CallMany(balanced, 10);
        Assert.That(bCalls, Is.EqualTo(4), "still ejected 14 s into a 15 s back-off");

        // b recovered: the next probe readmits it, and round-robin gives it every other call again.
        bFails = false;
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.That(balanced.Predict(42), Is.EqualTo(42));
        Assert.That(bCalls, Is.EqualTo(5), "the probe went to b");
        CallMany(balanced, 10);
        LoadBalancerStatistics statistics = balanced.GetService<LoadBalancerStatistics>()!;
        Assert.Multiple(() =>
        {
            Assert.That(bCalls, Is.EqualTo(10));
            Assert.That(statistics["b"].IsEjected, Is.False);
            Assert.That(statistics["b"].Ejections, Is.EqualTo(2));
            Assert.That(statistics["b"].Succeeded, Is.EqualTo(6));
            Assert.That(statistics.Calls, Is.EqualTo(6 + 20 + 1 + 10 + 1 + 10));
        });
    }

    /// <summary>Every strategy routes around an ejected instance: no call reaches it until its back-off is over, then exactly one probe.</summary>
    [TestCase(LoadBalancingStrategy.PowerOfTwoChoices)]
    [TestCase(LoadBalancingStrategy.RoundRobin)]
    [TestCase(LoadBalancingStrategy.LeastInFlight)]
    public void Predict_InstanceEjected_NoCallReachesItUntilItsProbe(LoadBalancingStrategy strategy)
    {
        var clock = new FakeTimeProvider();
        int[] calls = new int[3];
        bool badFails = true;
        using IPredictor<int, int> balanced = Predictor.LoadBalanced(
            Enumerable.Range(0, 3).Select(i => new KeyValuePair<string, IPredictor<int, int>>("i" + i, Predictor.Create<int, int>(x =>
            {
                calls[i]++;
                clock.Advance(TimeSpan.FromMilliseconds(1));
                return i == 2 && badFails ? throw new InvalidOperationException("i2 is down") : x;
            }))),
            o =>
            {
                o.Strategy = strategy;
                o.FailuresToEject = 1;
                o.BaseEjectionTime = TimeSpan.FromSeconds(5);
                o.TimeProvider = clock;
            });

        // Until i2 gets a call (and fails): every strategy reaches every instance within a few calls.
        for (int i = 0; i < 1000 && calls[2] == 0; i++)
        {
            TryCall(balanced, 1);
        }

        Assert.That(balanced.GetService<LoadBalancerStatistics>()!["i2"].IsEjected, Is.True);
        TryCall(balanced, 300); // 0.3 s of calls, within the 5 s back-off.
        Assert.That(calls[2], Is.EqualTo(1), "no call reaches an ejected instance");

        badFails = false;
        clock.Advance(TimeSpan.FromSeconds(5));
        TryCall(balanced, 1);
        Assert.That(calls[2], Is.EqualTo(2), "the first call after the back-off is its probe");
        Assert.That(balanced.GetService<LoadBalancerStatistics>()!["i2"].IsEjected, Is.False, "the probe succeeded: readmitted");
    }

    [Test]
    public async Task PredictAsync_ProbeCancelledByItsCaller_NextCallProbesAgain()
    {
        var clock = new FakeTimeProvider();
        bool fails = true;
        int bCalls = 0;
        using IPredictor<int, int> balanced = Predictor.LoadBalanced(
            new Dictionary<string, IPredictor<int, int>>
            {
                ["a"] = Predictor.Create<int, int>(x => x),
                ["b"] = Predictor.CreateFromValueTask<int, int>((x, token) =>
                {
                    bCalls++;
                    token.ThrowIfCancellationRequested();
                    return fails ? throw new InvalidOperationException() : new ValueTask<int>(x);
                }),
            },
            o =>
            {
                o.Strategy = LoadBalancingStrategy.RoundRobin;
                o.FailuresToEject = 1;
                o.TimeProvider = clock;
            });

        TryCall(balanced, 2); // a, then b fails: ejected.
        clock.Advance(TimeSpan.FromSeconds(10));
        fails = false;
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.CatchAsync<OperationCanceledException>(async () => await balanced.PredictAsync(1, cancelled.Token));
        Assert.That((bCalls, balanced.GetService<LoadBalancerStatistics>()!["b"].IsEjected), Is.EqualTo((2, true)), "the cancelled probe told nothing");

        Assert.That(await balanced.PredictAsync(7), Is.EqualTo(7));
        LoadBalancerInstanceStatistics b = balanced.GetService<LoadBalancerStatistics>()!["b"];
        Assert.That((bCalls, b.IsEjected, b.Cancelled, b.Ejections), Is.EqualTo((3, false, 1L, 1L)), "the next call probed b again and readmitted it");
    }

    [Test]
    public void Predict_ReadmittedInstanceFailsAgain_BackOffStartsFromBase()
    {
        var clock = new FakeTimeProvider();
        bool fails = true;
        int bCalls = 0;
        using IPredictor<int, int> balanced = Predictor.LoadBalanced(
            new Dictionary<string, IPredictor<int, int>>
            {
                ["a"] = Predictor.Create<int, int>(x => x),
                ["b"] = Predictor.Create<int, int>(x => { bCalls++; return fails ? throw new InvalidOperationException() : x; }),
            },
            o =>
            {
                o.Strategy = LoadBalancingStrategy.RoundRobin;
                o.FailuresToEject = 1;
                o.BaseEjectionTime = TimeSpan.FromSeconds(1);
                o.TimeProvider = clock;
            });

        TryCall(balanced, 2); // a, then b fails: ejected for 1 s.
        clock.Advance(TimeSpan.FromSeconds(1));
        TryCall(balanced, 1); // The probe fails: 2 s.
        clock.Advance(TimeSpan.FromSeconds(2));
        fails = false;
        TryCall(balanced, 1); // The probe succeeds: readmitted.
        fails = true;
        TryCall(balanced, 2); // a, then b fails again: ejected for the base 1 s, not 4 s.
        int before = bCalls;
        clock.Advance(TimeSpan.FromSeconds(1));
        TryCall(balanced, 1);
        Assert.That(bCalls, Is.EqualTo(before + 1), "probed after the base back-off");
    }

    [Test]
    public void Predict_EveryInstanceEjected_ServedByTheOneEjectedLongestAgo()
    {
        var clock = new FakeTimeProvider();
        var calls = new List<string>();
        IPredictor<int, int> Failing(string name) => Predictor.Create<int, int>(_ =>
        {
            calls.Add(name);
            throw new InvalidOperationException(name);
        });
        using IPredictor<int, int> balanced = Predictor.LoadBalanced(
            new Dictionary<string, IPredictor<int, int>> { ["a"] = Failing("a"), ["b"] = Failing("b") },
            o =>
            {
                o.Strategy = LoadBalancingStrategy.RoundRobin;
                o.FailuresToEject = 1;
                o.TimeProvider = clock;
            });

        TryCall(balanced, 1); // a fails: ejected.
        clock.Advance(TimeSpan.FromSeconds(1));
        TryCall(balanced, 1); // b, the only one admitted, fails: ejected.
        TryCall(balanced, 3); // Both out: a, ejected longest ago, serves rather than the call failing.

        LoadBalancerStatistics statistics = balanced.GetService<LoadBalancerStatistics>()!;
        Assert.Multiple(() =>
        {
            Assert.That(calls, Is.EqualTo(new[] { "a", "b", "a", "a", "a" }));
            Assert.That(statistics.Instances.Select(i => i.IsEjected), Is.All.True);
            Assert.That(statistics["a"].Ejections, Is.EqualTo(1), "calls to an ejected instance do not eject it again");
        });
    }

    [Test]
    public void Predict_SlowerThanTimeout_CountsAsTimedOutAndEjectsButReturnsTheOutput()
    {
        var clock = new FakeTimeProvider();
        TimeSpan latency = TimeSpan.FromMilliseconds(5);
        using IPredictor<int, int> balanced = Predictor.LoadBalanced(
            new Dictionary<string, IPredictor<int, int>>
            {
                ["only"] = Predictor.Create<int, int>(x =>
                {
                    clock.Advance(latency);
                    return x + 1;
                }),
            },
            o =>
            {
                o.Timeout = TimeSpan.FromMilliseconds(20);
                o.FailuresToEject = 2;
                o.TimeProvider = clock;
            });

        Assert.That(balanced.Predict(1), Is.EqualTo(2));
        latency = TimeSpan.FromMilliseconds(20);
        Assert.That(balanced.Predict(1), Is.EqualTo(2), "a synchronous call cannot be interrupted: its output is returned");
        Assert.That(balanced.Predict(2), Is.EqualTo(3));

        LoadBalancerInstanceStatistics only = balanced.GetService<LoadBalancerStatistics>()!["only"];
        Assert.Multiple(() =>
        {
            Assert.That((only.Succeeded, only.TimedOut, only.Failed), Is.EqualTo((1L, 2L, 0L)));
            Assert.That((only.Ejections, only.IsEjected), Is.EqualTo((1L, true)), "two timeouts in a row eject it");
            Assert.That(only.TotalDuration, Is.EqualTo(TimeSpan.FromMilliseconds(45)));
        });
    }

    [Test]
    public async Task PredictAsync_InstanceHangs_TimeoutCancelsItsTokenAndItsExceptionPropagates()
    {
        OperationCanceledException? thrown = null;
        using IPredictor<int, int> balanced = Predictor.LoadBalanced(
            new Dictionary<string, IPredictor<int, int>>
            {
                ["hangs"] = Predictor.CreateFromTask<int, int>(async (x, token) =>
                {
                    try
                    {
                        await Task.Delay(Timeout.InfiniteTimeSpan, token);
                    }
                    catch (OperationCanceledException exception)
                    {
                        thrown = exception;
                        throw;
                    }

                    return x;
                }),
            },
            o => o.Timeout = TimeSpan.FromMilliseconds(50));

        OperationCanceledException? caught = Assert.CatchAsync<OperationCanceledException>(async () => await balanced.PredictAsync(1));
        await Task.CompletedTask;

        LoadBalancerInstanceStatistics hangs = balanced.GetService<LoadBalancerStatistics>()!["hangs"];
        Assert.Multiple(() =>
        {
            Assert.That(caught, Is.SameAs(thrown), "the instance's exception, unchanged");
            Assert.That((hangs.TimedOut, hangs.Cancelled, hangs.Failed, hangs.InFlight), Is.EqualTo((1L, 0L, 0L, 0)));
        });
    }

    [Test]
    public void PredictAsync_CallerCancels_CountedAsCancelledNotAgainstTheInstance()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        using IPredictor<int, int> balanced = Predictor.LoadBalanced(
            new Dictionary<string, IPredictor<int, int>>
            {
                ["a"] = Predictor.CreateFromValueTask<int, int>((x, token) =>
                {
                    token.ThrowIfCancellationRequested();
                    return new ValueTask<int>(x);
                }),
            },
            o => o.FailuresToEject = 1);

        Assert.CatchAsync<OperationCanceledException>(async () => await balanced.PredictAsync(1, cancellation.Token));

        LoadBalancerInstanceStatistics a = balanced.GetService<LoadBalancerStatistics>()!["a"];
        Assert.That((a.Cancelled, a.Failed, a.IsEjected), Is.EqualTo((1L, 0L, false)));
    }

    [Test]
    public async Task EveryKindOfCall_GoesToOneInstanceAndIsCountedOnce()
    {
        IPredictor<int, int> instance = Predictor.CreateBatch<int, int>((inputs, _) => new ValueTask<IReadOnlyList<int>>(inputs.Select(x => x * 2).ToArray()));
        using IPredictor<int, int> balanced = Predictor.LoadBalanced([new KeyValuePair<string, IPredictor<int, int>>("x", instance)]);

        Assert.That(balanced.Predict(1), Is.EqualTo(2));
        Assert.That(await balanced.PredictAsync(2), Is.EqualTo(4));
        Assert.That(await balanced.PredictBatchAsync([1, 2, 3]), Is.EqualTo(new[] { 2, 4, 6 }));
        var chunks = new List<int>();
        await foreach (int chunk in balanced.PredictStreamingAsync(5))
        {
            chunks.Add(chunk);
        }

        Assert.That(chunks, Is.EqualTo(new[] { 10 }));
        LoadBalancerInstanceStatistics x = balanced.GetService<LoadBalancerStatistics>()!["x"];
        Assert.That((x.Succeeded, x.InFlight), Is.EqualTo((4L, 0)));
    }

    [Test]
    public async Task PredictStreamingAsync_InstanceThrowsMidStream_CountedAsFailed()
    {
        using IPredictor<int, int> balanced = Predictor.LoadBalanced(
            [new KeyValuePair<string, IPredictor<int, int>>("s", Predictor.CreateStreaming<int, int>(BreaksAsync))]);

        var chunks = new List<int>();
        Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (int chunk in balanced.PredictStreamingAsync(3))
            {
                chunks.Add(chunk);
            }
        });
        await Task.CompletedTask;

        LoadBalancerInstanceStatistics s = balanced.GetService<LoadBalancerStatistics>()!["s"];
        Assert.That((chunks.Count, s.Failed, s.Succeeded, s.InFlight), Is.EqualTo((3, 1L, 0L, 0)));
    }

    /// <summary>Two threads through UseMetrics around the balancer: the counts per instance are exact and sum to the calls the monitor saw.</summary>
    [TestCase(LoadBalancingStrategy.PowerOfTwoChoices)]
    [TestCase(LoadBalancingStrategy.RoundRobin)]
    [TestCase(LoadBalancingStrategy.LeastInFlight)]
    public void Predict_TwoThreads_CountsPerInstanceExactAndSumToTheCalls(LoadBalancingStrategy strategy)
    {
        const int CallsPerThread = 50_000;
        int[] seen = new int[3];
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "balanced-" + strategy, MeterName = NewMeterName() });
        using IPredictor<int, int> pipeline = Predictor.LoadBalanced(
                Enumerable.Range(0, 3).Select(i => new KeyValuePair<string, IPredictor<int, int>>("i" + i, Predictor.Create<int, int>(x =>
                {
                    Interlocked.Increment(ref seen[i]);
                    return x;
                }))),
                o =>
                {
                    o.Strategy = strategy;
                    o.Monitor = monitor;
                })
            .AsBuilder().UseMetrics(monitor).Build();

        var run = new ConcurrentRun(2);
        run.Execute(thread =>
        {
            for (int i = 0; i < CallsPerThread && run.InTime; i++)
            {
                if (pipeline.Predict(i) != i)
                {
                    run.Problem($"input {i}: a wrong answer");
                }
            }
        });
        run.AssertClean();

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        LoadBalancerStatistics statistics = snapshot.LoadBalancer!;
        Assert.Multiple(() =>
        {
            Assert.That(statistics.Calls, Is.EqualTo(2 * CallsPerThread));
            Assert.That(statistics.Calls, Is.EqualTo(snapshot.Calls), "the instances' calls sum to the calls the monitor counted");
            Assert.That(statistics.Instances.Select(i => i.Succeeded), Is.EqualTo(seen.Select(s => (long)s)));
            Assert.That(statistics.Instances.Select(i => i.InFlight), Is.All.Zero);
            if (strategy == LoadBalancingStrategy.RoundRobin)
            {
                Assert.That(seen.Max() - seen.Min(), Is.LessThanOrEqualTo(1), "round-robin is exact under two threads too");
            }
        });
    }

    [Test]
    public void Monitor_PublishesModelInstanceInstrumentsWithTheDeclaredNames()
    {
        string meter = NewMeterName();
        var clock = new FakeTimeProvider();
        using var collector = new MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "lb", ModelVersion = "3", MeterName = meter, TimeProvider = clock });
        bool bFails = true;
        using IPredictor<int, int> balanced = Predictor.LoadBalanced(
            new Dictionary<string, IPredictor<int, int>>
            {
                ["gpu0"] = Predictor.Create<int, int>(x => { clock.Advance(TimeSpan.FromMilliseconds(2)); return x; }),
                ["gpu1"] = Predictor.Create<int, int>(x => bFails ? throw new InvalidOperationException() : x),
            },
            o =>
            {
                o.Strategy = LoadBalancingStrategy.RoundRobin;
                o.FailuresToEject = 2;
                o.Monitor = monitor;
                o.TimeProvider = clock;
            });

        TryCall(balanced, 6); // gpu0 ×3 (2 ms each), gpu1 fails ×2 and is ejected, then gpu0 takes the rest: gpu0 ×4.

        List<Observed> observed = collector.Collect("lb");
        double Value(string instrument, string instance, string? outcome = null) => observed.Single(o =>
            o.Instrument == instrument && o.Tag("model.instance") == instance && (outcome is null || o.Tag("outcome") == outcome)).Value;
        Assert.Multiple(() =>
        {
            Assert.That(Value("model.instance.calls", "gpu0", "succeeded"), Is.EqualTo(4));
            Assert.That(Value("model.instance.calls", "gpu1", "failed"), Is.EqualTo(2));
            Assert.That(observed.Count(o => o.Instrument == "model.instance.calls"), Is.EqualTo(2), "outcomes that never happened report nothing");
            Assert.That(Value("model.instance.duration.sum", "gpu0"), Is.EqualTo(0.008).Within(1e-12));
            Assert.That(Value("model.instance.duration.recent", "gpu0"), Is.EqualTo(0.002).Within(1e-12));
            Assert.That(observed.Any(o => o.Instrument == "model.instance.duration.recent" && o.Tag("model.instance") == "gpu1"), Is.False, "gpu1 never succeeded: no recent latency");
            Assert.That(Value("model.instance.ejections", "gpu1"), Is.EqualTo(1));
            Assert.That(Value("model.instance.ejected", "gpu1"), Is.EqualTo(1));
            Assert.That(Value("model.instance.ejected", "gpu0"), Is.EqualTo(0));
            Assert.That(Value("model.instance.active_calls", "gpu0"), Is.EqualTo(0));
            Assert.That(observed.Where(o => o.Instrument.StartsWith("model.instance.", StringComparison.Ordinal)).Select(o => o.Tag("model.version")), Is.All.EqualTo("3"));
            Assert.That(observed.Where(o => o.Instrument == "model.instance.calls").Select(o => o.Unit), Is.All.EqualTo("{call}"));
        });

        // The balancer's counts move the monitor's change flag: the next pass sees the new calls.
        bFails = false;
        clock.Advance(TimeSpan.FromSeconds(10));
        TryCall(balanced, 2);
        observed = collector.Collect("lb");
        Assert.That(Value("model.instance.calls", "gpu1", "succeeded"), Is.EqualTo(1), "probed back and readmitted");
        Assert.That(Value("model.instance.ejected", "gpu1"), Is.EqualTo(0));
    }

    [Test]
    public void Monitor_ServesOneLiveBalancer_AnotherAfterTheFirstIsDisposed()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "one-balancer", MeterName = NewMeterName() });
        IPredictor<int, int> first = Predictor.LoadBalanced(One("a"), o => o.Monitor = monitor);
        first.Predict(1);
        Assert.That(monitor.GetSnapshot().LoadBalancer!.Calls, Is.EqualTo(1));

        ArgumentException? error = Assert.Throws<ArgumentException>(() => Predictor.LoadBalanced(One("b"), o => o.Monitor = monitor));
        Assert.That(error!.ParamName, Is.EqualTo(nameof(LoadBalancerOptions.Monitor)));

        first.Dispose();
        Assert.That(monitor.GetSnapshot().LoadBalancer, Is.Null, "a disposed balancer is no longer published");
        using IPredictor<int, int> second = Predictor.LoadBalanced(One("b"), o => o.Monitor = monitor);
        second.Predict(1);
        Assert.That(monitor.GetSnapshot().LoadBalancer!.Instances.Single().Name, Is.EqualTo("b"));
    }

    [Test]
    public void LoadBalanced_InvalidConfiguration_FailsNamingTheParameter()
    {
        IPredictor<int, int> model = Predictor.Create<int, int>(x => x);
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<ArgumentException>(() => Predictor.LoadBalanced(Array.Empty<KeyValuePair<string, IPredictor<int, int>>>()))!.ParamName, Is.EqualTo("instances"));
            Assert.That(Assert.Throws<ArgumentException>(() => Predictor.LoadBalanced([new("a", model), new KeyValuePair<string, IPredictor<int, int>>("a", model)]))!.ParamName, Is.EqualTo("instances"));
            Assert.That(Assert.Throws<ArgumentException>(() => Predictor.LoadBalanced([new KeyValuePair<string, IPredictor<int, int>>(string.Empty, model)]))!.ParamName, Is.EqualTo("instances"));
            Assert.That(Assert.Throws<ArgumentException>(() => Predictor.LoadBalanced(Enumerable.Range(0, 65).Select(i => new KeyValuePair<string, IPredictor<int, int>>("i" + i, model))))!.ParamName, Is.EqualTo("instances"));
            Assert.That(
                Assert.Throws<ArgumentException>(() => Predictor.LoadBalanced(One("a"), o => { o.BaseEjectionTime = TimeSpan.FromMinutes(10); o.MaxEjectionTime = TimeSpan.FromMinutes(1); }))!.ParamName,
                Is.EqualTo(nameof(LoadBalancerOptions.MaxEjectionTime)));
            var options = new LoadBalancerOptions();
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => options.FailuresToEject = 0)!.ParamName, Is.EqualTo(nameof(LoadBalancerOptions.FailuresToEject)));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => options.Timeout = TimeSpan.Zero)!.ParamName, Is.EqualTo(nameof(LoadBalancerOptions.Timeout)));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => options.BaseEjectionTime = TimeSpan.FromDays(2))!.ParamName, Is.EqualTo(nameof(LoadBalancerOptions.BaseEjectionTime)));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => options.Strategy = (LoadBalancingStrategy)7)!.ParamName, Is.EqualTo(nameof(LoadBalancerOptions.Strategy)));
        });
    }

    [Test]
    public void Dispose_DisposesEveryInstance()
    {
        var disposed = new List<string>();
        var instances = new[] { "a", "b" }.Select(name => new KeyValuePair<string, IPredictor<int, int>>(name, new DisposalProbe(name, disposed)));
        IPredictor<int, int> balanced = Predictor.LoadBalanced(instances.ToList());

        balanced.Dispose();
        balanced.Dispose();

        Assert.That(disposed, Is.EqualTo(new[] { "a", "b" }));
    }

    private static string NewMeterName() => "lb-" + Guid.NewGuid().ToString("N");

    private static KeyValuePair<string, IPredictor<int, int>>[] One(string name) => [new(name, Predictor.Create<int, int>(x => x))];

    private static IEnumerable<KeyValuePair<string, IPredictor<int, int>>> Named(IEnumerable<IPredictor<int, int>> instances) =>
        instances.Select((instance, i) => new KeyValuePair<string, IPredictor<int, int>>("i" + i, instance));

    private static void CallMany(IPredictor<int, int> predictor, int calls)
    {
        for (int i = 0; i < calls; i++)
        {
            Assert.That(predictor.Predict(i), Is.EqualTo(i));
        }
    }

    /// <summary>Calls <paramref name="calls"/> times, ignoring the instances' failures (what is counted is under test).</summary>
    private static void TryCall(IPredictor<int, int> predictor, int calls)
    {
        for (int i = 0; i < calls; i++)
        {
            try
            {
                predictor.Predict(i);
            }
            catch (InvalidOperationException)
            {
                // The instance failed, as the test arranged.
            }
        }
    }

    private static async IAsyncEnumerable<int> BreaksAsync(int count, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (int i = 0; i < count; i++)
        {
            await Task.Yield();
            yield return i;
        }

        throw new InvalidOperationException("the stream broke");
    }

    private sealed class DisposalProbe(string name, List<string> disposed) : DelegatingPredictor<int, int>(Predictor.Create<int, int>(x => x))
    {
        protected override void Dispose(bool disposing)
        {
            disposed.Add(name);
            base.Dispose(disposing);
        }
    }
}
