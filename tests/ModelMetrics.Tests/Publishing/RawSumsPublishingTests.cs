// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using ModelMetrics.Tests.Reliability;
using NUnit.Framework;

namespace ModelMetrics.Tests.Publishing;

/// <summary>
/// Counters of sums publish the snapshot's raw sums (issue 10), never a mean multiplied back by a count: exact
/// values, and counters that never decrease while zero-loss or zero-error pairs keep being added (mean × count
/// fell by one ulp).
/// </summary>
public class RawSumsPublishingTests
{
    private const double MachineEpsilon = 2.220446049250313e-16;

    private static readonly string[] SixClasses = ["c0", "c1", "c2", "c3", "c4", "c5"];

    private static readonly string[] SumInstruments =
    [
        "model.classification.log_loss.sum", "model.classification.top_k_hits", "model.classification.scored",
        "model.regression.absolute_error.sum", "model.regression.squared_error.sum", "model.regression.pairs",
    ];

    // Probabilities and the true class, with the rank of the true class (ties rank by class index) and p(actual).
    private static readonly (double[] Probabilities, int Actual)[] Rows =
    [
        ([0.5, 0.2, 0.1, 0.1, 0.05, 0.05], 0), // rank 0
        ([0.1, 0.4, 0.3, 0.1, 0.05, 0.05], 2), // rank 1: only c1 is more probable
        ([0.3, 0.3, 0.1, 0.1, 0.1, 0.1], 5),   // rank 5: c0, c1 more probable; c2, c3, c4 as probable with lower indices
        ([0.2, 0.2, 0.2, 0.2, 0.1, 0.1], 3),   // rank 3: c0, c1, c2 as probable with lower indices
        ([0, 1, 0, 0, 0, 0], 0),               // rank 1, p = 0 clipped at the machine epsilon: 36.04365338911715 nats
    ];

    [Test]
    public void RawSums_KnownData_PublishedEqualTheSnapshotAndTheHandComputedValues()
    {
        string meter = "ModelMetrics.Tests.RawSums." + Guid.NewGuid();
        using var collector = new AllSeriesCollector(meter, i => SumInstruments.Contains(i.Name));
        using ModelMonitor monitor = Create(meter);
        Record(monitor);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        List<Observed> published = collector.Collect();
        double Published(string name) => published.Single(o => o.Instrument == name).Value;
        double TopK(int k) => published.Single(o => o.Instrument == "model.classification.top_k_hits" && o.Tag("k") == k.ToString(System.Globalization.CultureInfo.InvariantCulture)).Value;

        // Summed in micro-nats, each pair's loss rounded to the micro-nat.
        double expectedLoss = Rows.Sum(r => Math.Round(-Math.Log(Math.Max(r.Probabilities[r.Actual], MachineEpsilon)) * 1e6)) / 1e6;
        double exactLoss = -Math.Log(0.5) - Math.Log(0.3) - Math.Log(0.1) - Math.Log(0.2) - Math.Log(MachineEpsilon);
        ClassificationSnapshot classification = snapshot.Classification!;
        RegressionSnapshot regression = snapshot.Regression!;

        Assert.Multiple(() =>
        {
            Assert.That(classification.LogLossSum, Is.EqualTo(expectedLoss));
            Assert.That(classification.LogLossSum, Is.EqualTo(exactLoss).Within(Rows.Length * 5e-7));
            Assert.That(Published("model.classification.log_loss.sum"), Is.EqualTo(classification.LogLossSum), "published the raw sum");
            Assert.That(Published("model.classification.scored"), Is.EqualTo(5));

            Assert.That(classification.GetTopKHits(1), Is.EqualTo(1));
            Assert.That(classification.GetTopKHits(3), Is.EqualTo(3));
            Assert.That(classification.GetTopKHits(5), Is.EqualTo(4));
            Assert.That(new[] { TopK(1), TopK(3), TopK(5) }, Is.EqualTo(new double[] { 1, 3, 4 }));
            Assert.That(published.Count(o => o.Instrument == "model.classification.top_k_hits"), Is.EqualTo(3), "k = 1, 3, 5");
            Assert.That(classification.GetTopKAccuracy(1), Is.EqualTo(classification.Accuracy), "top-1 is accuracy");

            // |e| = 1, 1, 0, 4, 1.5; e² = 1, 1, 0, 16, 2.25.
            Assert.That(regression.AbsoluteErrorSum, Is.EqualTo(7.5).Within(1e-12));
            Assert.That(regression.SquaredErrorSum, Is.EqualTo(20.25).Within(1e-12));
            Assert.That(Published("model.regression.absolute_error.sum"), Is.EqualTo(regression.AbsoluteErrorSum));
            Assert.That(Published("model.regression.squared_error.sum"), Is.EqualTo(regression.SquaredErrorSum));
            Assert.That(Published("model.regression.pairs"), Is.EqualTo(5));
            Assert.That(regression.MeanAbsoluteError, Is.EqualTo(regression.AbsoluteErrorSum / regression.Count));
        });
    }

