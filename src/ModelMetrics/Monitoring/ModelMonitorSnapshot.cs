// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;

namespace ModelMetrics;

/// <summary>Everything a <see cref="ModelMonitor"/> recorded, read at one moment. Immutable.</summary>
public sealed class ModelMonitorSnapshot
{
    internal ModelMonitorSnapshot(
        ModelMonitor monitor,
        DateTimeOffset timestamp,
        long succeeded,
        IReadOnlyList<KeyValuePair<string, long>> failures,
        long items,
        long inFlight,
        long chunks,
        LatencySnapshot latency,
        LatencySnapshot recentLatency,
        LatencySnapshot timeToFirstChunk,
        LatencySnapshot recentTimeToFirstChunk,
        ClassificationSnapshot? classification,
        RegressionSnapshot? regression,
        IReadOnlyList<QualityWindowSnapshot> qualityWindows,
        LabelSnapshot labels,
        IEnumerable<KeyValuePair<string, long>> rejected)
    {
        Labels = labels;
        Regression = regression;
        QualityWindows = qualityWindows;
        ModelName = monitor.ModelName;
        ModelVersion = monitor.ModelVersion;
        Timestamp = timestamp;
        Succeeded = succeeded;
        var failureTable = new Dictionary<string, long>(StringComparer.Ordinal);
        long failed = 0;
        foreach ((string type, long count) in failures)
        {
            failureTable[type] = count;
            failed += count;
        }

        Failures = failureTable;
        Failed = failed;
        Items = items;
        InFlight = inFlight;
        Chunks = chunks;
        Latency = latency;
        RecentLatency = recentLatency;
        TimeToFirstChunk = timeToFirstChunk;
        RecentTimeToFirstChunk = recentTimeToFirstChunk;
        Classification = classification;
        var rejectedTable = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach ((string reason, long count) in rejected)
        {
            rejectedTable[reason] = count;
        }

        Rejected = rejectedTable;
    }

    /// <summary>Gets the model's name.</summary>
    public string ModelName { get; }

    /// <summary>Gets the model's version, or <see langword="null"/>.</summary>
    public string? ModelVersion { get; }

    /// <summary>Gets when the snapshot was taken, by the monitor's <see cref="ModelMonitorOptions.TimeProvider"/>.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>Gets the number of completed calls: <see cref="Succeeded"/> + <see cref="Failed"/>.</summary>
    public long Calls => Succeeded + Failed;

    /// <summary>Gets the number of calls that returned normally.</summary>
    public long Succeeded { get; }

    /// <summary>Gets the number of calls that threw (errors, cancellations and timeouts).</summary>
    public long Failed { get; }

    /// <summary>
    /// Gets unsuccessful calls by <c>error.type</c>: <c>cancelled</c>, <c>timeout</c>, an exception's full
    /// type name, or <c>_OTHER</c> past 32 distinct types.
    /// </summary>
    public IReadOnlyDictionary<string, long> Failures { get; }

    /// <summary>Gets the fraction of completed calls that failed (cancellations and timeouts included), or 0.</summary>
    public double FailureRate => Calls == 0 ? 0 : (double)Failed / Calls;

    /// <summary>Gets the number of items predicted: one per call, n per batch call of n items.</summary>
    public long Items { get; }

    /// <summary>Gets the number of calls started but not yet ended.</summary>
    public long InFlight { get; }

    /// <summary>Gets the number of chunks produced by streamed calls.</summary>
    public long Chunks { get; }

    /// <summary>Gets the durations of all completed calls since the monitor started.</summary>
    public LatencySnapshot Latency { get; }

    /// <summary>Gets the durations of the calls completed in the recent window (<see cref="ModelMonitorOptions.Window"/>).</summary>
    public LatencySnapshot RecentLatency { get; }

    /// <summary>Gets the time to the first chunk of streamed calls since the monitor started.</summary>
    public LatencySnapshot TimeToFirstChunk { get; }

    /// <summary>Gets the time to the first chunk of streamed calls in the recent window.</summary>
    public LatencySnapshot RecentTimeToFirstChunk { get; }

    /// <summary>Gets quality over all recorded ground truth, or <see langword="null"/> when no class labels are declared.</summary>
    public ClassificationSnapshot? Classification { get; }

    /// <summary>
    /// Gets quality over the ground truth recorded in the shortest of <see cref="ModelMonitorOptions.QualityWindows"/>,
    /// or <see langword="null"/> when no class labels are declared.
    /// </summary>
    public ClassificationSnapshot? RecentClassification => QualityWindows[0].Classification;

    /// <summary>Gets quality over each of <see cref="ModelMonitorOptions.QualityWindows"/>, shortest first.</summary>
    public IReadOnlyList<QualityWindowSnapshot> QualityWindows { get; }

    /// <summary>Gets how predictions recorded with an id were joined with their labels: pending, joined, expired, evicted, unknown, duplicate, late; and the label delay.</summary>
    public LabelSnapshot Labels { get; }

    /// <summary>Gets regression quality over all recorded pairs, or <see langword="null"/> when none was recorded.</summary>
    public RegressionSnapshot? Regression { get; }

    /// <summary>Gets regression quality over the pairs recorded in the shortest quality window, or <see langword="null"/> when none was ever recorded.</summary>
    public RegressionSnapshot? RecentRegression => QualityWindows[0].Regression;

    /// <summary>
    /// Gets output drift over the shortest quality window against the drift reference, or <see langword="null"/> when no
    /// reference is set (<see cref="ModelMonitor.CaptureDriftReference"/>) or no prediction was counted in the window.
    /// </summary>
    public DriftSnapshot? Drift => QualityWindows[0].Drift;

    /// <summary>Gets values that were rejected or corrected, by reason (for example <c>unknown_label</c>, <c>negative_duration</c>).</summary>
    public IReadOnlyDictionary<string, long> Rejected { get; }
}
