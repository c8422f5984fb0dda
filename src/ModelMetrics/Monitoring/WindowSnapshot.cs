// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using ModelMetrics.Signals;

namespace ModelMetrics;

/// <summary>
/// Everything recorded within one window of <see cref="ModelMonitorOptions.Windows"/>: calls and failures by type,
/// latency, time to first chunk, quality, drift and label delay. Immutable.
/// </summary>
/// <remarks>
/// A window covers at least its length and at most its length plus a quarter of it (or plus the interval between
/// readings, when readings are further apart); until one window has passed since the monitor started, it covers
/// everything. No individual call or prediction is stored for it: each signal keeps a few checkpoints of its
/// cumulative counts and subtracts the newest one at least a window old.
/// </remarks>
public sealed class WindowSnapshot
{
    private readonly SnapshotParts _parts;
    private CallsPart _calls;

    internal WindowSnapshot(TimeSpan window, SnapshotParts parts)
    {
        Window = window;
        _parts = parts;
        _calls = parts.Get<CallsPart>()!;
    }

    /// <summary>Takes its parts' new calls part (see <see cref="ModelMonitorSnapshot.Refill"/>).</summary>
    internal void Refill() => _calls = _parts.Get<CallsPart>()!;

    /// <summary>Gets the window's length.</summary>
    public TimeSpan Window { get; }

    /// <summary>Gets the number of calls completed in the window: <see cref="Succeeded"/> + <see cref="Failed"/>.</summary>
    public long Calls => _calls.Succeeded + _calls.Failed;

    /// <summary>Gets the number of calls in the window that returned normally.</summary>
    public long Succeeded => _calls.Succeeded;

    /// <summary>Gets the number of calls in the window that threw (errors, cancellations and timeouts).</summary>
    public long Failed => _calls.Failed;

    /// <summary>Gets the window's unsuccessful calls by <c>error.type</c> (see <see cref="ModelMonitorSnapshot.Failures"/>).</summary>
    public IReadOnlyDictionary<string, long> Failures => _calls.Failures;

    /// <summary>Gets the fraction of the window's calls that failed (cancellations and timeouts included), or 0 without calls.</summary>
    public double FailureRate => Calls == 0 ? 0 : (double)Failed / Calls;

    /// <summary>Gets the number of items predicted in the window: one per call, n per batch call of n items.</summary>
    public long Items => _calls.Items;

    /// <summary>Gets the number of chunks produced by streamed calls in the window.</summary>
    public long Chunks => _calls.Chunks;

    /// <summary>Gets the durations of the calls completed in the window.</summary>
    public LatencySnapshot Latency => _calls.Latency;

    /// <summary>Gets the time to the first chunk of the streamed calls in the window.</summary>
    public LatencySnapshot TimeToFirstChunk => _calls.TimeToFirstChunk;

    /// <summary>Gets classification quality of the ground truth recorded in the window, or <see langword="null"/> when no class labels are declared.</summary>
    public ClassificationSnapshot? Classification => _parts.Get<ClassificationSnapshot>();

    /// <summary>Gets regression quality of the pairs recorded in the window, or <see langword="null"/> when none was ever recorded.</summary>
    public RegressionSnapshot? Regression => _parts.Get<RegressionSnapshot>();

    /// <summary>Gets the model's CPU cost from sampled calls, or <see langword="null"/> unless <see cref="ModelMonitorOptions.CpuTimeSampling"/> is on.</summary>
    public CpuTimeSnapshot? CpuTime => _parts.Get<CpuTimeSnapshot>();

    /// <summary>Gets output drift in the window against the drift reference, or <see langword="null"/> when there is no reference or no prediction in the window.</summary>
    public DriftSnapshot? Drift => _parts.Get<DriftSnapshot>();

    /// <summary>
    /// Gets the counts of the output caches that serve the model (in the window), or <see langword="null"/> when no cache reports to
    /// this monitor (<see cref="CacheOptions.Monitor"/>).
    /// </summary>
    public CacheStatistics? Cache => _parts.Get<CacheStatistics>();

    /// <summary>Gets what the generative model did in the window, or <see langword="null"/> when <see cref="ModelMonitorOptions.GenAI"/> is not set.</summary>
    public GenAISnapshot? GenAI => _parts.Get<GenAISnapshot>();

    /// <summary>Gets each declared feature's values in the window and their drift from the feature reference, or <see langword="null"/> when <see cref="ModelMonitorOptions.Features"/> is not set.</summary>
    public IReadOnlyList<FeatureSnapshot>? Features => _parts.Get<FeaturesPart>()?.Features;

    /// <summary>Gets the delay from prediction to label of the labels joined in the window.</summary>
    public LatencySnapshot LabelDelay => _parts.Get<LabelDelayPart>()!.Delay;
}
