// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;

namespace ModelMetrics;

/// <summary>How a shadow stage (<see cref="ChallengerPredictorBuilderExtensions.UseShadow"/>) runs its challenger and pairs the answers.</summary>
/// <typeparam name="TInput">The model's input.</typeparam>
/// <typeparam name="TOutput">The model's output.</typeparam>
public sealed class ShadowOptions<TInput, TOutput>
{
    /// <summary>The largest <see cref="QueueCapacity"/>.</summary>
    public const int MaxQueueCapacity = 1_000_000;

    /// <summary>The longest <see cref="DrainTimeout"/>.</summary>
    public static readonly TimeSpan MaxDrainTimeout = TimeSpan.FromMinutes(5);

    private int _queueCapacity = 1000;
    private TimeSpan _drainTimeout = TimeSpan.FromSeconds(2);
    private int _pendingCapacity = 100_000;
    private TimeSpan _pendingTimeToLive = TimeSpan.FromDays(7);
    private TimeProvider _timeProvider = TimeProvider.System;

    /// <summary>
    /// Gets or sets how many sampled calls may wait for the challenger. When the queue is full (the challenger is slower than
    /// the sampled traffic) a sampled call is dropped and counted in <see cref="ShadowComparison.Dropped"/>; the caller never waits.
    /// </summary>
    /// <value>The default value is 1000. From 1 to <see cref="MaxQueueCapacity"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is out of range.</exception>
    public int QueueCapacity
    {
        get => _queueCapacity;
        set => _queueCapacity = value is >= 1 and <= MaxQueueCapacity
            ? value
            : throw new ArgumentOutOfRangeException(nameof(QueueCapacity), value, $"The shadow queue capacity must be from 1 to {MaxQueueCapacity}.");
    }

    /// <summary>
    /// Gets or sets how long disposing the pipeline waits for the challenger to work through the queue. After it, the
    /// challenger's call is cancelled and what is left is counted as dropped.
    /// </summary>
    /// <value>The default value is 2 seconds. From zero to <see cref="MaxDrainTimeout"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is out of range.</exception>
    public TimeSpan DrainTimeout
    {
        get => _drainTimeout;
        set => _drainTimeout = value >= TimeSpan.Zero && value <= MaxDrainTimeout
            ? value
            : throw new ArgumentOutOfRangeException(nameof(DrainTimeout), value, $"The drain timeout must be from zero to {MaxDrainTimeout}.");
    }

    /// <summary>
    /// Gets or sets a value indicating whether the challenger is disposed with the pipeline (once its queue is worked through).
    /// Set it to <see langword="false"/> when the same challenger is to be promoted (swapped into a
    /// <see cref="HotSwapPredictor{TInput, TOutput}"/>) and so outlive the shadow stage.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool DisposeChallenger { get; set; } = true;

    /// <summary>Gets or sets how the challenger's answer is compared with the champion's for <see cref="ShadowComparison.AgreementRate"/>.</summary>
    /// <value>The default value is <see langword="null"/>: <see cref="EqualityComparer{T}.Default"/>.</value>
    public IEqualityComparer<TOutput>? Comparer { get; set; }

    /// <summary>
    /// Gets or sets the id of an input, under which both models' predicted classes wait for <see cref="ShadowComparison.RecordLabel"/>.
    /// Together with <see cref="PredictedClass"/> it fills the paired table of McNemar's test; without either, fill it with
    /// <see cref="ShadowComparison.RecordOutcome"/>. Runs on the shadow's background worker, never on the caller's thread.
    /// </summary>
    /// <value>The default value is <see langword="null"/>: no pairs are stored.</value>
    public Func<TInput, PredictionId>? PredictionId { get; set; }

    /// <summary>Gets or sets the class index of an output, for the paired table (see <see cref="PredictionId"/>).</summary>
    /// <value>The default value is <see langword="null"/>: no pairs are stored.</value>
    public Func<TOutput, int>? PredictedClass { get; set; }

    /// <summary>Gets or sets the most pairs that wait for their label at once; past it the oldest is evicted.</summary>
    /// <value>The default value is 100 000 (about 14 MB at most). From 1 to 100 000 000.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is out of range.</exception>
    public int PendingCapacity
    {
        get => _pendingCapacity;
        set => _pendingCapacity = value is >= 1 and <= Signals.PendingPredictions.MaxCapacity
            ? value
            : throw new ArgumentOutOfRangeException(nameof(PendingCapacity), value, $"The pending capacity must be from 1 to {Signals.PendingPredictions.MaxCapacity}.");
    }

    /// <summary>Gets or sets how long a pair waits for its label before it expires.</summary>
    /// <value>The default value is 7 days. Positive.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public TimeSpan PendingTimeToLive
    {
        get => _pendingTimeToLive;
        set => _pendingTimeToLive = value > TimeSpan.Zero
            ? value
            : throw new ArgumentOutOfRangeException(nameof(PendingTimeToLive), value, "The pending time to live must be positive.");
    }

    /// <summary>Gets or sets the clock that ages waiting pairs.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    /// <exception cref="ArgumentNullException">The value is <see langword="null"/>.</exception>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set => _timeProvider = value ?? throw new ArgumentNullException(nameof(TimeProvider));
    }
}
