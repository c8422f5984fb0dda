// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using ModelMetrics.Tests;
using NUnit.Framework;

namespace ModelMetrics.Hosting.Tests;

[TestFixture]
public sealed class HealthCheckTests
{
    private static readonly InvalidOperationException Failure = new("model failed");

    [Test]
    public async Task The_health_endpoint_follows_the_rules_healthy_degraded_unhealthy_healthy()
    {
        var registry = new ModelMonitorRegistry();
        var time = new FakeTimeProvider();
        string model = "health-" + Guid.NewGuid().ToString("N");
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = model, ModelVersion = "1", Registry = registry, TimeProvider = time });
        var logs = new ConcurrentQueue<string>();

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders().AddProvider(new QueueLoggerProvider(logs));
        builder.Services.AddModelRuleSet(o =>
        {
            o.Registry = registry;
            o.TimeProvider = time;
            o.EvaluationInterval = TimeSpan.Zero;
            o.Rules = [new ModelRule { Name = "errors", Signal = ModelSignal.ErrorRatio, Warning = 0.05, Critical = 0.25, MinSamples = 10, BreachesToFire = 1, ClearsToResolve = 1 }];
        });
        builder.Services.AddHealthChecks().AddModelRules();
        await using WebApplication app = builder.Build();
        app.MapHealthChecks("/health");
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        using var http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
        ModelRuleSet rules = app.Services.GetRequiredService<ModelRuleSet>();

        async Task<(HttpStatusCode, string)> Minute(int calls, int failures)
        {
            for (int i = 0; i < calls; i++)
            {
                monitor.RecordCall(0.01, i < failures ? Failure : null);
            }

            time.Advance(TimeSpan.FromMinutes(1));
            rules.Evaluate();
            using HttpResponseMessage response = await http.GetAsync(new Uri("/health", UriKind.Relative));
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        Assert.That(await Minute(100, 0), Is.EqualTo((HttpStatusCode.OK, "Healthy")));
        Assert.That(await Minute(100, 10), Is.EqualTo((HttpStatusCode.OK, "Degraded")));
        Assert.That(await Minute(100, 50), Is.EqualTo((HttpStatusCode.ServiceUnavailable, "Unhealthy")));
        Assert.That(await Minute(100, 0), Is.EqualTo((HttpStatusCode.OK, "Healthy")));

        Assert.That(logs, Has.Some.Contains($"Model {model}: rule errors went from Warning to Critical"));
        await app.StopAsync();
    }

    [Test]
    public async Task The_health_result_names_the_rule_value_and_threshold()
    {
        var registry = new ModelMonitorRegistry();
        var time = new FakeTimeProvider();
        string model = "health-" + Guid.NewGuid().ToString("N");
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = model, Registry = registry, TimeProvider = time });
        var services = new ServiceCollection().AddLogging();
        services.AddModelRuleSet(o =>
        {
            o.Registry = registry;
            o.EvaluationInterval = TimeSpan.Zero;
            o.Rules = [new ModelRule { Name = "errors", Signal = ModelSignal.ErrorRatio, Warning = 0.05, MinSamples = 10, BreachesToFire = 1 }];
        });
        services.AddHealthChecks().AddModelRules(modelName: model);
        await using ServiceProvider provider = services.BuildServiceProvider();

        for (int i = 0; i < 100; i++)
        {
            monitor.RecordCall(0.01, i < 20 ? Failure : null);
        }

        time.Advance(TimeSpan.FromMinutes(1));
        provider.GetRequiredService<ModelRuleSet>().Evaluate();
        HealthReport report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        HealthReportEntry entry = report.Entries["model_rules"];
        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Degraded));
        Assert.That(entry.Data["rule"], Is.EqualTo("errors"));
        Assert.That(entry.Data["model"], Is.EqualTo(model));
        Assert.That((double)entry.Data["value"], Is.EqualTo(0.2).Within(1e-12));
        Assert.That(entry.Data["threshold"], Is.EqualTo(0.05));
        Assert.That(entry.Description, Does.Contain("error_ratio over 1m = 0.2"));
    }

    [Test]
    public async Task A_failing_action_is_logged_through_ILogger_and_the_host_stop_cancels_a_running_one()
    {
        var registry = new ModelMonitorRegistry();
        var time = new FakeTimeProvider();
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "actions-" + Guid.NewGuid().ToString("N"), Registry = registry, TimeProvider = time });
        var logs = new ConcurrentQueue<string>();
        var started = new SemaphoreSlim(0);
        var services = new ServiceCollection().AddLogging(l => l.AddProvider(new QueueLoggerProvider(logs)));
        services.AddModelRuleSet(o =>
        {
            o.Registry = registry;
            o.EvaluationInterval = TimeSpan.Zero;
            o.Rules = [new ModelRule { Name = "errors", Signal = ModelSignal.ErrorRatio, Critical = 0.5, MinSamples = 0, BreachesToFire = 1, ClearsToResolve = 1 }];
            o.Actions =
            [
                new MaintenanceAction { Name = "page", Handler = (_, _) => throw new InvalidOperationException("pager down") },
                new MaintenanceAction { Name = "retrain", Handler = async (_, token) => { started.Release(); await Task.Delay(Timeout.Infinite, token); } },
            ];
        });
        await using ServiceProvider provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>().Single();
        await hosted.StartAsync(CancellationToken.None);

        monitor.RecordCall(0.01, Failure);
        time.Advance(TimeSpan.FromMinutes(1));
        provider.GetRequiredService<ModelRuleSet>().Evaluate();
        Assert.That(SpinWait.SpinUntil(() => logs.Any(l => l.Contains("maintenance action page: Failed", StringComparison.Ordinal)), TimeSpan.FromSeconds(30)), Is.True);
        Assert.That(logs.Single(l => l.Contains("action page", StringComparison.Ordinal)), Does.Contain("pager down"));

        // "retrain" was skipped (the model was busy with "page") or started; either way the stop ends it.
        await hosted.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
        Assert.That(logs, Has.Some.Match("maintenance action retrain: (Cancelled|SkippedBusy)"));
    }

    private sealed class QueueLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new QueueLogger(lines);

        public void Dispose()
        {
        }

        private sealed class QueueLogger(ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{logLevel}: {formatter(state, exception)}{(exception is null ? string.Empty : " " + exception.Message)}");
        }
    }
}
