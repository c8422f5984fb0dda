// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using ModelMetrics.Publishing;
using ModelMetrics.Recording;

namespace ModelMetrics.Signals;

/// <summary>
/// A striped histogram with its rolling windows: what a signal keeps for a duration (call latency, time to first
/// chunk, label delay), read as a cumulative <see cref="LatencySnapshot"/> plus one per window.
/// </summary>
internal sealed class WindowedHistogram
{
    private readonly WindowedCells<long> _windows;
    private readonly SignalContext _context;
    private WindowBase<long>[]? _bases; // each window's base, written by every reading
    private LatencySnapshot? _lastReading; // the last cumulative reading, whose unchanged pages the next one shares
    private (LatencySnapshot Cumulative, LatencySnapshot[] Windows)? _empty;

    /// <summary>Whole readings, one per histogram length, shared by every histogram read on the thread (see <see cref="Scratch()"/>).</summary>
    [ThreadStatic]
    private static long[]?[]? t_scratch;

    /// <summary>The longest reading (cells) whose scratch threads share: 512 KiB; longer histograms keep their own.</summary>
    internal const int MaxSharedScratch = 64 * 1024;

    private long[]? _ownScratch; // the scratch of a histogram longer than MaxSharedScratch (readers are serialized)
    private HistogramTags? _tags;

    public WindowedHistogram(SignalContext context, HistogramLayout layout, IReadOnlyList<double> boundaries)
    {
        Boundaries = boundaries;
        long[] values = new long[boundaries.Count];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = StripedHistogram.ToBoundaryValue(boundaries[i]);
        }

