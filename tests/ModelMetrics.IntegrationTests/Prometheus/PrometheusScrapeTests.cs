// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using ModelMetrics.TestHost;
using NUnit.Framework;

namespace ModelMetrics.IntegrationTests.Prometheus;

/// <summary>
/// What Prometheus stored from scraping one host (scenario "a"): names, labels and values of the fixed traffic,
/// after the OpenTelemetry Prometheus exporter and Prometheus's own parsing.
/// </summary>
public class PrometheusScrapeTests
{
    // The instruments the shipped rules and dashboard rely on, with unit and whether they are counters.
    private static readonly (string Instrument, string Unit, bool Counter)[] Instruments =
    [
        ("model.inference.calls", "{call}", true),
        ("model.inference.items", "{item}", true),
        ("model.inference.active_calls", "{call}", false),
        ("model.inference.duration.quantile", "s", false),
        ("model.inference.duration.bucket", "{call}", true),
        ("model.inference.duration.sum", "s", true),
        ("model.inference.duration.count", "{call}", true),
        ("model.classification.confusion", "{prediction}", true),
        ("model.classification.true_positives", "{prediction}", true),
        ("model.classification.false_positives", "{prediction}", true),
        ("model.classification.false_negatives", "{prediction}", true),
        ("model.classification.accuracy", "1", false),
        ("model.classification.f1", "1", false),
        ("model.classification.macro_f1", "1", false),
        ("model.labels", "{label}", true),
        ("model.predictions.pending", "{prediction}", false),
        ("model.label.delay.bucket", "{label}", true),
        ("model.label.delay.quantile", "s", false),
    ];

    private static readonly FleetMember Member = Scenarios.A;

    private PrometheusFleet _fleet = null!;

    [OneTimeSetUp]
    public async Task StartFleetAsync() => _fleet = await PrometheusFleet.GetAsync();

    [Test]
    public async Task Scrape_MetricNames_FollowTheExporterNamingRules()
    {
        IReadOnlyList<PrometheusSample> names = await _fleet.Server.QueryAsync($"count by (__name__) ({{instance=\"{Instance}\"}})", _fleet.ReadyAt);

        // Dots become underscores, a unit in braces and the unit 1 are dropped, s adds _seconds, counters end in _total.
        string[] expected = [.. Instruments.Select(i => i.Instrument.Replace('.', '_') + (i.Unit == "s" ? "_seconds" : string.Empty) + (i.Counter ? "_total" : string.Empty))];
        Assert.That(names.Select(n => n["__name__"]), Is.SupersetOf(expected).And.Contains("target_info"));
        Assert.That(expected, Does.Contain("model_inference_duration_sum_seconds_total").And.Contain("model_inference_duration_bucket_total"), "the rule as the README documents it");
    }

    [Test]
    public async Task Scrape_SeriesLabels_IdentifyTargetScopeAndModel()
    {
        IReadOnlyList<PrometheusSample> calls = await QueryAsync("model_inference_calls_total");
        IReadOnlyList<PrometheusSample> target = await _fleet.Server.QueryAsync($"target_info{{instance=\"{Instance}\"}}", _fleet.ReadyAt);

        Assert.Multiple(() =>
        {
            Assert.That(calls, Is.Not.Empty);
            Assert.That(calls.Select(s => (s["job"], s["model_version"], s["otel_scope_name"])), Is.All.EqualTo(("modelmetrics", Scenarios.FleetVersion, "ModelMetrics")));
            Assert.That(target.Select(s => (s["service_name"], s["service_instance_id"])), Is.EqualTo(new[] { ("modelmetrics-testhost", Member.Name) }));
        });
    }

    [Test]
    public async Task Scrape_CallsPerErrorType_MatchScenario()
    {
        IReadOnlyList<PrometheusSample> calls = await QueryAsync("model_inference_calls_total");

        // A success has no error_type label ("" in PromQL); each failure type is its own series.
        var expected = new Dictionary<string, double>
        {
            [string.Empty] = Member.Latencies.Length - Member.Failures,
            [FleetTruth.ErrorType(Member.FailureType)] = Member.Failures,
        };
        Assert.That(calls.ToDictionary(s => s["error_type"], s => s.Value), Is.EquivalentTo(expected));
        Assert.That(expected.Keys, Does.Contain("timeout"), "a TimeoutException is recorded as error_type=\"timeout\"");
    }

    [Test]
    public async Task Scrape_ConfusionCells_MatchScenario()
    {
        IReadOnlyList<PrometheusSample> cells = await QueryAsync("model_classification_confusion_total");

        Assert.That(cells.ToDictionary(s => (s["model_class_actual"], s["model_class_predicted"]), s => s.Value), Is.EquivalentTo(Cells(Member.Confusion)));
    }

    [Test]
    public async Task Scrape_ClassCounters_MatchScenario()
    {
        Dictionary<string, double> tp = ByClass(await QueryAsync("model_classification_true_positives_total"));
        Dictionary<string, double> fp = ByClass(await QueryAsync("model_classification_false_positives_total"));
        Dictionary<string, double> fn = ByClass(await QueryAsync("model_classification_false_negatives_total"));

        Assert.Multiple(() =>
        {
            for (int c = 0; c < Scenarios.Classes.Count; c++)
            {
                string name = Scenarios.Classes[c];
                (long expectedTp, long expectedFp, long expectedFn) = FleetTruth.Counts(Member.Confusion, c);
                Assert.That((tp[name], fp[name], fn[name]), Is.EqualTo(((double)expectedTp, (double)expectedFp, (double)expectedFn)), name);
            }

            Assert.That(tp.Keys, Is.EquivalentTo(Scenarios.Classes));
        });
    }

