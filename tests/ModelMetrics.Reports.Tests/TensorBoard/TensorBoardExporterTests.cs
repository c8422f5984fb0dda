// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using ModelMetrics.Reports.TensorBoard;
using NUnit.Framework;

namespace ModelMetrics.Reports.Tests.TensorBoard;

/// <summary>
/// The event files read back by an independent decoder: Debian's python3-protobuf with the Event and Summary messages
/// declared in the test's Python, and python3-crc32c for the TFRecord checksums.
/// </summary>
public sealed class TensorBoardExporterTests
{
    private string _directory = null!;

    [SetUp]
    public void SetUp() => _directory = Directory.CreateTempSubdirectory("modelmetrics-tensorboard-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_directory, recursive: true);

    [Test]
    public void Crc32C_KnownVector_MatchesTheCastagnoliCheckValue() =>
        Assert.That(Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")), Is.EqualTo(0xE3069283u));

    [Test]
    public void Export_TwoSteps_PythonReadsVersionTagsStepsAndValues()
    {
        using var scenario = new Scenario();
        scenario.Record();
        using var exporter = new TensorBoardExporter(new TensorBoardExporterOptions { LogDirectory = _directory, Registry = scenario.Registry, TimeProvider = scenario.Time, Interval = TimeSpan.FromHours(1) });

        exporter.Export();
        DateTimeOffset first = scenario.Time.GetUtcNow();
        ModelMonitorSnapshot firstSnapshot = scenario.Classifier.GetSnapshot();
        scenario.Time.Advance(TimeSpan.FromSeconds(30));
        scenario.Record(round: 1);
        DateTimeOffset secondTime = scenario.Time.GetUtcNow();
        exporter.Export();
        ModelMonitorSnapshot second = scenario.Classifier.GetSnapshot();

        Assert.That(Directory.GetDirectories(_directory).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "assistant", "eta", "fraud" }));
        JsonElement read = Read(SingleFile("fraud", "3"));
        Assert.That(read.GetProperty("error").ValueKind, Is.EqualTo(JsonValueKind.Null));
        JsonElement[] records = read.GetProperty("records").EnumerateArray().ToArray();
        Assert.That(records, Has.Length.EqualTo(3));
        Assert.Multiple(() =>
        {
            Assert.That(records[0].GetProperty("file_version").GetString(), Is.EqualTo("brain.Event:2"));
            Assert.That(records[1].GetProperty("step").GetInt64(), Is.EqualTo(first.ToUnixTimeSeconds()));
            Assert.That(records[1].GetProperty("wall_time").GetDouble(), Is.EqualTo(first.ToUnixTimeMilliseconds() / 1000.0));
            Assert.That(records[2].GetProperty("step").GetInt64(), Is.EqualTo(secondTime.ToUnixTimeSeconds()).And.GreaterThanOrEqualTo(first.ToUnixTimeSeconds() + 30));
            JsonElement values1 = records[1].GetProperty("values");
            JsonElement values2 = records[2].GetProperty("values");
            Assert.That(values1.GetProperty("calls/total").GetDouble(), Is.EqualTo(400));
            Assert.That(values2.GetProperty("calls/total").GetDouble(), Is.EqualTo(800));
            Assert.That(values1.GetProperty("latency_ms/p99_all").GetDouble(), Is.EqualTo((float)(firstSnapshot.Latency.P99 * 1000)));
            Assert.That(values2.GetProperty("latency_ms/p50_1m").GetDouble(), Is.EqualTo((float)(second.Windows[0].Latency.P50 * 1000)));
            Assert.That(values2.GetProperty("errors/ratio_5m").GetDouble(), Is.EqualTo((float)second.Windows[1].FailureRate));
            Assert.That(values2.GetProperty("quality/accuracy_all").GetDouble(), Is.EqualTo((float)second.Classification!.Accuracy));
            Assert.That(values2.GetProperty("f1/review_all").GetDouble(), Is.EqualTo((float)second.Classification.Classes[2].F1));
            Assert.That(values2.GetProperty("drift/class_psi_1m").GetDouble(), Is.EqualTo((float)second.Windows[0].Drift!.ClassPsi));
            Assert.That(values2.GetProperty("labels/pending").GetDouble(), Is.EqualTo(second.Labels.Pending));
        });

        JsonElement chat = Read(SingleFile("assistant", "2025-01")).GetProperty("records")[2].GetProperty("values");
        Assert.That(chat.GetProperty("genai/output_tokens_per_second_all").GetDouble(), Is.EqualTo((float)scenario.Chat.GetSnapshot().GenAI!.OutputTokensPerSecond));
        Assert.That(Read(SingleFile("eta", "unversioned")).GetProperty("records")[2].GetProperty("values").GetProperty("regression/mae_all").GetDouble(), Is.EqualTo(1.2).Within(1e-6));
    }

