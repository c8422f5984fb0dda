// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

namespace ModelMetrics;

/// <summary>
/// What became of predictions recorded with an id and of the labels that arrived for them
/// (<see cref="ModelMonitor.RecordPrediction(PredictionId, int)"/>, <see cref="ModelMonitor.RecordLabel(PredictionId, int)"/>).
/// </summary>
public sealed class LabelSnapshot
{
    /// <summary>An empty snapshot, filled by <see cref="Fill"/> before anyone sees it.</summary>
    internal LabelSnapshot() => Delay = RecentDelay = null!;

    /// <summary>
    /// Sets every value: a new snapshot's, or those of the snapshot a publishing reading refills (read under the
    /// monitor's reader lock alone; a snapshot a user can see is never changed).
    /// </summary>
    internal void Fill(long pending, long joined, long expired, long evicted, long replaced, long unknownId, long duplicateLabel, long lateLabel, long invalidId, LatencySnapshot delay, LatencySnapshot recentDelay)
    {
        Pending = pending;
        Joined = joined;
        Expired = expired;
        Evicted = evicted;
        Replaced = replaced;
        UnknownId = unknownId;
        DuplicateLabel = duplicateLabel;
        LateLabel = lateLabel;
        InvalidId = invalidId;
        Delay = delay;
        RecentDelay = recentDelay;
    }

    /// <summary>Gets the number of predictions waiting for their label now.</summary>
    public long Pending { get; private set; }

    /// <summary>Gets the number of labels joined with their prediction and counted.</summary>
    public long Joined { get; private set; }

    /// <summary>Gets the number of predictions that waited longer than <see cref="ModelMonitorOptions.PendingTimeToLive"/> and were dropped.</summary>
    public long Expired { get; private set; }

    /// <summary>Gets the number of predictions dropped, oldest first, because the store was at <see cref="ModelMonitorOptions.PendingCapacity"/>.</summary>
    public long Evicted { get; private set; }

    /// <summary>Gets the number of predictions recorded again with an id that was still pending (the newer replaced the older).</summary>
    public long Replaced { get; private set; }

    /// <summary>Gets the number of labels whose id was never seen (or was forgotten long ago).</summary>
    public long UnknownId { get; private set; }

    /// <summary>Gets the number of labels for an id that already had its label; the first label wins.</summary>
    public long DuplicateLabel { get; private set; }

    /// <summary>Gets the number of labels that arrived after their prediction expired or was evicted.</summary>
    public long LateLabel { get; private set; }

    /// <summary>Gets the number of predictions or labels with a null or empty id.</summary>
    public long InvalidId { get; private set; }

    /// <summary>Gets the delay from prediction to label of every joined label, in seconds.</summary>
    public LatencySnapshot Delay { get; private set; }

    /// <summary>Gets the delay from prediction to label of the labels joined in the shortest window (<see cref="WindowSnapshot.LabelDelay"/> has every window's).</summary>
    public LatencySnapshot RecentDelay { get; private set; }
}
