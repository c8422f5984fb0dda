// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Linq;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Drift;

/// <summary>Output drift: predicted-class and score shares in the shortest window against the reference (PSI).</summary>
public class DriftTests
{
    [Test]
    public void Drift_IdenticalShares_PsiZero_ShiftedShares_MatchHandComputed()
    {
        var clock = new FakeTimeProvider();
        string meter = "ModelMetrics.Tests.Drift." + Guid.NewGuid();
        using var collector = new MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "drifting",
            MeterName = meter,
            ClassLabels = ["a", "b", "c"],
            Windows = [TimeSpan.FromMinutes(1)],
            TimeProvider = clock,
        });

        Assert.That(monitor.GetSnapshot().Drift, Is.Null, "no reference yet");
        Assert.Throws<InvalidOperationException>(monitor.CaptureDriftReference);

        // Baseline: shares 0.5, 0.3, 0.2.
        Predict(monitor, 50, 30, 20);
        monitor.CaptureDriftReference();
        DriftSnapshot same = monitor.GetSnapshot().Drift!;
        Assert.That(same.ClassPsi, Is.EqualTo(0).Within(1e-12));
        Assert.That(same.ReferenceClassShares, Is.EqualTo(new[] { 0.5, 0.3, 0.2 }).Within(1e-12));

        // Two minutes later the window holds only the new predictions: shares 0.3, 0.3, 0.4.
        // PSI = (0.3 − 0.5)·ln(0.3/0.5) + 0 + (0.4 − 0.2)·ln(0.4/0.2) ≈ 0.1021651 + 0.1386294.
        clock.Advance(TimeSpan.FromMinutes(2));
        monitor.GetSnapshot();
        clock.Advance(TimeSpan.FromSeconds(61));
        Predict(monitor, 30, 30, 40);
        DriftSnapshot shifted = monitor.GetSnapshot().Drift!;
        double expected = (-0.2 * Math.Log(0.3 / 0.5)) + (0.2 * Math.Log(2));

        Assert.Multiple(() =>
        {
            Assert.That(shifted.Predictions, Is.EqualTo(100));
            Assert.That(shifted.ClassShares, Is.EqualTo(new[] { 0.3, 0.3, 0.4 }).Within(1e-12));
            Assert.That(shifted.ClassPsi, Is.EqualTo(expected).Within(1e-12));
            Assert.That(shifted.ClassPsi, Is.EqualTo(0.2407946).Within(1e-6));
            Assert.That(shifted.ScorePsi, Is.Null, "no probabilities were recorded");
            Assert.That(collector.Collect("drifting").Single(o => o.Instrument == "model.drift.psi" && o.Tag("window") == "60").Value, Is.EqualTo(expected).Within(1e-12));
        });
    }

    [Test]
    public void Drift_SetReference_ValidatesAndNormalizes()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "drift-set-" + Guid.NewGuid(), ClassLabels = ["a", "b"] });

        Assert.Throws<ArgumentException>(() => monitor.SetDriftReference([1.0]));
        Assert.Throws<ArgumentException>(() => monitor.SetDriftReference([1.0, double.NaN]));
        Assert.Throws<ArgumentException>(() => monitor.SetDriftReference([0.0, 0.0]));
        Assert.Throws<ArgumentException>(() => monitor.SetDriftReference([-1.0, 2.0]));

        monitor.SetDriftReference([3.0, 1.0]);
        Predict(monitor, 3, 1);
        DriftSnapshot drift = monitor.GetSnapshot().Drift!;

        Assert.That(drift.ReferenceClassShares, Is.EqualTo(new[] { 0.75, 0.25 }));
        Assert.That(drift.ClassPsi, Is.EqualTo(0).Within(1e-12));
    }

    [Test]
    public void Drift_ProbabilityPredictions_ScoreBinsCompared()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "drift-scores-" + Guid.NewGuid(), ClassLabels = ["a", "b"] });
        for (int i = 0; i < 10; i++)
        {
            monitor.RecordPrediction([0.95f, 0.05f]);
        }

        monitor.CaptureDriftReference();
        DriftSnapshot drift = monitor.GetSnapshot().Drift!;

        // Every top probability (0.95) falls in the last bin [0.9, 1].
        Assert.That(drift.ScoreShares![9], Is.EqualTo(1.0));
        Assert.That(drift.ScorePsi, Is.EqualTo(0).Within(1e-12));
        Assert.That(drift.ClassShares, Is.EqualTo(new[] { 1.0, 0.0 }));
    }

    private static void Predict(ModelMonitor monitor, params int[] perClass)
    {
        for (int c = 0; c < perClass.Length; c++)
        {
            for (int i = 0; i < perClass[c]; i++)
            {
                monitor.RecordPrediction(c);
            }
        }
    }
}
