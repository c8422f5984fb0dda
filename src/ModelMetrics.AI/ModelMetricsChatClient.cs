// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;

namespace ModelMetrics.AI;

/// <summary>
/// A <see cref="DelegatingChatClient"/> that records every call of the chat client it wraps into a
/// <see cref="ModelMonitor"/>'s generative-AI signal (<see cref="ModelMonitor.GenAI"/>): tokens from
/// <see cref="ChatResponse.Usage"/> or the <see cref="UsageContent"/> of a stream, duration, time to the first update
/// that carries content, time per output token, inter-chunk latency, finish reason, errors and cancellations.
/// </summary>
/// <remarks>
/// <para>
/// It never changes what the inner client returns or throws: responses and updates pass through untouched, and an
/// exception reaches the caller as the same object after being counted. A stream whose consumer stops early (disposes
/// it before its end) is counted as <c>cancelled</c>; an exception mid-stream as that exception's type.
/// </para>
/// <para>
/// It stacks with Microsoft.Extensions.AI's <c>UseOpenTelemetry()</c> in either order: each call passes through it once
/// and is counted once in ModelMetrics' instruments. The OpenTelemetry client records the <c>gen_ai.client.*</c>
/// histograms on its own meter; set <see cref="GenAIOptions.SemanticConventionInstruments"/> to <see langword="false"/>
/// so that they are not recorded a second time on ModelMetrics' meter.
/// </para>
/// <para>
/// A response's <see cref="ChatResponse.ResponseId"/> is kept (bounded, see <see cref="ModelMonitorOptions.PendingCapacity"/>)
/// so that users' feedback can be joined with it later: <see cref="GenAIRecorder.RecordFeedback(PredictionId, bool)"/>.
/// Streaming allocates nothing per update.
/// </para>
/// </remarks>
public sealed class ModelMetricsChatClient : DelegatingChatClient
{
    private readonly GenAIRecorder _recorder;
    private readonly string? _defaultModelId;
    private readonly bool _ownsMonitor;

    /// <summary>Initializes a new instance that records into <paramref name="monitor"/>.</summary>
    /// <param name="innerClient">The chat client to measure.</param>
    /// <param name="monitor">A monitor with <see cref="ModelMonitorOptions.GenAI"/> set. Not disposed with this client.</param>
    /// <exception cref="ArgumentException"><paramref name="monitor"/> has no generative-AI signal.</exception>
    public ModelMetricsChatClient(IChatClient innerClient, ModelMonitor monitor)
        : this(innerClient, monitor, ownsMonitor: false)
    {
    }