        Histogram = new StripedHistogram(layout, context.Rejections, values);
        _windows = context.CreateWindows<long>(Histogram.Length);
        _context = context;
    }

    public StripedHistogram Histogram { get; }

    /// <summary>Gets the boundaries, in seconds, of the published cumulative <c>le</c> counters (exact counts).</summary>
    public IReadOnlyList<double> Boundaries { get; }

    /// <summary>Gets the attribute sets of this histogram's instruments for its monitor, built when first published.</summary>
    /// <remarks>Two collections racing to build them build equal sets; either may win.</remarks>
    public HistogramTags Tags => _tags ??= new HistogramTags(_context, Boundaries);

    /// <summary>
    /// Returns a zeroed array of <see cref="StripedHistogram.Length"/> cells for a whole reading, shared by every histogram
    /// of that length read on this thread: valid until the next call on the thread. Shared, not one per histogram, so a
    /// fleet of monitors does not keep (and stream through the cache) a whole copy of each of its histograms. A histogram
    /// longer than <see cref="MaxSharedScratch"/> keeps its own instead.
    /// </summary>
    public long[] Scratch() => Scratch(clear: true);

    /// <summary>Returns the thread's scratch of this histogram's length, zeroed when <paramref name="clear"/> (else as the last reader left it).</summary>
    private long[] Scratch(bool clear)
    {
        if (Histogram.Length > MaxSharedScratch)
        {
            // A precise histogram (4–5 digits: up to 13.5 MiB a reading) keeps its own scratch: one per thread that ever
            // read one would hold that much per thread.
            long[] own = _ownScratch ??= new long[Histogram.Length];
            if (clear)
            {
                Array.Clear(own);
            }

            return own;
        }

        long[]?[] cached = t_scratch ??= new long[]?[4];
        int free = -1;
        for (int i = 0; i < cached.Length; i++)
        {
            if (cached[i] is { } scratch && scratch.Length == Histogram.Length)
            {
                if (clear)
                {
                    Array.Clear(scratch);
                }

                return scratch;
            }

            free = cached[i] is null && free < 0 ? i : free;
        }

        long[] created = new long[Histogram.Length];
        cached[free < 0 ? 0 : free] = created;
        return created;
    }

    /// <summary>
    /// Reads the cumulative histogram and each window; a histogram nobody fed allocates nothing. A whole reading passed
    /// in <paramref name="cumulative"/> is only read: the snapshots hold compact copies of its non-zero range, so the
    /// caller may reuse it (<see cref="Scratch()"/>).
    /// </summary>
    public (LatencySnapshot Cumulative, LatencySnapshot[] Windows) Read(long now, long[]? cumulative = null)
    {
        if (cumulative is null)
        {
            if (Histogram.IsEmpty)
            {
                return Empty();
            }

            cumulative = Scratch();
            Histogram.AddTo(cumulative);
        }

        // The snapshots hold only the buckets from the first to the last that ever counted something (usually a few
        // hundred of thousands), then the boundary cells: a fraction of the memory and work of whole copies.
        int buckets = Histogram.Layout.BucketCount;
        int first = cumulative.AsSpan(0, buckets).IndexOfAnyExcept(0L);
        if (first < 0)
        {
            return Empty();
        }

        int last = cumulative.AsSpan(0, buckets).LastIndexOfAnyExcept(0L);
        LatencySnapshot reading = Paged(cumulative, first, last - first + 1);
        _lastReading = reading;
        return (reading, WindowsOver(now, cumulative, reading));
    }

    /// <summary>
    /// Advances the windows over the last reading, for a histogram nothing was recorded into since: its cells are laid out
    /// again from the reading's pages (a few hundred cells), not summed again from every thread's cells.
    /// </summary>
    public LatencySnapshot[] AdvanceWindows(long now)
    {
        if (_lastReading is not { } reading)
        {
            return Empty().Windows;
        }

        // Note: not cleared: the windows read only the reading's range and boundary cells, which the copy writes.
        long[] cumulative = Scratch(clear: false);
        reading.CopyTo(cumulative);
        return WindowsOver(now, cumulative, reading);
    }

    /// <summary>
    /// Advances every window to <paramref name="now"/> over <paramref name="reading"/> (whose whole cells are
    /// <paramref name="cumulative"/>) and returns each window's snapshot: it shares the reading's cells and subtracts its
    /// base (a checkpoint, never changed) as it is read.
    /// </summary>
    private LatencySnapshot[] WindowsOver(long now, long[] cumulative, LatencySnapshot reading)
    {
        WindowBase<long>[] bases = _bases ??= new WindowBase<long>[_windows.Count]; // reused: readers are serialized
        _windows.Advance(now, cumulative, reading.FirstBucket, reading.BucketsHeld, Histogram.Layout.BucketCount, Histogram.BoundaryCount, bases);
        var windows = new LatencySnapshot[bases.Length];
        for (int w = 0; w < windows.Length; w++)
        {
            windows[w] = new LatencySnapshot(reading, bases[w]);
        }

        return windows;
    }

    /// <summary>
    /// Copies the buckets from the first to the last non-zero one into pages, sharing each page that did not change with
    /// the last reading: a monitor read under traffic changes a few buckets between readings, so a reading copies and
    /// allocates a page or two, not the few thousand cells of its whole range. Each page keeps its count and sum, so the
    /// reading's count, sum and <c>le</c> counts add up pages, not cells. The reading itself can then be reused.
    /// </summary>
    private LatencySnapshot Paged(long[] cumulative, int first, int length)
    {
        int buckets = Histogram.Layout.BucketCount;
        int pageSize = LatencySnapshot.PageSize;
        int firstPage = first / pageSize;
        int lastPage = (first + length - 1) / pageSize;
        var pages = new long[lastPage - firstPage + 1][];
        long count = 0;
        for (int p = firstPage; p <= lastPage; p++)
        {
            // Note: cells only grow from reading to reading, so a page whose count did not change holds the same cells:
            // one load of the last page instead of a comparison of all its cells.
            ReadOnlySpan<long> cells = cumulative.AsSpan(p * pageSize, Math.Min(pageSize, buckets - (p * pageSize)));
            long pageCount = CellSums.Sum(cells);
            long[]? page = _lastReading?.PageAt(p);
            if (page is null || page[LatencySnapshot.PageCountSlot] != pageCount)
            {
                page = NewPage(cells, p * pageSize, pageCount);
            }

            pages[p - firstPage] = page;
            count += page[LatencySnapshot.PageCountSlot];
        }

        ReadOnlySpan<long> boundaryCells = cumulative.AsSpan(buckets, Histogram.BoundaryCount);
        long[]? lastBoundaryCells = _lastReading?.PagedBoundaryCells;
        long[] boundaries = lastBoundaryCells is not null && boundaryCells.SequenceEqual(lastBoundaryCells) ? lastBoundaryCells : boundaryCells.ToArray();
        return new LatencySnapshot(Histogram, pages, firstPage, first, length, boundaries, count, CountsAtBoundaries(cumulative, pages, firstPage));
    }

    /// <summary>Returns a page holding <paramref name="cells"/> (buckets from <paramref name="firstBucket"/> on), their <paramref name="count"/> and their sum.</summary>
    private long[] NewPage(ReadOnlySpan<long> cells, int firstBucket, long count)
    {
        long[] page = new long[LatencySnapshot.PageLength];
        cells.CopyTo(page);
        double sumTicks = 0;
        for (int i = 0; i < cells.Length; i++)
        {
            if (cells[i] != 0)
            {
                sumTicks += cells[i] * Histogram.Layout.Midpoint(firstBucket + i);
            }
        }

        page[LatencySnapshot.PageCountSlot] = count;
        page[LatencySnapshot.PageSumSlot] = BitConverter.DoubleToInt64Bits(sumTicks);
        return page;
    }

    /// <summary>
    /// Returns the exact count at or below each boundary (what the <c>le</c> counters publish) of a whole reading: whole
    /// pages by their counts, the rest cell by cell; pages outside the reading's range are empty.
    /// </summary>
    private long[] CountsAtBoundaries(long[] cumulative, long[][] pages, int firstPage)
    {
        int pageSize = LatencySnapshot.PageSize;
        ReadOnlySpan<long> bucketCells = cumulative.AsSpan(0, Histogram.Layout.BucketCount);
        ReadOnlySpan<long> boundaryCells = cumulative.AsSpan(Histogram.Layout.BucketCount, Histogram.BoundaryCount);
        long[] result = new long[Histogram.BoundaryCount];
        long running = 0;
        int next = 0; // the next bucket to add
        for (int b = 0; b < result.Length; b++)
        {
            int last = Histogram.LastWholeBucket(b);
            while (next <= last)
            {
                int page = next / pageSize;
                if (next % pageSize == 0 && next + pageSize - 1 <= last)
                {
                    running += (uint)(page - firstPage) < (uint)pages.Length ? pages[page - firstPage][LatencySnapshot.PageCountSlot] : 0;
                    next += pageSize;
                }
                else
                {
                    int end = Math.Min(last + 1, (page + 1) * pageSize);
                    running += CellSums.Sum(bucketCells[next..end]);
                    next = end;
                }
            }

            result[b] = running + Histogram.SplitCount(bucketCells, 0, boundaryCells, b);
        }

        return result;
    }

    /// <summary>The snapshots of a histogram with nothing in it: every one shares one zero array, and every reading them.</summary>
    public (LatencySnapshot Cumulative, LatencySnapshot[] Windows) Empty()
    {
        // Note: readers are serialized, and snapshots never change, so one pair serves every reading.
        if (_empty is { } empty)
        {
            return empty;
        }

        LatencySnapshot zero = LatencySnapshot.Empty(Histogram);
        _empty = (zero, Array.ConvertAll(new int[_windows.Count], _ => zero));
        return _empty.Value;
    }
}
