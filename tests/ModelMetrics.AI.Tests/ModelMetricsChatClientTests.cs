// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;
using ModelMetrics.Tests;
using NUnit.Framework;

namespace ModelMetrics.AI.Tests;

public class ModelMetricsChatClientTests
{
    private static readonly ChatMessage[] Prompt = [new(ChatRole.User, "hello")];

    [Test]
    public async Task Streaming_ScriptedOnTheClock_RecordsExactTimeToFirstTokenTimePerOutputTokenAndUsage()
    {
        var time = new FakeTimeProvider();
        using ModelMonitor monitor = CreateMonitor(time);

        // An empty role-only update first (no content: not the first token), the first text 300 ms in, then text every
        // 20 ms, and usage last (not a chunk): 3 chunks, output 6 tokens, duration 345 ms.
        Step[] script =
        [
            new(TimeSpan.FromMilliseconds(100), new ChatResponseUpdate { Role = ChatRole.Assistant }),
            new(TimeSpan.FromMilliseconds(200), ScriptedChatClient.Text("Hel")),
            new(TimeSpan.FromMilliseconds(20), ScriptedChatClient.Text("lo, ")),
            new(TimeSpan.FromMilliseconds(20), ScriptedChatClient.Text("world")),
            new(TimeSpan.FromMilliseconds(5), ScriptedChatClient.Usage(input: 11, output: 6, ChatFinishReason.Length)),
        ];
        using IChatClient client = new ChatClientBuilder(new ScriptedChatClient(time, _ => script)).UseModelMetrics(monitor).Build();

        var texts = new List<string>();
        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(Prompt))
        {
            texts.Add(update.Text);
        }