    [Test]
    public async Task Scrape_DurationBuckets_AreCumulativeAndWithinHistogramPrecision()
    {
        IReadOnlyList<PrometheusSample> buckets = await QueryAsync("model_inference_duration_bucket_total");
        IReadOnlyList<PrometheusSample> count = await QueryAsync("model_inference_duration_count_total");
        IReadOnlyList<PrometheusSample> sum = await QueryAsync("model_inference_duration_sum_seconds_total");

        double[] sorted = Scenarios.CombinedLatencies([Member]);
        AssertBuckets(buckets, sorted);
        Assert.Multiple(() =>
        {
            Assert.That(count.Single().Value, Is.EqualTo(sorted.Length));
            Assert.That(sum.Single().Value, Is.EqualTo(sorted.Sum()).Within(1).Percent, "the sum of bucket midpoints");
        });
    }

    [Test]
    public async Task Scrape_WindowGauges_MatchScenario()
    {
        IReadOnlyList<PrometheusSample> quantiles = await QueryAsync("model_inference_duration_quantile_seconds");
        IReadOnlyList<PrometheusSample> accuracy = await QueryAsync("model_classification_accuracy");
        IReadOnlyList<PrometheusSample> macroF1 = await QueryAsync("model_classification_macro_f1");

        double[] sorted = Scenarios.CombinedLatencies([Member]);
        Assert.Multiple(() =>
        {
            // One series per window and quantile, every window holding the whole fixed traffic.
            string[] quantileNames = ["0.5", "0.9", "0.95", "0.99", "0.999", "1"];
            Assert.That(quantiles.Select(s => (s["window"], s["quantile"])), Is.EquivalentTo(new[] { "60", "300", "3600" }.SelectMany(w => quantileNames.Select(q => (w, q)))));
            foreach (PrometheusSample quantile in quantiles)
            {
                double q = double.Parse(quantile["quantile"], CultureInfo.InvariantCulture);
                Assert.That(quantile.Value, Is.EqualTo(FleetTruth.Quantile(sorted, q)).Within(1).Percent, $"quantile {q}, window {quantile["window"]}");
            }

            // One series per quality window (60 s, 5 min, 1 h), all holding the whole fixed traffic.
            Assert.That(accuracy.Select(s => s["window"]), Is.EquivalentTo(new[] { "60", "300", "3600" }));
            Assert.That(accuracy.Select(s => s.Value), Is.All.EqualTo(FleetTruth.Accuracy(Member.Confusion)).Within(1e-12));
            Assert.That(macroF1.Select(s => s.Value), Is.All.EqualTo(FleetTruth.MacroF1(Member.Confusion)).Within(1e-12));
        });
    }

    /// <summary>
    /// Asserts cumulative <c>le</c> counters against the exact latencies: the default boundaries and +Inf, never
    /// decreasing, +Inf = every call, and each count exactly the latencies at or below le (the HDR bucket that
    /// straddles a boundary keeps its own count of the values at or below it).
    /// </summary>
    internal static void AssertBuckets(IReadOnlyList<PrometheusSample> buckets, double[] sorted)
    {
        Dictionary<string, double> byLe = buckets.ToDictionary(s => s["le"], s => s.Value);
        string[] expectedLe = [.. FleetTruth.Boundaries.Select(b => b.ToString(CultureInfo.InvariantCulture)), "+Inf"];
        Assert.That(byLe.Keys, Is.EquivalentTo(expectedLe));
        double[] counts = [.. expectedLe.Select(le => byLe[le])];
        Assert.Multiple(() =>
        {
            Assert.That(counts, Is.Ordered, "cumulative");
            Assert.That(counts[^1], Is.EqualTo(sorted.Length), "+Inf");
            for (int i = 0; i < FleetTruth.Boundaries.Length; i++)
            {
                double le = FleetTruth.Boundaries[i];
                Assert.That(counts[i], Is.EqualTo(FleetTruth.CountAtOrBelow(sorted, le)), $"le={expectedLe[i]}");
            }
        });
    }

    internal static Dictionary<(string Actual, string Predicted), double> Cells(long[][] confusion) =>
        Enumerable.Range(0, confusion.Length)
            .SelectMany(a => Enumerable.Range(0, confusion.Length).Select(p => (a, p)))
            .ToDictionary(c => (Scenarios.Classes[c.a], Scenarios.Classes[c.p]), c => (double)confusion[c.a][c.p]);

    private static Dictionary<string, double> ByClass(IReadOnlyList<PrometheusSample> samples) => samples.ToDictionary(s => s["model_class"], s => s.Value);

    private string Instance => PrometheusFleet.Instance(_fleet.A);

    /// <summary>The fleet model's series of <paramref name="metric"/> from host a, at <see cref="PrometheusFleet.ReadyAt"/>.</summary>
    private Task<IReadOnlyList<PrometheusSample>> QueryAsync(string metric) =>
        _fleet.Server.QueryAsync($"{metric}{{model_name=\"{Scenarios.FleetModel}\",instance=\"{Instance}\"}}", _fleet.ReadyAt);
}
