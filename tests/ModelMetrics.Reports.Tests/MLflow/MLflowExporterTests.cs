// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using ModelMetrics.Reports.MLflow;
using NUnit.Framework;

namespace ModelMetrics.Reports.Tests.MLflow;

/// <summary>The MLflow exporter against a loopback server written from the MLflow REST API reference.</summary>
public sealed class MLflowExporterTests
{
    private static MLflowExporterOptions Options(FakeMLflowServer server, Scenario scenario) => new()
    {
        TrackingUri = server.Address,
        ExperimentName = "fraud-api production",
        Registry = scenario.Registry,
        TimeProvider = scenario.Time,
        Interval = TimeSpan.FromHours(1),
        RetryDelay = TimeSpan.FromMilliseconds(5),
        RequestTimeout = TimeSpan.FromSeconds(10),
    };

    [Test]
    public async Task Export_Twice_CreatesTheExperimentAndOneRunPerModelVersionAndLogsEveryScalar()
    {
        await using FakeMLflowServer server = await FakeMLflowServer.StartAsync();
        using var scenario = new Scenario();
        scenario.Record();
        await using var exporter = new MLflowExporter(Options(server, scenario));

        await exporter.ExportAsync();
        long firstTime = scenario.Time.GetUtcNow().ToUnixTimeMilliseconds();
        ModelMonitorSnapshot first = scenario.Classifier.GetSnapshot();
        scenario.Record(round: 1);
        long secondTime = scenario.Time.GetUtcNow().ToUnixTimeMilliseconds();
        await exporter.ExportAsync();
        ModelMonitorSnapshot second = scenario.Classifier.GetSnapshot();

        Assert.That(server.Runs, Has.Count.EqualTo(3), "one run per model version, reused by the second export");
        Assert.That(server.Requests.Count(r => r.Path.EndsWith("experiments/create", StringComparison.Ordinal)), Is.EqualTo(1));
        FakeRun fraud = server.Runs.Values.Single(r => r.Tags["modelmetrics.model.name"] == "fraud");
        Assert.Multiple(() =>
        {
            Assert.That(fraud.Name, Is.EqualTo("fraud 3"));
            Assert.That(fraud.Tags["modelmetrics.model.version"], Is.EqualTo("3"));
            Assert.That(fraud.StartTime, Is.EqualTo(firstTime));
            List<(double Value, long Timestamp, long Step)> p99 = fraud.Metrics["latency_ms/p99_all"];
            Assert.That(p99.Select(p => p.Step), Is.EqualTo(new long[] { 0, 1 }));
            Assert.That(p99.Select(p => p.Timestamp), Is.EqualTo(new[] { firstTime, secondTime }));
            Assert.That(p99[0].Value, Is.EqualTo(first.Latency.P99 * 1000));
            Assert.That(p99[1].Value, Is.EqualTo(second.Latency.P99 * 1000));
            Assert.That(fraud.Metrics["calls/total"].Select(p => p.Value), Is.EqualTo(new double[] { 400, 800 }));
            Assert.That(fraud.Metrics["quality/accuracy_all"][1].Value, Is.EqualTo(second.Classification!.Accuracy));
            Assert.That(fraud.Metrics["f1/fraud_all"][1].Value, Is.EqualTo(second.Classification.Classes[1].F1));
            Assert.That(fraud.Metrics["errors/ratio_1m"][1].Value, Is.EqualTo(second.Windows[0].FailureRate));
            Assert.That(fraud.Metrics["drift/class_psi_5m"][1].Value, Is.EqualTo(second.Windows[1].Drift!.ClassPsi));
            Assert.That(fraud.Metrics.Keys, Has.Count.EqualTo(Scalars.Collect(second).Count));
        });

        // The metric history endpoint answers the same points.
        using var http = new HttpClient();
        using JsonDocument history = JsonDocument.Parse(await http.GetStringAsync(new Uri(server.Address, $"api/2.0/mlflow/metrics/get-history?run_id={fraud.Id}&metric_key=calls/total")));
        Assert.That(history.RootElement.GetProperty("metrics").EnumerateArray().Select(m => m.GetProperty("value").GetDouble()), Is.EqualTo(new double[] { 400, 800 }));
    }

