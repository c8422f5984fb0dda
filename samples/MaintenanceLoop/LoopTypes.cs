// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using ModelMetrics;

namespace MaintenanceLoop;

/// <summary>One request: an id (its label joins the shadow's paired outcomes by it) and the flower's features.</summary>
internal sealed record Request(long Id, float[] Features);

/// <summary>What the loop knows: the live version, and the challenger while it runs in shadow.</summary>
internal sealed class LoopState
{
    private volatile ShadowComparison? _shadow;

    public int LiveVersion { get; set; } = 1;

    public ShadowComparison? Shadow
    {
        get => _shadow;
        set => _shadow = value;
    }

    public IPredictor<Request, int>? Challenger { get; set; }

    public ModelMonitor? ChallengerMonitor { get; set; }

    public bool Promoted { get; set; }
}

/// <summary>The last <c>capacity</c> labelled requests (one in ten is kept): what a retrain learns from.</summary>
internal sealed class RecentRequests(int capacity)
{
    private readonly float[][] _features = new float[capacity][];
    private readonly int[] _labels = new int[capacity];
    private readonly object _gate = new();
    private long _seen;
    private int _count;
    private int _next;

    public void Add(float[] features, int label)
    {
        if (System.Threading.Interlocked.Increment(ref _seen) % 10 != 0)
        {
            return;
        }

        lock (_gate)
        {
            _features[_next] = features;
            _labels[_next] = label;
            _next = (_next + 1) % capacity;
            _count = Math.Min(_count + 1, capacity);
        }
    }

    public (float[][] Features, int[] Labels) Snapshot()
    {
        lock (_gate)
        {
            return (_features[.._count], _labels[.._count]);
        }
    }
}