    [Test]
    public void Export_ProcessKilledMidWrite_EveryEarlierRecordStaysReadable()
    {
        using var scenario = new Scenario();
        scenario.Record();
        var exporter = new TensorBoardExporter(new TensorBoardExporterOptions { LogDirectory = _directory, Registry = scenario.Registry, TimeProvider = scenario.Time, Interval = TimeSpan.FromHours(1) });
        for (int i = 0; i < 3; i++)
        {
            exporter.Export();
            scenario.Time.Advance(TimeSpan.FromSeconds(10));
        }

        string path = SingleFile("fraud", "3");
        long whole = new FileInfo(path).Length;
        exporter.Dispose(); // writes a fourth step
        byte[] bytes = File.ReadAllBytes(path);
        Assert.That(bytes, Has.Length.GreaterThan(whole + 16));

        // A kill in the middle of the fourth export's record: its tail is missing.
        File.WriteAllBytes(path, bytes.AsSpan(0, (int)(whole + ((bytes.Length - whole) / 2))).ToArray());
        JsonElement truncated = Read(path);
        Assert.That(truncated.GetProperty("error").GetString(), Is.EqualTo("truncated data"));
        Assert.That(truncated.GetProperty("records").GetArrayLength(), Is.EqualTo(4), "file version and three steps");
        Assert.That(truncated.GetProperty("offset").GetInt64(), Is.EqualTo(whole));

        // A torn write that left garbage in the last record instead: its checksum fails, the earlier ones hold.
        bytes[^6] ^= 0x5A;
        File.WriteAllBytes(path, bytes);
        JsonElement corrupted = Read(path);
        Assert.That(corrupted.GetProperty("error").GetString(), Is.EqualTo("data crc"));
        Assert.That(corrupted.GetProperty("records").GetArrayLength(), Is.EqualTo(4));
    }

    [Test]
    public void Export_MonitorLeavesAndAnotherJoins_ClosesItsRunAndStartsTheNew()
    {
        using var registry = new RegistryScope();
        var first = new ModelMonitor(new ModelMonitorOptions { ModelName = "m", ModelVersion = "1", Registry = registry.Registry, MeterName = registry.Meter });
        first.RecordCall(0.01);
        using var exporter = new TensorBoardExporter(new TensorBoardExporterOptions { LogDirectory = _directory, Registry = registry.Registry, Interval = TimeSpan.FromHours(1) });
        exporter.Export();
        first.Dispose();
        using var second = new ModelMonitor(new ModelMonitorOptions { ModelName = "m", ModelVersion = "2", Registry = registry.Registry, MeterName = registry.Meter });
        second.RecordCall(0.02);

        exporter.Export();

        // The first run's file is closed: it can be deleted (and renamed) by whoever cleans the log directory.
        string firstFile = SingleFile("m", "1");
        Assert.That(Read(firstFile).GetProperty("records").GetArrayLength(), Is.EqualTo(2));
        Assert.That(Read(SingleFile("m", "2")).GetProperty("records")[1].GetProperty("values").GetProperty("calls/total").GetDouble(), Is.EqualTo(1));
    }