        GenAISnapshot g = monitor.GetSnapshot().GenAI!;
        Assert.Multiple(() =>
        {
            Assert.That(string.Concat(texts), Is.EqualTo("Hello, world"), "updates pass through untouched");
            Assert.That(g.Succeeded, Is.EqualTo(1));
            Assert.That(g.FinishReasons, Is.EqualTo(new Dictionary<string, long> { ["length"] = 1 }));
            Assert.That(g.InputTokens, Is.EqualTo(11));
            Assert.That(g.OutputTokens, Is.EqualTo(6));
            Assert.That(g.TimeToFirstToken.P50, Is.EqualTo(0.3).Within(0.3e-5));
            Assert.That(g.InterChunkLatency.Count, Is.EqualTo(2));
            Assert.That(g.InterChunkLatency.Max, Is.EqualTo(0.02).Within(0.02e-5));
            Assert.That(g.Duration.P50, Is.EqualTo(0.345).Within(0.345e-5));

            // (345 - 300) ms over the 5 tokens after the first.
            Assert.That(g.TimePerOutputToken.P50, Is.EqualTo(0.009).Within(0.009e-5));
            Assert.That(g.OutputTokensPerSecond, Is.EqualTo(6 / 0.345).Within(1e-9));
            Assert.That(g.PendingResponses, Is.EqualTo(1), "the response id is kept for feedback");
        });
        Assert.That(monitor.GenAI!.RecordFeedback("resp", positive: true), Is.True);
    }

    [Test]
    public async Task GetResponse_TakesUsageFinishReasonAndModelFromTheResponse_AndMissingUsageIsUnknown()
    {
        var time = new FakeTimeProvider();
        using ModelMonitor monitor = CreateMonitor(time);
        int call = 0;
        using IChatClient client = new ChatClientBuilder(new ScriptedChatClient(time, _ => call++ == 0
            ? [new(TimeSpan.FromMilliseconds(500), ScriptedChatClient.Text("answer")), new(TimeSpan.Zero, ScriptedChatClient.Usage(20, 4, ChatFinishReason.ToolCalls))]
            : [new(TimeSpan.FromMilliseconds(250), ScriptedChatClient.Text("no usage"))]))
            .UseModelMetrics(monitor).Build();

        ChatResponse first = await client.GetResponseAsync(Prompt);
        await client.GetResponseAsync(Prompt);

        GenAISnapshot g = monitor.GetSnapshot().GenAI!;
        Assert.Multiple(() =>
        {
            Assert.That(first.Text, Is.EqualTo("answer"));
            Assert.That(g.Calls, Is.EqualTo(2));
            Assert.That(g.FinishReasons, Is.EqualTo(new Dictionary<string, long> { ["tool_calls"] = 1, ["unknown"] = 1 }));
            Assert.That(g.InputTokens, Is.EqualTo(20));
            Assert.That(g.OutputTokens, Is.EqualTo(4));
            Assert.That(g.UnknownInputTokens, Is.EqualTo(1));
            Assert.That(g.UnknownOutputTokens, Is.EqualTo(1));
            Assert.That(g.TimeToFirstToken.Count, Is.Zero, "a response that is not streamed has no first token");
            Assert.That(g.Duration.Max, Is.EqualTo(0.5).Within(0.5e-5));
            Assert.That(g.Duration.GetQuantile(0), Is.EqualTo(0.25).Within(0.25e-5));
        });
    }

    [Test]
    public async Task Streams_AbandonedEarly_AreCancelled_AndErrorsMidStreamAreThatError()
    {
        var time = new FakeTimeProvider();
        using ModelMonitor monitor = CreateMonitor(time);
        using IChatClient client = new ChatClientBuilder(new ScriptedChatClient(time, messages => messages.First().Text == "fail"
            ? [new(TimeSpan.FromMilliseconds(10), ScriptedChatClient.Text("partial")), new(TimeSpan.FromMilliseconds(10), Throw: new HttpRequestFailure())]
            : [new(TimeSpan.FromMilliseconds(10), ScriptedChatClient.Text("a")), new(TimeSpan.FromMilliseconds(10), ScriptedChatClient.Text("b"))]))
            .UseModelMetrics(monitor).Build();

        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(Prompt))
        {
            break;
        }

        Assert.ThrowsAsync<HttpRequestFailure>(async () =>
        {
            await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "fail")]))
            {
            }
        });

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.CatchAsync<OperationCanceledException>(async () => await client.GetResponseAsync(Prompt, cancellationToken: cancelled.Token));

        GenAISnapshot g = monitor.GetSnapshot().GenAI!;
        Assert.Multiple(() =>
        {
            Assert.That(g.Succeeded, Is.Zero);
            Assert.That(g.Failures, Is.EqualTo(new Dictionary<string, long> { ["cancelled"] = 2, [typeof(HttpRequestFailure).FullName!] = 1 }));
            Assert.That(g.InFlight, Is.Zero);
            Assert.That(g.TimeToFirstToken.Count, Is.EqualTo(2), "both streams produced a first chunk before they ended");
        });
    }

    [Test]
    public async Task Streams_ResumedOnThreadPoolThreads_IntoThreadOwnedCells_CountEveryGapOnce_CompletedAbandonedAndFailed()
    {
        // Precision 3: histograms small enough for thread-owned cells (precision 5 records into stripes). The inner
        // client yields before every update, so each stream moves between thread-pool threads as it is consumed.
        var time = new FakeTimeProvider();
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = TestContext.CurrentContext.Test.Name,
            MeterName = MeterName(),
            TimeProvider = time,
            LatencyPrecision = 3,
            GenAI = new GenAIOptions { ProviderName = "scripted-provider" },
        });
        static Step[] Script(int texts, bool fail)
        {
            var steps = new List<Step> { new(TimeSpan.FromMilliseconds(200), ScriptedChatClient.Text("first")) };
            for (int i = 1; i < texts; i++)
            {
                steps.Add(new(TimeSpan.FromMilliseconds(i % 2 == 0 ? 20 : 30), ScriptedChatClient.Text("next")));
            }

            steps.Add(fail ? new(TimeSpan.FromMilliseconds(5), Throw: new HttpRequestFailure()) : new(TimeSpan.FromMilliseconds(5), ScriptedChatClient.Usage(3, texts)));
            return [.. steps];
        }

        using IChatClient client = new ChatClientBuilder(new ScriptedChatClient(time, messages => messages.First().Text switch
        {
            "fail" => Script(30, fail: true),
            _ => Script(40, fail: false),
        })).UseModelMetrics(monitor).Build();

        int seen = 0;
        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(Prompt))
        {
            seen++;
        }

        int read = 0;
        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(Prompt))
        {
            if (++read == 20)
            {
                break;
            }
        }

        Assert.ThrowsAsync<HttpRequestFailure>(async () =>
        {
            await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "fail")]))
            {
            }
        });

        GenAISnapshot g = monitor.GetSnapshot().GenAI!;
        Assert.Multiple(() =>
        {
            Assert.That(seen, Is.EqualTo(41), "40 texts and the usage update pass through");
            Assert.That(g.Succeeded, Is.EqualTo(1));
            Assert.That(g.Failures, Is.EqualTo(new Dictionary<string, long> { ["cancelled"] = 1, [typeof(HttpRequestFailure).FullName!] = 1 }));
            Assert.That(g.InFlight, Is.Zero);
            Assert.That(g.OutputTokens, Is.EqualTo(40));

            // 39 + 19 + 29 gaps; of 20 ms after even texts: 19 + 9 + 14.
            Assert.That(g.InterChunkLatency.Count, Is.EqualTo(87));
            Assert.That(g.InterChunkLatency.CountAtOrBelow(0.025), Is.EqualTo(42));
            Assert.That(g.InterChunkLatency.Max, Is.EqualTo(0.03).Within(0.03e-3));
            Assert.That(g.TimeToFirstToken.Count, Is.EqualTo(3));
            Assert.That(g.TimeToFirstToken.Max, Is.EqualTo(0.2).Within(0.2e-3));
        });
    }

    [Test]
    public async Task AStreamEnumeratedTwice_IsTwoCalls_AndAClientThatThrowsBeforeStreamingFailsTheCall()
    {
        var time = new FakeTimeProvider();
        using ModelMonitor monitor = CreateMonitor(time);
        using IChatClient client = new ChatClientBuilder(new ScriptedChatClient(time, _ => [new(TimeSpan.FromMilliseconds(7), ScriptedChatClient.Text("x"))]))
            .UseModelMetrics(monitor).Build();

        IAsyncEnumerable<ChatResponseUpdate> stream = client.GetStreamingResponseAsync(Prompt);
        for (int i = 0; i < 2; i++)
        {
            await foreach (ChatResponseUpdate update in stream)
            {
                Assert.That(update.Text, Is.EqualTo("x"));
            }
        }

        using IChatClient throwing = new ChatClientBuilder(new ThrowingChatClient()).UseModelMetrics(monitor).Build();
        Assert.Throws<NotSupportedException>(() => throwing.GetStreamingResponseAsync(Prompt).GetAsyncEnumerator());

        GenAISnapshot g = monitor.GetSnapshot().GenAI!;
        Assert.Multiple(() =>
        {
            Assert.That(g.Succeeded, Is.EqualTo(2));
            Assert.That(g.TimeToFirstToken.Count, Is.EqualTo(2));
            Assert.That(g.TimeToFirstToken.Max, Is.EqualTo(0.007).Within(0.007e-5));
            Assert.That(g.Failures, Is.EqualTo(new Dictionary<string, long> { ["System.NotSupportedException"] = 1 }));
            Assert.That(g.InFlight, Is.Zero);
        });
    }

    [Test]
    public void UseModelMetrics_WithAMonitorWithoutGenAI_ThrowsNamingTheMonitor()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "plain", MeterName = MeterName() });
        var builder = new ChatClientBuilder(new ScriptedChatClient(new FakeTimeProvider(), _ => []));
        Assert.That(Assert.Throws<ArgumentException>(() => builder.UseModelMetrics(monitor))!.ParamName, Is.EqualTo("monitor"));
    }

    [Test]
    public async Task UseModelMetrics_WithOptions_CreatesAMonitorFromTheClientsMetadata_AndDisposesItWithTheClient()
    {
        var time = new FakeTimeProvider();
        string meter = MeterName();
        IChatClient client = new ChatClientBuilder(new ScriptedChatClient(time, _ => [new(TimeSpan.FromMilliseconds(1), ScriptedChatClient.Text("x"))]))
            .UseModelMetrics(options =>
            {
                options.MeterName = meter;
                options.TimeProvider = time;
            })
            .Build();

        await client.GetResponseAsync(Prompt);
        ModelMonitor monitor = client.GetService<ModelMonitor>()!;
        Assert.Multiple(() =>
        {
            Assert.That(monitor.ModelName, Is.EqualTo("scripted-model"));
            Assert.That(monitor.GenAI!.ProviderName, Is.EqualTo("scripted-provider"));
            Assert.That(monitor.GenAI.OperationName, Is.EqualTo("chat"));
            Assert.That(monitor.GetSnapshot().GenAI!.Calls, Is.EqualTo(1));
        });

        client.Dispose();
        using var again = new ModelMonitor(new ModelMonitorOptions { ModelName = "scripted-model", MeterName = meter, GenAI = new GenAIOptions() });
        Assert.That(again.ModelName, Is.EqualTo("scripted-model"), "the first monitor was disposed with its client, so its name is free again");
    }

    [Test]
    public async Task Embeddings_RecordInputTokensDurationAndBatchSize()
    {
        var time = new FakeTimeProvider();
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = TestContext.CurrentContext.Test.Name,
            MeterName = MeterName(),
            TimeProvider = time,
            GenAI = new GenAIOptions { OperationName = "embeddings" },
        });
        using IEmbeddingGenerator<string, Embedding<float>> generator = new EmbeddingGeneratorBuilder<string, Embedding<float>>(
                new DelegatingFakeGenerator(time))
            .UseModelMetrics(monitor)
            .Build();

        GeneratedEmbeddings<Embedding<float>> embeddings = await generator.GenerateAsync(["a", "bb", "ccc"]);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(embeddings, Has.Count.EqualTo(3));
            Assert.That(snapshot.GenAI!.InputTokens, Is.EqualTo(6));
            Assert.That(snapshot.GenAI.OutputTokens, Is.Zero);
            Assert.That(snapshot.GenAI.UnknownOutputTokens, Is.Zero);
            Assert.That(snapshot.GenAI.Duration.P50, Is.EqualTo(0.04).Within(0.04 * 0.01));
            Assert.That(snapshot.Items, Is.EqualTo(3), "the batch size");
            Assert.That(snapshot.Calls, Is.EqualTo(1));
        });
    }

    internal static ModelMonitor CreateMonitor(TimeProvider time, string? meter = null, bool conventions = true) => new(new ModelMonitorOptions
    {
        ModelName = TestContext.CurrentContext.Test.Name,
        MeterName = meter ?? MeterName(),
        TimeProvider = time,
        LatencyPrecision = 5,
        GenAI = new GenAIOptions { ProviderName = "scripted-provider", SemanticConventionInstruments = conventions },
    });

    internal static string MeterName() => "ModelMetrics.AI.Tests." + TestContext.CurrentContext.Test.Name;

    private sealed class HttpRequestFailure : Exception;

    private sealed class ThrowingChatClient : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }

    private sealed class DelegatingFakeGenerator(FakeTimeProvider time) : IEmbeddingGenerator<string, Embedding<float>>
    {
        public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            time.Advance(TimeSpan.FromMilliseconds(40));
            string[] inputs = values.ToArray();
            return new GeneratedEmbeddings<Embedding<float>>(inputs.Select(v => new Embedding<float>(new float[] { v.Length }) { ModelId = "embed-1" }))
            {
                Usage = new UsageDetails { InputTokenCount = inputs.Sum(v => v.Length) },
            };
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
