// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.IO;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace ModelMetrics.Reports;

/// <summary>
/// A report of every monitor of a registry: one self-contained HTML page (inline CSS and SVG charts, nothing fetched
/// from anywhere, readable without colour) or the same figures as JSON. Each call reads fresh snapshots.
/// </summary>
/// <remarks>
/// Per model: calls, errors by type and the error ratio per window; the latency distribution and its quantiles per
/// window; for classifiers the scores per window, per-class precision, recall, F1 and support, and the confusion
/// matrix as a heat map; regression errors; drift (PSI); delayed-label status; CPU time per call; LLM figures. Plus
/// the process's resources when <see cref="ModelMetricsReportOptions.Resources"/> is set. Thread-safe.
/// </remarks>
public sealed class ModelMetricsReport
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly ModelMetricsReportOptions _options;

    /// <summary>Initializes a report of the monitors of <see cref="ModelMonitorRegistry.Default"/>.</summary>
    public ModelMetricsReport()
        : this(new ModelMetricsReportOptions())
    {
    }

    /// <summary>Initializes a report with <paramref name="options"/> (copied: later changes to them have no effect).</summary>
    /// <param name="options">What the report reads and how it is titled.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is invalid; <see cref="ArgumentException.ParamName"/> names it.</exception>
    public ModelMetricsReport(ModelMetricsReportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validated();
    }

    /// <summary>Returns the page as a static HTML document (no script).</summary>
    /// <returns>The HTML document.</returns>
    public string ToHtml() => ToHtml(TimeSpan.Zero);

    /// <summary>
    /// Returns the page as an HTML document which, with a positive <paramref name="refreshInterval"/>, fetches a fresh
    /// copy of itself from its own address every interval and swaps in its figures (what the live endpoint serves).
    /// </summary>
    /// <param name="refreshInterval"><see cref="TimeSpan.Zero"/> for a static page, or 1 second to 1 hour.</param>
    /// <returns>The HTML document.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="refreshInterval"/> is negative, below 1 second or above 1 hour.</exception>
    public string ToHtml(TimeSpan refreshInterval)
    {
        if (refreshInterval != TimeSpan.Zero && (refreshInterval < TimeSpan.FromSeconds(1) || refreshInterval > TimeSpan.FromHours(1)))
        {
            throw new ArgumentOutOfRangeException(nameof(refreshInterval), refreshInterval, "The refresh interval must be zero (static) or from 1 second to 1 hour.");
        }

        return HtmlReportWriter.Render(ReportData.Read(_options), refreshInterval);
    }

    /// <summary>Returns the report's figures as JSON (UTF-8 text; durations in seconds, ratios from 0 to 1).</summary>
    /// <returns>The JSON document.</returns>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        WriteJson(stream);
        return Utf8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    /// <summary>Writes the report's figures as UTF-8 JSON to <paramref name="utf8Json"/>.</summary>
    /// <param name="utf8Json">The stream written (left open).</param>
    /// <exception cref="ArgumentNullException"><paramref name="utf8Json"/> is <see langword="null"/>.</exception>
    public void WriteJson(Stream utf8Json)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        JsonReportWriter.Write(utf8Json, ReportData.Read(_options), indented: true);
    }

    /// <summary>Writes the static HTML page to the file <paramref name="path"/> (replaced if it exists; opens offline, from <c>file://</c>).</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the file is written.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    public Task WriteAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return File.WriteAllTextAsync(path, ToHtml(), Utf8, cancellationToken);
    }

    /// <summary>Writes the report's figures as JSON to the file <paramref name="path"/> (replaced if it exists).</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the file is written.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    public Task WriteJsonAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return File.WriteAllTextAsync(path, ToJson(), Utf8, cancellationToken);
    }
}
