// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ModelMetrics.Hosting;

/// <summary>
/// Creates every monitor added by <c>AddModelMonitor</c> when the host starts, so invalid options fail the start-up
/// (naming the monitor and the option) rather than the first request, and every monitor publishes from the start.
/// </summary>
internal sealed class ModelMonitorStartupService : IHostedService
{
    private readonly IServiceProvider _services;
    private readonly IEnumerable<ModelMonitorRegistration> _registrations;

    public ModelMonitorStartupService(IServiceProvider services, IEnumerable<ModelMonitorRegistration> registrations)
    {
        _services = services;
        _registrations = registrations;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (ModelMonitorRegistration registration in _registrations)
        {
            _ = _services.GetRequiredKeyedService<ModelMonitor>(registration.Name);
        }

        return Task.CompletedTask;
    }

    // The container disposes the monitors it created.
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
