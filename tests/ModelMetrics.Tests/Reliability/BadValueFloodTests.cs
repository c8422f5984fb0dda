// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;

namespace ModelMetrics.Tests.Reliability;

/// <summary>
/// 10^5 of each kind of bad value through the public API: nothing reaches the caller, latency stays finite,
/// and every value is counted under its rejection reason exactly. (Monitoring/BadInputTests checks each
/// reason once; this floods them, and from two threads at once.)
/// </summary>
[NonParallelizable]
public class BadValueFloodTests
{
    private const int Each = 100_000;

    private static readonly string[] Labels = ["cat", "dog", "bird"];

    /// <summary>A bad value: what it does to a monitor, the reason it is counted under, and whether it still counts as a call.</summary>
    public static IEnumerable<TestCaseData> BadValues()
    {
        // Durations (RecordCall): NaN is dropped; the others are clamped and still recorded as calls.
        yield return Case("NaN duration", m => m.RecordCall(double.NaN), "nan_duration", calls: 0);
        yield return Case("+infinite duration", m => m.RecordCall(double.PositiveInfinity), "over_range_duration", calls: 1);
        yield return Case("-infinite duration", m => m.RecordCall(double.NegativeInfinity), "negative_duration", calls: 1);
        yield return Case("negative duration", m => m.RecordCall(-0.001), "negative_duration", calls: 1);
        yield return Case("most negative double", m => m.RecordCall(-double.MaxValue), "negative_duration", calls: 1);
        yield return Case("2 h duration (above 1 h)", m => m.RecordCall(7_200), "over_range_duration", calls: 1);
        yield return Case("largest double", m => m.RecordCall(double.MaxValue), "over_range_duration", calls: 1);
        yield return Case("failed call with NaN duration", m => m.RecordCall(double.NaN, new InvalidOperationException()), "nan_duration", calls: 0);

        // Labels.
        yield return Case("predicted index past the last label", m => m.RecordGroundTruth(3, 0), "label_out_of_range", calls: 0);
        yield return Case("negative actual index", m => m.RecordGroundTruth(0, -1), "label_out_of_range", calls: 0);
        yield return Case("extreme indices", m => m.RecordGroundTruth(int.MaxValue, int.MinValue), "label_out_of_range", calls: 0);
        yield return Case("unknown predicted string", m => m.RecordGroundTruth("cow", "cat"), "unknown_label", calls: 0);
        yield return Case("unknown actual string (case differs)", m => m.RecordGroundTruth("cat", "Cat"), "unknown_label", calls: 0);
        yield return Case("null predicted string", m => m.RecordGroundTruth((string)null!, "dog"), "unknown_label", calls: 0);
        yield return Case("null actual string", m => m.RecordGroundTruth("dog", null!), "unknown_label", calls: 0);
        yield return Case("bool pair on a 3-class model", m => m.RecordGroundTruth(true, false), "label_out_of_range", calls: 0);
        yield return Case("prediction index out of range", m => m.RecordPrediction(-5), "label_out_of_range", calls: 0);
        yield return Case("unknown label for a prediction id", m => m.RecordLabel("some-id", "cow"), "unknown_label", calls: 0);

        // Regression values.
        yield return Case("NaN regression prediction", m => m.RecordRegression(double.NaN, 1), "invalid_value", calls: 0);
        yield return Case("+infinite regression actual", m => m.RecordRegression(1, double.PositiveInfinity), "invalid_value", calls: 0);
        yield return Case("-infinite regression prediction", m => m.RecordRegression(double.NegativeInfinity, 0), "invalid_value", calls: 0);
        yield return Case("NaN delayed regression prediction", m => m.RecordRegressionPrediction("reg-id", double.NaN), "invalid_value", calls: 0);
        yield return Case("infinite delayed regression label", m => m.RecordRegressionLabel("reg-id", double.PositiveInfinity), "invalid_value", calls: 0);

        // Probabilities.
        yield return Case("probabilities with NaN (ground truth)", m => m.RecordGroundTruth([0.2f, float.NaN, 0.3f], 0), "invalid_probabilities", calls: 0);
        yield return Case("probabilities with NaN (prediction)", m => m.RecordPrediction([float.NaN, 0.5f, 0.5f]), "invalid_probabilities", calls: 0);
        yield return Case("probabilities with NaN (prediction with id)", m => m.RecordPrediction("p-id", [0.5f, 0.5f, float.NaN]), "invalid_probabilities", calls: 0);
        yield return Case("probabilities with +infinity", m => m.RecordGroundTruth([float.PositiveInfinity, 0, 0], 1), "invalid_probabilities", calls: 0);
        yield return Case("negative probability", m => m.RecordPrediction([-0.1f, 0.6f, 0.5f]), "invalid_probabilities", calls: 0);
        yield return Case("probabilities of the wrong length", m => m.RecordGroundTruth([0.5f, 0.5f], 1), "invalid_probabilities", calls: 0);

        // Batch item counts through EndBatchCall.
        yield return Case("negative item count", m => m.EndBatchCall(m.StartCall(), itemCount: -3), "invalid_item_count", calls: 1);
        yield return Case("empty batch", m => m.EndBatchCall(m.StartCall(), itemCount: 0), "empty_batch", calls: 0);
    }

