// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using ModelMetrics.Signals;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Features;

/// <summary>
/// Input drift against SciPy on the raw data: each test draws seeded samples, records the window into a monitor whose
/// reference is the other sample, writes both samples and the bins the monitor used to a file, and runs a SciPy script
/// (written by the test) with Debian's <c>/usr/bin/python3</c>. Without Python or SciPy (<c>python3-scipy</c>) the tests
/// are ignored with an install hint, never passed.
/// </summary>
public class FeaturesSciPyReferenceTests
{
    private const string Python = "/usr/bin/python3";
    private const string InstallHint = "SciPy not found: apt-get install python3-scipy (.ci/run installs it)";
    private const int SciPyMissing = 3;
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(60);

    private const string Script = """
        import json, sys
        try:
            import numpy as np
            from scipy import stats
            from scipy.spatial import distance
        except ImportError as e:
            print(e, file=sys.stderr)
            sys.exit(3)
        data = json.load(open(sys.argv[1]))
        result = {}
        if data["kind"] == "numeric":
            ref = np.array(data["reference"]); win = np.array(data["window"])
            edges = np.array(data["edges"])
            ref_bins = np.bincount(np.searchsorted(edges, ref, side="right"), minlength=len(edges) + 1)
            win_bins = np.bincount(np.searchsorted(edges, win, side="right"), minlength=len(edges) + 1)
            result["ks"] = float(stats.ks_2samp(ref, win).statistic)
            result["wasserstein"] = float(stats.wasserstein_distance(ref, win))
            result["jensen_shannon"] = float(distance.jensenshannon(win_bins / win_bins.sum(), ref_bins / ref_bins.sum(), base=2))
            result["window_bins"] = [int(c) for c in win_bins]
        else:
            table = np.array([data["reference_counts"], data["window_counts"]])
            table = table[:, table.sum(axis=0) > 0]
            chi2, p, dof, _ = stats.chi2_contingency(table, correction=False)
            result["chi_square"] = float(chi2); result["p_value"] = float(p); result["dof"] = int(dof)
            ref = np.array(data["reference_counts"], dtype=float); win = np.array(data["window_counts"], dtype=float)
            result["jensen_shannon"] = float(distance.jensenshannon(win / win.sum(), ref / ref.sum(), base=2))
        print(json.dumps(result))
        """;

    public static readonly object[] NumericCases =
    [
        new object[] { "normal shifted by 0.2", FeatureData.Normal(101, 20_000), FeatureData.Normal(102, 5_000, mean: 0.2) },
        new object[] { "normal widened 1.5x", FeatureData.Normal(103, 20_000, mean: 10), FeatureData.Normal(104, 5_000, mean: 10, deviation: 1.5) },
        new object[] { "log-normal scaled 1.25x", FeatureData.LogNormal(105, 20_000), FeatureData.LogNormal(106, 5_000, scale: 1.25) },
        new object[] { "bimodal reweighted", FeatureData.Bimodal(107, 20_000), FeatureData.Bimodal(108, 5_000, firstWeight: 0.3) },
        new object[] { "same normal", FeatureData.Normal(109, 20_000), FeatureData.Normal(110, 5_000) },
    ];

    [TestCaseSource(nameof(NumericCases))]
    public async Task Numeric_KsJensenShannonWasserstein_MatchSciPyWithinTheSketchError(string name, double[] reference, double[] window)
    {
        using ModelMonitor monitor = FeaturesTests.NewMonitor([FeatureDefinition.Numeric(name)]);
        monitor.Features!.SetReference(reference.Select(v => new[] { v }));
        foreach (double v in window)
        {
            monitor.RecordFeatures([v]);
        }

        FeatureDriftSnapshot drift = monitor.GetSnapshot().Recent.Features![0].Drift!;
        JsonElement scipy = await RunSciPyAsync(new { kind = "numeric", reference, window, edges = drift.BinEdges });

        // The stated bounds: KS within the largest share of either sample in one bucket; W1 within 1/64 of each side's
        // mean absolute value (plus the zero bucket's half-width 2^-20 each).
        double ksBound = Math.Max(LargestBucketShare(reference), LargestBucketShare(window));
        double w1Bound = (FeatureLayout.MaxRelativeError * (reference.Average(Math.Abs) + window.Average(Math.Abs))) + (2 * Math.Pow(2, FeatureLayout.MinExponent));
        Assert.Multiple(() =>
        {
            Assert.That(drift.KolmogorovSmirnov!.Value, Is.EqualTo(scipy.GetProperty("ks").GetDouble()).Within(ksBound), "ks_2samp");
            Assert.That(drift.Wasserstein!.Value, Is.EqualTo(scipy.GetProperty("wasserstein").GetDouble()).Within(w1Bound), "wasserstein_distance");
            Assert.That(drift.JensenShannon, Is.EqualTo(scipy.GetProperty("jensen_shannon").GetDouble()).Within(1e-12), "jensenshannon on the same bins: exact");
            Assert.That(drift.BinCounts, Is.EqualTo(scipy.GetProperty("window_bins").EnumerateArray().Select(e => e.GetInt64())), "the bins count the raw values exactly");
            Assert.That(ksBound, Is.LessThan(0.1), "a bucket holds at most a tenth of these samples (the README: centre a feature whose spread is small beside its magnitude)");
        });
    }

