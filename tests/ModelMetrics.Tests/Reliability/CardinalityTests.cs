// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Reliability;

/// <summary>
/// Nothing a model or its callers send can grow the set of published series or the memory without bound:
/// unknown labels, many monitors, many exception types.
/// </summary>
[NonParallelizable]
public class CardinalityTests
{
    private const int UnknownLabels = 1_000_000;
    private const int ChurnedMonitors = 10_000;
    private const int LiveMonitors = 2_000;

    /// <summary>
    /// The bound on the memory of one idle monitor (default options, 3 classes, never recorded into), from
    /// <see cref="GC.GetTotalMemory(bool)"/> around creating <see cref="LiveMonitors"/> of them. Measured on Linux
    /// x64: 18.5 KiB each. Nothing proportional to the histogram size (2176 buckets of 8 bytes per array) is
    /// allocated before the first recording: window checkpoints start as an implicit all-zero array, empty
    /// histograms share one zero array, and the pending-label store allocates nodes on the first id. The bound
    /// fails if one eager histogram-sized array (17 KiB) comes back.
    /// </summary>
    private const long IdleMonitorBoundBytes = 32 * 1024;

    /// <summary>What a created, used and disposed monitor may leave behind: nothing but noise.</summary>
    private const long DisposedMonitorBoundBytes = 256;

