// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ModelMetrics;
using ModelMetrics.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Reports the states of a <see cref="ModelRuleSet"/> as a health check.</summary>
public static class ModelRulesHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a health check over the <see cref="ModelRuleSet"/> registered with
    /// <see cref="ModelRuleSetServiceCollectionExtensions.AddModelRuleSet"/>: Healthy while every rule and objective is ok,
    /// Degraded at the worst warning, Unhealthy at the worst critical; its data names the worst rule, model, value and threshold,
    /// and describes every rule that is not ok.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The health check's name.</param>
    /// <param name="modelName">Only rules of this model (<see cref="ModelMonitor.ModelName"/>), or <see langword="null"/> for every model.</param>
    /// <param name="tags">Tags to filter health checks by (for example <c>ready</c>).</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static IHealthChecksBuilder AddModelRules(this IHealthChecksBuilder builder, string name = "model_rules", string? modelName = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return builder.Add(new HealthCheckRegistration(
            name,
            provider => new ModelRulesHealthCheck(provider.GetRequiredService<ModelRuleSet>(), modelName),
            failureStatus: HealthStatus.Unhealthy,
            tags));
    }
}