    [Test]
    public async Task Export_ServerAnswers429Then503_RetriesAndLogsEverything()
    {
        await using FakeMLflowServer server = await FakeMLflowServer.StartAsync();
        using var scenario = new Scenario();
        scenario.Record();
        await using var exporter = new MLflowExporter(Options(server, scenario));
        server.FailNext(429, 503, 502);

        await exporter.ExportAsync();

        Assert.That(server.Requests.Select(r => r.Status).Take(4), Is.EqualTo(new[] { 429, 503, 502, 404 }), "three failures, then get-by-name finds nothing");
        Assert.That(server.Runs.Values.Single(r => r.Tags["modelmetrics.model.name"] == "fraud").Metrics["calls/total"].Single().Value, Is.EqualTo(400));
    }

    [Test]
    public async Task Export_DuringAnOutage_NeitherThrowsNorKeepsABacklog_AndResumesAfter()
    {
        await using FakeMLflowServer server = await FakeMLflowServer.StartAsync();
        using var scenario = new Scenario();
        scenario.Record();
        MLflowExporterOptions options = Options(server, scenario);
        options.MaxAttempts = 3;
        await using var exporter = new MLflowExporter(options);
        await exporter.ExportAsync();
        server.Down = true;

        for (int i = 0; i < 3; i++)
        {
            scenario.Time.Advance(TimeSpan.FromSeconds(60));
            Assert.That(async () => await exporter.ExportAsync(), Throws.Nothing);
        }

        Assert.That(server.Requests.Count(r => r.Status == 0), Is.EqualTo(3 * 3), "each export tried its first request MaxAttempts times, then gave up");
        server.Down = false;
        scenario.Time.Advance(TimeSpan.FromSeconds(60));
        await exporter.ExportAsync();

        FakeRun fraud = server.Runs.Values.Single(r => r.Tags["modelmetrics.model.name"] == "fraud");
        Assert.That(fraud.Metrics["calls/total"].Select(p => p.Step), Is.EqualTo(new long[] { 0, 1 }), "the outage left a gap, not a backlog");
        Assert.That(server.Runs, Has.Count.EqualTo(3), "the runs created before the outage are reused");
    }

    [Test]
    public async Task Export_ServerNeverAnswers_TimesOutAndDoesNotThrow()
    {
        await using FakeMLflowServer server = await FakeMLflowServer.StartAsync();
        using var scenario = new Scenario();
        MLflowExporterOptions options = Options(server, scenario);
        options.TrackingUri = new Uri("http://127.0.0.1:9/"); // discard port: connection refused
        options.MaxAttempts = 2;
        await using var exporter = new MLflowExporter(options);

        Assert.That(async () => await exporter.ExportAsync(), Throws.Nothing);
    }

    [Test]
    public async Task Export_InvalidParameterValue_IsNotRetriedAndOtherModelsStillLog()
    {
        await using FakeMLflowServer server = await FakeMLflowServer.StartAsync();
        using var scenario = new Scenario();
        scenario.Record();
        await using var exporter = new MLflowExporter(Options(server, scenario));
        server.RejectedKey = "regression/mae_all"; // only the eta model logs it

        await exporter.ExportAsync();

        Assert.That(server.Requests.Count(r => r.Status == 400), Is.EqualTo(1), "a 400 is final: no retry");
        Assert.That(server.Runs.Values.Single(r => r.Tags["modelmetrics.model.name"] == "fraud").Metrics, Is.Not.Empty);
        Assert.That(server.Runs.Values.Single(r => r.Tags["modelmetrics.model.name"] == "assistant").Metrics, Is.Not.Empty);
    }

    [Test]
    public async Task LogMetrics_2500Metrics_SplitsIntoBatchesTheServerAccepts()
    {
        await using FakeMLflowServer server = await FakeMLflowServer.StartAsync();
        using var scenario = new Scenario();
        var options = Options(server, scenario).Validated();
        using var http = new HttpClient();
        var client = new MLflowClient(http, options);
        string experiment = await client.GetOrCreateExperimentAsync("limits", CancellationToken.None);
        string run = await client.CreateRunAsync(experiment, "limits", 0, [], CancellationToken.None);
        // Keys of MLflow's maximum length (250): 2,500 metrics are about 750 KB.
        List<MLflowMetric> metrics = Enumerable.Range(0, 2500).Select(i => new MLflowMetric(i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture) + new string('k', 245), i, 1, 0)).ToList();

        int requests = await client.LogMetricsAsync(run, metrics, CancellationToken.None);

