// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ModelMetrics.TestHost;
using NUnit.Framework;

namespace ModelMetrics.IntegrationTests.Prometheus;

/// <summary>
/// The fleet every Prometheus test looks at: two test host processes (scenarios "a" and "b", each with the fixed
/// traffic of model "fleet" and the continuous traffic of model "live") and one Prometheus server scraping both
/// and evaluating the shipped rules. Started once, by the first fixture that asks, and stopped after the last
/// test of this namespace (<see cref="PrometheusFleetTearDown"/>).
/// </summary>
internal sealed class PrometheusFleet : IAsyncDisposable
{
    private static readonly Lock Gate = new();
    private static Task<PrometheusFleet>? s_shared;

    private PrometheusFleet(TestHostProcess a, TestHostProcess b, PrometheusServer server, DateTimeOffset readyAt)
    {
        A = a;
        B = b;
        Server = server;
        ReadyAt = readyAt;
    }

    /// <summary>Gets the host running scenario "a".</summary>
    public TestHostProcess A { get; }

    /// <summary>Gets the host running scenario "b".</summary>
    public TestHostProcess B { get; }

    /// <summary>Gets the Prometheus server scraping both hosts.</summary>
    public PrometheusServer Server { get; }

    /// <summary>
    /// Gets a moment at which Prometheus had scraped both hosts. The fixed traffic's windowed gauges (quantiles,
    /// accuracy over 60 s) disappear a minute after it was recorded, so tests of their values query this moment.
    /// </summary>
    public DateTimeOffset ReadyAt { get; }

    /// <summary>
    /// The shared fleet, started on the first call. Ignores the calling fixture when Prometheus is not installed.
    /// </summary>
    public static Task<PrometheusFleet> GetAsync()
    {
        PrometheusTools.Require("prometheus");
        lock (Gate)
        {
            return s_shared ??= StartAsync();
        }
    }

    /// <summary>Stops the shared fleet if it was started.</summary>
    public static async Task StopSharedAsync()
    {
        Task<PrometheusFleet>? shared;
        lock (Gate)
        {
            (shared, s_shared) = (s_shared, null);
        }

        // A fleet that failed to start has already stopped what it had started.
        if (shared is { IsCompletedSuccessfully: true })
        {
            await (await shared).DisposeAsync();
        }
    }

    /// <summary>The Prometheus <c>instance</c> label of <paramref name="host"/>'s series.</summary>
    public static string Instance(TestHostProcess host) => host.Url.Authority;

    /// <summary>
    /// Waits until Prometheus has seen at least <paramref name="calls"/> calls of the live model (both hosts) in
    /// the last 5 minutes, so that rates and ratios over that window rest on enough traffic to check them.
    /// </summary>
    public Task WaitForLiveTrafficAsync(int calls) => Server.WaitForAsync(
        $"sum(increase(model_inference_calls_total{{model_name=\"{Scenarios.LiveModel}\"}}[5m]))",
        s => s.Count == 1 && s[0].Value >= calls,
        TimeSpan.FromSeconds(60),
        $"{calls} live calls");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Server.DisposeAsync();
        }
        finally
        {
            await A.DisposeAsync();
            await B.DisposeAsync();
        }
    }

    private static async Task<PrometheusFleet> StartAsync()
    {
        Task<TestHostProcess> startA = TestHostProcess.StartAsync("a");
        Task<TestHostProcess> startB = TestHostProcess.StartAsync("b");
        try
        {
            await Task.WhenAll(startA, startB);
        }
        catch
        {
            await DisposeStartedAsync(startA, startB);
            throw;
        }

        try
        {
            PrometheusServer server = await PrometheusServer.StartAsync([Instance(startA.Result), Instance(startB.Result)]);
            return new PrometheusFleet(startA.Result, startB.Result, server, DateTimeOffset.UtcNow);
        }
        catch
        {
            await DisposeStartedAsync(startA, startB);
            throw;
        }
    }

    private static async Task DisposeStartedAsync(params IEnumerable<Task<TestHostProcess>> hosts)
    {
        foreach (Task<TestHostProcess> host in hosts.Where(h => h.IsCompletedSuccessfully))
        {
            await host.Result.DisposeAsync();
        }
    }
}

/// <summary>Stops the shared <see cref="PrometheusFleet"/> once every test of this namespace has run.</summary>
[SetUpFixture]
public sealed class PrometheusFleetTearDown
{
    [OneTimeTearDown]
    public Task StopAsync() => PrometheusFleet.StopSharedAsync();
}
