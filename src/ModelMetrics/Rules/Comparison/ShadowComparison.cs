// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Threading;
using ModelMetrics.Signals;

namespace ModelMetrics;

/// <summary>
/// What a shadow stage (<see cref="ChallengerPredictorBuilderExtensions.UseShadow"/>) has seen: inputs sampled, dropped and
/// compared, how often the challenger agreed with the champion, and the paired right/wrong table that McNemar's test reads.
/// Get it from the pipeline with <c>predictor.GetService&lt;ShadowComparison&gt;()</c>.
/// </summary>
/// <remarks>
/// <para>
/// The paired table is filled in one of two ways. Either the shadow stage knows each input's <see cref="PredictionId"/> and
/// each output's class (<see cref="ShadowOptions{TInput, TOutput}.PredictionId"/> and
/// <see cref="ShadowOptions{TInput, TOutput}.PredictedClass"/>): when the challenger has answered a sampled input, both
/// predicted classes wait under its id in a bounded store (<see cref="ShadowOptions{TInput, TOutput}.PendingCapacity"/>,
/// <see cref="ShadowOptions{TInput, TOutput}.PendingTimeToLive"/>), and <see cref="RecordLabel"/> joins the label to them.
/// Or the caller, who knows both answers and the truth, calls <see cref="RecordOutcome"/>.
/// </para>
/// <para>Thread-safe; counts are never lost. Reading <see cref="Outcomes"/> while labels arrive may see a label in one cell before another label's.</para>
/// </remarks>
public sealed class ShadowComparison
{
    private readonly PendingPredictions? _pending;
    private long _sampled;
    private long _dropped;
    private long _compared;
    private long _agreed;
    private long _failed;
    private long _bothCorrect;
    private long _championOnly;
    private long _challengerOnly;
    private long _bothWrong;
    private long _unmatchedLabels;

    internal ShadowComparison(PendingPredictions? pending) => _pending = pending;

    /// <summary>Gets the inputs sampled for the challenger (queued or dropped; a sampled batch counts its inputs).</summary>
    public long Sampled => Interlocked.Read(ref _sampled);

    /// <summary>Gets the sampled inputs dropped because the queue was full (the challenger could not keep up) or the stage was shutting down.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Gets the sampled inputs the challenger answered, each compared with the champion's answer.</summary>
    public long Compared => Interlocked.Read(ref _compared);

    /// <summary>Gets the compared inputs where the challenger's answer equaled the champion's (by the options' comparer).</summary>
    public long Agreed => Interlocked.Read(ref _agreed);

    /// <summary>Gets the sampled inputs where the challenger threw (or was cancelled at shutdown): counted here, never seen by the caller.</summary>
    public long ChallengerFailed => Interlocked.Read(ref _failed);

    /// <summary>Gets the share of compared inputs where both models agreed, or 0 before the first.</summary>
    public double AgreementRate
    {
        get
        {
            long compared = Compared;
            return compared == 0 ? 0 : (double)Agreed / compared;
        }
    }

    /// <summary>Gets the labels given to <see cref="RecordLabel"/> that found no pair: unknown, expired, evicted, duplicate or invalid ids, or a stage without ids.</summary>
    public long UnmatchedLabels => Interlocked.Read(ref _unmatchedLabels);

    /// <summary>Gets the paired right/wrong table so far.</summary>
    public PairedOutcomes Outcomes => new(
        Interlocked.Read(ref _bothCorrect),
        Interlocked.Read(ref _championOnly),
        Interlocked.Read(ref _challengerOnly),
        Interlocked.Read(ref _bothWrong));

    /// <summary>
    /// Joins the true class of a sampled input to both models' predictions and counts the pair. Never throws.
    /// </summary>
    /// <param name="id">The input's id, as <see cref="ShadowOptions{TInput, TOutput}.PredictionId"/> returned it.</param>
    /// <param name="actualClass">The true class index.</param>
    /// <returns>
    /// <see langword="true"/> when a pair was waiting under <paramref name="id"/>; <see langword="false"/> (counted in
    /// <see cref="UnmatchedLabels"/>) when the input was not sampled, not yet answered by the challenger, dropped, expired,
    /// already labelled, or the stage has no <see cref="ShadowOptions{TInput, TOutput}.PredictionId"/>.
    /// </returns>
    public bool RecordLabel(PredictionId id, int actualClass)
    {
        if (_pending is null || _pending.TryJoin(id, out PendingPrediction pair) != JoinResult.Joined)
        {
            Interlocked.Increment(ref _unmatchedLabels);
            return false;
        }

        // The champion's class is stored as the pending class, the challenger's as the pending value (exact for any int).
        RecordOutcome(pair.PredictedClass == actualClass, (int)pair.PredictedValue == actualClass);
        return true;
    }

    /// <summary>Counts one labelled pair whose correctness the caller determined.</summary>
    /// <param name="championCorrect">Whether the champion was right.</param>
    /// <param name="challengerCorrect">Whether the challenger was right on the same input.</param>
    public void RecordOutcome(bool championCorrect, bool challengerCorrect)
    {
        if (championCorrect)
        {
            Interlocked.Increment(ref challengerCorrect ? ref _bothCorrect : ref _championOnly);
        }
        else
        {
            Interlocked.Increment(ref challengerCorrect ? ref _challengerOnly : ref _bothWrong);
        }
    }

    /// <summary>Compares the challenger with the champion on the pairs so far (McNemar's test): see <see cref="ChallengerComparison.CompareShadow"/>.</summary>
    /// <param name="championLatency">The champion's latency (a window of its monitor), for the ratios; optional.</param>
    /// <param name="challengerLatency">The challenger's latency over the same window; optional.</param>
    /// <param name="options">The significance level and minimum sample; the defaults when <see langword="null"/>.</param>
    /// <returns>The comparison.</returns>
    public ChallengerComparison Compare(LatencySnapshot? championLatency = null, LatencySnapshot? challengerLatency = null, ComparisonOptions? options = null) =>
        ChallengerComparison.CompareShadow(Outcomes, championLatency, challengerLatency, options);

    internal void CountSampled(long count) => Interlocked.Add(ref _sampled, count);

    internal void CountDropped(long count) => Interlocked.Add(ref _dropped, count);

    internal void CountFailed(long count) => Interlocked.Add(ref _failed, count);

    internal void CountCompared(bool agreed)
    {
        Interlocked.Increment(ref _compared);
        if (agreed)
        {
            Interlocked.Increment(ref _agreed);
        }
    }

    internal void AddPair(PredictionId id, int championClass, int challengerClass, long timestamp) =>
        _pending?.Add(id, new PendingPrediction(championClass, challengerClass, null, timestamp));
}
