// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Regression;

/// <summary>The regression signal through the monitor: snapshot and published values.</summary>
public class RegressionSignalTests
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
}
