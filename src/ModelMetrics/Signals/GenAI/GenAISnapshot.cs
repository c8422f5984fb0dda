// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Collections.Generic;

namespace ModelMetrics;

/// <summary>
/// What a generative model did, cumulative (<see cref="ModelMonitorSnapshot.GenAI"/>) or in one window
/// (<see cref="WindowSnapshot.GenAI"/>): calls by finish reason and failure, tokens, durations, time to first token,
/// time per output token, inter-chunk latency, tokens per second, feedback and cost. Immutable; counts are raw and every
/// ratio is derived from them.
/// </summary>
public sealed class GenAISnapshot
{
    /// <summary>An empty snapshot, filled by <see cref="Fill"/> before anyone sees it.</summary>
    internal GenAISnapshot()
    {
        FinishReasonTable = FailureTable = UnmatchedTable = [];
        Duration = TimeToFirstToken = TimePerOutputToken = InterChunkLatency = null!;
        Currency = string.Empty;
    }

    /// <summary>
    /// Sets every value: a new snapshot's, or those of the snapshot a publishing reading refills (read under the
    /// monitor's reader lock alone; a snapshot a user can see is never changed).
    /// </summary>
    internal void Fill(
        long succeeded,
        Dictionary<string, long> finishReasons,
        Dictionary<string, long> failures,
        long failed,
        long inFlight,
        in GenAITokens tokens,
        double outputTokensPerSecond,
        LatencySnapshot duration,
        LatencySnapshot timeToFirstToken,
        LatencySnapshot timePerOutputToken,
        LatencySnapshot interChunkLatency,
        in GenAIFeedback feedback,
        double cost,
        string currency)
    {
        Succeeded = succeeded;
        FinishReasonTable = finishReasons;
        FailureTable = failures;
        Failed = failed;
        InFlight = inFlight;
        InputTokens = tokens.Input;
        OutputTokens = tokens.Output;
        CachedInputTokens = tokens.CachedInput;
        ReasoningTokens = tokens.Reasoning;
        UnknownInputTokens = tokens.UnknownInput;
        UnknownOutputTokens = tokens.UnknownOutput;
        OutputTokensPerSecond = outputTokensPerSecond;
        Duration = duration;
        TimeToFirstToken = timeToFirstToken;
        TimePerOutputToken = timePerOutputToken;
        InterChunkLatency = interChunkLatency;
        PositiveFeedback = feedback.Positive;
        NegativeFeedback = feedback.Negative;
        ScoredFeedback = feedback.Scored;
        FeedbackScoreSum = feedback.ScoreSum;
        PendingResponses = feedback.Pending;
        UnmatchedTable = feedback.Unmatched;
        Cost = cost;
        Currency = currency;
    }

    /// <summary>Gets the number of completed calls: <see cref="Succeeded"/> + <see cref="Failed"/>.</summary>
    public long Calls => Succeeded + Failed;

    /// <summary>Gets the number of calls that completed (with any finish reason).</summary>
    public long Succeeded { get; private set; }

    /// <summary>Gets the number of calls that failed, were cancelled, timed out or were abandoned by their consumer.</summary>
    public long Failed { get; private set; }

    /// <summary>
    /// Gets the completed calls by finish reason: <c>stop</c>, <c>length</c>, <c>content_filter</c>, <c>tool_calls</c>,
    /// <c>unknown</c> (only those counted at least once).
    /// </summary>
    public IReadOnlyDictionary<string, long> FinishReasons => FinishReasonTable;

    /// <summary>Gets the failed calls by <c>error.type</c>: <c>cancelled</c>, <c>timeout</c>, an exception's full type name, or <c>_OTHER</c>.</summary>
    public IReadOnlyDictionary<string, long> Failures => FailureTable;

    /// <summary>Gets the number of calls started and not yet ended (the same in every window).</summary>
    public long InFlight { get; private set; }

    /// <summary>Gets the input tokens of the calls whose usage reported them.</summary>
    public long InputTokens { get; private set; }

    /// <summary>Gets the output tokens of the calls whose usage reported them (or whose chunks counted them).</summary>
    public long OutputTokens { get; private set; }

    /// <summary>Gets the cached input tokens reported (part of <see cref="InputTokens"/>).</summary>
    public long CachedInputTokens { get; private set; }