    [Test]
    public async Task Categorical_ChiSquareAndPValue_EqualSciPysChi2Contingency_WithANewCategory()
    {
        FeatureDefinition country = FeatureDefinition.Categorical("country", ["fr", "de", "it", "es"]);
        using ModelMonitor monitor = FeaturesTests.NewMonitor([country]);
        double[] reference = FeatureData.Categories(201, 4_000, 0.4, 0.3, 0.2, 0.1);
        double[] window = FeatureData.Categories(202, 1_500, 0.35, 0.3, 0.2, 0.1, 0.05);   // index 4: a new, undeclared category
        monitor.Features!.SetReference(reference.Select(v => new[] { v }));
        foreach (double v in window)
        {
            monitor.RecordFeatures([v == 4 ? country.ValueOf("pt") : v]);
        }

        FeatureSnapshot feature = monitor.GetSnapshot().Recent.Features![0];
        FeatureDriftSnapshot drift = feature.Drift!;
        long[] referenceCounts = [.. Enumerable.Range(0, 5).Select(c => (long)reference.Count(v => v == c))];
        JsonElement scipy = await RunSciPyAsync(new { kind = "categorical", reference_counts = referenceCounts, window_counts = feature.CategoryCounts });

        Assert.Multiple(() =>
        {
            Assert.That(feature.CategoryCounts![4], Is.Positive, "the new category is counted as _OTHER");
            Assert.That(drift.ChiSquare!.Value, Is.EqualTo(scipy.GetProperty("chi_square").GetDouble()).Within(1e-9).Percent, "chi2_contingency statistic");
            Assert.That(drift.ChiSquarePValue!.Value, Is.EqualTo(scipy.GetProperty("p_value").GetDouble()).Within(1e-7).Percent, "chi2_contingency p-value");
            Assert.That(drift.JensenShannon, Is.EqualTo(scipy.GetProperty("jensen_shannon").GetDouble()).Within(1e-12));
        });
    }

    /// <summary>The largest share of a sample's values in one bucket of the layout.</summary>
    private static double LargestBucketShare(double[] values) =>
        values.GroupBy(FeatureLayout.IndexOf).Max(g => g.Count()) / (double)values.Length;

    private static async Task<JsonElement> RunSciPyAsync(object input)
    {
        if (!File.Exists(Python))
        {
            Assert.Ignore(InstallHint);
        }

        string directory = Path.Combine(Path.GetTempPath(), $"features-scipy-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        string script = Path.Combine(directory, "features_reference.py");
        string inputFile = Path.Combine(directory, "input.json");
        await File.WriteAllTextAsync(script, Script);
        await File.WriteAllTextAsync(inputFile, JsonSerializer.Serialize(input));
        try
        {
            var info = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            info.ArgumentList.Add(script);
            info.ArgumentList.Add(inputFile);
            using Process process = Process.Start(info)!;
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            using (var cancel = new CancellationTokenSource(ScriptTimeout))
            {
                try
                {
                    await process.WaitForExitAsync(cancel.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync(CancellationToken.None);
                    Assert.Fail($"{Python} {script} did not finish within {ScriptTimeout}; killed. {await stderr}");
                }
            }

            string output = await stdout;
            string errors = await stderr;
            if (process.ExitCode == SciPyMissing)
            {
                Assert.Ignore($"{InstallHint}. {errors.Trim()}");
            }

            Assert.That(process.ExitCode, Is.Zero, $"{Python} {script} failed:\n{errors}");
            using JsonDocument document = JsonDocument.Parse(output);
            return document.RootElement.Clone();
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
