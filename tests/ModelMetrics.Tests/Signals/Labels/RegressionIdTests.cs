// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Labels;

/// <summary>
/// Regression predictions with ids have names of their own (issue 10): a value can never bind to a class overload,
/// nor a class score to a value, and a label of the other kind is counted as <c>kind_mismatch</c>. Issue 18, item 10: a
/// prediction of the other kind is never stored, and a label of the other kind never consumes a prediction.
/// </summary>
public class RegressionIdTests
{
    [Test]
    public void RecordRegressionPredictionAndLabel_JoinIntoARegressionPair()
    {
        using ModelMonitor monitor = Create(null);

        monitor.RecordRegressionPrediction("house-1", 310_000);
        monitor.RecordRegressionPrediction(7L, 3); // an int value is a value here, never a class index
        Assert.That(monitor.RecordRegressionLabel("house-1", 300_000), Is.True);
        Assert.That(monitor.RecordRegressionLabel(7L, 5), Is.True);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Regression!.Count, Is.EqualTo(2));
            Assert.That(snapshot.Regression.AbsoluteErrorSum, Is.EqualTo(10_002).Within(1e-6));
            Assert.That(snapshot.Regression.MeanError, Is.EqualTo((10_000 - 2) / 2.0).Within(1e-6));
            Assert.That(snapshot.Labels.Joined, Is.EqualTo(2));
            Assert.That(snapshot.Labels.Pending, Is.Zero);
            Assert.That(snapshot.Rejected, Is.Empty);
        });
    }

    [Test]
    public void ClassLabelForAValuePrediction_AndValueLabelForAClassPrediction_CountKindMismatch()
    {
        using ModelMonitor monitor = Create(["a", "b"]);

        monitor.RecordRegressionPrediction("value", 0.7);
        monitor.RecordPrediction("class", 1);
        Assert.That(monitor.RecordLabel("value", 1), Is.False);
        Assert.That(monitor.RecordRegressionLabel("class", 0.7), Is.False);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["kind_mismatch"] = 2 }));
            Assert.That(snapshot.Regression, Is.Null);
            Assert.That(snapshot.Classification!.Total, Is.Zero);

            // Issue 18, item 10: the value prediction was never stored (a classifier takes classes), and the value label
            // left the class prediction pending for its class label.
            Assert.That(snapshot.Labels.Pending, Is.EqualTo(1));
            Assert.That(snapshot.Labels.Joined, Is.Zero);
        });
    }

    [Test]
    public void ValueLabelForAClassPrediction_IsRejectedAndLeavesItForItsClassLabel()
    {
        // Issue 18, item 10: the rejected label consumed the prediction (counted joined, with a delay) and the right
        // label after it was counted a duplicate, so nothing reached quality.
        var clock = new FakeTimeProvider();
        using ModelMonitor monitor = Create(["a", "b"], clock);

        monitor.RecordPrediction("c1", 1);
        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.That(monitor.RecordRegressionLabel("c1", 1.0), Is.False);
        LabelSnapshot afterWrongKind = monitor.GetSnapshot().Labels;
        Assert.That(monitor.RecordLabel("c1", 1), Is.True);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(afterWrongKind.Pending, Is.EqualTo(1));
            Assert.That(afterWrongKind.Joined, Is.Zero);
            Assert.That(afterWrongKind.Delay.Count, Is.Zero, "no delay for a label that joined nothing");

            Assert.That(snapshot.Labels.Joined, Is.EqualTo(1));
            Assert.That(snapshot.Labels.DuplicateLabel, Is.Zero);
            Assert.That(snapshot.Labels.Pending, Is.Zero);
            Assert.That(snapshot.Labels.Delay.Count, Is.EqualTo(1));
            Assert.That(snapshot.Labels.Delay.P50, Is.EqualTo(300).Within(1).Percent);
            Assert.That(snapshot.Classification!.GetCount(predicted: 1, actual: 1), Is.EqualTo(1));
            Assert.That(snapshot.Classification.Total, Is.EqualTo(1));
            Assert.That(snapshot.Regression, Is.Null);
            Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["kind_mismatch"] = 1 }));
        });
    }

    [Test]
    public void RecordRegressionPrediction_OnAClassifier_IsRejectedAndNeverStored()
    {
        // Issue 18, item 10: it was stored, then RecordLabel("r1", 1) counted it joined with nothing reaching quality.
        using ModelMonitor monitor = Create(["a", "b"]);

        monitor.RecordRegressionPrediction("r1", 42.0);
        LabelSnapshot afterPrediction = monitor.GetSnapshot().Labels;
        bool joined = monitor.RecordLabel("r1", 1);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(afterPrediction.Pending, Is.Zero);
            Assert.That(joined, Is.False);
            Assert.That(snapshot.Labels.Joined, Is.Zero);
            Assert.That(snapshot.Labels.UnknownId, Is.EqualTo(1), "nothing was stored under r1");
            Assert.That(snapshot.Labels.Delay.Count, Is.Zero);
            Assert.That(snapshot.Classification!.Total, Is.Zero);
            Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["kind_mismatch"] = 1 }));
        });
    }

    [Test]
    public void RecordPrediction_ClassesOnAModelWithoutLabels_AreRejectedAndNeverStored()
    {
        // A guard (this held before issue 18): a class prediction on a regression model takes no room in the store.
        using ModelMonitor monitor = Create(null);

        monitor.RecordPrediction("c", 1);
        monitor.RecordPrediction("p", [0.25f, 0.75f]);
        monitor.RecordBinaryPrediction("b", 0.75);
        LabelSnapshot afterPredictions = monitor.GetSnapshot().Labels;
        Assert.That(monitor.RecordRegressionLabel("c", 1.0), Is.False);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(afterPredictions.Pending, Is.Zero);
            Assert.That(snapshot.Labels.UnknownId, Is.EqualTo(1));
            Assert.That(snapshot.Labels.Joined, Is.Zero);
            Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["no_labels_declared"] = 3 }));
        });
    }

    [Test]
    public void RecordRegressionPrediction_NonFiniteValue_IsRejectedAsInvalidValue()
    {
        using ModelMonitor monitor = Create(null);

        monitor.RecordRegressionPrediction("nan", double.NaN);
        monitor.RecordRegressionPrediction("ok", 1);
        Assert.That(monitor.RecordRegressionLabel("ok", double.NegativeInfinity), Is.False);

        Assert.That(monitor.GetSnapshot().Rejected, Is.EqualTo(new Dictionary<string, long> { ["invalid_value"] = 2 }));
    }

    private static ModelMonitor Create(string[]? labels, TimeProvider? clock = null) =>
        new(new ModelMonitorOptions { ModelName = "regression-ids-" + Guid.NewGuid(), ClassLabels = labels, TimeProvider = clock ?? TimeProvider.System });
}
