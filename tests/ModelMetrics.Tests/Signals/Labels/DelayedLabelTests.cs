// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Labels;

public class DelayedLabelTests
{
    private static readonly string[] FraudLabels = ["legit", "fraud"];

    [Test]
    public void RecordLabel_TwoHoursLater_JoinsCountsAndMeasuresDelay()
    {
        var clock = new FakeTimeProvider();
        string meter = "ModelMetrics.Tests.Labels." + Guid.NewGuid();
        using var collector = new MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "chargebacks", ClassLabels = FraudLabels, TimeProvider = clock, MeterName = meter, Windows = [TimeSpan.FromDays(1)] });

        monitor.RecordPrediction("tx-1", predictedClass: 1);
        monitor.RecordPrediction(Guid.Parse("9b2f8a36-0f4c-4d7e-9a43-5b7e0c1d2e3f"), predictedClass: 0);
        monitor.RecordPrediction(42L, predictedClass: 0);
        Assert.That(monitor.GetSnapshot().Classification!.Total, Is.Zero, "nothing is scored before its label arrives");

        clock.Advance(TimeSpan.FromHours(2));
        Assert.That(monitor.RecordLabel("tx-1", actual: true), Is.True);
        Assert.That(monitor.RecordLabel(Guid.Parse("9b2f8a36-0f4c-4d7e-9a43-5b7e0c1d2e3f"), "fraud"), Is.True);
        Assert.That(monitor.RecordLabel(42L, 0), Is.True);
        Assert.That(monitor.RecordLabel("tx-1", actual: false), Is.False, "the first label wins");
        Assert.That(monitor.RecordLabel("never-seen", actual: true), Is.False);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        List<Observed> published = collector.Collect("chargebacks");
        double Labels(string result) => published.Single(o => o.Instrument == "model.labels" && o.Tag("model.label.result") == result).Value;

        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Classification!.Total, Is.EqualTo(3));
            Assert.That(snapshot.Classification.GetCount(predicted: 1, actual: 1), Is.EqualTo(1));
            Assert.That(snapshot.Classification.GetCount(predicted: 0, actual: 1), Is.EqualTo(1));
            Assert.That(snapshot.Classification.GetCount(predicted: 0, actual: 0), Is.EqualTo(1));
            Assert.That(snapshot.Labels.Joined, Is.EqualTo(3));
            Assert.That(snapshot.Labels.DuplicateLabel, Is.EqualTo(1));
            Assert.That(snapshot.Labels.UnknownId, Is.EqualTo(1));
            Assert.That(snapshot.Labels.Pending, Is.Zero);
            Assert.That(snapshot.Labels.Delay.Count, Is.EqualTo(3));
            Assert.That(snapshot.Labels.Delay.P50, Is.EqualTo(7200).Within(1).Percent);

            Assert.That(Labels("joined"), Is.EqualTo(3));
            Assert.That(Labels("duplicate_label"), Is.EqualTo(1));
            Assert.That(Labels("unknown_id"), Is.EqualTo(1));
            Assert.That(published.Single(o => o.Instrument == "model.predictions.pending").Value, Is.Zero);
            Assert.That(published.Single(o => o.Instrument == "model.label.delay.count").Value, Is.EqualTo(3));
            Assert.That(published.Single(o => o.Instrument == "model.label.delay.bucket" && o.Tag("le") == "3600").Value, Is.Zero);
            Assert.That(published.Single(o => o.Instrument == "model.label.delay.bucket" && o.Tag("le") == "21600").Value, Is.EqualTo(3));
            Assert.That(published.Where(o => o.Tag("model.label.result") is not null || o.Tag("model.class") is not null)
                .SelectMany(o => o.Tags.Values).Any(v => v is "tx-1" or "42" or "never-seen"), Is.False, "ids never become attributes");
        });
    }

    [Test]
    public void RecordLabel_AfterTimeToLive_CountedLateAndExpired()
    {
        var clock = new FakeTimeProvider();
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "ttl-" + Guid.NewGuid(), ClassLabels = FraudLabels, TimeProvider = clock, PendingTimeToLive = TimeSpan.FromHours(1) });

        monitor.RecordPrediction("a", 1);
        monitor.RecordPrediction("b", 0);
        clock.Advance(TimeSpan.FromMinutes(61));
        monitor.RecordPrediction("c", 1);

        LabelSnapshot afterSweep = monitor.GetSnapshot().Labels;
        Assert.That(monitor.RecordLabel("a", 1), Is.False);
        Assert.That(monitor.RecordLabel("c", 1), Is.True);
        LabelSnapshot labels = monitor.GetSnapshot().Labels;

        Assert.Multiple(() =>
        {
            Assert.That(afterSweep.Expired, Is.EqualTo(2));
            Assert.That(afterSweep.Pending, Is.EqualTo(1));
            Assert.That(labels.LateLabel, Is.EqualTo(1));
            Assert.That(labels.Joined, Is.EqualTo(1));
            Assert.That(monitor.GetSnapshot().Classification!.Total, Is.EqualTo(1));
        });
    }

    [Test]
    public void RecordPrediction_MillionNeverLabelled_CapacityTenThousand_StoreBoundedAndEvictionsCounted()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "evictions-" + Guid.NewGuid(), ClassLabels = FraudLabels, PendingCapacity = 10_000 });

        for (long id = 0; id < 1_000_000; id++)
        {
            monitor.RecordPrediction(id, (int)(id & 1));
        }

        LabelSnapshot labels = monitor.GetSnapshot().Labels;
        Assert.That(labels.Pending, Is.LessThanOrEqualTo(10_000));
        Assert.That(labels.Pending + labels.Evicted, Is.EqualTo(1_000_000));
        Assert.That(labels.Evicted, Is.GreaterThanOrEqualTo(990_000));
        Assert.That(monitor.RecordLabel(0L, 1), Is.False, "the oldest was evicted");
        Assert.That(monitor.RecordLabel(999_999L, 1), Is.True, "the newest is still pending");
        LabelSnapshot after = monitor.GetSnapshot().Labels;

        // Evicted ids are remembered for a while (late), then forgotten (unknown): either way counted, never thrown.
        Assert.That(after.LateLabel + after.UnknownId, Is.EqualTo(1));
        Assert.That(after.Joined, Is.EqualTo(1));
    }

    [Test]
    public void RecordLabel_TwoThreadsLabelTheSameIds_EachJoinedExactlyOnce()
    {
        const int Ids = 100_000;
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "concurrent-labels-" + Guid.NewGuid(), ClassLabels = ["a", "b", "c"], PendingCapacity = 2 * Ids });
        for (long id = 0; id < Ids; id++)
        {
            monitor.RecordPrediction(id, (int)(id % 3));
        }

        int joinedByThreads = 0;
        new ConcurrentRun(2).Execute(_ =>
        {
            int joined = 0;
            for (long id = 0; id < Ids; id++)
            {
                if (monitor.RecordLabel(id, (int)(id % 3)))
                {
                    joined++;
                }
            }

            Interlocked.Add(ref joinedByThreads, joined);
        }).AssertClean();

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(joinedByThreads, Is.EqualTo(Ids));
            Assert.That(snapshot.Labels.Joined, Is.EqualTo(Ids));
            Assert.That(snapshot.Labels.DuplicateLabel, Is.EqualTo(Ids));
            Assert.That(snapshot.Classification!.Total, Is.EqualTo(Ids));
            Assert.That(snapshot.Classification.Accuracy, Is.EqualTo(1.0));
            Assert.That(snapshot.Labels.Pending, Is.Zero);
        });
    }

    [Test]
    public void RecordLabel_ProbabilitiesAndRegressionAndKindMismatch()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "kinds-" + Guid.NewGuid(), ClassLabels = ["a", "b", "c"] });

        monitor.RecordPrediction("p", [0.2f, 0.5f, 0.3f]);
        monitor.RecordPrediction("class", 2);
        monitor.RecordRegressionPrediction("w", 4.0); // a value on a classifier: rejected, never stored (issue 18, item 10)

        Assert.That(monitor.RecordLabel("p", 2), Is.True);
        Assert.That(monitor.RecordRegressionLabel("class", 3.0), Is.False);
        Assert.That(monitor.RecordLabel("w", 1), Is.False);
        Assert.That(monitor.RecordLabel("", 1), Is.False);
        Assert.That(monitor.RecordLabel("p", 7), Is.False);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            // Probabilities joined: predicted b, actual c at rank 1; log-loss −ln 0.3.
            Assert.That(snapshot.Classification!.GetCount(predicted: 1, actual: 2), Is.EqualTo(1));
            Assert.That(snapshot.Classification.LogLoss, Is.EqualTo(-Math.Log(0.3f)).Within(1e-6));
            Assert.That(snapshot.Classification.GetTopKAccuracy(2), Is.EqualTo(1.0));
            Assert.That(snapshot.Regression, Is.Null, "regression ids join on a model without class labels (RegressionIdTests)");
            Assert.That(snapshot.Rejected["kind_mismatch"], Is.EqualTo(2));
            Assert.That(snapshot.Rejected["label_out_of_range"], Is.EqualTo(1));
            Assert.That(snapshot.Labels.InvalidId, Is.EqualTo(1));
            Assert.That(snapshot.Labels.UnknownId, Is.EqualTo(1), "w was never stored");
            Assert.That(snapshot.Labels.Joined, Is.EqualTo(1));
            Assert.That(snapshot.Labels.Pending, Is.EqualTo(1), "the class prediction still waits for a class label");
        });
    }

    [Test]
    public void ClockStepsBackTwoDays_PendingPredictionsStillExpireAndDelaysAreTheTimeElapsed()
    {
        // Issue 18, item 11 (the pending store): after a 2-day step back, predictions stamped before it were "in the
        // future" and 164 of 200 that had outlived their time to live still joined; a delay across it was negative.
        var clock = new FakeTimeProvider();
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "step-back-" + Guid.NewGuid(), ClassLabels = FraudLabels, TimeProvider = clock, PendingTimeToLive = TimeSpan.FromHours(1) });
        for (long id = 0; id < 200; id++)
        {
            monitor.RecordPrediction(id, (int)(id % 2));
        }

        monitor.RecordPrediction("across", 1);
        clock.Advance(TimeSpan.FromMinutes(30));
        monitor.GetSnapshot();
        clock.StepBack(TimeSpan.FromDays(2));

        // The store counts no time between its last reading before the step and its first after: here a collection
        // right after the step (traffic would do the same), so nothing is lost and the numbers below are exact.
        monitor.GetSnapshot();
        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.That(monitor.RecordLabel("across", 1), Is.True, "40 minutes after its prediction");
        clock.Advance(TimeSpan.FromMinutes(21));
        int joined = 0;
        for (long id = 0; id < 200; id++)
        {
            joined += monitor.RecordLabel(id, (int)(id % 2)) ? 1 : 0;
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(joined, Is.Zero, "61 minutes old: all expired");
            Assert.That(snapshot.Labels.LateLabel, Is.EqualTo(200));
            Assert.That(snapshot.Labels.Expired, Is.EqualTo(200));
            Assert.That(snapshot.Labels.Joined, Is.EqualTo(1));
            Assert.That(snapshot.Labels.Pending, Is.Zero);
            Assert.That(snapshot.Labels.Delay.Count, Is.EqualTo(1));
            Assert.That(snapshot.Labels.Delay.P50, Is.EqualTo(2400).Within(1).Percent, "the 40 minutes elapsed, across the step");
            Assert.That(snapshot.Rejected, Is.Empty, "no negative delay");
            Assert.That(snapshot.Classification!.Total, Is.EqualTo(1));
        });
    }

    [Test]
    public void PendingOptions_Invalid_Throw()
    {
        Assert.That(Assert.Throws<ArgumentException>(() => new ModelMonitor(new ModelMonitorOptions { ModelName = "x", PendingCapacity = 0 }))!.ParamName, Is.EqualTo("PendingCapacity"));
        Assert.That(Assert.Throws<ArgumentException>(() => new ModelMonitor(new ModelMonitorOptions { ModelName = "x", PendingTimeToLive = TimeSpan.Zero }))!.ParamName, Is.EqualTo("PendingTimeToLive"));
    }
}
