// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using ModelMetrics;
using ModelMetrics.Publishing;
using ModelMetrics.Signals;

namespace OpenTelemetry.Metrics;

/// <summary>Adds ModelMetrics to an OpenTelemetry <see cref="MeterProviderBuilder"/>.</summary>
public static class ModelMetricsMeterProviderBuilderExtensions
{
    /// <summary>
    /// Subscribes the meter provider to the ModelMetrics meter, so that every <see cref="ModelMonitor"/>
    /// publishing to it is exported, and gives the optional native <c>model.inference.duration</c>
    /// histogram the bucket boundaries of the monitors that enabled it (<see cref="ModelMonitorOptions.BucketBoundaries"/>),
    /// the same as the published <c>le</c> counters.
    /// </summary>
    /// <param name="builder">The meter provider builder.</param>
    /// <param name="meterName">The meter name monitors publish to (<see cref="ModelMonitorOptions.MeterName"/>).</param>
    /// <returns>The builder, for chaining.</returns>
    public static MeterProviderBuilder AddModelMetrics(this MeterProviderBuilder builder, string meterName = ModelMonitorOptions.DefaultMeterName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(meterName);

        return builder
            .AddMeter(meterName)
            .AddView(instrument => instrument.Meter.Name == meterName ? Boundaries(instrument) : null);
    }

    /// <summary>
    /// The bucket boundaries of ModelMetrics' synchronous histograms: the native duration histogram's are the monitors'
    /// <see cref="ModelMonitorOptions.BucketBoundaries"/>; the GenAI convention histograms' are the conventions' advised
    /// ones, which .NET 9+ instruments carry as advice but .NET 8 ones cannot (so the view sets them on both).
    /// </summary>
    private static ExplicitBucketHistogramConfiguration? Boundaries(System.Diagnostics.Metrics.Instrument instrument)
    {
        double[]? boundaries = instrument.Name switch
        {
            "model.inference.duration" => [.. MeterPublisher.Of(instrument.Meter)?.NativeBoundaries ?? ModelMonitorOptions.DefaultBucketBoundaries],
            GenAIConventions.ClientTokenUsage => Array.ConvertAll(GenAIConventions.TokenBoundaries, static b => (double)b),
            GenAIConventions.ClientOperationDuration or GenAIConventions.ClientTimeToFirstChunk or GenAIConventions.ClientTimePerOutputChunk
                or GenAIConventions.ServerRequestDuration => GenAIConventions.DurationBoundaries,
            GenAIConventions.ServerTimeToFirstToken => GenAIConventions.ServerTimeToFirstTokenBoundaries,
            GenAIConventions.ServerTimePerOutputToken => GenAIConventions.ServerTimePerOutputTokenBoundaries,
            _ => null,
        };
        return boundaries is null ? null : new ExplicitBucketHistogramConfiguration { Boundaries = boundaries };
    }
}