    [TestCaseSource(nameof(BadValues))]
    public void BadValue_HundredThousandTimes_NeverThrowsAndIsCountedExactlyUnderItsReason(Action<ModelMonitor> record, string reason, int calls)
    {
        using var monitor = Create();

        Assert.That(
            () =>
            {
                for (int i = 0; i < Each; i++)
                {
                    record(monitor);
                }
            },
            Throws.Nothing);

        ModelMonitorSnapshot s = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(s.Rejected, Is.EqualTo(new Dictionary<string, long> { [reason] = Each }));
            Assert.That(s.Calls, Is.EqualTo((long)calls * Each));
            Assert.That(s.Latency.Count, Is.EqualTo((long)calls * Each));
            Assert.That(s.InFlight, Is.Zero);
            AssertFinite(s.Latency);
            Assert.That(s.Classification!.Total, Is.Zero, "no bad value reaches the confusion matrix");
            Assert.That(s.Regression, Is.Null, "no bad value reaches the regression sums");
            Assert.That(s.Labels.Pending, Is.Zero, "no bad prediction is kept for a label");
        });
    }

    [Test]
    public void EndCall_NullException_HundredThousandTimes_CountedAsOtherErrorNotThrown()
    {
        using var monitor = Create();

        Assert.That(
            () =>
            {
                for (int i = 0; i < Each; i++)
                {
                    monitor.EndCall(monitor.StartCall(), null!);
                }
            },
            Throws.Nothing);

        ModelMonitorSnapshot s = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(s.Failures, Is.EqualTo(new Dictionary<string, long> { ["_OTHER"] = Each }));
            Assert.That(s.Succeeded, Is.Zero);
            Assert.That(s.Latency.Count, Is.EqualTo(Each));
            Assert.That(s.InFlight, Is.Zero);
            Assert.That(s.Rejected, Is.Empty, "a null exception is a failure of unknown type, not a rejected value");
            AssertFinite(s.Latency);
        });
    }

    [Test]
    public void AllBadValues_InterleavedFromTwoThreads_EachReasonCountedExactly()
    {
        using var monitor = Create();
        TestCaseData[] cases = BadValues().ToArray();
        var expected = new Dictionary<string, long>();
        long expectedCalls = 0;
        foreach (TestCaseData c in cases)
        {
            expected[(string)c.Arguments[1]!] = expected.GetValueOrDefault((string)c.Arguments[1]!) + (2L * Each / 10);
            expectedCalls += (int)c.Arguments[2]! * 2L * Each / 10;
        }

        // Two threads, each recording every kind Each / 10 times, interleaved value by value.
        IReadOnlyList<Exception> errors = new ConcurrentRun(2).Execute(_ =>
        {
            for (int i = 0; i < Each / 10; i++)
            {
                foreach (TestCaseData c in cases)
                {
                    ((Action<ModelMonitor>)c.Arguments[0]!)(monitor);
                }
            }
        }).Errors;

        ModelMonitorSnapshot s = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(errors, Is.Empty);
            Assert.That(s.Rejected, Is.EqualTo(expected));
            Assert.That(s.Calls, Is.EqualTo(expectedCalls));
            Assert.That(s.Latency.Count, Is.EqualTo(expectedCalls));
            Assert.That(s.InFlight, Is.Zero);
            AssertFinite(s.Latency);

            // Clamped durations are either zero or the 1 h highest: the maximum is the highest, within 1%.
            Assert.That(s.Latency.Max, Is.EqualTo(3_600).Within(1).Percent);
        });
    }

    [Test]
    public void RecordGroundTruth_ProbabilityAboveOne_NeverMakesLogLossNegativeNorItsCounterDecrease()
    {
        string meter = ReliabilityHelpers.MeterName();
        using var collector = new Publishing.MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = ReliabilityHelpers.ModelName(), ClassLabels = Labels, MeterName = meter });
        double LogLossSum() => collector.Collect(monitor.ModelName).Single(o => o.Instrument == "model.classification.log_loss.sum").Value;

        monitor.RecordGroundTruth([0.7f, 0.2f, 0.1f], 0);
        double before = LogLossSum();
        for (int i = 0; i < 10; i++)
        {
            // Unnormalized scores (a model that returns logits or percentages): p(actual) = 5.
            monitor.RecordGroundTruth([5f, 0.1f, 0.1f], 0);
        }

        double after = LogLossSum();
        ModelMonitorSnapshot s = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(before, Is.EqualTo(-Math.Log(0.7)).Within(1e-5));
            Assert.That(after, Is.GreaterThanOrEqualTo(before), "a counter never decreases");
            Assert.That(s.Classification!.LogLoss, Is.GreaterThanOrEqualTo(0));
            Assert.That(s.Windows.Select(w => w.Classification!.LogLoss), Has.All.GreaterThanOrEqualTo(0));
        });
    }

    [Test]
    public void RecordPrediction_ProbabilityAboveOne_RejectedNeverThrows()
    {
        // A value above 1 is not a probability: p * 10 would overflow the score bin, -ln(p) would be negative.
        using var monitor = Create();

        Assert.That(
            () =>
            {
                for (int i = 0; i < Each; i++)
                {
                    monitor.RecordPrediction([float.MaxValue, 0, 0]);
                    monitor.RecordPrediction("huge-" + (i % 100), [0, 3e9f, 0]);
                    monitor.RecordGroundTruth([0, 0, 1.5f], 2);
                }
            },
            Throws.Nothing);

        ModelMonitorSnapshot s = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(s.Rejected["invalid_probabilities"], Is.EqualTo(3L * Each));
            Assert.That(s.Classification!.Total, Is.Zero);
            Assert.That(s.Labels.Pending, Is.Zero);
            Assert.Throws<InvalidOperationException>(monitor.CaptureDriftReference, "nothing was counted for drift");
        });
    }

    private static ModelMonitor Create() =>
        new(new ModelMonitorOptions { ModelName = ReliabilityHelpers.ModelName(), ClassLabels = Labels, MeterName = ReliabilityHelpers.MeterName() });

    private static TestCaseData Case(string name, Action<ModelMonitor> record, string reason, int calls) =>
        new TestCaseData(record, reason, calls).SetArgDisplayNames(name);

    private static void AssertFinite(LatencySnapshot latency)
    {
        double[] values = [latency.Sum, latency.Mean, latency.P50, latency.P99, latency.P999, latency.Max];
        Assert.That(values, Has.All.Matches<double>(double.IsFinite), "latency sum, mean and quantiles are finite");
        Assert.That(values, Has.All.GreaterThanOrEqualTo(0));
    }
}
