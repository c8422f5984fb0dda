// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace ModelMetrics;

/// <summary>How a canary stage (<see cref="ChallengerPredictorBuilderExtensions.UseCanary"/>) picks the calls that go to the challenger.</summary>
public enum CanarySplit
{
    /// <summary>
    /// By a shared call counter: call n goes to the challenger when ⌊n · share⌋ grows, so that over any run of calls the
    /// challenger's count is the share of the calls rounded down, exactly (at a share of 0.1: calls 10, 20, 30, …).
    /// </summary>
    Counter = 0,

    /// <summary>By an independent random draw per call (no pattern that the traffic could line up with).</summary>
    Random = 1,
}

/// <summary>Sends a share of the calls to the challenger (the caller gets its answer, or its exception) and the rest to the champion.</summary>
internal sealed class CanaryPredictor<TInput, TOutput> : DelegatingPredictor<TInput, TOutput>
{
    private readonly IPredictor<TInput, TOutput> _challenger;
    private readonly double _share;
    private readonly CanarySplit _split;
    private long _calls;

    public CanaryPredictor(IPredictor<TInput, TOutput> champion, IPredictor<TInput, TOutput> challenger, double share, CanarySplit split)
        : base(champion)
    {
        _challenger = challenger;
        _share = share;
        _split = split;
    }

    public override TOutput Predict(TInput input) => Pick().Predict(input);

    public override ValueTask<TOutput> PredictAsync(TInput input, CancellationToken cancellationToken = default) =>
        Pick().PredictAsync(input, cancellationToken);

    public override ValueTask<IReadOnlyList<TOutput>> PredictBatchAsync(IReadOnlyList<TInput> inputs, CancellationToken cancellationToken = default) =>
        Pick().PredictBatchAsync(inputs, cancellationToken);

    public override IAsyncEnumerable<TOutput> PredictStreamingAsync(TInput input, CancellationToken cancellationToken = default) =>
        Pick().PredictStreamingAsync(input, cancellationToken);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _challenger.Dispose();
        }

        base.Dispose(disposing);
    }

    private IPredictor<TInput, TOutput> Pick()
    {
        if (_split == CanarySplit.Random)
        {
            return Random.Shared.NextDouble() < _share ? _challenger : InnerPredictor;
        }

        // Note: one interlocked increment per call; the floor grows exactly ⌊n · share⌋ times over the first n calls, whatever
        // the threads (each n is drawn once). Exact in doubles while n · share stays below 2^53.
        long n = Interlocked.Increment(ref _calls);
        return (long)(n * _share) != (long)((n - 1) * _share) ? _challenger : InnerPredictor;
    }
}
