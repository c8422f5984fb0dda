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
    /// A publishing pass reads each instrument separately; within this age an unchanged monitor's last
    /// snapshot is reused instead of merging the stripes again.
    /// </summary>
    private static readonly TimeSpan ReuseWithin = TimeSpan.FromMilliseconds(100);

    private readonly ModelMonitor _monitor;
    private readonly TimeProvider _time;
    private readonly long _createdTimestamp;
    private readonly RollingWindow _latencyWindow;
    private readonly RollingWindow _firstChunkWindow;
    private readonly RollingWindow? _confusionWindow;
    private readonly RollingWindow? _probabilityWindow;
    private readonly RollingWindow? _predictedWindow;
    private readonly RollingWindow? _scoreWindow;
    private readonly RollingWindow<double> _regressionWindow;
    private readonly RollingWindow _delayWindow;
    private readonly object _gate = new();
    private readonly LatencySnapshot _emptyFirstChunk;
    private ModelMonitorSnapshot? _last;
    private TimeSpan _lastAt;

    public SnapshotReader(ModelMonitor monitor, TimeProvider time, TimeSpan window)
    {
        _monitor = monitor;
        _time = time;
        _createdTimestamp = time.GetTimestamp();
        int buckets = monitor.Succeeded.Layout.BucketCount;
        _emptyFirstChunk = new LatencySnapshot(monitor.Succeeded.Layout, new long[buckets]);
        _regressionWindow = new RollingWindow<double>(RegressionCounts.CellCount, window, 0);
        _delayWindow = new RollingWindow(monitor.LabelDelay.Layout.BucketCount, window, 0);
        _latencyWindow = new RollingWindow(buckets, window, 0);
        _firstChunkWindow = new RollingWindow(buckets, window, 0);
        if (monitor.Confusion is { } confusion)
        {
            _confusionWindow = new RollingWindow(confusion.CellCount, window, 0);
            _probabilityWindow = new RollingWindow(monitor.Probabilities!.Length, window, 0);
            _predictedWindow = new RollingWindow(monitor.PredictedClasses!.Length, window, 0);
            _scoreWindow = new RollingWindow(ModelMonitor.ScoreBins, window, 0);
        }
    }

    public ModelMonitorSnapshot Read(bool forceRefresh)
    {
        lock (_gate)
        {
            TimeSpan now = _time.GetElapsedTime(_createdTimestamp);
            bool changed = _monitor.TakeChanged();
            if (!forceRefresh && !changed && _last is not null && now - _lastAt < ReuseWithin)
            {
                return _last;
            }

            _last = ReadCore(now);
            _lastAt = now;
            return _last;
        }
    }

    private ModelMonitorSnapshot ReadCore(TimeSpan now)
    {
        HistogramLayout layout = _monitor.Succeeded.Layout;

        // 1. Completed calls (histograms), then failures by type. Successes are the successful histogram's
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

        // 2. Items and chunks after calls. In flight is its own counter (+1 at start, -1 at end), read in
        // one short pass, so a slow merge above cannot inflate it.
        long extraItems = ModelMonitor.ReadExtraItems(_monitor.CallCells);
        long chunks = ModelMonitor.ReadChunks(_monitor.CallCells);
        long inFlight = ModelMonitor.ReadInFlight(_monitor.CallCells);

        var latency = new LatencySnapshot(layout, allCounts);
        long[] recentCounts = new long[layout.BucketCount];
        _latencyWindow.Update(now.Ticks, allCounts, recentCounts);
        var recentLatency = new LatencySnapshot(layout, recentCounts);

        // A model that never streamed shares one empty histogram instead of allocating two more.
        LatencySnapshot firstChunk = _emptyFirstChunk, recentFirstChunk = _emptyFirstChunk;
        if (!_monitor.TimeToFirstChunk.IsEmpty)
        {
            long[] firstChunkCounts = new long[layout.BucketCount];
            _monitor.TimeToFirstChunk.AddTo(firstChunkCounts);
            firstChunk = new LatencySnapshot(layout, firstChunkCounts);
            long[] recentFirstChunkCounts = new long[layout.BucketCount];
            _firstChunkWindow.Update(now.Ticks, firstChunkCounts, recentFirstChunkCounts);
            recentFirstChunk = new LatencySnapshot(layout, recentFirstChunkCounts);
        }

        ClassificationSnapshot? classification = null, recentClassification = null;
        DriftSnapshot? drift = null;
        if (_monitor.Confusion is { } confusion)
        {
            long[] cells = new long[confusion.CellCount];
            confusion.AddTo(cells);
            long[] recentCells = new long[confusion.CellCount];
            _confusionWindow!.Update(now.Ticks, cells, recentCells);
            long[] scored = Read(_monitor.Probabilities!, _probabilityWindow!, now, out long[] recentScored);
            classification = new ClassificationSnapshot(_monitor.ClassLabels, cells, confusion.IsFullMatrix, _monitor.ZeroDivision, scored);
            recentClassification = new ClassificationSnapshot(_monitor.ClassLabels, recentCells, confusion.IsFullMatrix, _monitor.ZeroDivision, recentScored);
            drift = ReadDrift(now);
        }

        RegressionSnapshot? regression = null, recentRegression = null;
        double[] regressionCells = new double[RegressionCounts.CellCount];
        _monitor.Regression.AddTo(regressionCells);
        double[] recentRegressionCells = new double[RegressionCounts.CellCount];
        _regressionWindow.Update(now.Ticks, regressionCells, recentRegressionCells);
        if (regressionCells[RegressionCounts.PairCountCell] > 0)
        {
            regression = RegressionCounts.CreateSnapshot(regressionCells);
            recentRegression = RegressionCounts.CreateWindowSnapshot(recentRegressionCells, regressionCells);
        }

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
            recentClassification,
            drift,
            regression,
            recentRegression,
            labels,
            _monitor.Rejections.NonZero());
    }

    private static long[] Read(StripedCells cells, RollingWindow window, TimeSpan now, out long[] recent)
    {
        long[] cumulative = new long[cells.Length];
        cells.AddTo(cumulative);
        recent = new long[cells.Length];
        window.Update(now.Ticks, cumulative, recent);
        return cumulative;
    }

    private LabelSnapshot ReadLabels(TimeSpan now)
    {
        // Expiry is lazy on the write path; sweep here so that a quiet model's old predictions still expire.
        PendingPredictions pending = _monitor.Pending;
        pending.ExpireOld();
        HistogramLayout layout = _monitor.LabelDelay.Layout;
        long[] delays = new long[layout.BucketCount];
        _monitor.LabelDelay.AddTo(delays);
        long[] recentDelays = new long[layout.BucketCount];
        _delayWindow.Update(now.Ticks, delays, recentDelays);
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
            new LatencySnapshot(layout, delays),
            new LatencySnapshot(layout, recentDelays));
    }

    private DriftSnapshot? ReadDrift(TimeSpan now)
    {
        // The windows advance on every read, whether or not a reference is set yet.
        Read(_monitor.PredictedClasses!, _predictedWindow!, now, out long[] recentClasses);
        Read(_monitor.ScoreBinCells!, _scoreWindow!, now, out long[] recentScores);
        if (_monitor.CurrentDriftReference is not { } reference || DriftReference.ToShares(recentClasses) is not { } shares)
        {
            return null;
        }

        long predictions = 0;
        foreach (long count in recentClasses)
        {
            predictions += count;
        }

        return new DriftSnapshot(predictions, shares, reference, DriftReference.ToShares(recentScores));
    }
}
