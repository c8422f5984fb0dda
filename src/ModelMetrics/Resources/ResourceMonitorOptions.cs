// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics.Metrics;

namespace ModelMetrics;

/// <summary>
/// Configures a <see cref="ResourceMonitor"/>. Every option is validated when the monitor is constructed;
/// an invalid value throws <see cref="ArgumentException"/> naming the option.
/// </summary>
public sealed class ResourceMonitorOptions
{
    /// <summary>Gets or sets the name of the <see cref="Meter"/> the resource instruments are published on.</summary>
    /// <value>A non-empty string. The default value is <see cref="ModelMonitorOptions.DefaultMeterName"/>, the meter model monitors use.</value>
    public string MeterName { get; set; } = ModelMonitorOptions.DefaultMeterName;

    /// <summary>Gets or sets the factory that creates the <see cref="Meter"/> (from dependency injection), or <see langword="null"/> for a process-wide meter.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>
    /// Gets or sets the least time between two readings. Resources are read when a collector asks (or
    /// <see cref="ResourceMonitor.GetSnapshot"/> is called); within this interval every asker gets the last reading,
    /// however many exporters collect.
    /// </summary>
    /// <value>From zero (read on every ask) to one hour. The default value is one second.</value>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Gets or sets whether the .NET runtime's figures (GC, thread pool) are published as <c>dotnet.*</c> instruments.</summary>
    /// <value>
    /// The default value is <see langword="true"/>. On .NET 9 and later the runtime's own <c>System.Runtime</c> meter
    /// publishes the same names: set this to <see langword="false"/> when you already collect that meter.
    /// </value>
    public bool IncludeRuntime { get; set; } = true;

    /// <summary>Gets or sets whether NVIDIA GPUs are read through NVML (<c>libnvidia-ml.so.1</c>, <c>nvml.dll</c>) when the library is present.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool IncludeGpu { get; set; } = true;

    /// <summary>Gets or sets the path of the NVML library, or <see langword="null"/> to look it up by its usual names.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? NvmlLibraryPath { get; set; }

    /// <summary>Gets or sets the clock the interval and the utilisations are measured with.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
