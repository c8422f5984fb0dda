// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

namespace ModelMetrics;

/// <summary>How a load-balanced predictor (<see cref="Predictor.LoadBalanced"/>) picks instances, ejects failing ones and reports.</summary>
public sealed class LoadBalancerOptions
{
    /// <summary>The largest <see cref="FailuresToEject"/>.</summary>
    public const int MaxFailuresToEject = 1_000_000;

    /// <summary>The longest <see cref="Timeout"/>, <see cref="BaseEjectionTime"/> and <see cref="MaxEjectionTime"/>.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(1);

    private LoadBalancingStrategy _strategy = LoadBalancingStrategy.PowerOfTwoChoices;
    private int _failuresToEject = 5;
    private TimeSpan? _timeout;
    private TimeSpan _baseEjectionTime = TimeSpan.FromSeconds(10);
    private TimeSpan _maxEjectionTime = TimeSpan.FromMinutes(5);
    private TimeProvider _timeProvider = TimeProvider.System;

    /// <summary>Gets or sets how the instance that serves a call is picked.</summary>
    /// <value>The default value is <see cref="LoadBalancingStrategy.PowerOfTwoChoices"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined strategy.</exception>
    public LoadBalancingStrategy Strategy
    {
        get => _strategy;
        set => _strategy = Enum.IsDefined(value)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Strategy), value, "The strategy must be one of LoadBalancingStrategy's values.");
    }

    /// <summary>
    /// Gets or sets how many failures in a row (exceptions other than the caller's own cancellation, and calls that took
    /// <see cref="Timeout"/> or longer) eject an instance. A success resets the count.
    /// </summary>
    /// <value>The default value is 5. From 1 to <see cref="MaxFailuresToEject"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is out of range.</exception>
    public int FailuresToEject
    {
        get => _failuresToEject;
        set => _failuresToEject = value is >= 1 and <= MaxFailuresToEject
            ? value
            : throw new ArgumentOutOfRangeException(nameof(FailuresToEject), value, $"FailuresToEject must be from 1 to {MaxFailuresToEject}.");
    }

    /// <summary>
    /// Gets or sets the time after which a call counts as a failure of its instance (timed out), or <see langword="null"/> for
    /// none. An asynchronous, batch or streamed call's token is cancelled at that time; a synchronous call cannot be
    /// interrupted and is judged by its duration. Either way the caller gets the instance's own outcome, unchanged.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (no timeout). Positive, at most <see cref="MaxDuration"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is out of range.</exception>
    public TimeSpan? Timeout
    {
        get => _timeout;
        set => _timeout = value is null || (value > TimeSpan.Zero && value <= MaxDuration)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Timeout), value, $"Timeout must be positive and at most {MaxDuration}, or null.");
    }

    /// <summary>
    /// Gets or sets how long an instance stays ejected the first time. When it is over, one call (a probe) goes to the
    /// instance: a success readmits it, a failure ejects it again for twice as long, up to <see cref="MaxEjectionTime"/>.
    /// </summary>
    /// <value>The default value is 10 seconds. Positive, at most <see cref="MaxEjectionTime"/> (checked when the balancer is built).</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive or above <see cref="MaxDuration"/>.</exception>
    public TimeSpan BaseEjectionTime
    {
        get => _baseEjectionTime;
        set => _baseEjectionTime = value > TimeSpan.Zero && value <= MaxDuration
            ? value
            : throw new ArgumentOutOfRangeException(nameof(BaseEjectionTime), value, $"BaseEjectionTime must be positive and at most {MaxDuration}.");
    }

    /// <summary>Gets or sets the longest an instance stays ejected however often its probes fail.</summary>
    /// <value>The default value is 5 minutes. At least <see cref="BaseEjectionTime"/> (checked when the balancer is built), at most <see cref="MaxDuration"/>.</value>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive or above <see cref="MaxDuration"/>.</exception>
    public TimeSpan MaxEjectionTime
    {
        get => _maxEjectionTime;
        set => _maxEjectionTime = value > TimeSpan.Zero && value <= MaxDuration
            ? value
            : throw new ArgumentOutOfRangeException(nameof(MaxEjectionTime), value, $"MaxEjectionTime must be positive and at most {MaxDuration}.");
    }

    /// <summary>
    /// Gets or sets the monitor that publishes the per-instance instruments (<c>model.instance.*</c>, with <c>model.name</c>
    /// and <c>model.version</c> of the monitor and <c>model.instance</c>), or <see langword="null"/> to publish none (the counts
    /// are still read with <c>predictor.GetService&lt;LoadBalancerStatistics&gt;()</c>). Usually the monitor of the
    /// <c>UseMetrics</c> stage around the balancer. A monitor serves one live balancer at a time.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public ModelMonitor? Monitor { get; set; }

    /// <summary>Gets or sets the clock that times calls, ejections and probes.</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    /// <exception cref="ArgumentNullException">The value is <see langword="null"/>.</exception>
    public TimeProvider TimeProvider
    {
        get => _timeProvider;
        set => _timeProvider = value ?? throw new ArgumentNullException(nameof(TimeProvider));
    }
}
