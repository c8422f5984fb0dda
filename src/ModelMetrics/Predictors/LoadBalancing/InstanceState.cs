// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using ModelMetrics.Publishing;
using ModelMetrics.Signals;

namespace ModelMetrics;

/// <summary>How a call to an instance ended, as the load balancer counts it.</summary>
internal enum CallOutcome
{
    Succeeded = 0,
    Failed = 1,
    TimedOut = 2,
    Cancelled = 3,
}

/// <summary>Whether an instance takes calls.</summary>
internal enum InstanceMode
{
    /// <summary>Takes calls.</summary>
    Admitted = 0,

    /// <summary>Ejected until its back-off is over; then one call probes it.</summary>
    Ejected = 1,

    /// <summary>Ejected, with its one probe call in flight.</summary>
    Probing = 2,
}

/// <summary>
/// One instance's running state: what the strategies read (calls in flight, recent latency, mode), its counts, and its
/// ejection back-off. The hot path uses interlocked additions on the instance's own fields; mode changes happen under the
/// balancer's lock (rare), and are read without it.
/// </summary>
internal sealed class InstanceState
{
    // Each completion weighs 1/8 in the recent latency (the first sets it).
    private const int LatencyWeightDivisor = 8;

    // An idle instance is measured again after the longer of 1 second and this many times its recent latency.
    private const int RemeasureLatencies = 8;

    private readonly long[] _outcomes = new long[4];
    private readonly long _remeasureFloor;
    private int _inFlight;
    private long _recentLatency;
    private long _remeasureAt;
    private long _durationTicks;
    private int _consecutiveFailures;
    private long _ejections;
    private int _mode;

    public InstanceState(string name, int index, InstanceTags? tags, long remeasureFloor)
    {
        _remeasureFloor = remeasureFloor;
        Name = name;
        Index = index;
        Tags = tags;
    }

    public string Name { get; }

    public int Index { get; }

    public InstanceTags? Tags { get; }

