// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using ModelMetrics.AI;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace ModelMetrics.Benchmarks;

/// <summary>
/// One streamed chat response of 100 content chunks and a usage update, from an in-memory client that yields
/// pre-built updates synchronously, consumed with <c>await foreach</c>: raw, through ModelMetrics' decorator
/// (<see cref="ModelMetricsChatClient"/>: the <c>model.genai.*</c> signal with HDR histograms, with and without the
/// <c>gen_ai.client.*</c> semantic-convention histograms), and through Microsoft.Extensions.AI's
/// <see cref="OpenTelemetryChatClient"/>. An OpenTelemetry <see cref="MeterProvider"/> listens to every meter, so every
/// histogram is enabled and aggregated; no tracer listens, as in a service that exports metrics only. Two controls
/// show the floor of any per-chunk measurement: a hand-written pass-through decorator, and the same reading the clock
/// once per update (what timing each chunk costs before anything is recorded).
/// </summary>
/// <remarks>
/// Overhead per response = decorated row − raw row; allocation per chunk = (decorated − raw allocated) ÷ 100 when the
/// per-call allocations are set apart (the decorator's iterator: a fixed size whatever the chunk count).
/// </remarks>
[MemoryDiagnoser]
public class GenAIStreamingBenchmarks
{
    private const string OpenTelemetrySource = "ModelMetrics.Benchmarks.GenAI.OpenTelemetry";
    private const string ModelMetricsMeter = "ModelMetrics.Benchmarks.GenAI";
    private const string ConventionsMeter = "ModelMetrics.Benchmarks.GenAI.Conventions";
    private static readonly ChatMessage[] Prompt = [new(ChatRole.User, "hello")];

    private readonly List<Metric> _exported = [];
    private MeterProvider _provider = null!;
    private ModelMonitor _monitor = null!;
    private ModelMonitor _conventionsMonitor = null!;
    private IChatClient _raw = null!;
    private IChatClient _modelMetrics = null!;
    private IChatClient _modelMetricsConventions = null!;
    private IChatClient _openTelemetry = null!;
    private PassThroughChatClient _passThrough = null!;
    private PassThroughChatClient _passThroughClock = null!;

