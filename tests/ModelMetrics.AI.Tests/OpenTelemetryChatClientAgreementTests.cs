// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;
using ModelMetrics.Tests;
using NUnit.Framework;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace ModelMetrics.AI.Tests;

/// <summary>
/// The same scripted client measured by ModelMetrics and by Microsoft.Extensions.AI's <see cref="OpenTelemetryChatClient"/>
/// (through the OpenTelemetry SDK and its in-memory exporter): token sums, call counts and error types agree, and
/// stacking the two in either order counts every call once in each.
/// </summary>
public class OpenTelemetryChatClientAgreementTests
{
    private static readonly ChatMessage[] Prompt = [new(ChatRole.User, "hello")];

    [TestCase(true, TestName = "ModelMetricsOutside_OpenTelemetryInside")]
    [TestCase(false, TestName = "OpenTelemetryOutside_ModelMetricsInside")]
    public async Task Stacked_InEitherOrder_TokenSumsCallCountsAndErrorTypesAgree(bool modelMetricsOutside)
    {
        var time = new FakeTimeProvider();
        string otelSource = "ModelMetrics.AI.Tests.OpenTelemetry." + TestContext.CurrentContext.Test.Name;
        string meter = ModelMetricsChatClientTests.MeterName();
        var exported = new List<Metric>();
        using MeterProvider provider = Sdk.CreateMeterProviderBuilder().AddMeter(otelSource, meter).AddInMemoryExporter(exported).Build();
        using ModelMonitor monitor = ModelMetricsChatClientTests.CreateMonitor(time, meter);

        // Call i: fails with one of two errors when i % 5 is 3 or 4; else streams 1 + i % 3 chunks and reports usage
        // of 10 + i input and 2 + i output tokens.
        int call = 0;
        var inner = new ScriptedChatClient(time, _ =>
        {
            int i = call++;
            return (i % 5) switch
            {
                3 => [new(TimeSpan.FromMilliseconds(5), Throw: new InvalidOperationException("provider error"))],
                4 => [new(TimeSpan.FromMilliseconds(5), ScriptedChatClient.Text("x")), new(TimeSpan.FromMilliseconds(5), Throw: new TimeoutException())],
                _ => [.. Enumerable.Range(0, 1 + (i % 3)).Select(_ => new Step(TimeSpan.FromMilliseconds(10), ScriptedChatClient.Text("t"))),
                      new(TimeSpan.FromMilliseconds(1), ScriptedChatClient.Usage(10 + i, 2 + i))],
            };
        });
        ChatClientBuilder builder = new(inner);
        builder = modelMetricsOutside
            ? builder.UseModelMetrics(monitor).UseOpenTelemetry(sourceName: otelSource)
            : builder.UseOpenTelemetry(sourceName: otelSource).UseModelMetrics(monitor);
        using IChatClient client = builder.Build();

        const int Calls = 20;
        long expectedInput = 0, expectedOutput = 0;
        for (int i = 0; i < Calls; i++)
        {
            if (i % 5 < 3)
            {
                expectedInput += 10 + i;
                expectedOutput += 2 + i;
            }

            bool stream = i % 2 == 0;
            try
            {
                if (stream)
                {
                    await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(Prompt))
                    {
                    }
                }
                else
                {
                    await client.GetResponseAsync(Prompt);
                }
            }
            catch (Exception exception) when (exception is InvalidOperationException or TimeoutException)
            {
            }
        }

        provider.ForceFlush();
        GenAISnapshot ours = monitor.GetSnapshot().GenAI!;
        Metric otelDuration = Last(exported, otelSource, "gen_ai.client.operation.duration");
        Metric otelTokens = Last(exported, otelSource, "gen_ai.client.token.usage");
        Metric ourDuration = Last(exported, meter, "gen_ai.client.operation.duration");
        Metric ourTokens = Last(exported, meter, "gen_ai.client.token.usage");

        Assert.Multiple(() =>
        {
            Assert.That(inner.Calls, Is.EqualTo(Calls));

            // Call counts: each call counted once by each, whatever the order.
            Assert.That(ours.Calls, Is.EqualTo(Calls));
            Assert.That(HistogramCount(otelDuration), Is.EqualTo(Calls));
            Assert.That(HistogramCount(ourDuration), Is.EqualTo(Calls));

            // Error types.
            Dictionary<string, long> otelErrors = CountsBy(otelDuration, "error.type");
            Assert.That(otelErrors, Is.EqualTo(new Dictionary<string, long> { ["System.InvalidOperationException"] = 4, ["System.TimeoutException"] = 4 }));
            Assert.That(CountsBy(ourDuration, "error.type"), Is.EqualTo(otelErrors));

            // model.genai.calls names a TimeoutException timeout, as model.inference.calls does.
            Assert.That(ours.Failures, Is.EquivalentTo(new Dictionary<string, long> { ["System.InvalidOperationException"] = 4, ["timeout"] = 4 }));

            // Token sums.
            Assert.That(ours.InputTokens, Is.EqualTo(expectedInput));
            Assert.That(ours.OutputTokens, Is.EqualTo(expectedOutput));
            Assert.That(SumsBy(otelTokens, "gen_ai.token.type"), Is.EqualTo(new Dictionary<string, double> { ["input"] = expectedInput, ["output"] = expectedOutput }));
            Assert.That(SumsBy(ourTokens, "gen_ai.token.type"), Is.EqualTo(SumsBy(otelTokens, "gen_ai.token.type")));

            // The attributes the conventions require agree too.
            Assert.That(TagValues(ourDuration, "gen_ai.operation.name"), Is.EqualTo(TagValues(otelDuration, "gen_ai.operation.name")));
            Assert.That(TagValues(ourDuration, "gen_ai.provider.name"), Is.EqualTo(TagValues(otelDuration, "gen_ai.provider.name")));
            Assert.That(TagValues(ourDuration, "gen_ai.request.model"), Is.EqualTo(TagValues(otelDuration, "gen_ai.request.model")));
        });
    }

    private static Metric Last(List<Metric> exported, string meter, string name) => exported.Last(m => m.MeterName == meter && m.Name == name);

    private static List<MetricPoint> Points(Metric metric)
    {
        var points = new List<MetricPoint>();
        foreach (ref readonly MetricPoint point in metric.GetMetricPoints())
        {
            points.Add(point);
        }

        return points;
    }

    private static long HistogramCount(Metric metric) => Points(metric).Sum(p => p.GetHistogramCount());

    private static Dictionary<string, long> CountsBy(Metric metric, string key) => Points(metric)
        .Where(p => Tag(p, key) is not null)
        .GroupBy(p => (string)Tag(p, key)!)
        .ToDictionary(g => g.Key, g => g.Sum(p => p.GetHistogramCount()));

    private static Dictionary<string, double> SumsBy(Metric metric, string key) => Points(metric)
        .GroupBy(p => (string)Tag(p, key)!)
        .ToDictionary(g => g.Key, g => g.Sum(p => p.GetHistogramSum()));

    private static string[] TagValues(Metric metric, string key) => Points(metric).Select(p => Tag(p, key) as string ?? "(none)").Distinct().Order().ToArray();

    private static object? Tag(MetricPoint point, string key)
    {
        foreach (KeyValuePair<string, object?> tag in point.Tags)
        {
            if (tag.Key == key)
            {
                return tag.Value;
            }
        }

        return null;
    }
}