    /// <summary>Gets the reasoning tokens reported (part of <see cref="OutputTokens"/>).</summary>
    public long ReasoningTokens { get; private set; }

    /// <summary>Gets the number of calls whose input tokens were not reported (or were rejected): unknown, never guessed.</summary>
    public long UnknownInputTokens { get; private set; }

    /// <summary>Gets the number of calls whose output tokens were neither reported nor counted (or were rejected).</summary>
    public long UnknownOutputTokens { get; private set; }

    /// <summary>
    /// Gets the output tokens per second of the completed calls with known output tokens: their output tokens over the
    /// sum of their durations (0 without such calls).
    /// </summary>
    public double OutputTokensPerSecond { get; private set; }

    /// <summary>Gets the durations of completed calls (failed ones included), in seconds.</summary>
    public LatencySnapshot Duration { get; private set; }

    /// <summary>Gets the time from the start of a streamed call to its first chunk, in seconds.</summary>
    public LatencySnapshot TimeToFirstToken { get; private set; }

    /// <summary>Gets the time per output token of successful streamed calls: (duration − time to first token) ÷ (output tokens − 1).</summary>
    public LatencySnapshot TimePerOutputToken { get; private set; }

    /// <summary>Gets the time between consecutive chunks of streamed calls, in seconds.</summary>
    public LatencySnapshot InterChunkLatency { get; private set; }

    /// <summary>Gets the number of feedbacks joined with their response: <see cref="PositiveFeedback"/> + <see cref="NegativeFeedback"/>.</summary>
    public long Feedback => PositiveFeedback + NegativeFeedback;

    /// <summary>Gets the number of positive feedbacks (a thumbs up, or a score of at least 0.5).</summary>
    public long PositiveFeedback { get; private set; }

    /// <summary>Gets the number of negative feedbacks.</summary>
    public long NegativeFeedback { get; private set; }

    /// <summary>Gets the fraction of feedbacks that were positive, or 0 without feedback.</summary>
    public double PositiveFeedbackRate => Feedback == 0 ? 0 : (double)PositiveFeedback / Feedback;

    /// <summary>Gets the number of feedbacks given as a score.</summary>
    public long ScoredFeedback { get; private set; }

    /// <summary>Gets the sum of the scores given (to a millionth).</summary>
    public double FeedbackScoreSum { get; private set; }

    /// <summary>Gets the mean score of the feedbacks given as a score, or 0 without any.</summary>
    public double MeanFeedbackScore => ScoredFeedback == 0 ? 0 : FeedbackScoreSum / ScoredFeedback;

    /// <summary>Gets the number of responses waiting for feedback now (the same in every window).</summary>
    public long PendingResponses { get; private set; }

    /// <summary>
    /// Gets the feedbacks that joined no response, by why: <c>unknown_id</c>, <c>duplicate</c> (the response was already
    /// rated), <c>late</c> (it expired or was evicted), <c>invalid_id</c>. Cumulative only: empty in a window.
    /// </summary>
    public IReadOnlyDictionary<string, long> UnmatchedFeedback => UnmatchedTable;

    /// <summary>Gets <see cref="FinishReasons"/> as the table itself: publishing enumerates it without a boxed enumerator.</summary>
    internal Dictionary<string, long> FinishReasonTable { get; private set; }

    /// <summary>Gets <see cref="Failures"/> as the table itself.</summary>
    internal Dictionary<string, long> FailureTable { get; private set; }

    /// <summary>Gets <see cref="UnmatchedFeedback"/> as the table itself.</summary>
    internal Dictionary<string, long> UnmatchedTable { get; private set; }

    /// <summary>Gets the cost of the tokens of the calls whose model has a price (<see cref="GenAIOptions.Prices"/>), in <see cref="Currency"/>.</summary>
    public double Cost { get; private set; }

    /// <summary>Gets the currency of <see cref="Cost"/>.</summary>
    public string Currency { get; private set; }
}

/// <summary>A snapshot's token counts, passed together.</summary>
internal readonly record struct GenAITokens(long Input, long Output, long CachedInput, long Reasoning, long UnknownInput, long UnknownOutput);

/// <summary>A snapshot's feedback counts, passed together.</summary>
internal readonly record struct GenAIFeedback(long Positive, long Negative, long Scored, double ScoreSum, long Pending, Dictionary<string, long> Unmatched);