    [Test]
    public void RawSums_TenThousandPassesAddingZeroLossAndZeroErrorPairs_NeverDecrease()
    {
        const int Passes = 10_000;
        string meter = "ModelMetrics.Tests.RawSumsMonotonic." + Guid.NewGuid();
        using var collector = new AllSeriesCollector(meter, i => SumInstruments.Contains(i.Name));
        using ModelMonitor monitor = Create(meter);
        Record(monitor);
        double[] certain = [1, 0, 0, 0, 0, 0];

        Dictionary<string, double> first = Read(collector.Collect());
        Dictionary<string, double> previous = first;
        var problems = new List<string>();
        for (int pass = 1; pass <= Passes && problems.Count < 10; pass++)
        {
            monitor.RecordGroundTruth(certain, 0);         // loss −ln 1 = 0, a top-1 hit
            monitor.RecordRegression(0.1 * pass, 0.1 * pass); // error 0
            Dictionary<string, double> current = Read(collector.Collect());
            foreach ((string series, double value) in current)
            {
                if (value < previous[series])
                {
                    problems.Add($"pass {pass}: {series} fell from {previous[series]:R} to {value:R}");
                }
            }

            previous = current;
        }

        Assert.Multiple(() =>
        {
            Assert.That(problems, Is.Empty);
            Assert.That(previous["model.classification.log_loss.sum"], Is.EqualTo(first["model.classification.log_loss.sum"]), "zero losses add nothing");
            Assert.That(previous["model.regression.absolute_error.sum"], Is.EqualTo(first["model.regression.absolute_error.sum"]).Within(1e-12));
            Assert.That(previous["model.regression.squared_error.sum"], Is.EqualTo(first["model.regression.squared_error.sum"]).Within(1e-12));
            Assert.That(previous["model.classification.top_k_hits k=1"], Is.EqualTo(1 + Passes));
            Assert.That(previous["model.regression.pairs"], Is.EqualTo(5 + Passes));
        });
    }

    private static Dictionary<string, double> Read(List<Observed> observed) =>
        observed.ToDictionary(o => o.Tag("k") is { } k ? $"{o.Instrument} k={k}" : o.Instrument, o => o.Value);

    private static void Record(ModelMonitor monitor)
    {
        foreach ((double[] probabilities, int actual) in Rows)
        {
            monitor.RecordGroundTruth(probabilities, actual);
        }

        monitor.RecordRegression(3, 2);
        monitor.RecordRegression(5, 6);
        monitor.RecordRegression(10, 10);
        monitor.RecordRegression(0, 4);
        monitor.RecordRegression(2.5, 1);
    }

    private static ModelMonitor Create(string meter) =>
        new(new ModelMonitorOptions { ModelName = "raw-sums", MeterName = meter, ClassLabels = SixClasses });
}
