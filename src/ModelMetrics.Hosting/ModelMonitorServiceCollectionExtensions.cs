// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;
using System.Linq;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using ModelMetrics;
using ModelMetrics.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="ModelMonitor"/> instances as keyed singletons, with options from code or configuration.</summary>
public static class ModelMonitorServiceCollectionExtensions
{
    private const string BindingRequirement = "Binds ModelMonitorOptions from configuration by reflection, as ConfigurationBinder does; use AddModelMonitor(name, configure) when trimming.";

    /// <summary>
    /// Adds a singleton <see cref="ModelMonitor"/> keyed by <paramref name="name"/> (and, for the first monitor added, the
    /// unkeyed <see cref="ModelMonitor"/> service) with default options, named <paramref name="name"/>, publishing on the
    /// host's <see cref="IMeterFactory"/>, and a hosted service that creates every monitor when the host starts.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The service key and options name; also the <see cref="ModelMonitorOptions.ModelName"/>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, or a monitor of that name was already added.</exception>
    public static IServiceCollection AddModelMonitor(this IServiceCollection services, string name) =>
        AddModelMonitorCore(services, name, configurationPath: null, bind: null);

    /// <summary>
    /// Adds a singleton <see cref="ModelMonitor"/> keyed by <paramref name="name"/> (and, for the first monitor added, the
    /// unkeyed <see cref="ModelMonitor"/> service), with named <see cref="ModelMonitorOptions"/> of the same name, and a
    /// hosted service that creates every monitor when the host starts, so invalid options fail the start-up.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The service key and options name; also the default <see cref="ModelMonitorOptions.ModelName"/>.</param>
    /// <param name="configure">
    /// Sets the options; <see cref="ModelMonitorOptions.ModelName"/> defaults to <paramref name="name"/> and
    /// <see cref="ModelMonitorOptions.MeterFactory"/> to the host's <see cref="IMeterFactory"/>.
    /// </param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, or a monitor of that name was already added.</exception>
    public static IServiceCollection AddModelMonitor(this IServiceCollection services, string name, Action<ModelMonitorOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return AddModelMonitorCore(services, name, configurationPath: null, configure);
    }

    /// <summary>
    /// Adds a singleton <see cref="ModelMonitor"/> keyed by <paramref name="name"/> (and, for the first monitor added, the
    /// unkeyed <see cref="ModelMonitor"/> service), with options bound from <paramref name="configuration"/> (for example
    /// <c>configuration.GetSection("ModelMetrics:Models:fraud")</c>), and a hosted service that creates every monitor when
    /// the host starts: an invalid or unknown option fails the start-up with an error naming its configuration key.
    /// </summary>
    /// <remarks>
    /// The section binds the scalar options by name (<c>ModelVersion</c>, <c>LatencyPrecision</c>, <c>Windows</c> as
    /// time spans such as <c>"00:05:00"</c>, <c>ClassLabels</c>, <c>BucketBoundaries</c>, …); a list in the section
    /// replaces the default list. Options that are objects (a meter factory, a time provider, features) are set in code
    /// after the binding: <c>services.Configure&lt;ModelMonitorOptions&gt;(name, o =&gt; …)</c>.
    /// </remarks>
    /// <param name="services">The services.</param>
    /// <param name="name">The service key and options name; also the default <see cref="ModelMonitorOptions.ModelName"/>.</param>
    /// <param name="configuration">The section holding this monitor's options.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty, or a monitor of that name was already added.</exception>
    [RequiresUnreferencedCode(BindingRequirement)]
    [RequiresDynamicCode(BindingRequirement)]
    public static IServiceCollection AddModelMonitor(this IServiceCollection services, string name, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        string path = (configuration as IConfigurationSection)?.Path ?? string.Empty;
        return AddModelMonitorCore(services, name, path, o => Bind(configuration, o));
    }

    private static IServiceCollection AddModelMonitorCore(IServiceCollection services, string name, string? configurationPath, Action<ModelMonitorOptions>? bind)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (services.Any(d => d.ImplementationInstance is ModelMonitorRegistration r && r.Name == name))
        {
            throw new ArgumentException($"A model monitor named '{name}' was already added.", nameof(name));
        }

        var registration = new ModelMonitorRegistration(name, configurationPath);
        services.AddSingleton(registration);

        OptionsBuilder<ModelMonitorOptions> options = services.AddOptions<ModelMonitorOptions>(name)
            .Configure<IServiceProvider>((o, provider) =>
            {
                o.ModelName = name;
                o.MeterFactory = provider.GetService<IMeterFactory>();
            });
        if (bind is not null)
        {
            options.Configure(bind);
        }

        services.AddKeyedSingleton(name, (provider, _) => Create(provider, registration));

        // The first monitor added is also the unkeyed one, for applications that serve one model.
        services.TryAddSingleton(provider => provider.GetRequiredKeyedService<ModelMonitor>(name));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ModelMonitorStartupService>());
        return services;
    }

    [RequiresUnreferencedCode(BindingRequirement)]
    [RequiresDynamicCode(BindingRequirement)]
    private static void Bind(IConfiguration configuration, ModelMonitorOptions options)
    {
        // Unknown keys are errors: a misspelt option would otherwise be ignored silently.
        configuration.Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);

        // The binder appends to a list that has a default (Windows would keep 1 min, 5 min, 1 h); a list in configuration replaces it.
        if (configuration.GetSection(nameof(ModelMonitorOptions.Windows)) is { } windows && windows.GetChildren().Any())
        {
            options.Windows = windows.Get<TimeSpan[]>()!;
        }

        if (configuration.GetSection(nameof(ModelMonitorOptions.BucketBoundaries)) is { } boundaries && boundaries.GetChildren().Any())
        {
            options.BucketBoundaries = boundaries.Get<double[]>()!;
        }
    }

    private static ModelMonitor Create(IServiceProvider provider, ModelMonitorRegistration registration)
    {
        ModelMonitorOptions options = provider.GetRequiredService<IOptionsFactory<ModelMonitorOptions>>().Create(registration.Name);
        try
        {
            return new ModelMonitor(options);
        }
        catch (ArgumentException e)
        {
            string where = registration.ConfigurationPath is null
                ? $"option {e.ParamName}"
                : $"configuration key '{Key(registration.ConfigurationPath, e.ParamName)}'";
            throw new InvalidOperationException($"The model monitor '{registration.Name}' has an invalid {where}: {e.Message}", e);
        }
    }

    private static string? Key(string path, string? option) =>
        path.Length == 0 ? option : option is null ? path : path + ConfigurationPath.KeyDelimiter + option;
}
