// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;

namespace ModelMetrics;

/// <summary>
/// A snapshot of a load-balanced predictor's counts per instance since it was built (<see cref="Predictor.LoadBalanced"/>):
/// ask the pipeline for one with <c>predictor.GetService&lt;LoadBalancerStatistics&gt;()</c> (each call takes a new
/// snapshot), or read <see cref="ModelMonitorSnapshot.LoadBalancer"/> of the monitor it reports to.
/// </summary>
/// <remarks>
/// Each count is read on its own, so a snapshot taken while calls run may be a few calls apart between counts; every count
/// is exact once the calls have ended, and then <see cref="Calls"/> is the number of calls the balancer served.
/// </remarks>
public sealed class LoadBalancerStatistics
{
    internal LoadBalancerStatistics(LoadBalancerInstanceStatistics[] instances)
    {
        Instances = instances;
        long calls = 0;
        foreach (LoadBalancerInstanceStatistics instance in instances)
        {
            calls += instance.Calls;
        }

        Calls = calls;
    }

    /// <summary>Gets the instances, in declaration order.</summary>
    public IReadOnlyList<LoadBalancerInstanceStatistics> Instances { get; }

    /// <summary>Gets the completed calls of every instance (the sum of their <see cref="LoadBalancerInstanceStatistics.Calls"/>).</summary>
    public long Calls { get; }

    /// <summary>Returns the instance named <paramref name="name"/>.</summary>
    /// <param name="name">One of the declared names.</param>
    /// <returns>The instance's counts.</returns>
    /// <exception cref="KeyNotFoundException">No instance has that name.</exception>
    public LoadBalancerInstanceStatistics this[string name]
    {
        get
        {
            foreach (LoadBalancerInstanceStatistics instance in Instances)
            {
                if (string.Equals(instance.Name, name, StringComparison.Ordinal))
                {
                    return instance;
                }
            }

            throw new KeyNotFoundException($"No instance is named '{name}'.");
        }
    }
}

/// <summary>The counts and state of one instance of a load-balanced predictor (see <see cref="LoadBalancerStatistics"/>).</summary>
public sealed class LoadBalancerInstanceStatistics
{
    internal LoadBalancerInstanceStatistics(
        string name,
        long succeeded,
        long failed,
        long timedOut,
        long cancelled,
        TimeSpan totalDuration,
        TimeSpan recentLatency,
        int inFlight,
        long ejections,
        bool isEjected,
        InstanceTags? tags)
    {
        Name = name;
        Succeeded = succeeded;
        Failed = failed;
        TimedOut = timedOut;
        Cancelled = cancelled;
        TotalDuration = totalDuration;
        RecentLatency = recentLatency;
        InFlight = inFlight;
        Ejections = ejections;
        IsEjected = isEjected;
        Tags = tags;
    }

    /// <summary>Gets the instance's declared name (the <c>model.instance</c> attribute).</summary>
    public string Name { get; }

    /// <summary>Gets the calls that returned within the timeout.</summary>
    public long Succeeded { get; }

    /// <summary>Gets the calls that threw (other than by the caller's cancellation) within the timeout.</summary>
    public long Failed { get; }

    /// <summary>Gets the calls that took <see cref="LoadBalancerOptions.Timeout"/> or longer, whatever their outcome.</summary>
    public long TimedOut { get; }

    /// <summary>Gets the calls that ended because the caller cancelled them (not held against the instance).</summary>
    public long Cancelled { get; }

    /// <summary>Gets the completed calls: <see cref="Succeeded"/> + <see cref="Failed"/> + <see cref="TimedOut"/> + <see cref="Cancelled"/>.</summary>
    public long Calls => Succeeded + Failed + TimedOut + Cancelled;

    /// <summary>Gets the summed duration of the completed calls.</summary>
    public TimeSpan TotalDuration { get; }

    /// <summary>
    /// Gets the recent latency that <see cref="LoadBalancingStrategy.PowerOfTwoChoices"/> scores the instance by: an
    /// exponentially weighted mean of the durations of its successful and timed-out calls, each weighing 1/8 (the first sets
    /// it). Zero before the first. It goes stale after the longer of 1 second and 8 times itself without a call ending: the
    /// idle instance is then scored as one not measured yet, gets one call, and that call's duration replaces the mean.
    /// </summary>
    public TimeSpan RecentLatency { get; }

    /// <summary>Gets the calls in flight on the instance.</summary>
    public int InFlight { get; }

    /// <summary>Gets how many times the instance was ejected: after <see cref="LoadBalancerOptions.FailuresToEject"/> failures in a row, and after each failed probe.</summary>
    public long Ejections { get; }

    /// <summary>Gets a value indicating whether the instance is ejected (or being probed) now.</summary>
    public bool IsEjected { get; }

    /// <summary>Gets the instance's attribute sets on the monitor it publishes to, or <see langword="null"/> without one.</summary>
    internal InstanceTags? Tags { get; }
}
