// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Threading;
using ModelMetrics.Publishing;

namespace ModelMetrics.Signals;

/// <summary>
/// The per-instance counts of the load balancer that reports to a monitor (<see cref="LoadBalancerOptions.Monitor"/>):
/// added to the monitor when the first balancer is built on it, read into every snapshot as
/// <see cref="ModelMonitorSnapshot.LoadBalancer"/>, published as <c>model.instance.*</c>.
/// </summary>
/// <remarks>
/// The recording state is the balancer's own (<see cref="InstanceState"/>: the strategies read it on every choice); this
/// signal only points at the live balancer. One balancer at a time: two would publish the same series.
/// </remarks>
internal sealed class LoadBalancingSignal : Signal
{
    private Balancer? _balancer;

    public LoadBalancingSignal(SignalContext context)
        : base(context)
    {
    }

    public override SignalInstruments Instruments => LoadBalancingInstruments.Instance;

    /// <summary>Makes <paramref name="balancer"/> the one this monitor publishes.</summary>
    /// <exception cref="ArgumentException">Another live balancer reports to the monitor.</exception>
    public void Attach(Balancer balancer)
    {
        if (Interlocked.CompareExchange(ref _balancer, balancer, null) is not null)
        {
#pragma warning disable CA2208 // Note: the error names the option the user set.
            throw new ArgumentException(
                $"A live load balancer already reports to the monitor of model '{Context.ModelName}': two would publish the same model.instance series. Dispose it first, or give this one another monitor.",
                nameof(LoadBalancerOptions.Monitor));
#pragma warning restore CA2208
        }

        MarkChanged();
    }

    /// <summary>Stops publishing <paramref name="balancer"/> (when it is the one attached).</summary>
    public void Detach(Balancer balancer)
    {
        Interlocked.CompareExchange(ref _balancer, null, balancer);
        MarkChanged();
    }

    public override void Read(SnapshotBuilder snapshot)
    {
        if (Volatile.Read(ref _balancer) is { } balancer)
        {
            snapshot.Cumulative.Add(balancer.GetStatistics());
        }
    }
}
