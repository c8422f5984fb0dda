// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
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
    private LatencySnapshot? _lastReading; // the last cumulative reading (either kind): what windows advance over
    private LatencySnapshot? _lastShared; // the last reading never changed, whose unchanged pages the next such reading shares
    private LatencySnapshot? _reused; // the reading publishing passes refill (see Read), with its own pages and arrays
    private LatencySnapshot[]? _reusedWindows; // its windows, refilled likewise
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
    /// <param name="now">The reading's time (see <see cref="SnapshotBuilder.Now"/>).</param>
    /// <param name="cumulative">A whole reading already summed, or <see langword="null"/> to sum the histogram here.</param>
    /// <param name="reuse">
    /// Whether to refill the snapshots of the last such reading instead of building new ones (a publishing pass, whose
    /// snapshots never leave the monitor's reader lock): a busy monitor's reading then allocates nothing.
    /// </param>
    public (LatencySnapshot Cumulative, LatencySnapshot[] Windows) Read(long now, long[]? cumulative = null, bool reuse = false)
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
        LatencySnapshot reading = Paged(cumulative, first, last - first + 1, reuse);
        _lastReading = reading;
        return (reading, WindowsOver(now, cumulative, reading, reuse));
    }

    /// <summary>
    /// Advances the windows over the last reading, for a histogram nothing was recorded into since: its cells are laid out
    /// again from the reading's pages (a few hundred cells), not summed again from every thread's cells. With
    /// <paramref name="reuse"/>, refills the windows of the last reused reading (see <see cref="Read"/>); without it, the
    /// last reading must not be a reused one (the new windows would share its pages).
    /// </summary>
    public LatencySnapshot[] AdvanceWindows(long now, bool reuse = false)
    {
        if (_lastReading is not { } reading)
        {
            return Empty().Windows;
        }

        Debug.Assert(reuse || !ReferenceEquals(reading, _reused), "Windows a user may keep must not share the reused reading's pages.");

        // Note: not cleared: the windows read only the reading's range and boundary cells, which the copy writes.
        long[] cumulative = Scratch(clear: false);
        reading.CopyTo(cumulative);
        return WindowsOver(now, cumulative, reading, reuse);
    }

    /// <summary>
    /// Advances every window to <paramref name="now"/> over <paramref name="reading"/> (whose whole cells are
    /// <paramref name="cumulative"/>) and returns each window's snapshot: it shares the reading's cells and subtracts its
    /// base (a checkpoint, never changed) as it is read.
    /// </summary>
    private LatencySnapshot[] WindowsOver(long now, long[] cumulative, LatencySnapshot reading, bool reuse)
    {
        WindowBase<long>[] bases = _bases ??= new WindowBase<long>[_windows.Count]; // reused: readers are serialized
        _windows.Advance(now, cumulative, reading.FirstBucket, reading.BucketsHeld, Histogram.Layout.BucketCount, Histogram.BoundaryCount, bases);
        if (reuse && _reusedWindows is { } reused)
        {
            for (int w = 0; w < reused.Length; w++)
            {
                reused[w].Refill(reading, bases[w]);
            }

            return reused;
        }

        var windows = new LatencySnapshot[bases.Length];
        for (int w = 0; w < windows.Length; w++)
        {
            windows[w] = new LatencySnapshot(reading, bases[w]);
        }

        if (reuse)
        {
            _reusedWindows = windows;
        }

        return windows;
    }

    /// <summary>
    /// Copies the buckets from the first to the last non-zero one into pages, sharing each page that did not change with
    /// the last reading: a monitor read under traffic changes a few buckets between readings, so a reading copies and
    /// allocates a page or two, not the few thousand cells of its whole range. Each page keeps its count and sum, so the
    /// reading's count, sum and <c>le</c> counts add up pages, not cells. The reading itself can then be reused.
    /// </summary>
    /// <remarks>
    /// With <paramref name="reuse"/>, refills the reading publishing passes reuse instead: it owns its pages and writes
    /// each in place when its count changed (pages are only allocated when the range of buckets used grows; it never
    /// shrinks, cells only grow). A reading a user may keep never shares a page with it.
    /// </remarks>
    private LatencySnapshot Paged(long[] cumulative, int first, int length, bool reuse)
    {
        int buckets = Histogram.Layout.BucketCount;
        int pageSize = LatencySnapshot.PageSize;
        int firstPage = first / pageSize;
        int lastPage = (first + length - 1) / pageSize;
        long[][] pages = reuse ? ReusedPages(firstPage, lastPage) : new long[lastPage - firstPage + 1][];
        long count = 0;
        for (int p = firstPage; p <= lastPage; p++)
        {
            // Note: cells only grow from reading to reading, so a page whose count did not change holds the same cells:
            // one load of the last page instead of a comparison of all its cells.
            ReadOnlySpan<long> cells = PageCells(cumulative, p);
            long pageCount = CellSums.Sum(cells);
            long[]? page = reuse ? pages[p - firstPage] : _lastShared?.PageAt(p);
            if (page is null || page[LatencySnapshot.PageCountSlot] != pageCount)
            {
                page = reuse ? page! : new long[LatencySnapshot.PageLength];
                FillPage(page, cells, p * pageSize, pageCount);
            }

            pages[p - firstPage] = page;
            count += pageCount;
        }

        ReadOnlySpan<long> boundaryCells = cumulative.AsSpan(buckets, Histogram.BoundaryCount);
        long[] boundaries;
        long[] atBoundaries;
        if (reuse)
        {
            boundaries = _reused?.PagedBoundaryCells ?? new long[boundaryCells.Length];
            boundaryCells.CopyTo(boundaries);
            atBoundaries = _reused?.PagedCountsAtBoundaries ?? new long[Histogram.BoundaryCount];
        }
        else
        {
            long[]? lastBoundaryCells = _lastShared?.PagedBoundaryCells;
            boundaries = lastBoundaryCells is not null && boundaryCells.SequenceEqual(lastBoundaryCells) ? lastBoundaryCells : boundaryCells.ToArray();
            atBoundaries = new long[Histogram.BoundaryCount];
        }

        CountsAtBoundaries(cumulative, pages, firstPage, atBoundaries);
        if (reuse && _reused is { } reused)
        {
            reused.Refill(pages, firstPage, first, length, boundaries, count, atBoundaries);
            return reused;
        }

        var reading = new LatencySnapshot(Histogram, pages, firstPage, first, length, boundaries, count, atBoundaries);
        if (reuse)
        {
            _reused = reading;
        }
        else
        {
            _lastShared = reading;
        }

        return reading;
    }

    /// <summary>
    /// Returns the reused reading's pages for pages <paramref name="firstPage"/> to <paramref name="lastPage"/>: its own
    /// array while the range is the same; when the range grew, a new one holding its pages at their new index and empty
    /// pages (count 0, so filled by the reading) for the rest.
    /// </summary>
    private long[][] ReusedPages(int firstPage, int lastPage)
    {
        long[][] held = _reused?.PagedPages ?? [];
        int heldFirst = _reused?.PagedFirstPage ?? 0;
        if (firstPage == heldFirst && held.Length == lastPage - firstPage + 1)
        {
            return held;
        }

        var pages = new long[lastPage - firstPage + 1][];
        for (int p = firstPage; p <= lastPage; p++)
        {
            int old = p - heldFirst;
            pages[p - firstPage] = (uint)old < (uint)held.Length ? held[old] : new long[LatencySnapshot.PageLength];
        }

        return pages;
    }

    /// <summary>Returns the buckets of page <paramref name="page"/> in a whole reading (the last page may be short).</summary>
    private ReadOnlySpan<long> PageCells(long[] cumulative, int page)
    {
        int start = page * LatencySnapshot.PageSize;
        return cumulative.AsSpan(start, Math.Min(LatencySnapshot.PageSize, Histogram.Layout.BucketCount - start));
    }

    /// <summary>Writes <paramref name="cells"/> (buckets from <paramref name="firstBucket"/> on), their <paramref name="count"/> and their sum into <paramref name="page"/>.</summary>
    private void FillPage(long[] page, ReadOnlySpan<long> cells, int firstBucket, long count)
    {
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
    }

    /// <summary>
    /// Returns the exact count at or below each boundary (what the <c>le</c> counters publish) of a whole reading: whole
    /// pages by their counts, the rest cell by cell; pages outside the reading's range are empty.
    /// </summary>
    private void CountsAtBoundaries(long[] cumulative, long[][] pages, int firstPage, long[] result)
    {
        int pageSize = LatencySnapshot.PageSize;
        ReadOnlySpan<long> bucketCells = cumulative.AsSpan(0, Histogram.Layout.BucketCount);
        ReadOnlySpan<long> boundaryCells = cumulative.AsSpan(Histogram.Layout.BucketCount, Histogram.BoundaryCount);
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
    }

    /// <summary>The snapshots of a histogram with nothing in it: every one shares one zero array, and every reading them.</summary>
    public (LatencySnapshot Cumulative, LatencySnapshot[] Windows) Empty()
    {
        // Note: readers are serialized, and snapshots never change, so one pair serves every reading.
        return _empty ??= EmptyPair(LatencySnapshot.Empty(Histogram), _windows.Count);
    }

    // Note: a method of its own, so that the lambda's captured local is not allocated on every call of Empty().
    private static (LatencySnapshot Cumulative, LatencySnapshot[] Windows) EmptyPair(LatencySnapshot zero, int windows) =>
        (zero, Array.ConvertAll(new int[windows], _ => zero));
}
