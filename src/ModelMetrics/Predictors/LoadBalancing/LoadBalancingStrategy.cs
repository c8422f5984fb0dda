// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

namespace ModelMetrics;

/// <summary>How a load-balanced predictor (<see cref="Predictor.LoadBalanced"/>) picks the instance that serves a call.</summary>
public enum LoadBalancingStrategy
{
    /// <summary>
    /// Two distinct instances drawn at random; the call goes to the one with the lower score, (calls in flight + 1) × recent
    /// latency. Constant cost whatever the number of instances, and it steers away from slow and busy instances without
    /// sending everything to one. An instance not measured yet takes one call at a time until its first call ends; an idle
    /// instance whose latency has gone stale (see <see cref="LoadBalancerInstanceStatistics.RecentLatency"/>) gets one call to
    /// be measured again, so a slow instance that recovers gets its share back.
    /// </summary>
    PowerOfTwoChoices = 0,

    /// <summary>Each instance in turn, in declaration order: every instance gets 1/N of the calls, whatever its speed.</summary>
    RoundRobin = 1,

    /// <summary>
    /// The instance with the fewest calls in flight (ties broken from a random starting point). It scans every instance, so
    /// its cost grows with their number.
    /// </summary>
    LeastInFlight = 2,
}
