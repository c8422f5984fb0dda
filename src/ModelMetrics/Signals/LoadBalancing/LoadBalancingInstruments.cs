// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using ModelMetrics.Publishing;

namespace ModelMetrics.Signals;

/// <summary>
/// The instruments of the load-balancing signal, one series per declared instance (<c>model.instance</c>): calls by
/// outcome, their summed duration, the recent latency the balancer scores by, calls in flight, ejections and whether the
/// instance is ejected now.
/// </summary>
internal sealed class LoadBalancingInstruments : SignalInstruments
{
    /// <summary>The attribute naming the instance: one of the names declared to <see cref="Predictor.LoadBalanced"/>.</summary>
    public const string InstanceAttribute = "model.instance";

    /// <summary>The attribute of a call's outcome: <c>succeeded</c>, <c>failed</c>, <c>timed_out</c>, <c>cancelled</c>.</summary>
    public const string OutcomeAttribute = "outcome";

    public static readonly InstrumentInfo Calls = new("model.instance.calls", "{call}", "Calls completed by each instance of a load-balanced model, by outcome.");
    public static readonly InstrumentInfo DurationSum = new("model.instance.duration.sum", MetricNames.Seconds, "Summed duration of the calls completed by each instance (mean = rate(sum) / rate(calls)).");
    public static readonly InstrumentInfo RecentDuration = new("model.instance.duration.recent", MetricNames.Seconds, "Recent latency of each instance: the weighted mean of its successful and timed-out calls that the balancer scores it by.");
    public static readonly InstrumentInfo ActiveCalls = new("model.instance.active_calls", "{call}", "Calls in flight on each instance.");
    public static readonly InstrumentInfo Ejections = new("model.instance.ejections", "{ejection}", "Times each instance was ejected: after its failures in a row, and after each failed probe.");
    public static readonly InstrumentInfo Ejected = new("model.instance.ejected", MetricNames.Ratio, "1 while the instance is ejected (or being probed), 0 while it takes calls.");

    public static readonly LoadBalancingInstruments Instance = new();

    private LoadBalancingInstruments()
    {
    }

    public override void Create(MeterPublisher publisher)
    {
        publisher.Counter<LoadBalancingSignal, long>(Calls, static (_, s, list) =>
        {
            foreach ((LoadBalancerInstanceStatistics instance, InstanceTags tags) in Published(s))
            {
                // Outcomes that never happened report nothing rather than zeros, as model.inference.calls does.
                list.AddIf(instance.Succeeded > 0, instance.Succeeded, tags.Outcomes[(int)CallOutcome.Succeeded]);
                list.AddIf(instance.Failed > 0, instance.Failed, tags.Outcomes[(int)CallOutcome.Failed]);
                list.AddIf(instance.TimedOut > 0, instance.TimedOut, tags.Outcomes[(int)CallOutcome.TimedOut]);
                list.AddIf(instance.Cancelled > 0, instance.Cancelled, tags.Outcomes[(int)CallOutcome.Cancelled]);
            }
        });
        PerInstance<double>(publisher.Counter, DurationSum, static i => i.TotalDuration.TotalSeconds);
        PerInstance<double>(publisher.Gauge, RecentDuration, static i => i.RecentLatency.TotalSeconds, static i => i.RecentLatency > TimeSpan.Zero);
        PerInstance<long>(publisher.UpDownCounter, ActiveCalls, static i => i.InFlight);
        PerInstance<long>(publisher.Counter, Ejections, static i => i.Ejections);
        PerInstance<long>(publisher.Gauge, Ejected, static i => i.IsEjected ? 1 : 0);
    }

    private static void PerInstance<T>(
        Action<InstrumentInfo, Action<LoadBalancingSignal, ModelMonitorSnapshot, List<Measurement<T>>>> create,
        InstrumentInfo info,
        Func<LoadBalancerInstanceStatistics, T> value,
        Func<LoadBalancerInstanceStatistics, bool>? when = null)
        where T : struct, System.Numerics.INumberBase<T> =>
        create(info, (_, s, list) =>
        {
            foreach ((LoadBalancerInstanceStatistics instance, InstanceTags tags) in Published(s))
            {
                list.AddIf(when?.Invoke(instance) ?? true, value(instance), tags.Instance);
            }
        });

    private static IEnumerable<(LoadBalancerInstanceStatistics Instance, InstanceTags Tags)> Published(ModelMonitorSnapshot snapshot)
    {
        if (snapshot.LoadBalancer is not { } statistics)
        {
            yield break;
        }

        foreach (LoadBalancerInstanceStatistics instance in statistics.Instances)
        {
            if (instance.Tags is { } tags)
            {
                yield return (instance, tags);
            }
        }
    }
}
