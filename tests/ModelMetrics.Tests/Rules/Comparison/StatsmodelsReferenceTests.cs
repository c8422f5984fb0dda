// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Json;
using NUnit.Framework;

namespace ModelMetrics.Tests.Rules.Comparison;

/// <summary>
/// The comparison tests against statsmodels and scipy, the references: fixed tables go to a script run with Debian's
/// <c>/usr/bin/python3</c> (<c>statsmodels.stats.contingency_tables.mcnemar</c>,
/// <c>statsmodels.stats.proportion.proportions_ztest</c>, <c>scipy.stats.norm.sf</c>, <c>scipy.stats.chi2.sf</c>) and the
/// p-values must agree to 1e-9. Without Python, statsmodels or scipy (Debian packages <c>python3-statsmodels</c>,
/// <c>python3-scipy</c>) the tests are ignored with an install hint, never passed.
/// </summary>
public class StatsmodelsReferenceTests
{
    private const string Python = "/usr/bin/python3";
    private const string InstallHint = "statsmodels or scipy not found: apt-get install python3-statsmodels python3-scipy (.ci/run installs them)";
    private const int ModulesMissing = 3;
    private const double Tolerance = 1e-9;

    // The reference: reads {"mcnemar": [[b, c, exact], …], "ztest": [[x1, n1, x2, n2], …], "norm": [z, …], "chi2": [x, …]} and
    // writes the same shape with [statistic, pvalue] pairs and tail values.
    private const string Script = """
        import json, sys
        try:
            import numpy as np
            from scipy import stats
            from statsmodels.stats.contingency_tables import mcnemar
            from statsmodels.stats.proportion import proportions_ztest
        except ImportError:
            sys.exit(3)
        q = json.load(sys.stdin)
        out = {"mcnemar": [], "ztest": [], "norm": [], "chi2": []}
        for b, c, exact in q["mcnemar"]:
            r = mcnemar([[0, b], [c, 0]], exact=bool(exact), correction=True)
            out["mcnemar"].append([float(r.statistic), float(r.pvalue)])
        for x1, n1, x2, n2 in q["ztest"]:
            z, p = proportions_ztest(np.array([x1, x2]), np.array([n1, n2]))
            out["ztest"].append([float(z), float(p)])
        out["norm"] = [float(stats.norm.sf(z)) for z in q["norm"]]
        out["chi2"] = [float(stats.chi2.sf(x, 1)) for x in q["chi2"]]
        print(json.dumps(out))
        """;

    /// <summary>Discordant counts (b, c) and whether exact: both branches, both sides of 25, ties, zeros, and the exact test far past 25.</summary>
    private static readonly (long B, long C, bool Exact)[] McNemarTables =
    [
        (0, 0, true), (1, 0, true), (0, 1, true), (3, 7, true), (10, 2, true), (12, 12, true), (5, 19, true), (0, 24, true), (11, 13, true),
        (60, 40, true), (300, 200, true), (1234, 1301, true),
        (13, 12, false), (30, 10, false), (100, 140, false), (1000, 1100, false), (5000, 3, false), (40, 60, false), (20, 20, false), (7, 30, false),
    ];

    /// <summary>(challenger correct, challenger total, champion correct, champion total): small and large, near-equal and far apart.</summary>
    private static readonly (long X1, long N1, long X2, long N2)[] ZTestTables =
    [
        (45, 100, 30, 100), (830, 1000, 800, 1000), (5, 20, 15, 25), (9000, 10000, 8950, 10000), (1, 1000, 0, 1000),
        (50_000, 100_000, 50_300, 100_000), (3, 10, 7, 10), (400, 500, 350, 520), (999, 1000, 990, 1000), (12, 50, 12, 50),
    ];

    private static readonly double[] NormalPoints = [-8, -3, -1.2, -0.5, 0, 1e-9, 0.3, 0.7, 1, 1.2247, 1.7, 1.96, 2.5, 3.3, 5, 8, 10, 20, 30];

    private static readonly double[] ChiSquarePoints = [1e-12, 1e-4, 0.001, 0.1, 0.5, 1, 1.4999, 1.5, 2, 3, 3.841458820694124, 6.6, 10, 25, 50, 200, 700];

    private static JsonElement? s_reference;

    [Test]
    public void McNemar_FixedTables_MatchStatsmodels()
    {
        JsonElement reference = Reference().GetProperty("mcnemar");
        Assert.Multiple(() =>
        {
            for (int i = 0; i < McNemarTables.Length; i++)
            {
                (long b, long c, bool exact) = McNemarTables[i];
                TestOutcome ours = ComparisonStatistics.McNemar(b, c, exact);
                double statistic = reference[i][0].GetDouble();
                double pValue = reference[i][1].GetDouble();
                Assert.That(ours.PValue, Is.EqualTo(pValue).Within(Tolerance), $"p-value of b = {b}, c = {c}, exact = {exact}");
                Assert.That(ours.Statistic, Is.EqualTo(statistic).Within(Tolerance * Math.Max(1, statistic)), $"statistic of b = {b}, c = {c}, exact = {exact}");
            }
        });
    }

