// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Threading;
using System.Threading.Tasks;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelMetrics.IntegrationTests.Otlp.Protocol;
using OpenTelemetry.Exporter;

namespace ModelMetrics.IntegrationTests.Otlp;

/// <summary>How the receiver answers exports.</summary>
internal enum ReceiverMode
{
    /// <summary>Accept and keep every export.</summary>
    Normal,

    /// <summary>Refuse every export: HTTP 503, gRPC UNAVAILABLE.</summary>
    Unavailable,

    /// <summary>Hold every export until the mode changes, or <see cref="OtlpReceiver.SlowLimit"/> passes.</summary>
    Slow,
}

/// <summary>One export the receiver accepted: the decoded request and its headers (names in lower case).</summary>
internal sealed record ReceivedExport(string Protocol, ExportMetricsServiceRequest Request, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// A minimal OTLP metrics collector on loopback: OTLP/gRPC (h2c) on <see cref="GrpcPort"/> and OTLP/HTTP
/// protobuf (<c>POST /v1/metrics</c>) on <see cref="HttpPort"/>. It keeps every accepted export, can be
/// switched to fail or hang at run time, and can be stopped and started again on the same ports.
/// </summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    /// <summary>The longest any wait of the receiver (or a test on it) takes before it gives up.</summary>
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    /// <summary>The longest a <see cref="ReceiverMode.Slow"/> receiver holds an export.</summary>
    public static readonly TimeSpan SlowLimit = TimeSpan.FromSeconds(20);

    private readonly object _gate = new();
    private readonly List<ReceivedExport> _received = [];
    private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ReceiverMode _mode;
    private WebApplication? _app;
    private int _attempts;
    private int _held;

    private OtlpReceiver()
    {
    }

    /// <summary>Gets the port of the OTLP/gRPC endpoint (HTTP/2 without TLS).</summary>
    public int GrpcPort { get; private set; }

    /// <summary>Gets the port of the OTLP/HTTP endpoint (HTTP/1.1).</summary>
    public int HttpPort { get; private set; }

    /// <summary>Gets the base address for the gRPC protocol (what OTEL_EXPORTER_OTLP_ENDPOINT takes).</summary>
    public Uri GrpcBaseUrl => new($"http://127.0.0.1:{GrpcPort}");

    /// <summary>Gets the base address for the HTTP/protobuf protocol; the exporter appends <c>/v1/metrics</c> when it comes from the environment.</summary>
    public Uri HttpBaseUrl => new($"http://127.0.0.1:{HttpPort}");

    /// <summary>Gets or sets how exports are answered; leaving <see cref="ReceiverMode.Slow"/> releases the held ones.</summary>
    public ReceiverMode Mode
    {
        get
        {
            lock (_gate)
            {
                return _mode;
            }
        }

        set
        {
            TaskCompletionSource? release = null;
            lock (_gate)
            {
                _mode = value;
                if (value != ReceiverMode.Slow)
                {
                    release = _release;
                    _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }

            release?.TrySetResult();
        }
    }

    /// <summary>Gets the number of exports that arrived, whatever the answer.</summary>
    public int Attempts => Volatile.Read(ref _attempts);

    /// <summary>Gets the number of exports held right now by <see cref="ReceiverMode.Slow"/>.</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>Gets a copy of the accepted exports, oldest first.</summary>
    public IReadOnlyList<ReceivedExport> Received
    {
        get
        {
            lock (_gate)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>Starts a receiver on two free loopback ports.</summary>
    public static async Task<OtlpReceiver> StartAsync()
    {
        var receiver = new OtlpReceiver();
        await receiver.RestartAsync();
        return receiver;
    }

    /// <summary>The endpoint to set programmatically: for HTTP/protobuf that is the full <c>/v1/metrics</c> URL.</summary>
    public Uri EndpointFor(OtlpExportProtocol protocol) =>
        protocol == OtlpExportProtocol.Grpc ? GrpcBaseUrl : new Uri(HttpBaseUrl, "/v1/metrics");

    /// <summary>Stops listening (the collector is down: connections are refused) and releases held exports.</summary>
    public async Task StopAsync()
    {
        WebApplication? app = Interlocked.Exchange(ref _app, null);
        if (app is null)
        {
            return;
        }

        Mode = ReceiverMode.Normal;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await app.StopAsync(stop.Token);
        await app.DisposeAsync();
    }

    /// <summary>Starts listening again, on the same ports once they are known.</summary>
    public async Task RestartAsync()
    {
        if (_app is not null)
        {
            return;
        }

        // Note: a port just closed can take a moment to be bindable again; retry within the wait limit.
        DateTime deadline = DateTime.UtcNow + WaitLimit;
        while (true)
        {
            try
            {
                _app = await StartAppAsync();
                return;
            }
            catch (IOException) when (DateTime.UtcNow < deadline && GrpcPort != 0)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Waits (up to <see cref="WaitLimit"/>) until <paramref name="count"/> accepted exports match, and returns those.</summary>
    public Task<ReceivedExport[]> WaitForAsync(Func<ReceivedExport, bool> match, string what, int count = 1) =>
        PollAsync(() => Received.Where(match).Take(count).ToArray() is { } found && found.Length == count ? found : null, $"{count} export(s) with {what}");

    /// <summary>Waits (up to <see cref="WaitLimit"/>) until <paramref name="count"/> exports are held by <see cref="ReceiverMode.Slow"/>.</summary>
    public Task WaitForHeldAsync(int count) =>
        PollAsync(() => Held >= count ? this : null, $"{count} held export(s)");

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>Polls <paramref name="probe"/> until it returns a value, failing after <see cref="WaitLimit"/>.</summary>
    private static async Task<T> PollAsync<T>(Func<T?> probe, string what)
        where T : class
    {
        DateTime deadline = DateTime.UtcNow + WaitLimit;
        while (true)
        {
            if (probe() is { } found)
            {
                return found;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The OTLP receiver did not get {what} within {WaitLimit.TotalSeconds} s.");
            }

            await Task.Delay(25);
        }
    }

    private async Task<WebApplication> StartAppAsync()
    {
        ListenOptions grpc = null!, http = null!;
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // gRPC without TLS needs an HTTP/2-only endpoint (prior knowledge); OTLP/HTTP clients speak HTTP/1.1.
            kestrel.Listen(IPAddress.Loopback, GrpcPort, o => (grpc = o).Protocols = HttpProtocols.Http2);
            kestrel.Listen(IPAddress.Loopback, HttpPort, o => (http = o).Protocols = HttpProtocols.Http1);
        });
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = null);
        builder.Services.AddSingleton(new MetricsServiceEndpoint(this));

        WebApplication app = builder.Build();
        app.MapGrpcService<MetricsServiceEndpoint>();
        app.MapPost("/v1/metrics", ExportHttpAsync);
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        // Kestrel writes the bound port back into the listen options (port 0 the first time).
        GrpcPort = grpc.IPEndPoint!.Port;
        HttpPort = http.IPEndPoint!.Port;
        return app;
    }

    private async Task ExportHttpAsync(HttpContext context)
    {
        if (context.Request.ContentType != "application/x-protobuf")
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        ExportMetricsServiceRequest request = ExportMetricsServiceRequest.Parser.ParseFrom(body.ToArray());
        if (!await AcceptAsync("http", request, context))
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        context.Response.ContentType = "application/x-protobuf";
        await context.Response.Body.WriteAsync(new ExportMetricsServiceResponse().ToByteArray(), context.RequestAborted);
    }

    /// <summary>Answers one export by the current mode; returns whether it was accepted (and kept).</summary>
    private async Task<bool> AcceptAsync(string protocol, ExportMetricsServiceRequest request, HttpContext context)
    {
        Interlocked.Increment(ref _attempts);
        Task release;
        lock (_gate)
        {
            if (_mode == ReceiverMode.Unavailable)
            {
                return false;
            }

            release = _mode == ReceiverMode.Slow ? _release.Task : Task.CompletedTask;
        }

        if (!release.IsCompleted)
        {
            Interlocked.Increment(ref _held);
            using var gaveUp = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            try
            {
                await Task.WhenAny(release, Task.Delay(SlowLimit, gaveUp.Token));
            }
            finally
            {
                Interlocked.Decrement(ref _held);
                await gaveUp.CancelAsync();
            }

            if (context.RequestAborted.IsCancellationRequested)
            {
                return false; // The exporter gave up on it (its timeout): nothing was delivered.
            }
        }

        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal);
        lock (_gate)
        {
            _received.Add(new ReceivedExport(protocol, request, headers));
        }

        return true;
    }

    /// <summary>The gRPC side: <c>opentelemetry.proto.collector.metrics.v1.MetricsService/Export</c>.</summary>
    private sealed class MetricsServiceEndpoint(OtlpReceiver receiver) : MetricsService.MetricsServiceBase
    {
        public override async Task<ExportMetricsServiceResponse> Export(ExportMetricsServiceRequest request, ServerCallContext context) =>
            await receiver.AcceptAsync("grpc", request, context.GetHttpContext())
                ? new ExportMetricsServiceResponse()
                : throw new RpcException(new Status(StatusCode.Unavailable, "The test receiver is unavailable."));
    }
}
