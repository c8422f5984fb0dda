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
/// <para>
/// Hot path: a call is three plain increments of cells the calling thread owns (<see cref="ThreadCells"/>): started
/// at the start; the duration's bucket and ended at the end. No interlocked operation: each cell has one writer.
/// A thread beyond <see cref="ThreadCells.MaxSets"/> records the same three into interlocked striped cells. Failures
/// and batches take the slower paths (interlocked, striped). In flight is not a counter: it is started − ended.
/// </para>
/// <para>
/// A consistent in-flight reading: ended is summed first, then started, then ended again. Every call counted in the
/// first sum of ended had started before (its start happens before its end, and the ended cell is written with release
/// semantics), so started − ended is never negative. When the two sums of ended agree, no call ended while started was
/// summed, so started − ended lies between the calls in flight when that sum began and when it ended: it never counts
/// a call twice nor one that already ended, however long the sum took. The reader retries a few times otherwise, and
/// then takes started − the later sum of ended (never more than were in flight when started was summed).
/// </para>
/// </remarks>
internal sealed class CallsSignal : Signal
{
    // Cells of the small windowed array: successes, extra items, chunks, then one cell per outcome.
    private const int SucceededCell = 0;
    private const int ExtraItemsCell = 1;
    private const int ChunksCell = 2;
    private const int FirstOutcomeCell = 3;

    // Striped cells written on the call path: started and ended of threads without their own cells, then the rare ones.
    private const int Started = 0;
    private const int Ended = 1;
    private const int ExtraItems = 2; // items beyond the first of each batch call
    private const int Chunks = 3;
    private const int Recorded = 4; // calls recorded whole, without a start (RecordCall): in the histograms, never in flight

    // Counters of each thread's own cells (started, ended: the same indexes as the striped ones; then recorded whole).
    private const int OwnedCounters = 3;
    private const int OwnedRecorded = 2;

    // How often a reader sums started again when calls kept ending while it summed (then it takes the last sum).
    private const int InFlightAttempts = 8;

    private readonly StripedCells _cells = new(5);
    private readonly ThreadCells _owned;
    private readonly WindowedHistogram _latency;
    private readonly StripedHistogram _succeeded; // _latency's histogram, held directly: one load less per call
    private readonly StripedHistogram _failed;
    private readonly WindowedHistogram _firstChunk;
    private readonly OutcomeTable _outcomes;
    private readonly WindowedCells<long> _counts;
    private readonly Histogram<double>? _native;
    private readonly long[] _lastFailures; // the failures by outcome of the last reading (readers are serialized)
    private readonly long[] _reading; // the cumulative counts of a reading, reused (readers are serialized; parts copy)
    private readonly long[][] _windowCounts; // each window's counts of a reading, reused likewise
    private readonly Dictionary<string, long>?[] _tables; // per part (cumulative, then each window): the last failure table
    private readonly long[]?[] _tableCounts; // the outcome cells each of those tables was built from
    private int _usedCells = FirstOutcomeCell; // the count cells up to the last outcome ever counted
    private int _failedChanged; // set after a failure's duration is recorded, taken by readers
    private long[] _failedReading = []; // the failed histogram at the last reading that took a change: its non-zero buckets, then its boundary cells
    private int _failedFirst; // the first bucket in _failedReading
    private int _failedBuckets; // the buckets in _failedReading
    private long[]? _failedOwnScratch; // a precise histogram's own scratch (see WindowedHistogram.MaxSharedScratch)
    private readonly CallsPart?[] _reusedParts; // per part (cumulative, then each window): refilled by publishing readings

    [ThreadStatic]
    private static long[]? t_failedScratch; // a whole reading of a failed histogram, reused by every reader on the thread

    public CallsSignal(SignalContext context, HistogramLayout layout, IReadOnlyList<double> boundaries, Histogram<double>? nativeHistogram)
        : base(context)
    {
        _latency = new WindowedHistogram(context, layout, boundaries);
        _succeeded = _latency.Histogram;
        _owned = new ThreadCells(OwnedCounters, layout.BucketCount, _succeeded.BoundaryCount);
        _failed = new StripedHistogram(layout, context.Rejections, Array.ConvertAll([.. boundaries], StripedHistogram.ToBoundaryValue));
        _firstChunk = new WindowedHistogram(context, layout, boundaries);
        _outcomes = new OutcomeTable(context.ModelName);
        _counts = context.CreateWindows<long>(FirstOutcomeCell + _outcomes.Length);
        _native = nativeHistogram;
        _lastFailures = new long[_outcomes.Length];
        _reading = new long[_counts.Length];
        _windowCounts = Array.ConvertAll(context.Windows, _ => new long[_counts.Length]);
        _tables = new Dictionary<string, long>?[1 + context.Windows.Length];
        _tableCounts = new long[]?[_tables.Length];
        _reusedParts = new CallsPart?[_tables.Length];
    }

