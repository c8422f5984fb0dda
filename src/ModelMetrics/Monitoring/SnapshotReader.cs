// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using ModelMetrics.Quality;
using ModelMetrics.Recording;

namespace ModelMetrics;

/// <summary>
/// Reads a monitor's recording core into a <see cref="ModelMonitorSnapshot"/> and keeps the recent windows.
/// </summary>
/// <remarks>
/// Readers serialize on a lock among themselves (the windows are stateful); writers never take it.
/// Counters are read in the reverse of the order writers write them (calls before items, items before
/// calls started), so derived values never run backwards: items never lag calls, in-flight is never
/// negative, and every published counter is monotonic.
/// </remarks>
internal sealed class SnapshotReader
{
    /// <summary>
    /// A publishing pass calls every instrument's callback in turn, and each reads the monitor. They share one
    /// snapshot, taken when the pass's first instrument asks; an instrument asking again starts the next pass.
    /// A snapshot older than this is never shared, so a pass that takes longer reads again, and a second listener
    /// collecting other instruments at the same time sees data at most this old.
    /// </summary>
    private static readonly TimeSpan ShareWithin = TimeSpan.FromSeconds(1);

    private readonly ModelMonitor _monitor;
    private readonly TimeProvider _time;
    private readonly long _createdTimestamp;
    private readonly RollingWindow _latencyWindow;
    private readonly RollingWindow _firstChunkWindow;
    private readonly QualityWindow[] _qualityWindows;
    private readonly RollingWindow _delayWindow;
    private readonly object _gate = new();
    private ModelMonitorSnapshot? _last;
    private TimeSpan _lastAt;

    // The instruments (by number, modulo 64) that have read _last: one bit each.
    private ulong _readBy;

    public SnapshotReader(ModelMonitor monitor, TimeProvider time, TimeSpan window, TimeSpan[] qualityWindows)
    {
        _monitor = monitor;
        _time = time;
        _createdTimestamp = time.GetTimestamp();
        int buckets = monitor.Succeeded.Layout.BucketCount;
        _qualityWindows = Array.ConvertAll(qualityWindows, length => new QualityWindow(monitor, length));
        _delayWindow = new RollingWindow(monitor.LabelDelay.Layout.BucketCount, window, 0);
        _latencyWindow = new RollingWindow(buckets, window, 0);
        _firstChunkWindow = new RollingWindow(buckets, window, 0);
    }

    /// <summary>Reads a new snapshot (what <see cref="ModelMonitor.GetSnapshot"/> returns).</summary>
    public ModelMonitorSnapshot Read()
    {
        lock (_gate)
        {
            _monitor.TakeChanged();
            return Refresh(_time.GetElapsedTime(_createdTimestamp));
        }
    }

    /// <summary>
    /// Returns the snapshot of the current publishing pass for <paramref name="instrument"/>: the one already taken
    /// in this pass, or a new one when the instrument read the last one already (a new pass has begun).
    /// </summary>
    /// <remarks>
    /// So a pass reports what was recorded before it began, in one consistent snapshot, and costs one read of the
    /// monitor however many instruments it has; under traffic, reading per instrument would cost ~45 reads a pass.
    /// A monitor unchanged since the last snapshot (and read within <see cref="ShareWithin"/>) is not read again.
    /// Instruments are told apart modulo 64: two sharing a bit only make a pass read once more than needed.
    /// </remarks>
    public ModelMonitorSnapshot ReadForPublishing(int instrument)
    {
        ulong bit = 1UL << (instrument & 63);
        lock (_gate)
        {
            TimeSpan now = _time.GetElapsedTime(_createdTimestamp);
            bool recent = _last is not null && now - _lastAt < ShareWithin;
            if (recent && (_readBy & bit) == 0)
            {
                _readBy |= bit;
                return _last!;
            }

            // A new pass: read again, unless nothing was recorded since the last snapshot.
            if (!_monitor.TakeChanged() && recent)
            {
                _readBy = bit;
                return _last!;
            }

            ModelMonitorSnapshot snapshot = Refresh(now);
            _readBy = bit;
            return snapshot;
        }
    }

    private ModelMonitorSnapshot Refresh(TimeSpan now)
    {
        _last = ReadCore(now);
        _lastAt = now;
        _readBy = 0;
        return _last;
    }

