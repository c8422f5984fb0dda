// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.IO;
using System.Threading.Tasks;
using NUnit.Framework;

namespace ModelMetrics.IntegrationTests.Prometheus;

/// <summary>
/// Finds the Prometheus binaries (Debian package <c>prometheus</c>), runs promtool, and locates the shipped
/// files that the test project copies next to the tests.
/// </summary>
internal static class PrometheusTools
{
    /// <summary>Gets the folder of the shipped rules file and its unit tests.</summary>
    public static string ShippedPrometheus { get; } = Path.Combine(AppContext.BaseDirectory, "Shipped", "prometheus");

    /// <summary>Gets the shipped recording rules.</summary>
    public static string RulesFile { get; } = Path.Combine(ShippedPrometheus, "modelmetrics.rules.yml");

    /// <summary>Gets the promtool unit tests of <see cref="RulesFile"/>.</summary>
    public static string RulesTestFile { get; } = Path.Combine(ShippedPrometheus, "modelmetrics.rules.test.yml");

    /// <summary>Gets the shipped Grafana dashboard.</summary>
    public static string DashboardFile { get; } = Path.Combine(AppContext.BaseDirectory, "Shipped", "grafana", "modelmetrics-dashboard.json");

    /// <summary>
    /// The path of <paramref name="tool"/> ("prometheus" or "promtool"); ignores the calling test when it is not
    /// installed, so a machine without Prometheus reports the tests as skipped, never as passed.
    /// </summary>
    public static string Require(string tool)
    {
        string? path = Find(tool);
        if (path is null)
        {
            string name = tool == "prometheus" ? "Prometheus" : tool;
            Assert.Ignore($"{name} not found: install it with `apt-get install prometheus` (Debian/Ubuntu); .ci/run does this.");
        }

        return path!;
    }

    /// <summary>Runs promtool with <paramref name="arguments"/> in <see cref="ShippedPrometheus"/>; kills it after <paramref name="timeout"/>.</summary>
    public static Task<(int ExitCode, string Output)> RunPromtoolAsync(IEnumerable<string> arguments, TimeSpan timeout) =>
        ChildProcess.RunAsync(Require("promtool"), arguments, timeout, workingDirectory: ShippedPrometheus);

    private static string? Find(string tool)
    {
        // The Debian package installs into /usr/bin; a hand-installed release is usually on PATH.
        var folders = new List<string> { "/usr/bin" };
        folders.AddRange((Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        foreach (string folder in folders)
        {
            string candidate = Path.Combine(folder, tool);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