    public override SignalInstruments Instruments => CallsInstruments.Instance;

    /// <inheritdoc/>
    /// <remarks>Every record marks the signal changed.</remarks>
    public override bool IsPolled => false;

    /// <inheritdoc/>
    protected override bool ReusesParts => true;

    public WindowedHistogram Latency => _latency;

    public WindowedHistogram FirstChunk => _firstChunk;

    /// <summary>Gets the thread-owned cells of successful calls (for tests: live sets, bytes).</summary>
    public ThreadCells Owned => _owned;

    /// <summary>Adds the latency histogram of successful calls (stripes and thread-owned cells; buckets, then boundary cells) to <paramref name="counts"/>.</summary>
    public void AddLatencyTo(long[] counts)
    {
        lock (_owned.Gate)
        {
            _owned.Fold();
            _succeeded.AddTo(counts);
            _owned.AddHistogramTo(counts);
        }
    }

    /// <summary>Gets the bytes the latency cells of successful calls take: the thread-owned pages and base, and the stripes.</summary>
    public long LatencyCellBytes => _owned.HistogramBytes + _succeeded.AllocatedBytes;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long StartCall()
    {
        CountStarted();
        return Stopwatch.GetTimestamp();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EndCall(long startTimestamp) => RecordEnded(Stopwatch.GetTimestamp() - startTimestamp);

    /// <summary>What <see cref="StartCall"/> records, without its clock read (benchmarks compare it with other libraries' recording alone).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CountStarted()
    {
        ThreadCellSet cells = _owned.Current();
        if (cells.IsOwned)
        {
            cells.Increment(Started);
        }
        else
        {
            _cells.Increment(Started);
        }

        MarkChanged();
    }

    /// <summary>What <see cref="EndCall(long)"/> records for a successful call of <paramref name="duration"/> Stopwatch ticks, without its clock read.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void RecordEnded(long duration)
    {
        ThreadCellSet cells = _owned.Current();
        if (cells.IsOwned)
        {
            // Note: the bucket before ended, both released: a reader that sees the end sees the duration.
            _succeeded.Record(cells, duration);
            cells.Increment(Ended);
        }
        else
        {
            _succeeded.Record(duration);
            _cells.Increment(Ended);
        }

        MarkChanged();
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
            CountEnded();
            MarkChanged();
            return;
        }

        if (exception is null)
        {
            EndCall(startTimestamp);
            return;
        }

        long duration = Stopwatch.GetTimestamp() - startTimestamp;
        RecordFailure(duration, _outcomes.Classify(exception, cancellationToken));
        CountEnded();
        MarkChanged();
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
        ThreadCellSet cells = _owned.Current();
        if (exception is null)
        {
            if (cells.IsOwned)
            {
                _succeeded.Record(cells, duration);
            }
            else
            {
                _succeeded.Record(duration);
            }

            if (_native is not null)
            {
                RecordNative(duration, errorType: null);
            }
        }
        else
        {
            RecordFailure(duration, _outcomes.Classify(exception, default));
        }

        // After the duration, as an end is: a reader that sees this count sees the duration (see ReadInFlight).
        if (cells.IsOwned)
        {
            cells.Increment(OwnedRecorded);
        }
        else
        {
            _cells.Increment(Recorded);
        }

        MarkChanged();
    }

    public override void Read(SnapshotBuilder snapshot)
    {
        // Note: the gate excludes only folds (a writer that finds the thread cells full tries it, never waits for it).
        lock (_owned.Gate)
        {
            _owned.Fold();
            ReadLocked(snapshot);
        }
    }

