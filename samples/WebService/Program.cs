// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

// WebService: an ML.NET classifier served by ASP.NET Core through dependency injection, with an output cache and
// ModelMetrics. Endpoints: POST /predict, POST /labels (delayed ground truth by prediction id), GET /metrics
// (Prometheus), GET /health (rules), GET /modelmetrics (live report). OTLP export when Otlp:Endpoint is set.
//
//   dotnet run --project samples/WebService                       serves on http://127.0.0.1:5080 until Ctrl+C
//   dotnet run --project samples/WebService -- --seconds 10       self-test: a free port, its own requests, checks, exit

using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using WebService;

const string Usage = "usage: WebService [--seconds N] [--urls URL] [--Otlp:Endpoint URL]   (--seconds: self-test for at most N seconds, 3 to 600)";
if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(Usage);
    return 0;
}

int index = Array.IndexOf(args, "--seconds");
if (index < 0)
{
    await using WebApplication service = WebServiceApp.Build(args);
    await service.RunAsync();
    return 0;
}

if (index + 1 >= args.Length || !int.TryParse(args[index + 1], out int seconds) || seconds is < 3 or > 600)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

// Self-test: the real application on a free loopback port, called over HTTP like any client.
string[] rest = [.. args.Where((_, i) => i != index && i != index + 1), "--urls", "http://127.0.0.1:0"];
await using WebApplication app = WebServiceApp.Build(rest);
await app.StartAsync();
using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
try
{
    bool passed = await SelfTest.RunAsync(new Uri(app.Urls.First()), Console.Out, deadline.Token);
    Console.WriteLine(passed ? "self-test: passed" : "self-test: FAILED");
    return passed ? 0 : 1;
}
catch (OperationCanceledException) when (deadline.IsCancellationRequested)
{
    Console.WriteLine($"self-test: FAILED (not done within {seconds} s)");
    return 1;
}
finally
{
    await app.StopAsync(CancellationToken.None);
}
