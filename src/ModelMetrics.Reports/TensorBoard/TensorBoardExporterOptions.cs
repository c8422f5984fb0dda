// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics.CodeAnalysis;

namespace ModelMetrics.Reports;

/// <summary>Options of a <see cref="TensorBoardExporter"/>.</summary>
public sealed class TensorBoardExporterOptions
{
    /// <summary>Gets or sets the log directory (what <c>tensorboard --logdir</c> is given); created if missing.</summary>
    /// <value>Required.</value>
    public string LogDirectory { get; set; } = string.Empty;

    /// <summary>Gets or sets how often a step is written for every monitor.</summary>
    /// <value>The default value is 30 seconds; 1 second to 1 day.</value>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets the registry whose monitors are written (one run directory per model version).</summary>
    /// <value>The default value is <see cref="ModelMonitorRegistry.Default"/>.</value>
    [Experimental("MMEXP001")]
    public ModelMonitorRegistry Registry { get; set; } = ModelMonitorRegistry.Default;

    /// <summary>Gets or sets a resource monitor whose process figures go to a run named <c>_resources</c>.</summary>
    /// <value>The default value is <see langword="null"/>: no resources run.</value>
    public ResourceMonitor? Resources { get; set; }

    /// <summary>Gets or sets the clock of the interval and of the events' wall time and step.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal TensorBoardExporterOptions Validated()
    {
        if (string.IsNullOrWhiteSpace(LogDirectory))
        {
            throw new ArgumentException("The log directory is required.", nameof(LogDirectory));
        }

        if (Interval < TimeSpan.FromSeconds(1) || Interval > TimeSpan.FromDays(1))
        {
            throw new ArgumentException("The interval must be from 1 second to 1 day.", nameof(Interval));
        }

        if (Registry is null)
        {
            throw new ArgumentException("The registry must not be null.", nameof(Registry));
        }

        if (TimeProvider is null)
        {
            throw new ArgumentException("The time provider must not be null.", nameof(TimeProvider));
        }

        return new TensorBoardExporterOptions { LogDirectory = LogDirectory, Interval = Interval, Registry = Registry, Resources = Resources, TimeProvider = TimeProvider };
    }
}
