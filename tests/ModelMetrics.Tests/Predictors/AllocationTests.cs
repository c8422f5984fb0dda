// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace ModelMetrics.Tests.Predictors;

/// <summary>
/// The recording paths allocate nothing once warmed up: measured with the calling thread's allocation
/// counter around 10 000 calls of a model that allocates nothing itself (int to int).
/// </summary>
/// <remarks>
/// A stripe of the recording core is allocated the first time a thread writes from its processor (documented:
/// "no allocation after the stripe's first use"), so a thread that migrates to another processor during a
/// measurement can see that one-time allocation (about 18 KB for the default histogram). The warm-up therefore
/// runs on every processor, and the measurement is repeated up to five times: a one-time allocation cannot
/// recur, a per-call allocation shows in every attempt.
/// </remarks>
[NonParallelizable]
public class AllocationTests
{
    private const int WarmUp = 1_000;
    private const int Calls = 10_000;
    private const int Attempts = 5;

    public enum Label
    {
        Neg,
        Pos,
    }

    public enum OtherLabel
    {
        Pos,
        Neg,
    }

    [Test]
    public void MetricsPredictor_Predict_AllocatesNothing()
    {
        using ModelMonitor monitor = CreateMonitor(nameof(MetricsPredictor_Predict_AllocatesNothing));
        using var predictor = new MetricsPredictor<int, int>(Predictor.Create<int, int>(static x => x + 1), monitor);
        int wrong = 0;

        (long allocated, long calls) = Measure(i => wrong += predictor.Predict(i) == i + 1 ? 0 : 1);

        Assert.That(allocated, Is.Zero, PerCall(allocated));
        Assert.That(wrong, Is.Zero);
        Assert.That(monitor.GetSnapshot().Calls, Is.EqualTo(calls));
    }

    [Test]
    public void MetricsPredictor_PredictAsync_SynchronousModel_AllocatesNothing()
    {
        using ModelMonitor monitor = CreateMonitor(nameof(MetricsPredictor_PredictAsync_SynchronousModel_AllocatesNothing));
        using var predictor = new MetricsPredictor<int, int>(Predictor.Create<int, int>(static x => x + 1), monitor);
        int wrong = 0;

        (long allocated, long calls) = Measure(i => wrong += IsCompletedWith(predictor.PredictAsync(i), i + 1) ? 0 : 1);

        Assert.That(allocated, Is.Zero, PerCall(allocated));
        Assert.That(wrong, Is.Zero, "every call completes synchronously with the model's output");
        Assert.That(monitor.GetSnapshot().Calls, Is.EqualTo(calls));
    }

    [Test]
    public void MetricsPredictor_PredictAsync_CompletedValueTaskModel_AllocatesNothing()
    {
        using ModelMonitor monitor = CreateMonitor(nameof(MetricsPredictor_PredictAsync_CompletedValueTaskModel_AllocatesNothing));
        using var predictor = new MetricsPredictor<int, int>(
            Predictor.CreateFromValueTask<int, int>(static (x, _) => new ValueTask<int>(x + 1)),
            monitor);
        int wrong = 0;

        (long allocated, long calls) = Measure(i => wrong += IsCompletedWith(predictor.PredictAsync(i), i + 1) ? 0 : 1);

        Assert.That(allocated, Is.Zero, PerCall(allocated));
        Assert.That(wrong, Is.Zero, "every call completes synchronously with the model's output");
        Assert.That(monitor.GetSnapshot().Calls, Is.EqualTo(calls));
    }