    private void ReadLocked(SnapshotBuilder snapshot)
    {
        // 1. Completed calls (histograms), then failures by type. Successes are the successful histogram's own
        // count, never "all minus failures", which could run backwards while a failure is half recorded.
        int buckets = _succeeded.Layout.BucketCount;
        long[]? all = null;
        long succeeded = 0;
        long failed = 0;
        if (!_succeeded.IsEmpty || !_failed.IsEmpty || !_owned.IsEmpty)
        {
            all = _latency.Scratch(); // the thread's: used up by _latency.Read below, before the next histogram's read
            _succeeded.AddTo(all);
            _owned.AddHistogramTo(all);
            succeeded = CellSums.Sum(all.AsSpan(0, buckets));
            AddFailedTo(all);
            failed = CellSums.Sum(all.AsSpan(0, buckets));

            failed -= succeeded;
        }

        long[] counts = _reading;
        Array.Clear(counts);
        counts[SucceededCell] = succeeded;
        _outcomes.AddTo(counts, FirstOutcomeCell);
        HoldBackFailuresInProgress(counts.AsSpan(FirstOutcomeCell, _outcomes.Length), failed);

        // 2. Items and chunks after calls, so items never lag calls. In flight is started − ended (see the remarks).
        counts[ExtraItemsCell] = _cells.Sum(ExtraItems);
        counts[ChunksCell] = _cells.Sum(Chunks);
        long inFlight = ReadInFlight(succeeded + failed - (_owned.Sum(OwnedRecorded) + _cells.Sum(Recorded)));

        // Note: not a second look at the histograms when they were empty above: a call recorded since would show in
        // the latency but not in the calls counted from the same reading.
        bool reuse = snapshot.Reuses;
        (LatencySnapshot latency, LatencySnapshot[] latencyWindows) = all is null ? _latency.Empty() : _latency.Read(snapshot.Now, all, reuse);
        (LatencySnapshot firstChunk, LatencySnapshot[] firstChunkWindows) = _firstChunk.Read(snapshot.Now, reuse: reuse);
        // Windows of the cells up to the last outcome ever counted (they only grow; the rest are zero), not all 35.
        _usedCells = Math.Max(_usedCells, FirstOutcomeCell + counts.AsSpan(FirstOutcomeCell).LastIndexOfAnyExcept(0L) + 1);
        AddParts(snapshot, Part(0, counts.AsSpan(0, _usedCells), inFlight, latency, firstChunk, reuse), latencyWindows, firstChunkWindows);
    }

    /// <summary>
    /// Adds the failed calls' histogram to <paramref name="all"/>: read again only when a failure was recorded since the
    /// last reading (most readings of a busy model find none, and its few thousand striped cells need not be summed), else
    /// its last reading's non-zero range. Failures are recorded with interlocked increments before the mark, so a reading
    /// that finds no mark misses only failures whose mark comes after it: their outcomes are held back with them.
    /// </summary>
    private void AddFailedTo(long[] all)
    {
        int buckets = _failed.Layout.BucketCount;
        int boundaries = _failed.BoundaryCount;
        if (Interlocked.Exchange(ref _failedChanged, 0) != 0)
        {
            long[] scratch = _failed.Length > WindowedHistogram.MaxSharedScratch ? (_failedOwnScratch ??= new long[_failed.Length])
                : t_failedScratch is { } cached && cached.Length == _failed.Length ? cached : (t_failedScratch = new long[_failed.Length]);
            Array.Clear(scratch);
            _failed.AddTo(scratch);
            int first = scratch.AsSpan(0, buckets).IndexOfAnyExcept(0L);
            int held = first < 0 ? 0 : scratch.AsSpan(0, buckets).LastIndexOfAnyExcept(0L) - first + 1;
            first = Math.Max(first, 0);
            if (_failedReading.Length != held + boundaries)
            {
                _failedReading = new long[held + boundaries];
            }

            scratch.AsSpan(first, held).CopyTo(_failedReading);
            scratch.AsSpan(buckets, boundaries).CopyTo(_failedReading.AsSpan(held));
            _failedFirst = first;
            _failedBuckets = held;
        }

        if (_failedReading.Length == 0)
        {
            return; // no failure recorded yet
        }

        CellSums.AddTo(all.AsSpan(_failedFirst, _failedBuckets), _failedReading.AsSpan(0, _failedBuckets));
        CellSums.AddTo(all.AsSpan(buckets, boundaries), _failedReading.AsSpan(_failedBuckets, boundaries));
    }

    /// <summary>Adds the cumulative part, then advances the count windows (cells up to the last outcome used) and adds each window's part.</summary>
    private void AddParts(SnapshotBuilder snapshot, CallsPart cumulative, LatencySnapshot[] latencyWindows, LatencySnapshot[] firstChunkWindows)
    {
        // Note: into arrays reused from reading to reading (readers are serialized): parts keep values, not these arrays.
        long[][] windows = _windowCounts;
        _counts.ReadInto(snapshot.Now, _reading, 0, _usedCells, _usedCells, 0, windows);
        snapshot.Cumulative.Add(cumulative);
        for (int w = 0; w < windows.Length; w++)
        {
            snapshot.Windows[w].Add(Part(1 + w, windows[w].AsSpan(0, _usedCells), cumulative.InFlight, latencyWindows[w], firstChunkWindows[w], snapshot.Reuses));
        }
    }

