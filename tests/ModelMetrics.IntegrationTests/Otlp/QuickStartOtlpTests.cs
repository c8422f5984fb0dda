// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using NUnit.Framework;

namespace ModelMetrics.IntegrationTests.Otlp;

/// <summary>
/// The main job, the quick start, exports over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set: what its last
/// export carries equals the totals it prints when it is done (the provider's final export follows the summary).
/// </summary>
[TestFixture]
public partial class QuickStartOtlpTests
{
    private static readonly TimeSpan RunLimit = TimeSpan.FromSeconds(120);

    [Test]
    public async Task QuickStart_WithOtlpEndpoint_LastExportEqualsPrintedTotals()
    {
        await using OtlpReceiver receiver = await OtlpReceiver.StartAsync();
        string output = await RunQuickStartAsync(new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.GrpcBaseUrl.ToString(),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
        });

        Match done = DoneLine().Match(output);
        Match quality = QualityLine().Match(output);
        Assert.That(done.Success && quality.Success, Is.True, $"the quick start's summary is missing:{Environment.NewLine}{output}");
        long calls = Number(done.Groups["calls"].Value);
        long failed = Number(done.Groups["failed"].Value);
        long labelled = Number(quality.Groups["labelled"].Value);

        await receiver.WaitForAsync(e => e.ForModel("iris-softmax").All.Count > 0, "the quick start's model");
        ModelPoints last = receiver.Received.Last(e => e.ForModel("iris-softmax").All.Count > 0).ForModel("iris-softmax");
        Assert.Multiple(() =>
        {
            Assert.That(calls, Is.GreaterThan(1000), "the quick start served traffic");
            Assert.That(last.Named("model.inference.calls").Sum(p => p.Value), Is.EqualTo(calls));
            Assert.That(last.Named("model.inference.calls").Where(p => p.Attribute("error.type") is not null).Sum(p => p.Value), Is.EqualTo(failed));
            Assert.That(last.Named("model.inference.calls").Select(p => p.Attribute("error.type")), Is.SupersetOf(new[] { "timeout", "System.InvalidOperationException" }));
            Assert.That(last.Value("model.inference.duration.count"), Is.EqualTo(calls));
            Assert.That(last.Named("model.classification.confusion").Sum(p => p.Value), Is.EqualTo(labelled));
            Assert.That(last.Value("model.inference.active_calls"), Is.Zero);
        });
    }

    /// <summary>
    /// What the quick start claims: its recent values come from the monitor's 2-second window, so after the concept
    /// drift halfway the recent accuracy falls to the drifted level within 2 to 3 seconds while the cumulative one
    /// lags behind (both read from one window concept: latency, failures and quality alike).
    /// </summary>
    [Test]
    public async Task QuickStart_AfterDrift_RecentAccuracyFallsWhileCumulativeLags()
    {
        string output = await RunQuickStartAsync(new Dictionary<string, string>(), seconds: 8);
        string[] lines = output.Split('\n');
        int drift = Array.FindIndex(lines, l => l.Contains("concept drift", StringComparison.Ordinal));
        Assert.That(drift, Is.GreaterThan(0), output);
        (double Recent, double All)[] before = [.. lines[..drift].Select(l => AccuracyLine().Match(l)).Where(m => m.Success).Select(Accuracies)];
        (double Recent, double All)[] after = [.. lines[drift..].Select(l => AccuracyLine().Match(l)).Where(m => m.Success).Select(Accuracies)];
        Assert.That(before, Is.Not.Empty, output);
        Assert.That(after, Has.Length.GreaterThanOrEqualTo(3), output);
        Assert.Multiple(() =>
        {
            // Before the drift the data does not change: recent and cumulative agree.
            Assert.That(before[^1].Recent, Is.EqualTo(before[^1].All).Within(1.5), "before the drift");

            // Two to three seconds after it, the 2-second window holds only drifted traffic: at the level it stays at.
            Assert.That(after[2].Recent, Is.EqualTo(after[^1].Recent).Within(3), "recent accuracy reached the drifted level within 3 s");
            Assert.That(after[2].Recent, Is.LessThan(before[^1].Recent - 10), "recent accuracy fell");

            // The cumulative accuracy still holds the good half of the run: visibly higher than the recent one.
            Assert.That(after[^1].All, Is.GreaterThan(after[^1].Recent + 5), "cumulative lags behind");
        });
    }

    private static (double Recent, double All) Accuracies(Match m) =>
        (double.Parse(m.Groups["recent"].Value, CultureInfo.InvariantCulture), double.Parse(m.Groups["all"].Value, CultureInfo.InvariantCulture));

    private static async Task<string> RunQuickStartAsync(IReadOnlyDictionary<string, string> environment, int seconds = 2)
    {
        // Invariant culture, so that the printed numbers parse the same everywhere.
        var variables = new Dictionary<string, string>(environment) { ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "true" };
        (int exitCode, string output) = await ChildProcess.RunAsync("dotnet", [QuickStartAssembly(), "--seconds", seconds.ToString(CultureInfo.InvariantCulture)], RunLimit, variables);
        Assert.That(exitCode, Is.Zero, output);
        return output;
    }

    private static string QuickStartAssembly()
    {
        string path = typeof(QuickStartOtlpTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "QuickStartAssembly").Value!;
        Assert.That(path, Does.Exist, "the quick start is built before the tests (project reference)");
        return path;
    }

    private static long Number(string printed) => long.Parse(printed, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Done after [\d.]+ s: (?<calls>[\d,]+) calls .*?, (?<failed>[\d,]+) failed")]
    private static partial Regex DoneLine();

    [GeneratedRegex(@"quality of all (?<labelled>[\d,]+) labelled predictions")]
    private static partial Regex QualityLine();

    [GeneratedRegex(@"accuracy (?<recent>[\d.]+) ?% \(all (?<all>[\d.]+) ?%\)")]
    private static partial Regex AccuracyLine();
}