    [Test]
    public void Export_DirectoryCannotBeCreated_DoesNotThrow()
    {
        using var scenario = new Scenario();
        scenario.Record();
        string blocker = Path.Combine(_directory, "a-file");
        File.WriteAllText(blocker, "not a directory");
        using var exporter = new TensorBoardExporter(new TensorBoardExporterOptions { LogDirectory = Path.Combine(blocker, "logs"), Registry = scenario.Registry, Interval = TimeSpan.FromHours(1) });

        using var listener = new ExportFailureListener();

        Assert.That(exporter.Export, Throws.Nothing);
        Assert.That(listener.Failures, Has.Some.Contains("TensorBoard"), "the failure is reported through the ModelMetrics.Reports EventSource");
    }

    [Test]
    public async Task Timer_EveryInterval_WritesAStep()
    {
        using var scenario = new Scenario();
        scenario.Record();
        using var exporter = new TensorBoardExporter(new TensorBoardExporterOptions { LogDirectory = _directory, Registry = scenario.Registry, Interval = TimeSpan.FromSeconds(1) });

        string? file = null;
        var waited = Stopwatch.StartNew();
        while (file is null && waited.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(100);
            file = Directory.Exists(Path.Combine(_directory, "fraud", "3")) ? Directory.GetFiles(Path.Combine(_directory, "fraud", "3")).SingleOrDefault() : null;
        }

        Assert.That(file, Is.Not.Null, "the timer wrote within 20 s");
        Assert.That(Path.GetFileName(file), Does.StartWith("events.out.tfevents."));
    }

    [Test]
    public void Options_Invalid_ThrowNamingTheOption()
    {
        Assert.That(() => new TensorBoardExporter(new TensorBoardExporterOptions()), Throws.ArgumentException.With.Property("ParamName").EqualTo("LogDirectory"));
        Assert.That(() => new TensorBoardExporter(new TensorBoardExporterOptions { LogDirectory = _directory, Interval = TimeSpan.FromMilliseconds(10) }), Throws.ArgumentException.With.Property("ParamName").EqualTo("Interval"));
    }

    private string SingleFile(string model, string version)
    {
        string[] files = Directory.GetFiles(Path.Combine(_directory, model, version));
        Assert.That(files, Has.Length.EqualTo(1));
        Assert.That(Path.GetFileName(files[0]), Does.Match(@"^events\.out\.tfevents\.\d{10}\..+\.\d+\.\d+$"));
        return files[0];
    }

    private static JsonElement Read(string path)
    {
        const string Python = "/usr/bin/python3";
        if (!File.Exists(Python))
        {
            Assert.Ignore("Debian's python3 is needed to read the event files: install with: apt-get install python3 python3-protobuf python3-crc32c");
        }

        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(TestContext.CurrentContext.TestDirectory, "TensorBoard", "read_tfevents.py"));
        start.ArgumentList.Add(path);
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        string error = process.StandardError.ReadToEnd();
        Assert.That(process.WaitForExit(60_000), Is.True, "python finished within 60 s");
        if (error.Contains("ModuleNotFoundError", StringComparison.Ordinal))
        {
            Assert.Ignore("python3-protobuf and python3-crc32c are needed to read the event files: install with: apt-get install python3-protobuf python3-crc32c (" + error.Trim() + ")");
        }

        Assert.That(process.ExitCode, Is.Zero, error);
        return JsonDocument.Parse(output.Result).RootElement.Clone();
    }
}

/// <summary>Collects the ModelMetrics.Reports EventSource's export failures (event 80).</summary>
internal sealed class ExportFailureListener : System.Diagnostics.Tracing.EventListener
{
    public System.Collections.Concurrent.ConcurrentQueue<string> Failures { get; } = new();

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource eventSource)
    {
        if (eventSource.Name == "ModelMetrics.Reports")
        {
            EnableEvents(eventSource, System.Diagnostics.Tracing.EventLevel.Warning);
        }
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs eventData)
    {
        if (eventData.EventId == 80)
        {
            Failures.Enqueue(string.Join(" ", eventData.Payload ?? []));
        }
    }
}
