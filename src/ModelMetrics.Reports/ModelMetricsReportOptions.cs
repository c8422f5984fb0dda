// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics.CodeAnalysis;

namespace ModelMetrics.Reports;

/// <summary>Options of a <see cref="ModelMetricsReport"/>: what it reads and how the page is titled.</summary>
public sealed class ModelMetricsReportOptions
{
    /// <summary>Gets or sets the page's title.</summary>
    /// <value>The default value is <c>ModelMetrics</c>; 1 to 200 characters.</value>
    public string Title { get; set; } = "ModelMetrics";

    /// <summary>Gets or sets the registry whose monitors the report reads (every live monitor, sorted by name and version).</summary>
    /// <value>The default value is <see cref="ModelMonitorRegistry.Default"/>.</value>
    [Experimental("MMEXP001")]
    public ModelMonitorRegistry Registry { get; set; } = ModelMonitorRegistry.Default;

    /// <summary>Gets or sets a resource monitor whose process, runtime, system, container and GPU figures the report shows.</summary>
    /// <value>The default value is <see langword="null"/>: no resources section.</value>
    public ResourceMonitor? Resources { get; set; }

    /// <summary>Gets or sets a rule set whose rules and objectives the report lists (state, value, threshold, burn rates, budget left).</summary>
    /// <value>The default value is <see langword="null"/>: no rules section.</value>
    public ModelRuleSet? Rules { get; set; }

    /// <summary>Gets or sets the clock that stamps the report.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal ModelMetricsReportOptions Validated()
    {
        if (string.IsNullOrWhiteSpace(Title) || Title.Length > 200)
        {
            throw new ArgumentException("The title must have 1 to 200 characters and not be blank.", nameof(Title));
        }

        if (Registry is null)
        {
            throw new ArgumentException("The registry must not be null.", nameof(Registry));
        }

        if (TimeProvider is null)
        {
            throw new ArgumentException("The time provider must not be null.", nameof(TimeProvider));
        }

        return new ModelMetricsReportOptions { Title = Title, Registry = Registry, Resources = Resources, Rules = Rules, TimeProvider = TimeProvider };
    }
}