    [Params(10, 100)]
    public int Chunks { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(OpenTelemetrySource, ModelMetricsMeter, ConventionsMeter)
            .AddInMemoryExporter(_exported)
            .Build();
        _raw = new InMemoryChatClient(Chunks);
        _monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "bench-genai",
            MeterName = ModelMetricsMeter,
            GenAI = new GenAIOptions { ProviderName = "in-memory", SemanticConventionInstruments = false },
        });
        _conventionsMonitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "bench-genai",
            MeterName = ConventionsMeter,
            GenAI = new GenAIOptions { ProviderName = "in-memory" },
        });
        _modelMetrics = new ChatClientBuilder(_raw).UseModelMetrics(_monitor).Build();
        _modelMetricsConventions = new ChatClientBuilder(_raw).UseModelMetrics(_conventionsMonitor).Build();
        _openTelemetry = new ChatClientBuilder(_raw).UseOpenTelemetry(sourceName: OpenTelemetrySource).Build();
        _passThrough = new PassThroughChatClient(_raw, readClock: false);
        _passThroughClock = new PassThroughChatClient(_raw, readClock: true);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _modelMetrics.Dispose();
        _modelMetricsConventions.Dispose();
        _openTelemetry.Dispose();
        _passThrough.Dispose();
        _passThroughClock.Dispose();
        _monitor.Dispose();
        _conventionsMonitor.Dispose();
        _provider.Dispose();
    }

    [Benchmark(Description = "raw client, no decorator")]
    public Task<int> Raw() => Consume<RawRow>(_raw);

    [Benchmark(Description = "control: pass-through decorator")]
    public Task<int> PassThrough() => Consume<PassThroughRow>(_passThrough);

    [Benchmark(Description = "control: pass-through decorator + 1 clock read per update")]
    public Task<int> PassThroughClock() => Consume<PassThroughClockRow>(_passThroughClock);

    [Benchmark(Baseline = true, Description = "ModelMetricsChatClient (model.genai.*)")]
    public Task<int> ModelMetrics() => Consume<ModelMetricsRow>(_modelMetrics);

    [Benchmark(Description = "ModelMetricsChatClient (model.genai.* + gen_ai.client.*)")]
    public Task<int> ModelMetricsWithConventions() => Consume<ModelMetricsConventionsRow>(_modelMetricsConventions);

    [Benchmark(Description = "OpenTelemetryChatClient (gen_ai.client.*)")]
    public Task<int> OpenTelemetry() => Consume<OpenTelemetryRow>(_openTelemetry);

    // Note: one instantiation per row (TRow is a struct, so each gets code of its own), so that the JIT's profile-guided
    // devirtualization of the consumer's MoveNextAsync and Current sees one enumerator type, as a real consumer loop does.
    // With one shared method it guesses the first row's type (the raw client's), and every later row pays a failed guess
    // and an interface dispatch per update: a cost of no decorator, added to all of them.
    private static async Task<int> Consume<TRow>(IChatClient client)
        where TRow : struct
    {
        int count = 0;
        await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync(Prompt).ConfigureAwait(false))
        {
            count++;
        }

        return count;
    }

    private struct RawRow;

    private struct PassThroughRow;

    private struct PassThroughClockRow;

    private struct ModelMetricsRow;

    private struct ModelMetricsConventionsRow;

    private struct OpenTelemetryRow;

    /// <summary>A decorator that passes updates through, reading the clock once per update if asked: the controls.</summary>
    private sealed class PassThroughChatClient(IChatClient inner, bool readClock) : DelegatingChatClient(inner)
    {
        public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            new Stream(InnerClient.GetStreamingResponseAsync(messages, options, cancellationToken), readClock);

        private sealed class Stream(IAsyncEnumerable<ChatResponseUpdate> updates, bool readClock) : IAsyncEnumerable<ChatResponseUpdate>, IAsyncEnumerator<ChatResponseUpdate>
        {
            private IAsyncEnumerator<ChatResponseUpdate>? _inner;
            private ChatResponseUpdate? _current;

            public long LastTimestamp { get; private set; }

            public ChatResponseUpdate Current => _current!;

            public IAsyncEnumerator<ChatResponseUpdate> GetAsyncEnumerator(CancellationToken cancellationToken = default)
            {
                _inner = updates.GetAsyncEnumerator(cancellationToken);
                return this;
            }

            public ValueTask<bool> MoveNextAsync()
            {
                ValueTask<bool> pending = _inner!.MoveNextAsync();
                return pending.IsCompletedSuccessfully ? new ValueTask<bool>(Moved(pending.Result)) : AwaitAsync(pending);
            }

            public ValueTask DisposeAsync() => _inner!.DisposeAsync();

            private async ValueTask<bool> AwaitAsync(ValueTask<bool> pending) => Moved(await pending.ConfigureAwait(false));

            private bool Moved(bool moved)
            {
                _current = moved ? _inner!.Current : null;
                if (moved && readClock)
                {
                    LastTimestamp = Stopwatch.GetTimestamp();
                }

                return moved;
            }
        }
    }

    /// <summary>Streams pre-built updates synchronously: only the decorators allocate.</summary>
    private sealed class InMemoryChatClient : IChatClient
    {
        private readonly ChatResponseUpdate[] _updates;

        public InMemoryChatClient(int chunks)
        {
            _updates = new ChatResponseUpdate[chunks + 1];
            for (int i = 0; i < chunks; i++)
            {
                _updates[i] = new ChatResponseUpdate(ChatRole.Assistant, "tok ") { ResponseId = "r", ModelId = "in-memory-1" };
            }

            _updates[chunks] = new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = 20, OutputTokenCount = chunks })])
            {
                FinishReason = ChatFinishReason.Stop,
                ResponseId = "r",
                ModelId = "in-memory-1",
            };
        }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            Task.FromResult(_updates.ToChatResponse());

        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            foreach (ChatResponseUpdate update in _updates)
            {
                yield return update;
            }

            await Task.CompletedTask.ConfigureAwait(false);
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

        public void Dispose()
        {
        }
    }
}