    [Test]
    public void Monitor_StartCallEndCall_AllocatesNothing()
    {
        using ModelMonitor monitor = CreateMonitor(nameof(Monitor_StartCallEndCall_AllocatesNothing));

        (long allocated, long calls) = Measure(i =>
        {
            monitor.EndCall(monitor.StartCall());
            monitor.EndBatchCall(monitor.StartCall(), itemCount: 4);
        });

        Assert.That(allocated, Is.Zero, PerCall(allocated) + " (two calls each)");
        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Calls, Is.EqualTo(2 * calls));
        Assert.That(snapshot.Items, Is.EqualTo(5 * calls));
        Assert.That(snapshot.InFlight, Is.Zero);
    }

    [Test]
    public void Monitor_RecordCall_AllocatesNothing()
    {
        using ModelMonitor monitor = CreateMonitor(nameof(Monitor_RecordCall_AllocatesNothing));

        (long allocated, long calls) = Measure(i => monitor.RecordCall(0.001));

        Assert.That(allocated, Is.Zero, PerCall(allocated));
        Assert.That(monitor.GetSnapshot().Calls, Is.EqualTo(calls));
    }

    [Test]
    public void Monitor_RecordGroundTruthInt_AllocatesNothing()
    {
        using ModelMonitor monitor = CreateMonitor(nameof(Monitor_RecordGroundTruthInt_AllocatesNothing));

        (long allocated, long calls) = Measure(i => monitor.RecordGroundTruth(1, i & 1));

        Assert.That(allocated, Is.Zero, PerCall(allocated));
        AssertPairs(monitor, calls);
    }

    [Test]
    public void Monitor_RecordGroundTruthBool_AllocatesNothing()
    {
        using ModelMonitor monitor = CreateMonitor(nameof(Monitor_RecordGroundTruthBool_AllocatesNothing));

        (long allocated, long calls) = Measure(i => monitor.RecordGroundTruth(true, (i & 1) != 0));

        Assert.That(allocated, Is.Zero, PerCall(allocated));
        AssertPairs(monitor, calls);
    }

    [Test]
    public void Monitor_RecordGroundTruthEnum_AllocatesNothing()
    {
        using ModelMonitor monitor = CreateMonitor(nameof(Monitor_RecordGroundTruthEnum_AllocatesNothing));

        (long allocated, long calls) = Measure(i => monitor.RecordGroundTruth(Label.Pos, (Label)(i & 1)));

        Assert.That(allocated, Is.Zero, PerCall(allocated));
        AssertPairs(monitor, calls);
    }

    [Test]
    public void Monitor_RecordGroundTruthString_AllocatesNothing()
    {
        using ModelMonitor monitor = CreateMonitor(nameof(Monitor_RecordGroundTruthString_AllocatesNothing));
        string[] labels = ["neg", "pos"];

        (long allocated, long calls) = Measure(i => monitor.RecordGroundTruth("pos", labels[i & 1]));

        Assert.That(allocated, Is.Zero, PerCall(allocated));
        AssertPairs(monitor, calls);
    }

    [Test]
    public void Monitor_RecordGroundTruthTwoEnumTypes_AllocatesNothing()
    {
        // ModelMonitor promises "recording never allocates" and maps each enum "once per enum type", but keeps a
        // single cached map: alternating two enum types rebuilds (and allocates) a map on every call.
        using ModelMonitor monitor = CreateMonitor(nameof(Monitor_RecordGroundTruthTwoEnumTypes_AllocatesNothing));

        (long allocated, long calls) = Measure(i =>
        {
            monitor.RecordGroundTruth(Label.Pos, Label.Pos);
            monitor.RecordGroundTruth(OtherLabel.Pos, OtherLabel.Pos);
        });

        Assert.That(allocated, Is.Zero, PerCall(allocated) + " (two calls each)");
        Assert.That(monitor.GetSnapshot().Classification!.GetCount(predicted: 1, actual: 1), Is.EqualTo(2 * calls));
    }

    [Test]
    public void Monitor_WrapDelegate_AllocatesNothing()
    {
        using ModelMonitor monitor = CreateMonitor(nameof(Monitor_WrapDelegate_AllocatesNothing));
        Func<int, int> predict = monitor.Wrap<int, int>(static x => x + 1);
        int wrong = 0;

        (long allocated, long calls) = Measure(i => wrong += predict(i) == i + 1 ? 0 : 1);

        Assert.That(allocated, Is.Zero, PerCall(allocated));
        Assert.That(wrong, Is.Zero);
        Assert.That(monitor.GetSnapshot().Calls, Is.EqualTo(calls));
    }

    [Test]
    public void Monitor_WrapAsyncDelegate_CompletedSynchronously_AllocatesNothing()
    {
        using ModelMonitor monitor = CreateMonitor(nameof(Monitor_WrapAsyncDelegate_CompletedSynchronously_AllocatesNothing));
        Func<int, CancellationToken, ValueTask<int>> predict = monitor.Wrap<int, int>(static (x, _) => new ValueTask<int>(x + 1));
        int wrong = 0;

        (long allocated, long calls) = Measure(i => wrong += IsCompletedWith(predict(i, CancellationToken.None), i + 1) ? 0 : 1);

        Assert.That(allocated, Is.Zero, PerCall(allocated));
        Assert.That(wrong, Is.Zero, "every call completes synchronously with the model's output");
        Assert.That(monitor.GetSnapshot().Calls, Is.EqualTo(calls));
    }

    [Test]
    public void GenAICall_StreamedWithUsage_AllocatesNothing()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = nameof(GenAICall_StreamedWithUsage_AllocatesNothing),
            MeterName = "ModelMetrics.Tests.Allocation.GenAI",
            GenAI = new GenAIOptions { ProviderName = "p", Prices = new System.Collections.Generic.Dictionary<string, GenAIPrice> { ["m"] = new(1, 2) } },
        });
        GenAIRecorder genAI = monitor.GenAI!;

        // A call of 8 chunks with usage, a finish reason and a known model (cost): start, chunks, end.
        (long allocated, long calls) = Measure(i =>
        {
            GenAICall call = genAI.StartCall("m");
            for (int chunk = 0; chunk < 8; chunk++)
            {
                call.RecordChunk(1);
            }

            call.Complete(new GenAIUsage(10, 8), GenAIFinishReason.Stop, "m");
        },
        betweenAttempts: () => monitor.GetSnapshot()); // a reader refills the spare pages a thread took (inter-chunk gaps
                                                       // under load land in new buckets; without a reader, the 9th new page allocates)

        Assert.That(allocated, Is.Zero, PerCall(allocated));
        Assert.That(monitor.GetSnapshot().GenAI!.Calls, Is.EqualTo(calls));
    }

    /// <summary>
    /// Warms <paramref name="call"/> up on this thread and on threads spread over every processor, then returns the
    /// smallest allocation of <see cref="Calls"/> calls on this thread over up to <see cref="Attempts"/> attempts,
    /// and how many times <paramref name="call"/> ran in all. <paramref name="betweenAttempts"/> runs before each attempt.
    /// </summary>
    private static (long Allocated, long Calls) Measure(Action<int> call, Action? betweenAttempts = null)
    {
        long calls = 0;
        for (int i = 0; i < WarmUp; i++)
        {
            call(i);
        }

        calls += WarmUp;

        // Every processor writes once, so its stripes exist before the measurement.
        int threadCount = Math.Max(2, Environment.ProcessorCount);
        new ConcurrentRun(threadCount).Execute(_ =>
        {
            for (int i = 0; i < 10 * WarmUp; i++)
            {
                call(i);
            }
        }).AssertClean();
        calls += (long)threadCount * 10 * WarmUp;

        long best = long.MaxValue;
        for (int attempt = 0; attempt < Attempts && best != 0; attempt++)
        {
            betweenAttempts?.Invoke();
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Calls; i++)
            {
                call(i);
            }

            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
            calls += Calls;
        }

        return (best, calls);
    }

    private static bool IsCompletedWith(ValueTask<int> pending, int expected) =>
        pending.IsCompletedSuccessfully && pending.Result == expected;

    private static string PerCall(long allocated) => $"{allocated / (double)Calls:F1} bytes per call";

    // Every call records (predicted 1, actual i & 1) and every loop runs an even number of i from 0:
    // exactly half of the pairs land in each cell of the "predicted pos" column.
    private static void AssertPairs(ModelMonitor monitor, long calls)
    {
        ClassificationSnapshot quality = monitor.GetSnapshot().Classification!;
        Assert.That(quality.Total, Is.EqualTo(calls));
        Assert.That(quality.GetCount(predicted: 1, actual: 1), Is.EqualTo(calls / 2));
        Assert.That(quality.GetCount(predicted: 1, actual: 0), Is.EqualTo(calls / 2));
        Assert.That(quality.GetCount(predicted: 0, actual: 0) + quality.GetCount(predicted: 0, actual: 1), Is.Zero);
    }

    private static ModelMonitor CreateMonitor(string name) =>
        new(new ModelMonitorOptions { ModelName = $"{nameof(AllocationTests)}.{name}", ClassLabels = ["neg", "pos"] });
}
