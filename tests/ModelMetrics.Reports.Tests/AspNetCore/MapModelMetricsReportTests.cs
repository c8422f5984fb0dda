// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Linq;
using System.Net.Http;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace ModelMetrics.Reports.Tests.AspNetCore;

public sealed class MapModelMetricsReportTests
{
    [Test]
    public async Task Map_Pattern_ServesThePageWithTheDefaultRefreshAndTheJson()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using WebApplication app = builder.Build();
        app.MapModelMetricsReport("/ops/models");
        await app.StartAsync();
        string origin = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        using var http = new HttpClient();

        using HttpResponseMessage page = await http.GetAsync(new Uri(origin + "/ops/models"));
        using HttpResponseMessage slash = await http.GetAsync(new Uri(origin + "/ops/models/"));
        using HttpResponseMessage data = await http.GetAsync(new Uri(origin + "/ops/models/data"));
        using HttpResponseMessage other = await http.GetAsync(new Uri(origin + "/ops/models/other"));

        Assert.That(page.Content.Headers.ContentType?.ToString(), Is.EqualTo("text/html; charset=utf-8"));
        Assert.That(page.Headers.CacheControl?.NoStore, Is.True);
        Assert.That(await page.Content.ReadAsStringAsync(), Does.Contain("var ms=5000;"));
        Assert.That(slash.IsSuccessStatusCode, Is.True);
        using JsonDocument json = JsonDocument.Parse(await data.Content.ReadAsStringAsync());
        Assert.That(json.RootElement.GetProperty("models").ValueKind, Is.EqualTo(JsonValueKind.Array));
        Assert.That((int)other.StatusCode, Is.EqualTo(404));
    }

    [Test]
    public void Map_RefreshOutOfRange_Throws()
    {
        WebApplication app = WebApplication.CreateSlimBuilder().Build();
        Assert.That(() => app.MapModelMetricsReport("/m", new ModelMetricsReport(), TimeSpan.FromMilliseconds(500)), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => app.MapModelMetricsReport("/m", null!, TimeSpan.FromSeconds(5)), Throws.ArgumentNullException);
    }
}
