// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Runtime.CompilerServices;
using System.Threading;
using ModelMetrics.Signals;

namespace ModelMetrics;

/// <summary>
/// One generative call in flight, from <see cref="GenAIRecorder.StartCall"/>: report each chunk as it arrives with
/// <see cref="RecordChunk()"/>, then end the call once with <see cref="Complete"/>, <see cref="Fail"/> or
/// <see cref="Abandon"/>. A value type, so a call allocates nothing: keep it in one local variable (a copy has its own
/// chunk count and end), and never use it from two threads at once.
/// </summary>
/// <remarks>
/// Time to first token is the time from the start to the first chunk; inter-chunk latency the time between two
/// chunks; time per output token, as the OpenTelemetry conventions define it, (duration − time to first token) ÷
/// (output tokens − 1), for successful streamed calls with at least two output tokens. Ending a call twice, or a
/// <see langword="default"/> call, does nothing. Nothing here throws.
/// <para>
/// The call keeps the gaps between chunks and records them into the monitor 16 at a time
/// and when it ends (one look-up of the recording thread's cells per batch rather than per chunk), so a snapshot taken
/// while a stream is in flight may not show its latest few inter-chunk latencies yet; nothing is lost.
/// </para>
/// </remarks>
public struct GenAICall
{
    private readonly GenAISignal? _signal;
    private readonly long _start;
    private readonly int _requestModel;
    private long _firstChunk;
    private long _lastChunk;
    private long _chunks;
    private long _countedTokens;
    private bool _tokensCounted;
    private bool _ended;
    private int _buffered;
    private GapBuffer _gaps;

    internal GenAICall(GenAISignal signal, long start, int requestModel)
    {
        _signal = signal;
        _start = start;
        _requestModel = requestModel;
    }

    /// <summary>Gets the number of chunks recorded so far.</summary>
    public readonly long Chunks => _chunks;

    internal readonly long Start => _start;

    internal readonly long FirstChunk => _firstChunk;

    internal readonly int RequestModel => _requestModel;

    internal readonly long CountedTokens => _countedTokens;

    internal readonly bool TokensCounted => _tokensCounted;

    /// <summary>Records that a chunk carrying content arrived (its token count unknown).</summary>
    public void RecordChunk()
    {
        if (_signal is not { } signal || _ended)
        {
            return;
        }

        long now = signal.Timestamp();
        if (_chunks++ == 0)
        {
            _firstChunk = now;
        }
        else
        {
            // Note: a store into the call per chunk; the batch goes to the histogram when full (out of line) and at the end.
            long gap = now - _lastChunk;
            _gaps[_buffered] = gap;
            if (++_buffered == GapBuffer.Length)
            {
                FlushGaps(signal);
            }

            if (signal.ChunkConventions is { } conventions)
            {
                signal.RecordGapConvention(conventions, gap, _requestModel);
            }
        }

        _lastChunk = now;
    }

    /// <summary>
    /// Records that a chunk carrying <paramref name="outputTokens"/> output tokens arrived. The counted tokens are the
    /// call's output tokens when <see cref="Complete"/> is given no output usage. A negative count is rejected
    /// (<c>invalid_token_count</c>) and the chunk recorded without tokens.
    /// </summary>
    /// <param name="outputTokens">The output tokens in the chunk (0 for a chunk without any).</param>
    public void RecordChunk(int outputTokens)
    {
        if (_signal is not { } signal || _ended)
        {
            return;
        }

        RecordChunk();
        if (outputTokens < 0)
        {
            signal.RejectTokens();
            return;
        }

        _countedTokens += outputTokens;
        _tokensCounted = true;
    }

    /// <summary>Ends a call that completed: counts its tokens, durations and finish reason.</summary>
    /// <param name="usage">The token usage the provider reported; counts left null are counted as unknown.</param>
    /// <param name="finishReason">Why the model stopped.</param>
    /// <param name="responseModel">The model that answered (<c>gen_ai.response.model</c>), or <see langword="null"/>.</param>
    /// <param name="responseId">
    /// The response's id, to join user feedback with it later (<see cref="GenAIRecorder.RecordFeedback(PredictionId, bool)"/>),
    /// or <see langword="default"/>. Kept in a bounded store (<see cref="ModelMonitorOptions.PendingCapacity"/>,
    /// <see cref="ModelMonitorOptions.PendingTimeToLive"/>); never published.
    /// </param>
    public void Complete(GenAIUsage usage = default, GenAIFinishReason finishReason = GenAIFinishReason.Unknown, string? responseModel = null, PredictionId responseId = default)
    {
        if (_signal is not { } signal || _ended)
        {
            return;
        }

        _ended = true;
        if (_buffered > 0)
        {
            FlushGaps(signal);
        }

        signal.Complete(this, usage, finishReason, responseModel, responseId);
    }

    /// <summary>
    /// Ends a call that threw <paramref name="exception"/> (before or during the stream), counted as <c>cancelled</c>,
    /// <c>timeout</c> or an error named by the exception's type, as <see cref="ModelMonitor.EndCall(long, Exception, CancellationToken)"/> does.
    /// The semantic-convention histograms carry the exception's full type name as <c>error.type</c> in every case, as
    /// the conventions ask and Microsoft.Extensions.AI's <c>OpenTelemetryChatClient</c> does.
    /// </summary>
    /// <param name="exception">The exception. A <see langword="null"/> counts as an error of type <c>_OTHER</c>.</param>
    /// <param name="usage">The token usage reported before the failure, if any.</param>
    /// <param name="responseModel">The model that answered, if known.</param>
    /// <param name="cancellationToken">The caller's token: cancellation is told from a timeout by whether it was cancelled.</param>
    public void Fail(Exception exception, GenAIUsage usage = default, string? responseModel = null, CancellationToken cancellationToken = default)
    {
        if (_signal is not { } signal || _ended)
        {
            return;
        }

        _ended = true;
        if (_buffered > 0)
        {
            FlushGaps(signal);
        }

        exception ??= OutcomeTable.UnknownFailure;
        signal.Fail(this, signal.Classify(exception, cancellationToken), ReferenceEquals(exception, OutcomeTable.UnknownFailure) ? null : exception, usage, responseModel);
    }

    /// <summary>Ends a call whose consumer stopped early (a stream disposed before its end): counted as <c>cancelled</c>.</summary>
    /// <param name="usage">The token usage reported before the consumer stopped, if any.</param>
    /// <param name="responseModel">The model that answered, if known.</param>
    public void Abandon(GenAIUsage usage = default, string? responseModel = null)
    {
        if (_signal is not { } signal || _ended)
        {
            return;
        }

        _ended = true;
        if (_buffered > 0)
        {
            FlushGaps(signal);
        }

        signal.Fail(this, OutcomeTable.Cancelled, exception: null, usage, responseModel);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void FlushGaps(GenAISignal signal)
    {
        signal.RecordGaps(_gaps[.._buffered]);
        _buffered = 0;
    }
}

/// <summary>The gaps between chunks a <see cref="GenAICall"/> keeps until it records them.</summary>
[InlineArray(Length)]
internal struct GapBuffer
{
    /// <summary>The gaps kept: 16 (128 bytes in the call).</summary>
    public const int Length = 16;

    private long _element;
}
