// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Threading;
using ModelMetrics.Diagnostics;
using ModelMetrics.Publishing;
using ModelMetrics.Recording;

namespace ModelMetrics.Signals;

/// <summary>
/// The calls signal: outcomes (success, error types, cancelled, timeout), items, in flight, chunks, call
/// duration and time to first chunk, cumulative and per window.
/// </summary>
/// <remarks>
/// Hot path: a call is one interlocked increment at start (in flight) and two at the end (the duration's
/// bucket, in flight −1), each on the calling processor's stripe. Failures and batches take the slower paths.
/// </remarks>
internal sealed class CallsSignal : Signal
{
    // Cells of the small windowed array: successes, extra items, chunks, then one cell per outcome.
    private const int SucceededCell = 0;
    private const int ExtraItemsCell = 1;
    private const int ChunksCell = 2;
    private const int FirstOutcomeCell = 3;

    // Striped cells written on the call path.
    private const int InFlight = 0; // +1 when a call starts, -1 when it ends (maybe on another stripe)
    private const int ExtraItems = 1; // items beyond the first of each batch call
    private const int Chunks = 2;

    private readonly StripedCells _cells = new(3);
    private readonly WindowedHistogram _latency;
    private readonly StripedHistogram _succeeded; // _latency's histogram, held directly: one load less per call
    private readonly StripedHistogram _failed;
    private readonly WindowedHistogram _firstChunk;
    private readonly OutcomeTable _outcomes;
    private readonly WindowedCells<long> _counts;
    private readonly Histogram<double>? _native;
    private readonly long[] _lastFailures; // the failures by outcome of the last reading (readers are serialized)

    public CallsSignal(SignalContext context, HistogramLayout layout, IReadOnlyList<double> boundaries, Histogram<double>? nativeHistogram)
        : base(context)
    {
        _latency = new WindowedHistogram(context, layout, boundaries);
        _succeeded = _latency.Histogram;
        _failed = new StripedHistogram(layout, context.Rejections, Array.ConvertAll([.. boundaries], StripedHistogram.ToBoundaryValue));
        _firstChunk = new WindowedHistogram(context, layout, boundaries);
        _outcomes = new OutcomeTable(context.ModelName);
        _counts = context.CreateWindows<long>(FirstOutcomeCell + _outcomes.Length);
        _native = nativeHistogram;
        _lastFailures = new long[_outcomes.Length];
    }

    public override SignalInstruments Instruments => CallsInstruments.Instance;

    public WindowedHistogram Latency => _latency;

