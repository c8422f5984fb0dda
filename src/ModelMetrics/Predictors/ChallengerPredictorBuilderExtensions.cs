// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

namespace ModelMetrics;

/// <summary>Adds a challenger model to a predictor pipeline: in shadow (off the caller's path) or as a canary (a share of the traffic).</summary>
public static class ChallengerPredictorBuilderExtensions
{
    /// <summary>
    /// Runs <paramref name="challenger"/> in shadow: a sample of the single and batch calls, with the champion's answers, goes
    /// to a bounded queue that a background worker works through, running the challenger and comparing its answers with the
    /// champion's. The caller's result, exception and latency are the champion's; the challenger's faults are counted and never
    /// reach the caller; a full queue drops the sample and counts it. Read the counts, the agreement rate and the paired table
    /// from <c>predictor.GetService&lt;ShadowComparison&gt;()</c>.
    /// </summary>
    /// <typeparam name="TInput">The model's input.</typeparam>
    /// <typeparam name="TOutput">The model's output.</typeparam>
    /// <param name="builder">The pipeline.</param>
    /// <param name="challenger">
    /// The challenger, usually built with its own <c>.UseMetrics(monitor)</c> (its name and version) so that its latency and
    /// errors are recorded apart from the champion's. Disposed with the pipeline, once its queue is worked through.
    /// </param>
    /// <param name="sampleRate">The share of calls shadowed, in (0, 1]: 1 shadows every call, 0.1 one in ten (drawn at random).</param>
    /// <param name="configure">Sets the queue, comparer, pairing and drain options; optional.</param>
    /// <returns>The pipeline.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sampleRate"/> is not in (0, 1].</exception>
    public static PredictorBuilder<TInput, TOutput> UseShadow<TInput, TOutput>(
        this PredictorBuilder<TInput, TOutput> builder,
        IPredictor<TInput, TOutput> challenger,
        double sampleRate,
        Action<ShadowOptions<TInput, TOutput>>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(challenger);
        if (!(sampleRate is > 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(sampleRate), sampleRate, "The sample rate must be above 0 and at most 1.");
        }

        var options = new ShadowOptions<TInput, TOutput>();
        configure?.Invoke(options);
        return builder.Use(inner => new ShadowPredictor<TInput, TOutput>(inner, challenger, sampleRate, options));
    }

    /// <summary>
    /// Sends a share of the calls to <paramref name="challenger"/> instead of the champion: the caller gets the challenger's
    /// answer (or exception) for those. Record each model into its own monitor (build the challenger with its own
    /// <c>.UseMetrics(monitor)</c>, and add the champion's <c>.UseMetrics</c> after this stage, so that it sees only the champion's
    /// calls), record ground truth into the monitor of the model that answered, and compare with
    /// <see cref="ChallengerComparison.CompareCanary"/>.
    /// </summary>
    /// <typeparam name="TInput">The model's input.</typeparam>
    /// <typeparam name="TOutput">The model's output.</typeparam>
    /// <param name="builder">The pipeline.</param>
    /// <param name="challenger">The challenger. Disposed with the pipeline.</param>
    /// <param name="share">The share of calls sent to the challenger, in [0, 1].</param>
    /// <param name="split">How the calls are picked.</param>
    /// <returns>The pipeline.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="share"/> is not in [0, 1], or <paramref name="split"/> is not a defined value.</exception>
    public static PredictorBuilder<TInput, TOutput> UseCanary<TInput, TOutput>(
        this PredictorBuilder<TInput, TOutput> builder,
        IPredictor<TInput, TOutput> challenger,
        double share,
        CanarySplit split = CanarySplit.Counter)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(challenger);
        if (!(share is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(share), share, "The canary share must be from 0 to 1.");
        }

        if (split is not (CanarySplit.Counter or CanarySplit.Random))
        {
            throw new ArgumentOutOfRangeException(nameof(split), split, "The canary split must be Counter or Random.");
        }

        return builder.Use(inner => new CanaryPredictor<TInput, TOutput>(inner, challenger, share, split));
    }
}
