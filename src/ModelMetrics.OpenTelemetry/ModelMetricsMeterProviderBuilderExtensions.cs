// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using ModelMetrics;
using ModelMetrics.Publishing;

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
            .AddView(
                instrument => instrument.Meter.Name == meterName && instrument.Name == "model.inference.duration"
                    ? new ExplicitBucketHistogramConfiguration { Boundaries = [.. MeterPublisher.Of(instrument.Meter)?.NativeBoundaries ?? ModelMonitorOptions.DefaultBucketBoundaries] }
                    : null);
    }
}
