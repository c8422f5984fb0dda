// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
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
        StreamAsync(messages, options, cancellationToken);

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

    private async IAsyncEnumerable<ChatResponseUpdate> StreamAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        GenAICall call = _recorder.StartCall(options?.ModelId ?? _defaultModelId);
        IAsyncEnumerator<ChatResponseUpdate> enumerator;
        try
        {
            enumerator = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        }
        catch (Exception exception)
        {
            call.Fail(exception, cancellationToken: cancellationToken);
            throw;
        }

        UsageDetails? usage = null;
        ChatFinishReason? finishReason = null;
        string? modelId = null;
        string? responseId = null;
        Exception? failure = null;
        bool finished = false;
        try
        {
            while (true)
            {
                bool hasUpdate;
                try
                {
                    hasUpdate = await enumerator.MoveNextAsync().ConfigureAwait(false);
                }
                catch (Exception exception)
                {
                    failure = exception;
                    throw;
                }

                if (!hasUpdate)
                {
                    finished = true;
                    break;
                }

                ChatResponseUpdate update = enumerator.Current;

                // Note: contents are walked by index (no enumerator allocated); usage travels as content of its own.
                bool carriesContent = false;
                IList<AIContent> contents = update.Contents;
                for (int i = 0; i < contents.Count; i++)
                {
                    if (contents[i] is UsageContent usageContent)
                    {
                        usage = Add(usage, usageContent.Details);
                    }
                    else
                    {
                        carriesContent = true;
                    }
                }

                if (carriesContent)
                {
                    call.RecordChunk();
                }

                finishReason = update.FinishReason ?? finishReason;
                modelId = update.ModelId ?? modelId;
                responseId = update.ResponseId ?? responseId;
                yield return update;
            }
        }
        finally
        {
            try
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception exception) when ((failure ??= exception) is null)
            {
                // Never entered: the filter only notes a fault of the inner DisposeAsync and lets it propagate unchanged.
            }
            finally
            {
                if (failure is not null)
                {
                    call.Fail(failure, ToUsage(usage), modelId, cancellationToken);
                }
                else if (finished)
                {
                    call.Complete(ToUsage(usage), ToFinishReason(finishReason), modelId, ToResponseId(responseId));
                }
                else
                {
                    // The consumer stopped before the end: the response was abandoned.
                    call.Abandon(ToUsage(usage), modelId);
                }
            }
        }
    }
}
