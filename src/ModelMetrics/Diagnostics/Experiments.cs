// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

namespace ModelMetrics.Diagnostics;

/// <summary>
/// The diagnostic ids of <see cref="System.Diagnostics.CodeAnalysis.ExperimentalAttribute"/> surface: public API that
/// may still change before it is declared stable. Using it is a warning (an error with warnings as errors) until
/// suppressed, as Microsoft.Extensions.AI does for its unsettled surface.
/// </summary>
internal static class Experiments
{
    /// <summary>The monitor registry: its shape may grow with rules, reports and health checks.</summary>
    public const string Registry = "MMEXP001";
}
