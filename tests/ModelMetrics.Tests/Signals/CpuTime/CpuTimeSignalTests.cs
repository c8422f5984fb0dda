// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Linq;
using System.Threading;
using ModelMetrics.Signals;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.CpuTime;

[TestFixture]
[NonParallelizable]
public sealed class CpuTimeSignalTests
{
    private double _budget;

    // Sample exactly as configured, however slow this machine's thread CPU clock is.
    [OneTimeSetUp]
    public void SampleAsConfigured()
    {
        _budget = CpuTimeSignal.BudgetNanoseconds;
        CpuTimeSignal.BudgetNanoseconds = double.MaxValue;
    }

    [OneTimeTearDown]
    public void RestoreBudget() => CpuTimeSignal.BudgetNanoseconds = _budget;

    [Test]
    public void A_slow_clock_lowers_the_sampling_rate_to_keep_the_average_cost_within_budget()
    {
        long cost = ThreadCpuClock.ReadCost;
        CpuTimeSignal.BudgetNanoseconds = 4;
        try
        {
            using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = Name(), CpuTimeSampling = 10 });
            int every = monitor.GetSignal<CpuTimeSignal>()!.Every;
            Assert.That(every, Is.EqualTo(Math.Max(10, (int)Math.Ceiling(3.0 * cost / 4))), "budget 4 ns");
            Assert.That(3.0 * cost / every, Is.LessThanOrEqualTo(4.0), "three readings per sample");
        }
        finally
        {
            CpuTimeSignal.BudgetNanoseconds = double.MaxValue;
        }
    }

    [Test]
    public void Off_by_default()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = Name() });
        monitor.EndCall(monitor.StartCall());

        Assert.That(monitor.GetSnapshot().CpuTime, Is.Null);
        Assert.That(monitor.GetSnapshot().Recent.CpuTime, Is.Null);
    }

    [Test]
    public void Invalid_sampling_names_the_option()
    {
        var error = Assert.Throws<ArgumentException>(() => new ModelMonitor(new ModelMonitorOptions { ModelName = Name(), CpuTimeSampling = -1 }));
        Assert.That(error!.ParamName, Is.EqualTo("CpuTimeSampling"));
    }

    [Test]
    public void The_interval_follows_the_measured_cost_of_a_sample_and_never_drops_below_the_configured_one()
    {
        CpuTimeSignal.BudgetNanoseconds = 4;
        try
        {
            using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = Name(), CpuTimeSampling = 10 });
            CpuTimeSignal signal = monitor.GetSignal<CpuTimeSignal>()!;

            // Samples that cost 40 µs (a cold clock in a VM): the interval rises to keep 4 ns per call on average.
            for (int i = 0; i < 200; i++)
            {
                signal.Adapt(40_000);
            }

            Assert.That(signal.Every, Is.InRange(9_900, 10_000));

            // Cheap samples again: it comes back down, to the configured interval and no further.
            for (int i = 0; i < 400; i++)
            {
                signal.Adapt(1);
            }

            Assert.That(signal.Every, Is.EqualTo(10));
        }
        finally
        {
            CpuTimeSignal.BudgetNanoseconds = double.MaxValue;
        }
    }

    [Test]
    public void One_call_in_N_is_sampled_per_thread_from_a_random_start()
    {
        if (ThreadCpuClock.Now() < 0)
        {
            Assert.Ignore("this platform has no thread CPU clock");
        }

        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = Name(), CpuTimeSampling = 4 });

        // A fresh thread: its first call seeds the countdown (1 to 4), then every 4th call is sampled.
        RunOnNewThread(() =>
        {
            for (int i = 0; i < 101; i++)
            {
                monitor.EndCall(monitor.StartCall());
            }
        });

        CpuTimeSnapshot cpu = monitor.GetSnapshot().CpuTime!;
        Assert.That(cpu.Samples + cpu.LostSamples, Is.InRange(24, 25), "picked for a sample (a few may be dropped as implausible)");
        Assert.That(cpu.Samples, Is.GreaterThanOrEqualTo(20));
        Assert.That(cpu.SamplingInterval, Is.EqualTo(4));
        Assert.That(cpu.EstimatedCpuSeconds, Is.EqualTo(cpu.SampledCpuSeconds * 4).Within(1e-12), "each sample stands for 4 calls");
    }

    [Test]
    public void Sampled_cpu_time_is_the_work_done_inside_the_calls()
    {
        if (ThreadCpuClock.Now() < 0)
        {
            Assert.Ignore("this platform has no thread CPU clock");
        }

        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = Name(), CpuTimeSampling = 1 });
        long outside = 0;
        RunOnNewThread(() =>
        {
            monitor.EndCall(monitor.StartCall()); // seeds the countdown: not sampled
            long before = ThreadCpuClock.Now();
            for (int i = 0; i < 20; i++)
            {
                long start = monitor.StartCall();
                Burn(2_000_000);
                monitor.EndCall(start);
            }

            outside = ThreadCpuClock.Now() - before;
        });

        CpuTimeSnapshot cpu = monitor.GetSnapshot().CpuTime!;
        // Every call was sampled; a sample whose thread CPU clock jumped past its wall time (a VM moving the thread
        // between CPUs with disagreeing clocks) is dropped as lost, so allow a few.
        Assert.That(cpu.Samples + cpu.LostSamples, Is.EqualTo(20));
        Assert.That(cpu.Samples, Is.GreaterThanOrEqualTo(15));

        // Inside the calls is most of what the thread did between the two outer readings, and never more.
        Assert.That(cpu.SampledCpuSeconds, Is.LessThanOrEqualTo(outside / 1e9));
        Assert.That(cpu.CpuSecondsPerCall * 20, Is.InRange(0.8 * outside / 1e9, 1.05 * outside / 1e9));
        Assert.That(cpu.CpuSecondsPerCall, Is.EqualTo(cpu.SampledCpuSeconds / cpu.Samples).Within(1e-15));
        Assert.That(cpu.ProcessCpuSeconds, Is.GreaterThanOrEqualTo(cpu.SampledCpuSeconds * 0.99), "the process's CPU includes the calls' (clocks of different resolution)");
        Assert.That(cpu.ProcessShare, Is.InRange(0.01, 1.05));
    }

    [Test]
    public void A_call_that_ends_on_another_thread_is_lost_not_mismeasured()
    {
        if (ThreadCpuClock.Now() < 0)
        {
            Assert.Ignore("this platform has no thread CPU clock");
        }

        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = Name(), CpuTimeSampling = 1 });
        long start = 0;
        RunOnNewThread(() =>
        {
            monitor.EndCall(monitor.StartCall());
            start = monitor.StartCall();
        });
        RunOnNewThread(() => monitor.EndCall(start));

        CpuTimeSnapshot cpu = monitor.GetSnapshot().CpuTime!;
        Assert.That(cpu.Samples, Is.Zero, "the first call on a thread only seeds its countdown");
        Assert.That(cpu.LostSamples, Is.EqualTo(1));
    }

    [Test]
    public void Published_per_model_with_counters_and_window_gauges()
    {
        if (ThreadCpuClock.Now() < 0)
        {
            Assert.Ignore("this platform has no thread CPU clock");
        }

        string name = Name();
        string meter = "CpuTimeTests." + name;
        using var collector = new MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = name, MeterName = meter, CpuTimeSampling = 1 });
        RunOnNewThread(() =>
        {
            for (int i = 0; i < 11; i++)
            {
                long start = monitor.StartCall();
                Burn(100_000);
                monitor.EndCall(start);
            }
        });

        var observed = collector.Collect(name);
        CpuTimeSnapshot cpu = monitor.GetSnapshot().CpuTime!;

        Assert.That(cpu.Samples + cpu.LostSamples, Is.EqualTo(10), "11 calls, the first only seeds the countdown");
        Assert.That(observed.Single(o => o.Instrument == "model.inference.cpu.samples").Value, Is.EqualTo(cpu.Samples));
        Assert.That(observed.Single(o => o.Instrument == "model.inference.cpu.sampled_time").Value, Is.EqualTo(cpu.SampledCpuSeconds));
        Assert.That(observed.Where(o => o.Instrument == "model.inference.cpu.time_per_call").Select(o => o.Tag("window")), Is.EquivalentTo(new[] { "60", "300", "3600" }));
        Assert.That(observed.Where(o => o.Instrument == "model.inference.cpu.process_share"), Has.Exactly(3).Items);
    }

    private static string Name() => "cpu-" + Guid.NewGuid().ToString("N")[..8];

    private static void RunOnNewThread(Action action)
    {
        var thread = new Thread(() => action());
        thread.Start();
        Assert.That(thread.Join(TimeSpan.FromSeconds(60)), Is.True);
    }

    private static double Burn(int iterations)
    {
        double x = 1;
        for (int i = 0; i < iterations; i++)
        {
            x = Math.Sqrt(x + i);
        }

        return x;
    }
}
