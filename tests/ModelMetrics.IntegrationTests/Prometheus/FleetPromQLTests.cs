// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using ModelMetrics.TestHost;
using NUnit.Framework;

namespace ModelMetrics.IntegrationTests.Prometheus;

/// <summary>
/// The fleet merge the design promises: counters of hosts a and b summed in PromQL equal the truth of their
/// combined traffic, and accuracy, macro-F1 and latency quantiles computed in PromQL match the C# computation.
/// </summary>
public class FleetPromQLTests
{
    private const string Fleet = $"model_name=\"{Scenarios.FleetModel}\"";

    private PrometheusFleet _fleet = null!;

    [OneTimeSetUp]
    public async Task StartFleetAsync() => _fleet = await PrometheusFleet.GetAsync();

    [Test]
    public async Task Fleet_ConfusionSummedByCell_EqualsSumOfMembers()
    {
        IReadOnlyList<PrometheusSample> cells = await QueryAsync($"sum by (model_class_actual, model_class_predicted) (model_classification_confusion_total{{{Fleet}}})");

        Assert.That(
            cells.ToDictionary(s => (s["model_class_actual"], s["model_class_predicted"]), s => s.Value),
            Is.EquivalentTo(PrometheusScrapeTests.Cells(FleetTruth.Confusion(Scenarios.All))));
    }

    [Test]
    public async Task Fleet_AccuracyInPromQL_EqualsAccuracyOfCombinedMatrix()
    {
        // Right predictions over labelled ones: from the per-class counters only (works for any class count), and
        // over the full matrix (published while K <= MaxMatrixClasses).
        IReadOnlyList<PrometheusSample> fromClasses = await QueryAsync(
            $"sum(model_classification_true_positives_total{{{Fleet}}}) / (sum(model_classification_true_positives_total{{{Fleet}}}) + sum(model_classification_false_negatives_total{{{Fleet}}}))");
        IReadOnlyList<PrometheusSample> fromMatrix = await QueryAsync(
            $"sum(model_classification_true_positives_total{{{Fleet}}}) / sum(model_classification_confusion_total{{{Fleet}}})");

        double expected = FleetTruth.Accuracy(FleetTruth.Confusion(Scenarios.All));
        Assert.Multiple(() =>
        {
            Assert.That(fromClasses.Single().Value, Is.EqualTo(expected).Within(1e-9));
            Assert.That(fromMatrix.Single().Value, Is.EqualTo(expected).Within(1e-9));
            Assert.That(expected, Is.EqualTo(1250.0 / 1550), "(400+300+200 + 100+150+100) / (1000 + 550)");
        });
    }

    [Test]
    public async Task Fleet_MacroF1InPromQL_EqualsMacroF1OfCombinedMatrix()
    {
        string tp = $"sum by (model_class) (model_classification_true_positives_total{{{Fleet}}})";
        string fp = $"sum by (model_class) (model_classification_false_positives_total{{{Fleet}}})";
        string fn = $"sum by (model_class) (model_classification_false_negatives_total{{{Fleet}}})";
        IReadOnlyList<PrometheusSample> macroF1 = await QueryAsync($"avg(2 * {tp} / (2 * {tp} + {fp} + {fn}))");

        double expected = FleetTruth.MacroF1(FleetTruth.Confusion(Scenarios.All));
        double meanOfMembers = Scenarios.All.Average(m => FleetTruth.MacroF1(m.Confusion));
        Assert.Multiple(() =>
        {
            Assert.That(macroF1.Single().Value, Is.EqualTo(expected).Within(1e-9));

            // Why the counters, not the members' macro_f1 gauges, are merged: averaging the gauges is wrong.
            Assert.That(meanOfMembers, Is.Not.EqualTo(expected).Within(1e-3));
        });
    }

    [TestCase(0.5)]
    [TestCase(0.9)]
    [TestCase(0.99)]
    public async Task Fleet_HistogramQuantileOfSummedBuckets_LandsInTheExactQuantilesBucket(double q)
    {
        IReadOnlyList<PrometheusSample> result = await QueryAsync($"histogram_quantile({q}, sum by (le) (model_inference_duration_bucket_total{{{Fleet}}}))");

        // histogram_quantile interpolates linearly inside the bucket where rank q·n falls, so it lands in the exact
        // quantile's bucket; the bucket next to it only when the exact value lies within the histogram precision (2%)
        // of the boundary between them, where the counters may count it on either side.
        double exact = FleetTruth.Quantile(Scenarios.CombinedLatencies(Scenarios.All), q);
        double promql = result.Single().Value;
        int[] allowed = [.. new[] { 1 - FleetTruth.BoundaryPrecision, 1, 1 + FleetTruth.BoundaryPrecision }.Select(f => FleetTruth.Bucket(exact * f)).Distinct()];
        TestContext.Out.WriteLine($"q={q}: PromQL {promql:R} s, exact {exact:R} s, bucket le={FleetTruth.Boundaries[FleetTruth.Bucket(exact)]}");
        Assert.That(FleetTruth.Bucket(promql), Is.AnyOf(allowed.Cast<object>().ToArray()), $"PromQL {promql} s vs exact {exact} s");
    }

    [Test]
    public async Task Fleet_BucketCountersSummedByLe_WithinHistogramPrecisionOfCombinedLatencies()
    {
        IReadOnlyList<PrometheusSample> buckets = await QueryAsync($"sum by (le) (model_inference_duration_bucket_total{{{Fleet}}})");

        PrometheusScrapeTests.AssertBuckets(buckets, Scenarios.CombinedLatencies(Scenarios.All));
    }

    [Test]
    public async Task Fleet_CallsAndErrorsSummed_EqualSumOfMembers()
    {
        IReadOnlyList<PrometheusSample> byType = await QueryAsync($"sum by (error_type) (model_inference_calls_total{{{Fleet}}})");
        IReadOnlyList<PrometheusSample> ratio = await QueryAsync(
            $"sum(model_inference_calls_total{{{Fleet},error_type!=\"\"}}) / sum(model_inference_calls_total{{{Fleet}}})");

        var expected = new Dictionary<string, double> { [string.Empty] = Scenarios.All.Sum(m => m.Latencies.Length - m.Failures) };
        foreach (FleetMember member in Scenarios.All)
        {
            expected[FleetTruth.ErrorType(member.FailureType)] = expected.GetValueOrDefault(FleetTruth.ErrorType(member.FailureType)) + member.Failures;
        }

        Assert.Multiple(() =>
        {
            Assert.That(byType.ToDictionary(s => s["error_type"], s => s.Value), Is.EquivalentTo(expected));
            Assert.That(ratio.Single().Value, Is.EqualTo((double)Scenarios.All.Sum(m => m.Failures) / Scenarios.All.Sum(m => m.Latencies.Length)).Within(1e-12));
        });
    }

    private Task<IReadOnlyList<PrometheusSample>> QueryAsync(string promql) => _fleet.Server.QueryAsync(promql, _fleet.ReadyAt);
}