    private ModelMonitorSnapshot ReadCore(TimeSpan now)
    {
        HistogramLayout layout = _monitor.Succeeded.Layout;

        // 1. Quality first: ground truth is recorded after its call, so reading it before the calls keeps labelled
        // predictions from running ahead of calls in one snapshot (reads go in the reverse of write order).
        // Each cumulative array is read once; every window subtracts its own checkpoint from it.
        ClassificationSnapshot? classification = null;
        long[]? cells = null, scored = null, predicted = null, scores = null;
        if (_monitor.Confusion is { } confusion)
        {
            cells = new long[confusion.CellCount];
            confusion.AddTo(cells);
            scored = Read(_monitor.Probabilities!);
            predicted = Read(_monitor.PredictedClasses!);
            scores = Read(_monitor.ScoreBinCells!);
            classification = new ClassificationSnapshot(_monitor.ClassLabels, cells, confusion.IsFullMatrix, _monitor.ZeroDivision, scored);
        }

        double[] regressionCells = new double[RegressionCounts.CellCount];
        _monitor.Regression.AddTo(regressionCells);
        RegressionSnapshot? regression = regressionCells[RegressionCounts.PairCountCell] > 0 ? RegressionCounts.CreateSnapshot(regressionCells) : null;
        var reading = new QualityReading(cells, scored, predicted, scores, regressionCells);
        var qualityWindows = Array.ConvertAll(_qualityWindows, w => w.Read(now.Ticks, reading));

        // 2. Completed calls (histograms), then failures by type. Successes are the successful histogram's
        // own count, never "all minus failures", which could run backwards while a failure is half recorded.
        long[] allCounts = new long[layout.BucketCount];
        _monitor.Succeeded.AddTo(allCounts);
        long succeeded = 0;
        foreach (long count in allCounts)
        {
            succeeded += count;
        }

        _monitor.Failed.AddTo(allCounts);
        var failures = _monitor.Outcomes.Read();
        long failed = 0;
        foreach (var pair in failures)
        {
            failed += pair.Value;
        }

        // 3. Items and chunks after calls. In flight is its own counter (+1 at start, -1 at end), read in
        // one short pass, so a slow merge above cannot inflate it.
        long extraItems = ModelMonitor.ReadExtraItems(_monitor.CallCells);
        long chunks = ModelMonitor.ReadChunks(_monitor.CallCells);
        long inFlight = ModelMonitor.ReadInFlight(_monitor.CallCells);

        (LatencySnapshot latency, LatencySnapshot recentLatency) = WithWindow(layout, allCounts, _latencyWindow, now);
        (LatencySnapshot firstChunk, LatencySnapshot recentFirstChunk) = Read(_monitor.TimeToFirstChunk, _firstChunkWindow, now);

        long completed = succeeded + failed;
        LabelSnapshot labels = ReadLabels(now);
        return new ModelMonitorSnapshot(
            _monitor,
            _time.GetUtcNow(),
            succeeded,
            failures,
            items: completed + extraItems,
            inFlight: Math.Max(0, inFlight),
            chunks,
            latency,
            recentLatency,
            firstChunk,
            recentFirstChunk,
            classification,
            regression,
            qualityWindows,
            labels,
            _monitor.Rejections.NonZero());
    }

    /// <summary>The cumulative and recent-window snapshots of one histogram, read from its stripes.</summary>
    /// <remarks>A histogram nobody fed (a model that never streams or never uses ids) allocates nothing.</remarks>
    private static (LatencySnapshot Cumulative, LatencySnapshot Recent) Read(ShardedHistogram histogram, RollingWindow window, TimeSpan now)
    {
        HistogramLayout layout = histogram.Layout;
        if (histogram.IsEmpty)
        {
            LatencySnapshot empty = LatencySnapshot.Empty(layout);
            return (empty, empty);
        }

        long[] counts = new long[layout.BucketCount];
        histogram.AddTo(counts);
        return WithWindow(layout, counts, window, now);
    }

    private static (LatencySnapshot Cumulative, LatencySnapshot Recent) WithWindow(HistogramLayout layout, long[] counts, RollingWindow window, TimeSpan now)
    {
        long[] recent = new long[layout.BucketCount];
        window.Update(now.Ticks, counts, recent);
        return (new LatencySnapshot(layout, counts), new LatencySnapshot(layout, recent));
    }

    private static long[] Read(StripedCells cells)
    {
        long[] cumulative = new long[cells.Length];
        cells.AddTo(cumulative);
        return cumulative;
    }

    private LabelSnapshot ReadLabels(TimeSpan now)
    {
        // Expiry is lazy on the write path; sweep here so that a quiet model's old predictions still expire.
        PendingPredictions pending = _monitor.Pending;
        pending.ExpireOld();
        (LatencySnapshot delay, LatencySnapshot recentDelay) = Read(_monitor.LabelDelay, _delayWindow, now);

        return new LabelSnapshot(
            pending.Count,
            pending.Joined,
            pending.Expired,
            pending.Evicted,
            pending.Replaced,
            pending.UnknownId,
            pending.DuplicateLabel,
            pending.LateLabel,
            pending.InvalidId,
            delay,
            recentDelay);
    }
}
