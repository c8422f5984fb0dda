// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;

namespace ModelMetrics.Reports;

/// <summary>One reading of every monitor (and of the resources), which both renderers draw from.</summary>
internal sealed class ReportData
{
    public ReportData(string title, DateTimeOffset generated, IReadOnlyList<ModelMonitorSnapshot> models, ResourceSnapshot? resources, IReadOnlyList<RuleStatus>? rules = null)
    {
        Title = title;
        Generated = generated;
        Models = models;
        Resources = resources;
        Rules = rules;
    }

    public string Title { get; }

    public DateTimeOffset Generated { get; }

    public IReadOnlyList<ModelMonitorSnapshot> Models { get; }

    public ResourceSnapshot? Resources { get; }

    /// <summary>Gets the statuses of the rule set's last evaluation, or <see langword="null"/> without a rule set.</summary>
    public IReadOnlyList<RuleStatus>? Rules { get; }

    public static ReportData Read(ModelMetricsReportOptions options)
    {
        var snapshots = new List<ModelMonitorSnapshot>();
        foreach (ModelMonitor monitor in options.Registry.Monitors)
        {
            snapshots.Add(monitor.GetSnapshot());
        }

        // Stable order whatever the order monitors joined in: a refreshed page does not shuffle its sections.
        snapshots.Sort(static (a, b) =>
        {
            int byName = string.CompareOrdinal(a.ModelName, b.ModelName);
            return byName != 0 ? byName : string.CompareOrdinal(a.ModelVersion, b.ModelVersion);
        });
        return new ReportData(options.Title, options.TimeProvider.GetUtcNow(), snapshots, options.Resources?.GetSnapshot(), options.Rules?.Statuses);
    }
}

/// <summary>How the report writes numbers: invariant culture, fixed decimals, so a reader (or a test) knows what to expect.</summary>
internal static class Format
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>A count with thousands separators: 12,345.</summary>
    public static string Count(long value) => value.ToString("N0", Invariant);

    /// <summary>Seconds shown as milliseconds with 3 decimals.</summary>
    public static string Milliseconds(double seconds) => (seconds * 1000).ToString("F3", Invariant);

    /// <summary>Seconds with 3 decimals.</summary>
    public static string Seconds(double seconds) => seconds.ToString("F3", Invariant);

    /// <summary>A ratio (accuracy, F1, error ratio, PSI, share) with 4 decimals.</summary>
    public static string Ratio(double value) => value.ToString("F4", Invariant);

    /// <summary>A rate (per second) or other plain figure with 2 decimals.</summary>
    public static string Decimal2(double value) => value.ToString("F2", Invariant);

    /// <summary>Bytes as MiB with 1 decimal.</summary>
    public static string Mebibytes(long bytes) => (bytes / 1048576.0).ToString("F1", Invariant);

    /// <summary>A window's length for people: 30 s, 5 min, 1 h, 7 d.</summary>
    public static string Window(TimeSpan window)
    {
        long seconds = (long)window.TotalSeconds;
        return seconds % 86400 == 0 ? (seconds / 86400).ToString(Invariant) + " d"
            : seconds % 3600 == 0 ? (seconds / 3600).ToString(Invariant) + " h"
            : seconds % 60 == 0 ? (seconds / 60).ToString(Invariant) + " min"
            : seconds.ToString(Invariant) + " s";
    }

    /// <summary>A window's key in data attributes, JSON and tags: its length in whole seconds.</summary>
    public static string WindowKey(TimeSpan window) => ((long)window.TotalSeconds).ToString(Invariant);

    /// <summary>A window's short tag: 30s, 5m, 1h, 7d.</summary>
    public static string WindowTag(TimeSpan window)
    {
        long seconds = (long)window.TotalSeconds;
        return seconds % 86400 == 0 ? (seconds / 86400).ToString(Invariant) + "d"
            : seconds % 3600 == 0 ? (seconds / 3600).ToString(Invariant) + "h"
            : seconds % 60 == 0 ? (seconds / 60).ToString(Invariant) + "m"
            : seconds.ToString(Invariant) + "s";
    }
}