        Assert.That(requests, Is.EqualTo(3));
        Assert.That(server.Requests.Where(r => r.Path.EndsWith("log-batch", StringComparison.Ordinal)).Select(r => (r.Status, r.Metrics)), Is.EqualTo(new[] { (200, 1000), (200, 1000), (200, 500) }));
        Assert.That(server.Runs[run].Metrics, Has.Count.EqualTo(2500));
    }

    [Test]
    public void Batches_OverTheByteLimit_SplitBeforeIt()
    {
        List<MLflowMetric> metrics = Enumerable.Range(0, 300).Select(i => new MLflowMetric("metric/" + new string('x', 200) + i.ToString(System.Globalization.CultureInfo.InvariantCulture), i * 0.5, 1_700_000_000_000, 7)).ToList();

        List<byte[]> bodies = MLflowClient.Batches("run-1", metrics, maxCount: 1000, maxBytes: 20_000);

        Assert.That(bodies, Has.Count.GreaterThan(3));
        Assert.That(bodies.Select(b => b.Length), Is.All.LessThanOrEqualTo(20_000));
        var keys = new List<string>();
        foreach (byte[] body in bodies)
        {
            using JsonDocument json = JsonDocument.Parse(body);
            Assert.That(json.RootElement.GetProperty("run_id").GetString(), Is.EqualTo("run-1"));
            keys.AddRange(json.RootElement.GetProperty("metrics").EnumerateArray().Select(m => m.GetProperty("key").GetString()!));
            JsonElement firstMetric = json.RootElement.GetProperty("metrics")[0];
            Assert.That(firstMetric.GetProperty("timestamp").GetInt64(), Is.EqualTo(1_700_000_000_000));
            Assert.That(firstMetric.GetProperty("step").GetInt64(), Is.EqualTo(7));
        }

        Assert.That(keys, Is.EqualTo(metrics.Select(m => m.Key)), "every metric once, in order");
    }

    [Test]
    public async Task DisposeAsync_LogsTheLastFiguresAndFinishesTheRuns()
    {
        await using FakeMLflowServer server = await FakeMLflowServer.StartAsync();
        using var scenario = new Scenario();
        scenario.Record();
        var exporter = new MLflowExporter(Options(server, scenario));
        await exporter.ExportAsync();
        scenario.Time.Advance(TimeSpan.FromMinutes(1));

        await exporter.DisposeAsync();

        Assert.That(server.Runs.Values.Select(r => r.Status), Is.All.EqualTo("FINISHED"));
        Assert.That(server.Runs.Values.Select(r => r.EndTime), Is.All.EqualTo(scenario.Time.GetUtcNow().ToUnixTimeMilliseconds()));
        Assert.That(server.Runs.Values.Single(r => r.Tags["modelmetrics.model.name"] == "fraud").Metrics["calls/total"], Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Export_MonitorLeavesTheRegistry_FinishesItsRun()
    {
        await using FakeMLflowServer server = await FakeMLflowServer.StartAsync();
        using var scenario = new Scenario();
        scenario.Record();
        await using var exporter = new MLflowExporter(Options(server, scenario));
        await exporter.ExportAsync();

        scenario.Regressor.Dispose();
        await exporter.ExportAsync();

        Assert.That(server.Runs.Values.Single(r => r.Tags["modelmetrics.model.name"] == "eta").Status, Is.EqualTo("FINISHED"));
        Assert.That(server.Runs.Values.Single(r => r.Tags["modelmetrics.model.name"] == "fraud").Status, Is.EqualTo("RUNNING"));
    }

    [Test]
    public void Options_Invalid_ThrowNamingTheOption()
    {
        Assert.That(() => new MLflowExporter(new MLflowExporterOptions()), Throws.ArgumentException.With.Property("ParamName").EqualTo("TrackingUri"));
        Assert.That(() => new MLflowExporter(new MLflowExporterOptions { TrackingUri = new Uri("ftp://x/") }), Throws.ArgumentException.With.Property("ParamName").EqualTo("TrackingUri"));
        Assert.That(() => new MLflowExporter(new MLflowExporterOptions { TrackingUri = new Uri("http://x/"), MaxAttempts = 0 }), Throws.ArgumentException.With.Property("ParamName").EqualTo("MaxAttempts"));
        Assert.That(() => new MLflowExporter(new MLflowExporterOptions { TrackingUri = new Uri("http://x/"), ExperimentName = "" }), Throws.ArgumentException.With.Property("ParamName").EqualTo("ExperimentName"));
    }
}
