// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

namespace ModelMetrics.Hosting;

/// <summary>One monitor added by <c>AddModelMonitor</c>: its service key, and the configuration path it was bound from.</summary>
internal sealed class ModelMonitorRegistration
{
    public ModelMonitorRegistration(string name, string? configurationPath)
    {
        Name = name;
        ConfigurationPath = configurationPath;
    }

    /// <summary>Gets the service key, also the default model name.</summary>
    public string Name { get; }

    /// <summary>Gets the path of the bound configuration section; <see langword="null"/> when the options come from code only.</summary>
    public string? ConfigurationPath { get; }
}
