// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using ModelMetrics;
using ModelMetrics.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="ModelRuleSet"/> that runs with the host.</summary>
public static class ModelRuleSetServiceCollectionExtensions
{
    /// <summary>
    /// Adds a singleton <see cref="ModelRuleSet"/> configured by <paramref name="configure"/>, and a hosted service that
    /// creates it when the host starts (so its timer starts then, and invalid options fail the start-up), logs its state
    /// changes and maintenance actions through <c>ILogger</c>, and stops it — cancelling running actions — when the host stops.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the rules, objectives and actions. The meter factory defaults to the host's <see cref="IMeterFactory"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddModelRuleSet(this IServiceCollection services, Action<ModelRuleSetOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.TryAddSingleton(provider =>
        {
            var options = new ModelRuleSetOptions { MeterFactory = provider.GetService<IMeterFactory>() };
            configure(options);
            return new ModelRuleSet(options);
        });
        services.AddHostedService<ModelRuleSetHostedService>();
        return services;
    }
}
