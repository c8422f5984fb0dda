// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using ModelMetrics.Tests.Monitoring;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Quality;

public class QualityIntegrationTests
{
    [Test]
    public void RecordRegression_KnownPairs_SnapshotAndPublishedValues()
    {
        string meter = "ModelMetrics.Tests.Regression." + Guid.NewGuid();
        using var collector = new MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "regressor", MeterName = meter });

        // (predicted, actual): (3, 2), (5, 6), (10, 10), (0, 4). Errors e = 1, −1, 0, −4.
        // MAE = 6/4 = 1.5; MSE = (1 + 1 + 0 + 16)/4 = 4.5; RMSE = √4.5.
        // Mean actual 5.5; SS_tot = 12.25 + 0.25 + 20.25 + 2.25 = 35; SS_res = 18 → R² = 1 − 18/35.
        // MAPE = (1/2 + 1/6 + 0 + 4/4)/4 = (5/3)/4.
        monitor.RecordRegression(3, 2);
        monitor.RecordRegression(5, 6);
        monitor.RecordRegression(10, 10);
        monitor.RecordRegression(0, 4);
        monitor.RecordRegression(double.NaN, 1);
        monitor.RecordRegression(1, double.PositiveInfinity);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        RegressionSnapshot r = snapshot.Regression!;
        List<Observed> published = collector.Collect("regressor");
        double Published(string name) => published.Single(o => o.Instrument == name && o.Tag("window") is null or "60").Value;

        Assert.Multiple(() =>
        {
            Assert.That(r.Count, Is.EqualTo(4));
            Assert.That(r.MeanAbsoluteError, Is.EqualTo(1.5).Within(1e-12));
            Assert.That(r.MeanSquaredError, Is.EqualTo(4.5).Within(1e-12));
            Assert.That(r.RootMeanSquaredError, Is.EqualTo(Math.Sqrt(4.5)).Within(1e-12));
            Assert.That(r.RSquared, Is.EqualTo(1 - (18.0 / 35)).Within(1e-12));
            Assert.That(r.MeanAbsolutePercentageError, Is.EqualTo(5.0 / 3 / 4).Within(1e-12));
            Assert.That(snapshot.RecentRegression!.Count, Is.EqualTo(4));
            Assert.That(snapshot.Rejected["invalid_value"], Is.EqualTo(2));

            Assert.That(Published("model.regression.pairs"), Is.EqualTo(4));
            Assert.That(Published("model.regression.absolute_error.sum"), Is.EqualTo(6).Within(1e-9));
            Assert.That(Published("model.regression.squared_error.sum"), Is.EqualTo(18).Within(1e-9));
            Assert.That(Published("model.regression.mean_absolute_error"), Is.EqualTo(1.5).Within(1e-12));
            Assert.That(Published("model.regression.root_mean_squared_error"), Is.EqualTo(Math.Sqrt(4.5)).Within(1e-12));
            Assert.That(Published("model.regression.r2"), Is.EqualTo(1 - (18.0 / 35)).Within(1e-12));
            Assert.That(Published("model.regression.mean_absolute_percentage_error"), Is.EqualTo(5.0 / 3 / 4).Within(1e-12));
        });
    }

    [Test]
    public void Regression_NothingRecorded_SnapshotNullAndNothingPublished()
    {
        string meter = "ModelMetrics.Tests.Regression." + Guid.NewGuid();
        using var collector = new MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "no-regression", MeterName = meter });

        Assert.That(monitor.GetSnapshot().Regression, Is.Null);
        Assert.That(collector.Collect("no-regression").Where(o => o.Instrument.StartsWith("model.regression.", StringComparison.Ordinal)), Is.Empty);
    }

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

    [Test]
    public void Windows_EachWindowDropsOnlyWhatIsOlderThanIt()
    {
        var clock = new FakeTimeProvider();
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "windows-" + Guid.NewGuid(),
            ClassLabels = ["neg", "pos"],
            Windows = [TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1)],
            TimeProvider = clock,
        });

        // 10 wrong at 0 s; a reading every 30 s; 4 right at 150 s; read at 150 s.
        for (int i = 0; i < 10; i++)
        {
            monitor.RecordGroundTruth(1, 0);
        }

        for (int t = 30; t <= 150; t += 30)
        {
            clock.Advance(TimeSpan.FromSeconds(30));
            if (t == 150)
            {
                for (int i = 0; i < 4; i++)
                {
                    monitor.RecordGroundTruth(1, 1);
                }
            }

            monitor.GetSnapshot();
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();

        // The 1-minute window's base is the 90 s checkpoint (the newest at least 60 s old): the 4 right ones.
        // The 5-minute window has no checkpoint that old: it still holds everything.
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Windows.Select(w => w.Window), Is.EqualTo(new[] { TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5) }), "shortest first");
            Assert.That(snapshot.Windows[0].Classification!.Total, Is.EqualTo(4));
            Assert.That(snapshot.Windows[0].Classification!.Accuracy, Is.EqualTo(1.0));
            Assert.That(snapshot.Windows[1].Classification!.Total, Is.EqualTo(14));
            Assert.That(snapshot.Windows[1].Classification!.Accuracy, Is.EqualTo(4.0 / 14).Within(1e-12));
            Assert.That(snapshot.RecentClassification, Is.SameAs(snapshot.Windows[0].Classification));
            Assert.That(snapshot.Classification!.Total, Is.EqualTo(14));
        });
    }

    [TestCase(0)]
    [TestCase(9)]
    public void Windows_WrongCount_Throws(int count)
    {
        TimeSpan[] windows = Enumerable.Range(1, count).Select(i => TimeSpan.FromMinutes(i)).ToArray();
        var error = Assert.Throws<ArgumentException>(() => new ModelMonitor(new ModelMonitorOptions { ModelName = "qw", Windows = windows }));
        Assert.That(error!.ParamName, Is.EqualTo("Windows"));
        Assert.That(error.Message, Does.StartWith("Windows must hold 1 to 8 distinct lengths from 1 second to 7 days."));
    }

    [Test]
    public void Windows_DuplicateOrOutOfRange_Throws()
    {
        Assert.That(() => new ModelMonitor(new ModelMonitorOptions { ModelName = "qw", Windows = [TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)] }).Dispose(), Throws.ArgumentException.With.Property("ParamName").EqualTo("Windows"));
        Assert.That(() => new ModelMonitor(new ModelMonitorOptions { ModelName = "qw", Windows = [TimeSpan.FromMilliseconds(10)] }).Dispose(), Throws.ArgumentException.With.Property("ParamName").EqualTo("Windows"));
        Assert.That(() => new ModelMonitor(new ModelMonitorOptions { ModelName = "qw", Windows = [TimeSpan.FromDays(8)] }).Dispose(), Throws.ArgumentException.With.Property("ParamName").EqualTo("Windows"));
        Assert.That(() => new ModelMonitor(new ModelMonitorOptions { ModelName = "qw", Windows = null! }).Dispose(), Throws.ArgumentException.With.Property("ParamName").EqualTo("Windows"));
    }

    [Test]
    public void MaxPublishedClasses_ClassesPastTheCapPublishedSummedAsOther()
    {
        string meter = "ModelMetrics.Tests.Overflow." + Guid.NewGuid();
        using var collector = new MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "many-classes",
            MeterName = meter,
            ClassLabels = ["a", "b", "c", "d", "e"],
            MaxPublishedClasses = 3,
            Windows = [TimeSpan.FromMinutes(1)],
        });

        // (predicted, actual): a→a, c→c ×2, d→e, e→b. Past the cap: c, d, e.
        monitor.RecordGroundTruth(0, 0);
        monitor.RecordGroundTruth(2, 2);
        monitor.RecordGroundTruth(2, 2);
        monitor.RecordGroundTruth(3, 4);
        monitor.RecordGroundTruth(4, 1);

        List<Observed> all = collector.Collect("many-classes");
        Dictionary<string, double> truePositives = all.Where(o => o.Instrument == "model.classification.true_positives").ToDictionary(o => o.Tag("model.class")!, o => o.Value);
        Dictionary<string, double> falsePositives = all.Where(o => o.Instrument == "model.classification.false_positives").ToDictionary(o => o.Tag("model.class")!, o => o.Value);
        Dictionary<string, double> falseNegatives = all.Where(o => o.Instrument == "model.classification.false_negatives").ToDictionary(o => o.Tag("model.class")!, o => o.Value);

        Assert.Multiple(() =>
        {
            Assert.That(truePositives.Keys, Is.EquivalentTo(new[] { "a", "b", "_OTHER" }));
            Assert.That(truePositives["_OTHER"], Is.EqualTo(2), "c→c twice");
            Assert.That(falsePositives["_OTHER"], Is.EqualTo(2), "d predicted for e, e predicted for b");
            Assert.That(falseNegatives["_OTHER"], Is.EqualTo(1), "e missed");
            Assert.That(falseNegatives["b"], Is.EqualTo(1));
            Assert.That(truePositives.Values.Sum() + falseNegatives.Values.Sum(), Is.EqualTo(5), "counters still add up to every labelled pair");
            Assert.That(all.Where(o => o.Instrument == "model.classification.f1").Select(o => o.Tag("model.class")), Is.SubsetOf(new[] { "a", "b", "_OTHER" }));
            Assert.That(monitor.GetSnapshot().Classification!.Classes, Has.Count.EqualTo(5), "snapshots keep every class");
        });
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
