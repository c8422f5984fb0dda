// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using ModelMetrics.Diagnostics;

namespace ModelMetrics;

/// <summary>
/// The live monitors of a process (or of one part of it): what publishing, and anything else that reads every
/// monitor (rules, reports, health checks), enumerates. A monitor joins the registry of its options
/// (<see cref="ModelMonitorOptions.Registry"/>, <see cref="Default"/> unless set) when it is constructed and leaves
/// it when it is disposed.
/// </summary>
/// <remarks>
/// Thread-safe. <see cref="Monitors"/> is a snapshot: enumerating it never blocks monitors from joining or
/// leaving. Handlers of <see cref="MonitorAdded"/> and <see cref="MonitorRemoved"/> run on the thread that
/// constructed or disposed the monitor, after the change; an exception they throw is swallowed (and reported
/// through the <c>ModelMetrics</c> EventSource), never thrown into that thread.
/// </remarks>
[Experimental(Diagnostics.Experiments.Registry)]
public sealed class ModelMonitorRegistry
{
    private readonly object _gate = new();
    private ModelMonitor[] _monitors = [];
    private long _version; // see Version

    /// <summary>Gets the registry monitors join unless their options name another.</summary>
    public static ModelMonitorRegistry Default { get; } = new();

    /// <summary>Gets the live monitors, in the order they joined.</summary>
    public IReadOnlyList<ModelMonitor> Monitors => Volatile.Read(ref _monitors);

    /// <summary>Gets the live monitors as the array itself (never changed once published): publishing loops over it without an enumerator.</summary>
    internal ModelMonitor[] Live => Volatile.Read(ref _monitors);

    /// <summary>
    /// Gets how many times the live monitors changed: read before <see cref="Live"/>, an equal number later means the same
    /// monitors (a publisher keeps this rather than the array, which would keep disposed monitors alive).
    /// </summary>
    internal long Version => Volatile.Read(ref _version);

    /// <summary>Raised after a monitor joined the registry (at the end of its construction).</summary>
    public event EventHandler<ModelMonitorEventArgs>? MonitorAdded;

    /// <summary>Raised after a monitor left the registry (when it was disposed).</summary>
    public event EventHandler<ModelMonitorEventArgs>? MonitorRemoved;

    /// <summary>Returns the first live monitor of the model <paramref name="modelName"/> and <paramref name="modelVersion"/>, or <see langword="null"/>.</summary>
    /// <param name="modelName">The model's name (<see cref="ModelMonitor.ModelName"/>).</param>
    /// <param name="modelVersion">The model's version, or <see langword="null"/> for a monitor without one.</param>
    /// <returns>The monitor, or <see langword="null"/>.</returns>
    public ModelMonitor? Find(string modelName, string? modelVersion = null)
    {
        foreach (ModelMonitor monitor in Volatile.Read(ref _monitors))
        {
            if (monitor.ModelName == modelName && monitor.ModelVersion == modelVersion)
            {
                return monitor;
            }
        }

        return null;
    }

    /// <summary>Adds a monitor without telling anyone yet (the caller holds the publishing lock); see <see cref="Announce"/>.</summary>
    internal void Insert(ModelMonitor monitor)
    {
        lock (_gate)
        {
            _monitors = [.. _monitors, monitor];
            Volatile.Write(ref _version, _version + 1); // after the array: a reader that sees this number sees it
        }
    }

    /// <summary>Raises <see cref="MonitorAdded"/> for a monitor <see cref="Insert"/> added, outside any lock.</summary>
    internal void Announce(ModelMonitor monitor) => Raise(MonitorAdded, monitor);

    internal void Remove(ModelMonitor monitor)
    {
        lock (_gate)
        {
            _monitors = Array.FindAll(_monitors, m => !ReferenceEquals(m, monitor));
            Volatile.Write(ref _version, _version + 1);
        }

        Raise(MonitorRemoved, monitor);
    }

    private void Raise(EventHandler<ModelMonitorEventArgs>? handlers, ModelMonitor monitor)
    {
        if (handlers is null)
        {
            return;
        }

        var args = new ModelMonitorEventArgs(monitor);
        foreach (EventHandler<ModelMonitorEventArgs> handler in handlers.GetInvocationList())
        {
            try
            {
                handler(this, args);
            }
#pragma warning disable CA1031 // Note: a faulty handler must not fail the construction or disposal of a monitor.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                ModelMetricsEventSource.Log.Swallowed(monitor.ModelName, "a handler of ModelMonitorRegistry", exception);
            }
        }
    }
}

/// <summary>The monitor that joined or left a <see cref="ModelMonitorRegistry"/>.</summary>
[Experimental(Diagnostics.Experiments.Registry)]
public sealed class ModelMonitorEventArgs : EventArgs
{
    /// <summary>Initializes a new instance for <paramref name="monitor"/>.</summary>
    /// <param name="monitor">The monitor.</param>
    public ModelMonitorEventArgs(ModelMonitor monitor) => Monitor = monitor;

    /// <summary>Gets the monitor that joined or left.</summary>
    public ModelMonitor Monitor { get; }
}