    /// <summary>
    /// Advances the windows from the last reading when nothing was recorded since: its counts (<c>_reading</c>) are still
    /// in place and each histogram's last reading holds its cells, so no thread's cells are summed again.
    /// </summary>
    protected override bool TryAdvanceWindows(SnapshotBuilder snapshot)
    {
        if (LastCumulativePart is not CallsPart cumulative)
        {
            return false;
        }

        LatencySnapshot[] latencyWindows = cumulative.Latency.Count == 0 ? _latency.Empty().Windows : _latency.AdvanceWindows(snapshot.Now, snapshot.Reuses);
        LatencySnapshot[] firstChunkWindows = cumulative.TimeToFirstChunk.Count == 0 ? _firstChunk.Empty().Windows : _firstChunk.AdvanceWindows(snapshot.Now, snapshot.Reuses);
        AddParts(snapshot, cumulative, latencyWindows, firstChunkWindows);
        return true;
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

    /// <summary>Started − ended, read as the remarks say: never negative, never more than were in flight at one moment.</summary>
    /// <param name="completed">
    /// The started calls the histograms held when read (before this; those recorded whole, read after the histograms, taken
    /// out): a call's duration is recorded just before it counts as ended, so a reading can see the duration and not yet
    /// the end. Such a call has ended for this reading, so calls + in flight never count it twice.
    /// </param>
    private long ReadInFlight(long completed)
    {
        long ended = SumOf(Ended);
        long started = 0;
        long endedAfter = ended;
        for (int attempt = 0; attempt < InFlightAttempts; attempt++)
        {
            started = SumOf(Started);
            endedAfter = SumOf(Ended);
            if (endedAfter == ended)
            {
                return Math.Max(0, started - Math.Max(ended, completed));
            }

            ended = endedAfter;
        }

        // Calls kept ending while started was summed: started − the later sum of ended is at most what was in flight
        // when that sum of started finished (it may miss calls that started and ended meanwhile), and 0 at least.
        return Math.Max(0, started - Math.Max(endedAfter, completed));
    }

    private long SumOf(int counter) => _owned.Sum(counter) + _cells.Sum(counter);

    /// <summary>Counts a started call as ended, in the calling thread's cells (or the striped ones).</summary>
    private void CountEnded()
    {
        ThreadCellSet cells = _owned.Current();
        if (cells.IsOwned)
        {
            cells.Increment(Ended);
        }
        else
        {
            _cells.Increment(Ended);
        }
    }

    private CallsPart Part(int slot, ReadOnlySpan<long> counts, long inFlight, LatencySnapshot latency, LatencySnapshot firstChunk, bool reuse)
    {
        // The failure table of the last reading of this part is reused while its outcome counts stay the same (a busy
        // model that does not fail): parts never change a table they share.
        ReadOnlySpan<long> outcomes = counts[FirstOutcomeCell..];
        if (_tables[slot] is not { } failures || !outcomes.SequenceEqual(_tableCounts[slot]))
        {
            failures = _outcomes.ToTable(outcomes);
            _tables[slot] = failures;
            _tableCounts[slot] = outcomes.ToArray();
        }

        long failed = CellSums.Sum(outcomes);
        long calls = counts[SucceededCell] + failed;
        CallsPart part = reuse ? _reusedParts[slot] ??= new CallsPart() : new CallsPart();
        part.Fill(counts[SucceededCell], failed, failures, calls + counts[ExtraItemsCell], inFlight, counts[ChunksCell], latency, firstChunk);
        return part;
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
        if (Volatile.Read(ref _failedChanged) == 0)
        {
            Volatile.Write(ref _failedChanged, 1);
        }
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

/// <summary>
/// The calls part of a snapshot: cumulative, or one window's. Never changed once in a snapshot a user can see; the parts
/// of publishing readings are filled again by the next one (see <see cref="SnapshotBuilder.Reuses"/>).
/// </summary>
internal sealed class CallsPart
{
    public long Succeeded { get; private set; }

    public long Failed { get; private set; }

    public Dictionary<string, long> Failures { get; private set; } = [];

    public long Items { get; private set; }

    public long InFlight { get; private set; }

    public long Chunks { get; private set; }

    public LatencySnapshot Latency { get; private set; } = null!;

    public LatencySnapshot TimeToFirstChunk { get; private set; } = null!;

    public void Fill(long succeeded, long failed, Dictionary<string, long> failures, long items, long inFlight, long chunks, LatencySnapshot latency, LatencySnapshot timeToFirstChunk)
    {
        Succeeded = succeeded;
        Failed = failed;
        Failures = failures;
        Items = items;
        InFlight = inFlight;
        Chunks = chunks;
        Latency = latency;
        TimeToFirstChunk = timeToFirstChunk;
    }
}
