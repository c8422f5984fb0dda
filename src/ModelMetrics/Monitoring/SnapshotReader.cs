// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
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
    private readonly object _gate = new();
    private ModelMonitorSnapshot? _last;
    private TimeSpan _lastAt;

    public SnapshotReader(ModelMonitor monitor, TimeProvider time, TimeSpan window)
    {
        _monitor = monitor;
        _time = time;
        _createdTimestamp = time.GetTimestamp();
        int buckets = monitor.Succeeded.Layout.BucketCount;
        _latencyWindow = new RollingWindow(buckets, window, 0);
        _firstChunkWindow = new RollingWindow(buckets, window, 0);
        if (monitor.Confusion is { } confusion)
        {
            _confusionWindow = new RollingWindow(confusion.CellCount, window, 0);
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
        long allSum = _monitor.Succeeded.AddTo(allCounts);
        long succeeded = 0;
        foreach (long count in allCounts)
        {
            succeeded += count;
        }

        allSum += _monitor.Failed.AddTo(allCounts);
        var failures = _monitor.Outcomes.Read();
        long failed = 0;
        foreach (var pair in failures)
        {
            failed += pair.Value;
        }

        // 2. Items and chunks after calls; calls started last.
        long extraItems = ModelMonitor.ReadExtraItems(_monitor.CallCells);
        long chunks = ModelMonitor.ReadChunks(_monitor.CallCells);
        long started = ModelMonitor.ReadStarted(_monitor.CallCells);

        var latency = new LatencySnapshot(layout, allCounts, allSum);
        long[] recentCounts = new long[layout.BucketCount];
        _latencyWindow.Update(now.Ticks, allCounts, recentCounts);
        var recentLatency = new LatencySnapshot(layout, recentCounts, WindowSum(latency, recentCounts));

        long[] firstChunkCounts = new long[layout.BucketCount];
        long firstChunkSum = _monitor.TimeToFirstChunk.AddTo(firstChunkCounts);
        var firstChunk = new LatencySnapshot(layout, firstChunkCounts, firstChunkSum);
        long[] recentFirstChunkCounts = new long[layout.BucketCount];
        _firstChunkWindow.Update(now.Ticks, firstChunkCounts, recentFirstChunkCounts);
        var recentFirstChunk = new LatencySnapshot(layout, recentFirstChunkCounts, WindowSum(firstChunk, recentFirstChunkCounts));

        ClassificationSnapshot? classification = null, recentClassification = null;
        if (_monitor.Confusion is { } confusion)
        {
            long[] cells = new long[confusion.CellCount];
            confusion.AddTo(cells);
            long[] recentCells = new long[confusion.CellCount];
            _confusionWindow!.Update(now.Ticks, cells, recentCells);
            classification = new ClassificationSnapshot(_monitor.ClassLabels, cells, confusion.IsFullMatrix);
            recentClassification = new ClassificationSnapshot(_monitor.ClassLabels, recentCells, confusion.IsFullMatrix);
        }

        long completed = succeeded + failed;
        return new ModelMonitorSnapshot(
            _monitor,
            _time.GetUtcNow(),
            succeeded,
            failures,
            items: completed + extraItems,
            inFlight: Math.Max(0, started - completed),
            chunks,
            latency,
            recentLatency,
            firstChunk,
            recentFirstChunk,
            classification,
            recentClassification,
            _monitor.Rejections.NonZero());
    }

    /// <summary>
    /// The window's sum is not tracked per stripe (it would cost a write per call): it is the sum of
    /// bucket midpoints, within the histogram's relative error of the exact sum.
    /// </summary>
    private static long WindowSum(LatencySnapshot cumulative, long[] windowCounts)
    {
        double sum = 0;
        for (int i = 0; i < windowCounts.Length; i++)
        {
            if (windowCounts[i] != 0)
            {
                sum += windowCounts[i] * cumulative.Layout.Midpoint(i);
            }
        }

        return (long)sum;
    }
}