    [Test]
    public void RecordGroundTruth_MillionDistinctUnknownLabels_CountedExactlyAndPublishedSeriesUnchanged()
    {
        string meter = ReliabilityHelpers.MeterName();
        string model = ReliabilityHelpers.ModelName();
        using var collector = new MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = model, MeterName = meter, ClassLabels = ["cat", "dog", "bird"] });
        monitor.RecordCall(0.01);
        monitor.RecordGroundTruth("cat", "dog");
        monitor.RecordGroundTruth((string)null!, "dog");
        HashSet<string> before = ReliabilityHelpers.SeriesOf(collector.Collect(model));

        // Half the unknown labels as the predicted label, half as the actual one; each string is new.
        for (int i = 0; i < UnknownLabels; i++)
        {
            string unknown = "label-" + i.ToString(CultureInfo.InvariantCulture);
            if (i % 2 == 0)
            {
                monitor.RecordGroundTruth(unknown, "cat");
            }
            else
            {
                monitor.RecordGroundTruth("bird", unknown);
            }
        }

        // Note: rejections do not mark the monitor changed, so a collection within 100 ms of the previous one reuses
        // its snapshot (PublishingFreshnessTests); reading a snapshot first makes the published values current.
        ModelMonitorSnapshot s = monitor.GetSnapshot();
        List<Observed> after = collector.Collect(model);
        Assert.Multiple(() =>
        {
            Assert.That(s.Rejected, Is.EqualTo(new Dictionary<string, long> { ["unknown_label"] = UnknownLabels + 1 }));
            Assert.That(s.Classification!.Total, Is.EqualTo(1));
            Assert.That(ReliabilityHelpers.SeriesOf(after), Is.EquivalentTo(before), "no series was added");
            Assert.That(after.SelectMany(o => o.Tags.Values).Where(v => v is not null && v.StartsWith("label-", StringComparison.Ordinal)), Is.Empty);
            Assert.That(after.Single(o => o.Instrument == "model.metrics.rejected").Value, Is.EqualTo(UnknownLabels + 1));
        });
    }

    [Test]
    public void Monitors_TenThousandCreatedUsedAndDisposed_RetainNoMemoryAndLeaveListenerCollections()
    {
        string meter = ReliabilityHelpers.MeterName();
        using var collector = new AllSeriesCollector(meter);
        var sample = new List<WeakReference>();
        Churn(meter, 100, sample, collector); // warm up: the meter, its instruments, the JIT
        sample.Clear();

        long before = GC.GetTotalMemory(forceFullCollection: true);
        int seenWhileAlive = Churn(meter, ChurnedMonitors, sample, collector);
        long after = GC.GetTotalMemory(forceFullCollection: true);
        double perMonitor = (double)(after - before) / ChurnedMonitors;
        TestContext.Out.WriteLine($"{ChurnedMonitors:N0} monitors created, used and disposed: {after - before:N0} bytes retained ({perMonitor:F1} per monitor)");

        List<Observed> published = collector.Collect();
        Assert.Multiple(() =>
        {
            Assert.That(perMonitor, Is.LessThan(DisposedMonitorBoundBytes));
            Assert.That(seenWhileAlive, Is.EqualTo(ChurnedMonitors / 100), "each sampled monitor was published while alive");
            Assert.That(sample.Count(w => w.IsAlive), Is.Zero, "disposed monitors are collectable: the meter does not hold them");
            Assert.That(published, Is.Empty, "no disposed monitor is collected");
        });
    }

    [Test]
    public void Monitors_TwoThousandAlive_IdleMemoryPerMonitorBelowBoundAndAllGoneFromCollectionsAfterDispose()
    {
        string meter = ReliabilityHelpers.MeterName();

        // 2,000 rather than 10^4 alive (10^4 took 14 s, most of it allocating and collecting 1 GB); the churn test
        // above creates and disposes 10^4. Only the calls counter is collected: a pass over every instrument reads
        // each monitor's snapshot again for each instrument once the pass runs past 100 ms.
        using var collector = new AllSeriesCollector(meter, i => i.Name == "model.inference.calls");
        var options = new List<ModelMonitorOptions>(LiveMonitors);
        for (int i = 0; i < LiveMonitors; i++)
        {
            options.Add(new ModelMonitorOptions { ModelName = "live-" + i.ToString(CultureInfo.InvariantCulture), MeterName = meter, ClassLabels = ["cat", "dog", "bird"] });
        }

        new ModelMonitor(new ModelMonitorOptions { ModelName = "warm-up", MeterName = meter, ClassLabels = ["cat", "dog", "bird"] }).Dispose();
        var monitors = new ModelMonitor[LiveMonitors];
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < LiveMonitors; i++)
        {
            monitors[i] = new ModelMonitor(options[i]);
        }

        long after = GC.GetTotalMemory(forceFullCollection: true);
        double perMonitor = (double)(after - before) / LiveMonitors;
        TestContext.Out.WriteLine($"{LiveMonitors:N0} idle monitors alive: {after - before:N0} bytes ({perMonitor / 1024:F1} KiB per monitor; bound {IdleMonitorBoundBytes / 1024} KiB)");

        // Every live monitor is published: the calls counter reports one series per monitor once it was called
        // (a monitor never called reports no calls; the call comes after the idle memory was measured).
        foreach (ModelMonitor monitor in monitors)
        {
            monitor.RecordCall(0.001);
        }

        int publishedBefore = collector.Collect().Select(o => o.Tag("model.name")).Distinct().Count();
        foreach (ModelMonitor monitor in monitors)
        {
            monitor.Dispose();
        }

        int publishedAfter = collector.Collect().Count;
        Assert.Multiple(() =>
        {
            Assert.That(perMonitor, Is.LessThan(IdleMonitorBoundBytes));
            Assert.That(publishedBefore, Is.EqualTo(LiveMonitors));
            Assert.That(publishedAfter, Is.Zero);
        });
        GC.KeepAlive(monitors);
    }

    [Test]
    public void ErrorTypes_HundredDistinctTypesFromTwoThreads_AtMost32NamedPlusOtherAndTotalsExact()
    {
        string meter = ReliabilityHelpers.MeterName();
        string model = ReliabilityHelpers.ModelName();
        using var collector = new MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = model, MeterName = meter });
        IReadOnlyList<Type> types = GeneratedExceptionTypes.Get(100);
        using var predictor = Predictor.Create<int, int>(i => i < 0 ? i : throw (Exception)Activator.CreateInstance(types[i])!).AsBuilder().UseMetrics(monitor).Build();

        // Type i is thrown 1 + i % 5 times by each thread; the threads go through the types in opposite
        // orders, so which 32 get a name is a race; the counts must not be.
        var thrownPerType = new long[types.Count];
        IReadOnlyList<Exception> errors = new ConcurrentRun(2).Execute(id =>
        {
            for (int n = 0; n < types.Count; n++)
            {
                int type = id == 0 ? n : types.Count - 1 - n;
                for (int k = 0; k < 1 + (type % 5); k++)
                {
                    try
                    {
                        predictor.Predict(type);
                    }
                    catch (Exception e) when (e.GetType() == types[type])
                    {
                        System.Threading.Interlocked.Increment(ref thrownPerType[type]);
                    }
                }
            }

            predictor.Predict(-1);
        }).Errors;

        ModelMonitorSnapshot s = monitor.GetSnapshot();
        long total = thrownPerType.Sum();
        Dictionary<string, long> named = s.Failures.Where(f => f.Key != "_OTHER").ToDictionary(f => f.Key, f => f.Value);
        List<Observed> published = collector.Collect(model).Where(o => o.Instrument == "model.inference.calls").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(errors, Is.Empty);
            Assert.That(total, Is.EqualTo(2 * Enumerable.Range(0, 100).Sum(i => 1 + (i % 5))), "600 faults thrown");
            Assert.That(named, Has.Count.EqualTo(32), "32 types get a name");
            Assert.That(s.Failures.Keys, Has.Member("_OTHER"));
            Assert.That(s.Failed, Is.EqualTo(total));
            Assert.That(s.Succeeded, Is.EqualTo(2));

            // Every occurrence of a type goes to the same place: its name, or _OTHER.
            foreach ((string name, long count) in named)
            {
                int index = int.Parse(name[(GeneratedExceptionTypes.Namespace.Length + ".Fault".Length)..], CultureInfo.InvariantCulture);
                Assert.That(count, Is.EqualTo(thrownPerType[index]), name);
            }

            Assert.That(s.Failures["_OTHER"], Is.EqualTo(total - named.Values.Sum()));

            // Published: one series for successes, 33 with error.type, the same counts.
            Assert.That(published, Has.Count.EqualTo(34));
            Assert.That(published.Where(o => o.Tag("error.type") is not null).ToDictionary(o => o.Tag("error.type")!, o => (long)o.Value), Is.EqualTo(s.Failures));
            Assert.That(published.Single(o => o.Tag("error.type") is null).Value, Is.EqualTo(2));
        });
    }

    /// <summary>
    /// Creates, uses and disposes monitors named churn-0, churn-1, ... one at a time. For every 100th, keeps a weak
    /// reference and collects the meter before disposing it; returns how many of those collections reported it.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int Churn(string meter, int count, List<WeakReference> sample, AllSeriesCollector collector)
    {
        int seen = 0;
        for (int i = 0; i < count; i++)
        {
            string name = "churn-" + i.ToString(CultureInfo.InvariantCulture);
            var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = name, MeterName = meter, ClassLabels = ["cat", "dog", "bird"] });
            monitor.RecordCall(0.001);
            monitor.RecordGroundTruth(0, 1);
            monitor.RecordPrediction("id-" + i.ToString(CultureInfo.InvariantCulture), 2);
            _ = monitor.GetSnapshot();
            if (i % 100 == 0)
            {
                seen += collector.Collect().Any(o => o.Tag("model.name") == name) ? 1 : 0;
                sample.Add(new WeakReference(monitor));
            }

            monitor.Dispose();
        }

        return seen;
    }
}