    /// <summary>Gets the calls in flight (a plain read: a score, not a count that must be exact at that instant).</summary>
    public int InFlight
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref _inFlight);
    }

    /// <summary>Gets the recent latency in the clock's timestamp units; 0 before the first measured call.</summary>
    public long RecentLatency
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref _recentLatency);
    }

    /// <summary>
    /// Gets when the recent latency goes stale (timestamp): after it, an idle instance is scored as one not measured yet,
    /// so that it gets one call and is measured again. Without this, power of two choices would never send another call to
    /// an instance that was slow once while the others keep up, and would never see it recover.
    /// </summary>
    public long RemeasureAt
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Volatile.Read(ref _remeasureAt);
    }

    public InstanceMode Mode
    {
        // Acquire: a reader that sees Admitted sees the state the lock holder wrote before it.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (InstanceMode)Volatile.Read(ref _mode);

        // Release: written under the balancer's lock, after the back-off fields it guards.
        set => Volatile.Write(ref _mode, (int)value);
    }

    /// <summary>Gets or sets when the instance was last ejected (timestamp). Under the balancer's lock.</summary>
    public long EjectedAt { get; set; }

    /// <summary>Gets or sets when the instance may be probed (timestamp). Under the balancer's lock.</summary>
    public long ProbeAt { get; set; }

    /// <summary>Gets or sets the current back-off (timestamp units); 0 before the first ejection. Under the balancer's lock.</summary>
    public long BackOff { get; set; }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Start() => Interlocked.Increment(ref _inFlight);

    /// <summary>Counts a call that ran from <paramref name="start"/> to <paramref name="end"/>; returns the failures in a row it makes (0 after a success or a cancellation).</summary>
    public int End(CallOutcome outcome, long start, long end)
    {
        long duration = Math.Max(0, end - start);
        Interlocked.Add(ref _durationTicks, duration);
        Interlocked.Increment(ref _outcomes[(int)outcome]);

        // The count goes after the outcome, so a reader that sees the call gone from in flight sees its outcome too.
        Interlocked.Decrement(ref _inFlight);
        if (outcome is CallOutcome.Succeeded or CallOutcome.TimedOut)
        {
            // Note: a plain read-modify-write: two completions racing lose one sample of a mean, never a count. A call
            // that started once the mean was stale replaces it: the instance may have changed since.
            long recent = Volatile.Read(ref _recentLatency);
            long sample = Math.Max(1, duration);
            long next = recent == 0 || start >= Volatile.Read(ref _remeasureAt) ? sample : recent + ((sample - recent) / LatencyWeightDivisor);
            Volatile.Write(ref _recentLatency, next);
            Volatile.Write(ref _remeasureAt, end + Math.Max(_remeasureFloor, next * RemeasureLatencies));
        }

        switch (outcome)
        {
            case CallOutcome.Succeeded:
                // Read before write: a healthy instance's completions leave the line alone.
                if (Volatile.Read(ref _consecutiveFailures) != 0)
                {
                    Volatile.Write(ref _consecutiveFailures, 0);
                }

                return 0;
            case CallOutcome.Cancelled:
                return 0;
            default:
                return Interlocked.Increment(ref _consecutiveFailures);
        }
    }

    /// <summary>Clears the failures in a row (on readmission). Under the balancer's lock.</summary>
    public void ResetFailures() => Volatile.Write(ref _consecutiveFailures, 0);

    /// <summary>Counts an ejection. Under the balancer's lock.</summary>
    public void CountEjection() => Interlocked.Increment(ref _ejections);

    public LoadBalancerInstanceStatistics Read(long frequency)
    {
        // In flight first, outcomes after: End counts the outcome before leaving in flight, so a call is never missed by both.
        int inFlight = InFlight;
        long cancelled = Interlocked.Read(ref _outcomes[(int)CallOutcome.Cancelled]);
        long timedOut = Interlocked.Read(ref _outcomes[(int)CallOutcome.TimedOut]);
        long failed = Interlocked.Read(ref _outcomes[(int)CallOutcome.Failed]);
        long succeeded = Interlocked.Read(ref _outcomes[(int)CallOutcome.Succeeded]);
        return new LoadBalancerInstanceStatistics(
            Name,
            succeeded,
            failed,
            timedOut,
            cancelled,
            ToTimeSpan(Interlocked.Read(ref _durationTicks), frequency),
            ToTimeSpan(RecentLatency, frequency),
            Math.Max(0, inFlight),
            Interlocked.Read(ref _ejections),
            Mode != InstanceMode.Admitted,
            Tags);
    }

    private static TimeSpan ToTimeSpan(long timestampTicks, long frequency) =>
        TimeSpan.FromTicks((long)(timestampTicks * ((double)TimeSpan.TicksPerSecond / frequency)));
}

/// <summary>The attribute sets of one instance on the monitor it publishes to, built once.</summary>
internal sealed class InstanceTags
{
    /// <summary>The <c>outcome</c> attribute's values, indexed by <see cref="CallOutcome"/>.</summary>
    public static readonly string[] OutcomeNames = ["succeeded", "failed", "timed_out", "cancelled"];

    public InstanceTags(KeyValuePair<string, object?>[] modelTags, string name)
    {
        Instance = Tags.With(modelTags, LoadBalancingInstruments.InstanceAttribute, name);
        Outcomes = Array.ConvertAll(OutcomeNames, outcome => Tags.With(Instance, LoadBalancingInstruments.OutcomeAttribute, outcome));
    }

    /// <summary>Gets <c>model.name</c>, <c>model.version</c>, <c>model.instance</c>.</summary>
    public KeyValuePair<string, object?>[] Instance { get; }

    /// <summary>Gets <see cref="Instance"/> plus <c>outcome</c>, indexed by <see cref="CallOutcome"/>.</summary>
    public KeyValuePair<string, object?>[][] Outcomes { get; }
}
