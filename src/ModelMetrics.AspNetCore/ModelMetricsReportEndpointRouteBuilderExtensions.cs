// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ModelMetrics.Reports;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the ModelMetrics report on an ASP.NET Core application.</summary>
public static class ModelMetricsReportEndpointRouteBuilderExtensions
{
    /// <summary>The default interval at which the live page refreshes its figures: 5 seconds.</summary>
    public static readonly TimeSpan DefaultRefreshInterval = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Maps the live report of <see cref="ModelMetrics.ModelMonitorRegistry.Default"/> at <paramref name="pattern"/>
    /// (an HTML page that refreshes its figures every 5 seconds) and its figures as JSON at
    /// <paramref name="pattern"/><c>/data</c>.
    /// </summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <param name="pattern">The route of the page, such as <c>/modelmetrics</c>.</param>
    /// <returns>The group of both endpoints, to add authorization or other conventions to both at once.</returns>
    public static RouteGroupBuilder MapModelMetricsReport(this IEndpointRouteBuilder endpoints, string pattern) =>
        MapModelMetricsReport(endpoints, pattern, new ModelMetricsReport(), DefaultRefreshInterval);

    /// <summary>
    /// Maps the live page of <paramref name="report"/> at <paramref name="pattern"/> (refreshing its figures every
    /// <paramref name="refreshInterval"/>) and its figures as JSON at <paramref name="pattern"/><c>/data</c>.
    /// </summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <param name="pattern">The route of the page, such as <c>/modelmetrics</c>.</param>
    /// <param name="report">The report served (its registry, resources and title).</param>
    /// <param name="refreshInterval">How often the page refreshes its figures: 1 second to 1 hour.</param>
    /// <returns>The group of both endpoints, to add authorization or other conventions to both at once.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="refreshInterval"/> is outside 1 second to 1 hour.</exception>
    public static RouteGroupBuilder MapModelMetricsReport(this IEndpointRouteBuilder endpoints, string pattern, ModelMetricsReport report, TimeSpan refreshInterval)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(report);
        if (refreshInterval < TimeSpan.FromSeconds(1) || refreshInterval > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(refreshInterval), refreshInterval, "The refresh interval must be from 1 second to 1 hour.");
        }

        RouteGroupBuilder group = endpoints.MapGroup(pattern);
        // RequestDelegate endpoints: no delegate inspection, so trimming and native AOT are safe.
        group.MapGet(string.Empty, context => WriteAsync(context, report.ToHtml(refreshInterval), "text/html; charset=utf-8"));
        group.MapGet("/data", context => WriteAsync(context, report.ToJson(), "application/json; charset=utf-8"));
        return group;
    }

    private static Task WriteAsync(HttpContext context, string body, string contentType)
    {
        HttpResponse response = context.Response;
        response.ContentType = contentType;
        // Figures change every second: no cache may serve an old page.
        response.Headers.CacheControl = "no-store";
        response.Headers.XContentTypeOptions = "nosniff";
        return response.WriteAsync(body, context.RequestAborted);
    }
}