    [Test]
    public void TwoProportionZ_FixedTables_MatchStatsmodels()
    {
        JsonElement reference = Reference().GetProperty("ztest");
        Assert.Multiple(() =>
        {
            for (int i = 0; i < ZTestTables.Length; i++)
            {
                (long x1, long n1, long x2, long n2) = ZTestTables[i];
                TestOutcome ours = ComparisonStatistics.TwoProportionZ(x1, n1, x2, n2);
                double z = reference[i][0].GetDouble();
                double pValue = reference[i][1].GetDouble();
                Assert.That(ours.PValue, Is.EqualTo(pValue).Within(Tolerance), $"p-value of {x1}/{n1} vs {x2}/{n2}");
                Assert.That(ours.Statistic, Is.EqualTo(z).Within(Tolerance * Math.Max(1, Math.Abs(z))), $"z of {x1}/{n1} vs {x2}/{n2}");
            }
        });
    }

    /// <summary>The tails themselves, relative to their value (down to 1e-200): tighter than the p-values need.</summary>
    [Test]
    public void Tails_MatchScipyToTwelveDigits()
    {
        JsonElement normal = Reference().GetProperty("norm");
        JsonElement chiSquare = Reference().GetProperty("chi2");
        Assert.Multiple(() =>
        {
            for (int i = 0; i < NormalPoints.Length; i++)
            {
                double expected = normal[i].GetDouble();
                Assert.That(ComparisonStatistics.NormalSurvival(NormalPoints[i]), Is.EqualTo(expected).Within(1e-12 * expected), $"norm.sf({NormalPoints[i]})");
            }

            for (int i = 0; i < ChiSquarePoints.Length; i++)
            {
                double expected = chiSquare[i].GetDouble();
                Assert.That(ComparisonStatistics.ChiSquare1Survival(ChiSquarePoints[i]), Is.EqualTo(expected).Within(1e-12 * expected), $"chi2.sf({ChiSquarePoints[i]}, 1)");
            }
        });
    }

    /// <summary>The public entry point picks the exact test below 25 discordant pairs and χ² from 25 on, with statsmodels' p-values.</summary>
    [Test]
    public void CompareShadow_PicksTestByDiscordantCount_WithStatsmodelsPValues()
    {
        JsonElement reference = Reference().GetProperty("mcnemar");
        ChallengerComparison below = ChallengerComparison.CompareShadow(new PairedOutcomes(500, 5, 19, 100));
        ChallengerComparison from = ChallengerComparison.CompareShadow(new PairedOutcomes(500, 13, 12, 100));

        Assert.Multiple(() =>
        {
            Assert.That(below.Test, Is.EqualTo(ComparisonTest.McNemarExact));
            Assert.That(below.PValue, Is.EqualTo(reference[Array.IndexOf(McNemarTables, (5L, 19L, true))][1].GetDouble()).Within(Tolerance));
            Assert.That(from.Test, Is.EqualTo(ComparisonTest.McNemarChiSquare));
            Assert.That(from.PValue, Is.EqualTo(reference[Array.IndexOf(McNemarTables, (13L, 12L, false))][1].GetDouble()).Within(Tolerance));
        });
    }

    private static JsonElement Reference()
    {
        if (s_reference is JsonElement cached)
        {
            return cached;
        }

        if (!System.IO.File.Exists(Python))
        {
            Assert.Ignore($"{Python} not found: {InstallHint}");
        }

        var query = new StringBuilder();
        query.Append("{\"mcnemar\": [");
        query.AppendJoin(", ", McNemarTables.Select(t => FormattableString.Invariant($"[{t.B}, {t.C}, {(t.Exact ? 1 : 0)}]")));
        query.Append("], \"ztest\": [");
        query.AppendJoin(", ", ZTestTables.Select(t => FormattableString.Invariant($"[{t.X1}, {t.N1}, {t.X2}, {t.N2}]")));
        query.Append("], \"norm\": [");
        query.AppendJoin(", ", NormalPoints.Select(z => z.ToString("R", CultureInfo.InvariantCulture)));
        query.Append("], \"chi2\": [");
        query.AppendJoin(", ", ChiSquarePoints.Select(x => x.ToString("R", CultureInfo.InvariantCulture)));
        query.Append("]}");

        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        using Process process = Process.Start(start)!;
        process.StandardInput.Write(query.ToString());
        process.StandardInput.Close();
        System.Threading.Tasks.Task<string> output = process.StandardOutput.ReadToEndAsync();
        System.Threading.Tasks.Task<string> errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the statsmodels reference script did not finish within 60 s");
        }

        if (process.ExitCode == ModulesMissing)
        {
            Assert.Ignore(InstallHint);
        }

        Assert.That(process.ExitCode, Is.Zero, () => $"the reference script failed: {errors.Result}");
        JsonElement reference = JsonDocument.Parse(output.Result).RootElement.Clone();
        s_reference = reference;
        return reference;
    }
}
