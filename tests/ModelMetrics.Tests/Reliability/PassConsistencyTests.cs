// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading;
using NUnit.Framework;

namespace ModelMetrics.Tests.Reliability;

/// <summary>
/// Issue 18, items 3 and 4: every collection pass of every listener is one consistent snapshot whatever another listener
/// does, a read after the writers stop shows the final state, and failures keep calls and latency counts together.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed class PassConsistencyTests
{
    private const int CallsPerWriter = 300_000;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private static readonly InvalidOperationException Failure = new("failed");

    [Test]
    public void A_second_listener_collecting_one_instrument_never_mixes_the_first_listeners_passes()
    {
        string meter = "pass-consistency-" + Guid.NewGuid().ToString("N");
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "m", MeterName = meter });
        using var full = new PassListener(meter, _ => true);
        using var partial = new PassListener(meter, name => name == "model.inference.items");
        int writing = 2;
        int inconsistent = 0;
        int passes = 0;
        long written = 0;
        var clock = Stopwatch.StartNew();

        // Writers run until the first listener has collected 300 passes (or 20 million calls each, or the time limit).
        void Write()
        {
            long i = 0;
            for (; i < 20_000_000 && Volatile.Read(ref passes) < 300 && clock.Elapsed < Limit; i++)
            {
                monitor.EndCall(monitor.StartCall());
            }

            Interlocked.Add(ref written, i);
            Interlocked.Decrement(ref writing);
        }

        var threads = new List<Thread>
        {
            new(Write) { IsBackground = true },
            new(Write) { IsBackground = true },
            new(() =>
            {
                while (Volatile.Read(ref writing) > 0 && clock.Elapsed < Limit)
                {
                    Dictionary<string, double> pass = full.Collect();
                    Interlocked.Increment(ref passes);
                    double calls = pass.GetValueOrDefault("model.inference.calls");
                    if (calls != pass.GetValueOrDefault("model.inference.items") || calls != pass.GetValueOrDefault("model.inference.duration.count"))
                    {
                        inconsistent++;
                    }
                }
            }) { IsBackground = true },
            new(() =>
            {
                while (Volatile.Read(ref writing) > 0 && clock.Elapsed < Limit)
                {
                    partial.Collect();
                }
            }) { IsBackground = true },
        };
        threads.ForEach(t => t.Start());
        threads.ForEach(t => Assert.That(t.Join(Limit + Limit), Is.True, "thread ended"));

        TestContext.Out.WriteLine($"{passes} passes, {written} calls");
        Assert.That(passes, Is.GreaterThan(10));
        Assert.That(inconsistent, Is.Zero, $"inconsistent passes of {passes}");

        // After the writers stop, each listener's next pass shows the final state.
        Dictionary<string, double> last = full.Collect();
        Assert.That(last["model.inference.calls"], Is.EqualTo((double)written));
        Assert.That(last["model.inference.active_calls"], Is.Zero);
        Assert.That(partial.Collect()["model.inference.items"], Is.EqualTo((double)written));
        Assert.That(full.Collect()["model.inference.duration.count"], Is.EqualTo((double)written));
    }

    [Test]
    public void Failures_recorded_on_two_threads_keep_calls_equal_to_the_latency_count_in_every_snapshot()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "failures-" + Guid.NewGuid().ToString("N") });
        int writing = 2;
        int inconsistent = 0;
        int snapshots = 0;
        var clock = Stopwatch.StartNew();

        void Write()
        {
            // Writers start once the reader has read: recording is fast enough to finish before a busy machine schedules it.
            while (Volatile.Read(ref snapshots) == 0 && clock.Elapsed < Limit)
            {
                Thread.Yield();
            }

            for (int i = 0; i < CallsPerWriter && clock.Elapsed < Limit; i++)
            {
                monitor.RecordCall(0.001, i % 2 == 0 ? Failure : null);
            }

            Interlocked.Decrement(ref writing);
        }

        var threads = new List<Thread>
        {
            new(Write) { IsBackground = true },
            new(Write) { IsBackground = true },
            new(() =>
            {
                while (Volatile.Read(ref writing) > 0 && clock.Elapsed < Limit)
                {
                    ModelMonitorSnapshot s = monitor.GetSnapshot();
                    Interlocked.Increment(ref snapshots);
                    if (s.Calls != s.Latency.Count || s.Recent.Calls != s.Recent.Latency.Count)
                    {
                        inconsistent++;
                    }
                }
            }) { IsBackground = true },
        };
        threads.ForEach(t => t.Start());
        threads.ForEach(t => Assert.That(t.Join(Limit + Limit), Is.True, "thread ended"));

        Assert.That(snapshots, Is.GreaterThan(0));
        Assert.That(inconsistent, Is.Zero, $"inconsistent snapshots of {snapshots}");
        ModelMonitorSnapshot final = monitor.GetSnapshot();
        Assert.That((final.Calls, final.Failed, final.Latency.Count), Is.EqualTo((2L * CallsPerWriter, (long)CallsPerWriter, 2L * CallsPerWriter)));
    }

    /// <summary>A MeterListener of some instruments of one meter, collected pass by pass, summing each instrument's measurements.</summary>
    private sealed class PassListener : IDisposable
    {
        private readonly MeterListener _listener = new();
        private Dictionary<string, double> _pass = [];

        public PassListener(string meter, Func<string, bool> enable)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == meter && enable(instrument.Name))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, _, _) => Add(i.Name, v));
            _listener.SetMeasurementEventCallback<double>((i, v, _, _) => Add(i.Name, v));
            _listener.Start();
        }

        public Dictionary<string, double> Collect()
        {
            _pass = [];
            _listener.RecordObservableInstruments();
            return _pass;
        }

        public void Dispose() => _listener.Dispose();

        private void Add(string name, double value) => _pass[name] = _pass.GetValueOrDefault(name) + value;
    }
}
