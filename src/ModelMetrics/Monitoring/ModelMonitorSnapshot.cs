// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using ModelMetrics.Publishing;
using ModelMetrics.Signals;

namespace ModelMetrics;

/// <summary>
/// Everything a <see cref="ModelMonitor"/> recorded, read at one moment: cumulative values since the monitor
/// started, and each window of <see cref="ModelMonitorOptions.Windows"/> in <see cref="Windows"/>. Immutable.
/// </summary>
/// <remarks>
/// <c>Recent…</c> members are shortcuts to the shortest window, <c>Windows[0]</c>. Counts are raw (calls,
/// failures, labelled predictions, summed log-loss and errors); every ratio is derived from them.
/// </remarks>
public sealed class ModelMonitorSnapshot
{
    private readonly SnapshotParts _parts;
    private readonly WindowSnapshot[] _windows;
    private CallsPart _calls;

    internal ModelMonitorSnapshot(ModelMonitor monitor, DateTimeOffset timestamp, SnapshotBuilder builder, Dictionary<string, long> rejected)
    {
        ModelName = monitor.ModelName;
        ModelVersion = monitor.ModelVersion;
        Timestamp = timestamp;
        Builder = builder;
        _parts = builder.Cumulative;
        _calls = _parts.Get<CallsPart>()!;
        _windows = new WindowSnapshot[builder.Windows.Length];
        for (int w = 0; w < _windows.Length; w++)
        {
            _windows[w] = new WindowSnapshot(monitor.Windows[w], builder.Windows[w]);
        }

        RejectedTable = rejected;
    }

    /// <summary>
    /// Makes this snapshot hold its builder's new reading (<see cref="SnapshotBuilder.Reuses"/>): only for the snapshot a
    /// publishing pass reuses, which never leaves the monitor's reader lock. A user's snapshot is never changed.
    /// </summary>
    internal void Refill(DateTimeOffset timestamp, Dictionary<string, long> rejected)
    {
        Timestamp = timestamp;
        _calls = _parts.Get<CallsPart>()!;
        foreach (WindowSnapshot window in _windows)
        {
            window.Refill();
        }

        RejectedTable = rejected;
    }

    /// <summary>Gets the model's name.</summary>
    public string ModelName { get; }

    /// <summary>Gets the model's version, or <see langword="null"/>.</summary>
    public string? ModelVersion { get; }

    /// <summary>Gets when the snapshot was taken, by the monitor's <see cref="ModelMonitorOptions.TimeProvider"/>.</summary>
    public DateTimeOffset Timestamp { get; private set; }

    /// <summary>Gets the number of completed calls: <see cref="Succeeded"/> + <see cref="Failed"/>.</summary>
    public long Calls => Succeeded + Failed;

    /// <summary>Gets the number of calls that returned normally.</summary>
    public long Succeeded => _calls.Succeeded;

    /// <summary>Gets the number of calls that threw (errors, cancellations and timeouts).</summary>
    public long Failed => _calls.Failed;

    /// <summary>
    /// Gets unsuccessful calls by <c>error.type</c>: <c>cancelled</c>, <c>timeout</c>, an exception's full
    /// type name, or <c>_OTHER</c> past 32 distinct types.
    /// </summary>
    public IReadOnlyDictionary<string, long> Failures => _calls.Failures;

    /// <summary>Gets the fraction of completed calls that failed (cancellations and timeouts included), or 0.</summary>
    public double FailureRate => Calls == 0 ? 0 : (double)Failed / Calls;

    /// <summary>Gets the number of items predicted: one per call, n per batch call of n items.</summary>
    public long Items => _calls.Items;

    /// <summary>Gets the number of calls started but not yet ended.</summary>
    public long InFlight => _calls.InFlight;

    /// <summary>Gets the number of chunks produced by streamed calls.</summary>
    public long Chunks => _calls.Chunks;

    /// <summary>Gets the durations of all completed calls since the monitor started.</summary>
    public LatencySnapshot Latency => _calls.Latency;

    /// <summary>Gets the time to the first chunk of streamed calls since the monitor started.</summary>
    public LatencySnapshot TimeToFirstChunk => _calls.TimeToFirstChunk;

    /// <summary>Gets quality over all recorded ground truth, or <see langword="null"/> when no class labels are declared.</summary>
    public ClassificationSnapshot? Classification => _parts.Get<ClassificationSnapshot>();