    internal ModelMetricsChatClient(IChatClient innerClient, ModelMonitor monitor, bool ownsMonitor)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        _recorder = monitor.GenAI ?? throw new ArgumentException("The monitor must record generative calls: set ModelMonitorOptions.GenAI.", nameof(monitor));
        Monitor = monitor;
        _ownsMonitor = ownsMonitor;
        _defaultModelId = (innerClient.GetService(typeof(ChatClientMetadata)) as ChatClientMetadata)?.DefaultModelId;
    }

    /// <summary>Gets the monitor calls are recorded into (also returned by <c>GetService(typeof(ModelMonitor))</c>).</summary>
    public ModelMonitor Monitor { get; }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        GenAICall call = _recorder.StartCall(options?.ModelId ?? _defaultModelId);
        ChatResponse response;
        try
        {
            response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            call.Fail(exception, cancellationToken: cancellationToken);
            throw;
        }

        call.Complete(ToUsage(response.Usage), ToFinishReason(response.FinishReason), response.ModelId, ToResponseId(response.ResponseId));
        return response;
    }

    /// <inheritdoc />
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        new MeteredStream(this, messages, options, cancellationToken);

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(ModelMonitor) ? Monitor : base.GetService(serviceType, serviceKey);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsMonitor)
        {
            Monitor.Dispose();
        }

        base.Dispose(disposing);
    }

    internal static GenAIUsage ToUsage(UsageDetails? usage) => usage is null
        ? default
        : new GenAIUsage(usage.InputTokenCount, usage.OutputTokenCount, usage.CachedInputTokenCount, usage.ReasoningTokenCount);

    internal static GenAIFinishReason ToFinishReason(ChatFinishReason? reason)
    {
        if (reason is not { } value)
        {
            return GenAIFinishReason.Unknown;
        }

        return value == ChatFinishReason.Stop ? GenAIFinishReason.Stop
            : value == ChatFinishReason.Length ? GenAIFinishReason.Length
            : value == ChatFinishReason.ContentFilter ? GenAIFinishReason.ContentFilter
            : value == ChatFinishReason.ToolCalls ? GenAIFinishReason.ToolCalls
            : GenAIFinishReason.Unknown;
    }

    private static PredictionId ToResponseId(string? responseId) => string.IsNullOrEmpty(responseId) ? default : PredictionId.FromString(responseId);

    /// <summary>Adds a usage to the one gathered so far; a count either lacks stays as the other has it.</summary>
    private static UsageDetails? Add(UsageDetails? total, UsageDetails next)
    {
        if (total is null)
        {
            return next;
        }

        return new UsageDetails
        {
            InputTokenCount = Sum(total.InputTokenCount, next.InputTokenCount),
            OutputTokenCount = Sum(total.OutputTokenCount, next.OutputTokenCount),
            CachedInputTokenCount = Sum(total.CachedInputTokenCount, next.CachedInputTokenCount),
            ReasoningTokenCount = Sum(total.ReasoningTokenCount, next.ReasoningTokenCount),
        };
    }

    private static long? Sum(long? a, long? b) => a is null ? b : b is null ? a : a + b;

    /// <summary>
    /// A streamed call: the enumerable and, on its first enumeration, the enumerator (as the compiler's iterators do),
    /// written by hand so that an update that completes synchronously passes through without an async state machine.
    /// </summary>
    private sealed class MeteredStream : IAsyncEnumerable<ChatResponseUpdate>, IAsyncEnumerator<ChatResponseUpdate>
    {
        private readonly ModelMetricsChatClient _client;
        private readonly IEnumerable<ChatMessage> _messages;
        private readonly ChatOptions? _options;
        private readonly CancellationToken _callToken;
        private CancellationToken _enumeratorToken;
        private IAsyncEnumerator<ChatResponseUpdate>? _inner;
        private GenAICall _call;
        private UsageDetails? _usage;
        private ChatFinishReason? _finishReason;
        private string? _modelId;
        private string? _responseId;
        private ChatResponseUpdate? _current;
        private bool _enumerated;
        private bool _ended;

        public MeteredStream(ModelMetricsChatClient client, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
        {
            _client = client;
            _messages = messages;
            _options = options;
            _callToken = cancellationToken;
        }

        public ChatResponseUpdate Current => _current!;

        private CancellationToken CallerToken => _enumeratorToken.IsCancellationRequested ? _enumeratorToken : _callToken;

        public IAsyncEnumerator<ChatResponseUpdate> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        {
            // Each enumeration is a call of its own: the first uses this object, later ones a copy.
            MeteredStream stream = _enumerated ? new MeteredStream(_client, _messages, _options, _callToken) : this;
            stream._enumerated = true;
            stream._enumeratorToken = cancellationToken;
            stream._call = _client._recorder.StartCall(_options?.ModelId ?? _client._defaultModelId);
            try
            {
                // Note: both tokens pass through as given: the inner client's method gets the call's, its enumerator the enumeration's.
                stream._inner = _client.InnerClient.GetStreamingResponseAsync(_messages, _options, _callToken).GetAsyncEnumerator(cancellationToken);
            }
            catch (Exception exception)
            {
                stream.End(exception);
                throw;
            }

            return stream;
        }

        public ValueTask<bool> MoveNextAsync()
        {
            ValueTask<bool> pending;
            try
            {
                pending = _inner!.MoveNextAsync();
            }
            catch (Exception exception)
            {
                End(exception);
                throw;
            }

            // Note: the usual case for buffered updates; no state machine, no allocation.
            return pending.IsCompletedSuccessfully ? new ValueTask<bool>(Moved(pending.Result)) : AwaitMoveAsync(pending);
        }

        public ValueTask DisposeAsync()
        {
            if (_inner is not { } inner)
            {
                return default;
            }

            ValueTask disposing;
            try
            {
                disposing = inner.DisposeAsync();
            }
            catch (Exception exception)
            {
                End(exception);
                throw;
            }

            if (disposing.IsCompletedSuccessfully)
            {
                EndAbandoned();
                return default;
            }

            return AwaitDisposeAsync(disposing);
        }

        private async ValueTask<bool> AwaitMoveAsync(ValueTask<bool> pending)
        {
            bool moved;
            try
            {
                moved = await pending.ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                End(exception);
                throw;
            }

            return Moved(moved);
        }

        private async ValueTask AwaitDisposeAsync(ValueTask disposing)
        {
            try
            {
                await disposing.ConfigureAwait(false);
            }
            catch (Exception exception)
            {
                End(exception);
                throw;
            }

            EndAbandoned();
        }

        private bool Moved(bool moved)
        {
            if (!moved)
            {
                EndCompleted();
                return false;
            }

            ChatResponseUpdate update = _inner!.Current;
            IList<AIContent> contents = update.Contents;

            // Note: a List (what every update built by Microsoft.Extensions.AI holds) is walked as a span: no interface call per content.
            bool carriesContent = contents is List<AIContent> list ? Scan(CollectionsMarshal.AsSpan(list)) : Scan(contents);
            if (carriesContent)
            {
                _call.RecordChunk();
            }

            // Note: fields are written only when they change: a reference store costs a GC write barrier, and providers
            // repeat the model and response id on every update (the same string, when they cache it).
            if (update.FinishReason is { } finishReason && finishReason != _finishReason)
            {
                _finishReason = finishReason;
            }

            if (update.ModelId is { } modelId && !ReferenceEquals(modelId, _modelId))
            {
                _modelId = modelId;
            }

            if (update.ResponseId is { } responseId && !ReferenceEquals(responseId, _responseId))
            {
                _responseId = responseId;
            }

            _current = update;
            return true;
        }

        /// <summary>Gathers the usage among <paramref name="contents"/>; true when anything else (content) is there too.</summary>
        private bool Scan(ReadOnlySpan<AIContent> contents)
        {
            bool carriesContent = false;
            foreach (AIContent content in contents)
            {
                // Note: text first, by its exact type (sealed): one compare for nearly every update, where the cast to
                // UsageContent (not sealed) walks the type's parents.
                if (content.GetType() != typeof(TextContent) && content is UsageContent usage)
                {
                    _usage = Add(_usage, usage.Details);
                }
                else
                {
                    carriesContent = true;
                }
            }

            return carriesContent;
        }

        /// <summary>As <see cref="Scan(ReadOnlySpan{AIContent})"/> for a list of another type, walked by index (no enumerator allocated).</summary>
        private bool Scan(IList<AIContent> contents)
        {
            bool carriesContent = false;
            for (int i = 0; i < contents.Count; i++)
            {
                if (contents[i] is UsageContent usage)
                {
                    _usage = Add(_usage, usage.Details);
                }
                else
                {
                    carriesContent = true;
                }
            }

            return carriesContent;
        }

        /// <summary>Ends a stream that reached its end: the call completed.</summary>
        // Note: out of line, so that the per-update path keeps a small frame (the end's copies of usage and id are large).
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void EndCompleted()
        {
            _current = null;
            if (!_ended)
            {
                _ended = true;
                _call.Complete(ToUsage(_usage), ToFinishReason(_finishReason), _modelId, ToResponseId(_responseId));
            }
        }

        /// <summary>Ends the call as failed with <paramref name="exception"/>, unless it ended already.</summary>
        private void End(Exception exception)
        {
            if (!_ended)
            {
                _ended = true;
                _call.Fail(exception, ToUsage(_usage), _modelId, CallerToken);
            }
        }

        /// <summary>Ends a call disposed before its end: the consumer abandoned the stream.</summary>
        private void EndAbandoned()
        {
            if (!_ended)
            {
                _ended = true;
                _call.Abandon(ToUsage(_usage), _modelId);
            }
        }
    }
}