    public WindowedHistogram FirstChunk => _firstChunk;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long StartCall()
    {
        _cells.Increment(InFlight);
        Context.MarkChanged();
        return Stopwatch.GetTimestamp();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EndCall(long startTimestamp)
    {
        long duration = Stopwatch.GetTimestamp() - startTimestamp;
        _succeeded.Record(duration);
        _cells.Add(InFlight, -1);
        Context.MarkChanged();
        if (_native is not null)
        {
            RecordNative(duration, errorType: null);
        }
    }

    public void EndCall(long startTimestamp, Exception? exception, int itemCount, CancellationToken cancellationToken)
    {
        if (!CountItems(itemCount))
        {
            // The call was started (counted in flight) but is not recorded: it still ends.
            _cells.Add(InFlight, -1);
            Context.MarkChanged();
            return;
        }

        if (exception is null)
        {
            EndCall(startTimestamp);
            return;
        }

        long duration = Stopwatch.GetTimestamp() - startTimestamp;
        RecordFailure(duration, _outcomes.Classify(exception, cancellationToken));
        _cells.Add(InFlight, -1);
        Context.MarkChanged();
    }

    public void EndStreamingCall(long startTimestamp, long firstChunkTimestamp, long chunkCount, Exception? exception, CancellationToken cancellationToken)
    {
        if (firstChunkTimestamp != 0)
        {
            _firstChunk.Histogram.Record(firstChunkTimestamp - startTimestamp);
        }

        if (chunkCount > 0)
        {
            _cells.Add(Chunks, chunkCount);
        }

        EndCall(startTimestamp, exception, itemCount: 1, cancellationToken);
    }

    public void RecordCall(double durationSeconds, Exception? exception)
    {
        if (double.IsNaN(durationSeconds))
        {
            Context.Reject(RejectionReason.NanDuration);
            return;
        }

        // Note: clamp in double space first, a cast of an out-of-range double to long is undefined.
        double ticks = durationSeconds * Stopwatch.Frequency;
        long duration = ticks >= long.MaxValue ? long.MaxValue : ticks <= long.MinValue ? long.MinValue : (long)Math.Round(ticks);
        if (exception is null)
        {
            _succeeded.Record(duration);
            if (_native is not null)
            {
                RecordNative(duration, errorType: null);
            }
        }
        else
        {
            RecordFailure(duration, _outcomes.Classify(exception, default));
        }

        Context.MarkChanged();
    }

    public override void Read(SnapshotBuilder snapshot)
    {
        // 1. Completed calls (histograms), then failures by type. Successes are the successful histogram's own
        // count, never "all minus failures", which could run backwards while a failure is half recorded.
        int buckets = _succeeded.Layout.BucketCount;
        long[]? all = null;
        long succeeded = 0;
        long failed = 0;
        if (!_succeeded.IsEmpty || !_failed.IsEmpty)
        {
            all = new long[_succeeded.Length];
            _succeeded.AddTo(all);
            for (int b = 0; b < buckets; b++)
            {
                succeeded += all[b];
            }

            _failed.AddTo(all);
            for (int b = 0; b < buckets; b++)
            {
                failed += all[b];
            }

            failed -= succeeded;
        }

        long[] counts = new long[_counts.Length];
        counts[SucceededCell] = succeeded;
        _outcomes.AddTo(counts, FirstOutcomeCell);
        HoldBackFailuresInProgress(counts.AsSpan(FirstOutcomeCell, _outcomes.Length), failed);

        // 2. Items and chunks after calls, so items never lag calls. In flight is its own counter (+1 at start,
        // -1 at end), read in one short pass, so a slow merge above cannot inflate it.
        counts[ExtraItemsCell] = _cells.Sum(ExtraItems);
        counts[ChunksCell] = _cells.Sum(Chunks);
        long inFlight = Math.Max(0, _cells.Sum(InFlight));

        // Note: not a second look at the histograms when they were empty above: a call recorded since would show in
        // the latency but not in the calls counted from the same reading.
        (LatencySnapshot latency, LatencySnapshot[] latencyWindows) = all is null ? _latency.Empty() : _latency.Read(snapshot.Now, all);
        (LatencySnapshot firstChunk, LatencySnapshot[] firstChunkWindows) = _firstChunk.Read(snapshot.Now);
        long[][] windows = _counts.Read(snapshot.Now, counts);

        snapshot.Cumulative.Add(Part(counts, inFlight, latency, firstChunk));
        for (int w = 0; w < windows.Length; w++)
        {
            snapshot.Windows[w].Add(Part(windows[w], inFlight, latencyWindows[w], firstChunkWindows[w]));
        }
    }

    /// <summary>
    /// Makes the failures by outcome add up to <paramref name="failedDurations"/>, the failures the histogram held when
    /// read: a failure's outcome is counted before its duration, and outcomes are read after the histogram, so they can
    /// only be ahead, by the failures half recorded. Those are held back: each outcome keeps at least what the last
    /// reading showed (counters never go back) and at most what was counted, and the difference is handed out from the
    /// first outcome on. With no failure in progress, this changes nothing.
    /// </summary>
    private void HoldBackFailuresInProgress(Span<long> outcomes, long failedDurations)
    {
        long counted = 0;
        long shown = 0;
        for (int t = 0; t < outcomes.Length; t++)
        {
            counted += outcomes[t];
            shown += _lastFailures[t];
        }

        if (counted > failedDurations)
        {
            long left = failedDurations - shown;
            for (int t = 0; t < outcomes.Length; t++)
            {
                long take = Math.Max(0, Math.Min(outcomes[t] - _lastFailures[t], left));
                outcomes[t] = _lastFailures[t] + take;
                left -= take;
            }
        }

        outcomes.CopyTo(_lastFailures);
    }

    private CallsPart Part(long[] counts, long inFlight, LatencySnapshot latency, LatencySnapshot firstChunk)
    {
        Dictionary<string, long> failures = _outcomes.ToTable(counts.AsSpan(FirstOutcomeCell));
        long failed = 0;
        foreach (long count in failures.Values)
        {
            failed += count;
        }

        long calls = counts[SucceededCell] + failed;
        return new CallsPart(counts[SucceededCell], failed, failures, calls + counts[ExtraItemsCell], inFlight, counts[ChunksCell], latency, firstChunk);
    }

    private bool CountItems(int itemCount)
    {
        if (itemCount == 1)
        {
            return true;
        }

        if (itemCount == 0)
        {
            Context.Reject(RejectionReason.EmptyBatch);
            return false;
        }

        if (itemCount < 0)
        {
            Context.Reject(RejectionReason.InvalidItemCount);
            return true;
        }

        // Written before the call is counted: readers read calls first, so items never lag behind calls.
        _cells.Add(ExtraItems, itemCount - 1L);
        return true;
    }

    private void RecordFailure(long duration, int outcome)
    {
        // Note: the outcome before the duration: readers read the histogram first, so outcomes can only be ahead,
        // and the reader holds back that excess (HoldBackFailuresInProgress).
        _outcomes.Count(outcome);
        _failed.Record(duration);
        if (_native is not null)
        {
            RecordNative(duration, _outcomes.NameOf(outcome));
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RecordNative(long durationTicks, string? errorType)
    {
        if (!_native!.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { MetricNames.ModelName, Context.ModelName },
            { MetricNames.ModelVersion, Context.ModelVersion },
        };
        if (errorType is not null)
        {
            tags.Add(MetricNames.ErrorType, errorType);
        }

        Context.Record(_native, Math.Max(0, durationTicks) / (double)Stopwatch.Frequency, tags);
    }
}

/// <summary>The calls part of a snapshot: cumulative, or one window's.</summary>
internal sealed record CallsPart(
    long Succeeded,
    long Failed,
    IReadOnlyDictionary<string, long> Failures,
    long Items,
    long InFlight,
    long Chunks,
    LatencySnapshot Latency,
    LatencySnapshot TimeToFirstChunk);
