// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Labels;

/// <summary>
/// Regression predictions with ids have names of their own (issue 10): a value can never bind to a class overload,
/// nor a class score to a value, and a label of the other kind is counted as <c>kind_mismatch</c>.
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

            // The label found its prediction, which it consumes (as before issue 10, the store counts it joined).
            Assert.That(snapshot.Labels.Pending, Is.Zero);
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

    private static ModelMonitor Create(string[]? labels) =>
        new(new ModelMonitorOptions { ModelName = "regression-ids-" + Guid.NewGuid(), ClassLabels = labels });
}