    /// <summary>Gets regression quality over all recorded pairs, or <see langword="null"/> when none was recorded.</summary>
    public RegressionSnapshot? Regression => _parts.Get<RegressionSnapshot>();

    /// <summary>Gets the model's CPU cost from sampled calls, or <see langword="null"/> unless <see cref="ModelMonitorOptions.CpuTimeSampling"/> is on.</summary>
    public CpuTimeSnapshot? CpuTime => _parts.Get<CpuTimeSnapshot>();

    /// <summary>Gets the counts per instance of the load balancer that reports to this monitor (<see cref="LoadBalancerOptions.Monitor"/>), or <see langword="null"/> when none does.</summary>
    public LoadBalancerStatistics? LoadBalancer => _parts.Get<LoadBalancerStatistics>();

    /// <summary>Gets how predictions recorded with an id were joined with their labels: pending, joined, expired, evicted, unknown, duplicate, late; and the label delay.</summary>
    public LabelSnapshot Labels => _parts.Get<LabelSnapshot>()!;

    /// <summary>
    /// Gets the counts of the output caches that serve the model (since the monitor started), or <see langword="null"/> when no cache reports to
    /// this monitor (<see cref="CacheOptions.Monitor"/>).
    /// </summary>
    public CacheStatistics? Cache => _parts.Get<CacheStatistics>();

    /// <summary>Gets what the generative model did since the monitor started, or <see langword="null"/> when <see cref="ModelMonitorOptions.GenAI"/> is not set.</summary>
    public GenAISnapshot? GenAI => _parts.Get<GenAISnapshot>();

    /// <summary>Gets each declared feature's values since the monitor started (without drift), or <see langword="null"/> when <see cref="ModelMonitorOptions.Features"/> is not set.</summary>
    public IReadOnlyList<FeatureSnapshot>? Features => _parts.Get<FeaturesPart>()?.Features;

    /// <summary>Gets values that were rejected or corrected, by reason (for example <c>unknown_label</c>, <c>negative_duration</c>).</summary>
    public IReadOnlyDictionary<string, long> Rejected => RejectedTable;

    /// <summary>Gets <see cref="Failures"/> as its concrete type, which publishing enumerates without allocating.</summary>
    internal Dictionary<string, long> FailureTable => _calls.Failures;

    /// <summary>Gets <see cref="Rejected"/> as its concrete type, which publishing enumerates without allocating.</summary>
    internal Dictionary<string, long> RejectedTable { get; private set; }

    /// <summary>Returns the stamp of the reading of <paramref name="family"/> whose parts this snapshot holds (see <see cref="SnapshotBuilder.Stamps"/>), or −1.</summary>
    internal long StampOf(SignalInstruments family) => (uint)family.Id < (uint)Builder.Stamps.Length ? Builder.Stamps[family.Id] : -1;

    /// <summary>Gets the builder whose parts and stamps this snapshot holds (a reused snapshot's is refilled with it).</summary>
    internal SnapshotBuilder Builder { get; }

    /// <summary>Gets every window of <see cref="ModelMonitorOptions.Windows"/>, shortest first.</summary>
    public IReadOnlyList<WindowSnapshot> Windows => _windows;

    /// <summary>Gets the shortest window, <c>Windows[0]</c>.</summary>
    public WindowSnapshot Recent => _windows[0];

    /// <summary>Gets the durations of the calls completed in the shortest window.</summary>
    public LatencySnapshot RecentLatency => Recent.Latency;

    /// <summary>Gets the time to the first chunk of streamed calls in the shortest window.</summary>
    public LatencySnapshot RecentTimeToFirstChunk => Recent.TimeToFirstChunk;

    /// <summary>Gets quality over the ground truth recorded in the shortest window, or <see langword="null"/> when no class labels are declared.</summary>
    public ClassificationSnapshot? RecentClassification => Recent.Classification;

    /// <summary>Gets regression quality over the pairs recorded in the shortest window, or <see langword="null"/> when none was ever recorded.</summary>
    public RegressionSnapshot? RecentRegression => Recent.Regression;

    /// <summary>
    /// Gets output drift over the shortest window against the drift reference, or <see langword="null"/> when no
    /// reference is set (<see cref="ModelMonitor.CaptureDriftReference"/>) or no prediction was counted in the window.
    /// </summary>
    public DriftSnapshot? Drift => Recent.Drift;
}
