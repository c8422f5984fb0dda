// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using ModelMetrics.Recording;

namespace ModelMetrics;

/// <summary>
/// An immutable copy of a latency histogram: count, sum and quantiles, in seconds.
/// </summary>
/// <remarks>
/// Quantiles use the nearest-rank definition (the smallest recorded value with at least q·count values
/// at or below it) and are reported as the middle of the histogram bucket holding that value, which is
/// within the monitor's declared relative error (<see cref="ModelMonitorOptions.LatencyPrecision"/>) of
/// the exact value for durations inside the histogram's range.
/// </remarks>
public sealed class LatencySnapshot
{
    private static readonly ConcurrentDictionary<int, long[]> ZeroCounts = new();

    // Note: not readonly only for the snapshots a publishing pass reuses (Refill), which never leave the monitor's reader
    // lock; every snapshot a user can see is never changed after it is built.
    private readonly HistogramLayout _layout;
    private readonly StripedHistogram? _histogram;
    private long[][]? _pages; // a paged reading's buckets: page p holds buckets from (_firstPage + p) * PageSize on
    private int _firstPage;
    private long[]? _boundaryCells; // a paged reading's boundary cells
    private LatencySnapshot? _reading; // a window's: the cumulative snapshot of its reading
    private WindowBase<long> _base; // a window's: the checkpoint it subtracts (no cells: zeros)
    private long[]? _counts; // buckets _first .. _first + _length - 1, …, then from _boundaryStart one cell per boundary; built when first needed but for a plain reading
    private int _first;
    private int _length;
    private int _boundaryStart;
    private double _sum = double.NaN; // computed when first asked: windows rarely need it
    private long[]? _atBoundaries; // the counts at or below each boundary, computed when first published

    /// <param name="histogram">The histogram read: its layout, and its boundaries for exact <c>le</c> counts.</param>
    /// <param name="counts">A whole reading of it: every bucket, then one cell per boundary (<see cref="StripedHistogram.Length"/>).</param>
    /// <param name="used">The buckets that can be non-zero: 0 to <paramref name="used"/> − 1 (the others are skipped when reading).</param>
    internal LatencySnapshot(StripedHistogram histogram, long[] counts, int used)
        : this(histogram.Layout, histogram, counts, 0, used, histogram.Layout.BucketCount)
    {
    }

    /// <param name="histogram">The histogram read.</param>
    /// <param name="counts">A part of a reading: buckets <paramref name="first"/> to <paramref name="first"/> + <paramref name="length"/> − 1 (every other bucket is empty), then one cell per boundary.</param>
    /// <param name="first">The first bucket held.</param>
    /// <param name="length">The number of buckets held.</param>
    internal LatencySnapshot(StripedHistogram histogram, long[] counts, int first, int length)
        : this(histogram.Layout, histogram, counts, first, length, length)
    {
    }

    internal LatencySnapshot(HistogramLayout layout, long[] counts)
        : this(layout, null, counts, 0, layout.BucketCount, layout.BucketCount)
    {
    }

    /// <summary>A paged reading: pages of <see cref="PageSize"/> buckets, each shared with the reading before when unchanged.</summary>
    /// <param name="histogram">The histogram read.</param>
    /// <param name="pages">Pages <paramref name="firstPage"/> on, holding buckets <paramref name="first"/> to <paramref name="first"/> + <paramref name="length"/> − 1 (every other bucket is empty).</param>
    /// <param name="firstPage">The page index of <paramref name="pages"/>[0].</param>
    /// <param name="first">The first bucket held.</param>
    /// <param name="length">The number of buckets held.</param>
    /// <param name="boundaryCells">One cell per boundary.</param>
    /// <param name="count">The sum of the buckets.</param>
    /// <param name="atBoundaries">The count at or below each boundary (what the <c>le</c> counters publish).</param>
    internal LatencySnapshot(StripedHistogram histogram, long[][] pages, int firstPage, int first, int length, long[] boundaryCells, long count, long[] atBoundaries)
    {
        _layout = histogram.Layout;
        _histogram = histogram;
        Refill(pages, firstPage, first, length, boundaryCells, count, atBoundaries);
    }

    /// <summary>A window: a reading minus a checkpoint, subtracted as the snapshot is read (no copy).</summary>
    /// <param name="reading">The cumulative snapshot of the reading: every bucket outside its range is empty, so in the window.</param>
    /// <param name="windowBase">The window's base checkpoint (never changed; its buckets, then its boundary cells).</param>
    internal LatencySnapshot(LatencySnapshot reading, WindowBase<long> windowBase)
    {
        _layout = reading._layout;
        _histogram = reading._histogram;
        Refill(reading, windowBase);
    }

    /// <summary>
    /// Makes this paged reading hold another reading of the same histogram (the parameters of the paged constructor): only
    /// for the reading a publishing pass reuses from pass to pass, read under the monitor's reader lock alone.
    /// </summary>
    internal void Refill(long[][] pages, int firstPage, int first, int length, long[] boundaryCells, long count, long[] atBoundaries)
    {
        _pages = pages;
        _firstPage = firstPage;
        _boundaryCells = boundaryCells;
        _first = first;
        _length = length;
        _boundaryStart = length;
        _atBoundaries = atBoundaries;
        _counts = null;
        _sum = double.NaN;
        Count = count;
    }

    /// <summary>Makes this window hold <paramref name="reading"/> minus <paramref name="windowBase"/>, as <see cref="Refill(long[][], int, int, int, long[], long, long[])"/> does for a reading.</summary>
    internal void Refill(LatencySnapshot reading, WindowBase<long> windowBase)
    {
        _reading = reading;
        _base = windowBase;
        _first = reading._first;
        _length = reading._length;
        _boundaryStart = reading._length;
        _atBoundaries = null;
        _counts = null;
        _sum = double.NaN;
        Count = windowBase.Cells is null ? reading.Count : WindowCount(reading, windowBase);
    }

    /// <summary>Gets the number of buckets in a page of a paged reading.</summary>
    internal static int PageSize => 1 << PageShift;

    /// <summary>Gets the length of a page's array: its buckets, then its count (<see cref="PageCountSlot"/>) and the bits of its sum (<see cref="PageSumSlot"/>).</summary>
    internal static int PageLength => PageSize + 2;

    /// <summary>Gets where a page keeps the sum of its buckets: an unchanged page shared with the reading before is not summed again.</summary>
    internal static int PageCountSlot => PageSize;

    /// <summary>Gets where a page keeps the bits of Σ count × bucket midpoint (ticks, a double), for <see cref="Sum"/>.</summary>
    internal static int PageSumSlot => PageSize + 1;

    private const int PageShift = 6;

    private LatencySnapshot(HistogramLayout layout, StripedHistogram? histogram, long[] counts, int first, int length, int boundaryStart)
    {
        _layout = layout;
        _histogram = histogram;
        _counts = counts;
        _first = first;
        _length = length;
        _boundaryStart = boundaryStart;
        long count = 0;
        foreach (long c in counts.AsSpan(0, length))
        {
            count += c;
        }

        Count = count;
    }

    /// <summary>Gets the number of recorded durations (the sum of all bucket counts).</summary>
    public long Count { get; private set; }

    /// <summary>
    /// Gets the sum of the recorded durations in seconds: the sum of bucket midpoints, within the declared
    /// relative error of the exact sum (HdrHistogram computes its mean the same way).
    /// </summary>
    public double Sum
    {
        get
        {
            // Note: a benign race: two threads asking first both compute the same value.
            if (double.IsNaN(_sum) && _pages is { } pages)
            {
                // A paged reading's pages carry their sums (the buckets outside the held range are empty).
                double pagedTicks = 0;
                foreach (long[] page in pages)
                {
                    pagedTicks += BitConverter.Int64BitsToDouble(page[PageSumSlot]);
                }

                _sum = pagedTicks / Stopwatch.Frequency;
            }

            if (double.IsNaN(_sum))
            {
                double sumTicks = 0;
                for (int j = 0; j < _length; j++)
                {
                    long cell = Cell(j);
                    if (cell != 0)
                    {
                        sumTicks += cell * _layout.Midpoint(_first + j);
                    }
                }

                _sum = sumTicks / Stopwatch.Frequency;
            }

            return _sum;
        }
    }

    /// <summary>Gets the mean duration in seconds, or 0 when nothing was recorded.</summary>
    public double Mean => Count == 0 ? 0 : Sum / Count;

    /// <summary>Gets the median in seconds (0 when empty).</summary>
    public double P50 => GetQuantile(0.5);

    /// <summary>Gets the 90th percentile in seconds (0 when empty).</summary>
    public double P90 => GetQuantile(0.9);

    /// <summary>Gets the 95th percentile in seconds (0 when empty).</summary>
    public double P95 => GetQuantile(0.95);

    /// <summary>Gets the 99th percentile in seconds (0 when empty).</summary>
    public double P99 => GetQuantile(0.99);

    /// <summary>Gets the 99.9th percentile in seconds (0 when empty).</summary>
    public double P999 => GetQuantile(0.999);

    /// <summary>Gets the largest recorded duration in seconds, within the declared precision (0 when empty).</summary>
    public double Max => GetQuantile(1);

    internal HistogramLayout Layout => _layout;

    /// <summary>Returns the <paramref name="quantile"/> (0 to 1) of the recorded durations in seconds, or 0 when empty.</summary>
    /// <param name="quantile">The quantile, from 0 to 1.</param>
    public double GetQuantile(double quantile)
    {
        if (!(quantile >= 0 && quantile <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(quantile), quantile, "The quantile must be between 0 and 1.");
        }

        return GetQuantileTicks(quantile) / Stopwatch.Frequency;
    }

    /// <summary>
    /// Returns the recorded buckets (those holding at least one duration), shortest first: each bucket's range in
    /// seconds and its count. Bucket widths follow the histogram's precision (1% of the value by default).
    /// </summary>
    /// <returns>The non-empty buckets, in increasing order.</returns>
    public IReadOnlyList<LatencyBucket> GetBuckets()
    {
        var buckets = new List<LatencyBucket>();
        double frequency = Stopwatch.Frequency;
        for (int j = 0; j < _length; j++)
        {
            long cell = Cell(j);
            if (cell != 0)
            {
                int i = _first + j;
                buckets.Add(new LatencyBucket(_layout.LowerBound(i) / frequency, (_layout.UpperBound(i) + 1) / frequency, cell));
            }
        }

        return buckets;
    }

    /// <summary>
    /// Returns how many durations were at most <paramref name="seconds"/>: exact at the monitor's
    /// <see cref="ModelMonitorOptions.BucketBoundaries"/> (and the label-delay boundaries for label delays);
    /// elsewhere it counts the whole histogram bucket holding <paramref name="seconds"/> (within the precision).
    /// </summary>
    /// <param name="seconds">The upper bound, in seconds.</param>
    /// <returns>The count of durations at or below it.</returns>
    public long CountAtOrBelow(double seconds)
    {
        if (double.IsNaN(seconds) || seconds < 0)
        {
            return 0;
        }

        if (_histogram is { } histogram)
        {
            int boundary = histogram.IndexOfBoundary(seconds);
            if (boundary >= 0)
            {
                return histogram.CountAtOrBelow(Buckets, _first, BoundaryCells, boundary);
            }
        }

        double ticks = seconds * Stopwatch.Frequency;
        int last = ticks >= _layout.Highest ? _layout.BucketCount - 1 : _layout.IndexOf((long)ticks);
        long total = 0;
        for (int j = 0; j < _length && _first + j <= last; j++)
        {
            total += Cell(j);
        }

        return total;
    }

    /// <summary>Gets the reading: the buckets held (from <see cref="FirstBucket"/> on), then one cell per declared boundary.</summary>
    internal ReadOnlySpan<long> Counts => Materialized();

    /// <summary>Gets the counts of the buckets held, from bucket <see cref="FirstBucket"/> on; every other bucket is empty.</summary>
    internal ReadOnlySpan<long> Buckets => Materialized().AsSpan(0, _length);

    /// <summary>Gets the index of the first bucket held in <see cref="Buckets"/>.</summary>
    internal int FirstBucket => _first;

    /// <summary>Gets the number of buckets held, from <see cref="FirstBucket"/> on.</summary>
    internal int BucketsHeld => _length;

    /// <summary>Gets the boundary cells: per boundary, the durations at or below it in the bucket it straddles.</summary>
    internal ReadOnlySpan<long> BoundaryCells => Materialized().AsSpan(_boundaryStart);

    /// <summary>Gets the histogram this snapshot was read from, or <see langword="null"/> for a bare layout.</summary>
    internal StripedHistogram? Histogram => _histogram;

    /// <summary>
    /// Returns the sum of a window's bucket cells, page by page, several cells per instruction: a reading under traffic
    /// makes a window per configured window, each a few thousand cells.
    /// </summary>
    private static long WindowCount(LatencySnapshot reading, WindowBase<long> windowBase)
    {
        long count = 0;
        int end = reading._first + reading._length;
        for (int i = reading._first; i < end;)
        {
            int pageEnd = Math.Min(end, ((i >> PageShift) + 1) << PageShift);
            ReadOnlySpan<long> cells = reading._pages![(i >> PageShift) - reading._firstPage].AsSpan(i & (PageSize - 1), pageEnd - i);
            count += PositiveDifferenceSum(cells, windowBase, i);
            i = pageEnd;
        }

        return count;
    }

    /// <summary>
    /// Returns Σ max(0, cell − base) over <paramref name="cells"/>, buckets <paramref name="from"/> on: the base holds only
    /// the buckets used when it was taken (zeros around them), so the cells outside its range are summed as they are.
    /// </summary>
    private static long PositiveDifferenceSum(ReadOnlySpan<long> cells, WindowBase<long> windowBase, int from)
    {
        if (windowBase.Cells is not { } based)
        {
            return CellSums.Sum(cells);
        }

        int low = Math.Clamp(windowBase.Start - from, 0, cells.Length);
        int high = Math.Clamp(windowBase.Start + windowBase.Length - from, low, cells.Length);
        long outside = CellSums.Sum(cells[..low]) + CellSums.Sum(cells[high..]);
        return high == low ? outside : outside + CellSums.PositiveDifferenceSum(cells[low..high], based.AsSpan(from + low - windowBase.Start, high - low));
    }

    /// <summary>Returns page <paramref name="page"/> of a paged reading (buckets from <paramref name="page"/> × <see cref="PageSize"/>), or <see langword="null"/>.</summary>
    internal long[]? PageAt(int page) =>
        _pages is { } pages && page >= _firstPage && page - _firstPage < pages.Length ? pages[page - _firstPage] : null;

    /// <summary>Writes a paged reading's pages (its buckets, empty ones around them) and boundary cells into <paramref name="whole"/> (<see cref="StripedHistogram.Length"/> long).</summary>
    internal void CopyTo(long[] whole)
    {
        int buckets = _layout.BucketCount;
        for (int p = 0; p < _pages!.Length; p++)
        {
            int start = (_firstPage + p) << PageShift;
            _pages[p].AsSpan(0, Math.Min(PageSize, buckets - start)).CopyTo(whole.AsSpan(start));
        }

        _boundaryCells!.CopyTo(whole.AsSpan(buckets));
    }

    /// <summary>Gets a paged reading's boundary cells, or <see langword="null"/>.</summary>
    internal long[]? PagedBoundaryCells => _boundaryCells;

    /// <summary>Gets a paged reading's pages (see <see cref="PagedFirstPage"/>), or <see langword="null"/>.</summary>
    internal long[][]? PagedPages => _pages;

    /// <summary>Gets the page index of a paged reading's first page.</summary>
    internal int PagedFirstPage => _firstPage;

    /// <summary>Gets a paged reading's counts at or below each boundary, as kept (the array a refilled reading writes again).</summary>
    internal long[]? PagedCountsAtBoundaries => _pages is null ? null : _atBoundaries;

    /// <summary>
    /// Returns bucket cell <paramref name="j"/> (the <paramref name="j"/>-th held, from <see cref="FirstBucket"/>): from a
    /// page, from the cells, or for a window its reading's minus its base's, never below zero (see <see cref="RollingWindow{T}"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long Cell(int j)
    {
        if (_pages is { } pages)
        {
            int i = _first + j;
            return pages[(i >> PageShift) - _firstPage][i & (PageSize - 1)];
        }

        return _reading is { } reading ? Math.Max(0, reading.Cell(j) - _base.At(_first + j)) : _counts![j];
    }

    /// <summary>Returns boundary cell <paramref name="b"/>, as <see cref="Cell"/> does for buckets.</summary>
    private long BoundaryCell(int b)
    {
        if (_boundaryCells is { } cells)
        {
            return cells[b];
        }

        return _reading is { } reading ? Math.Max(0, reading.BoundaryCell(b) - _base.TailAt(b)) : _counts![_boundaryStart + b];
    }

    /// <summary>Returns the cells as an array: a paged reading or a window builds it when first asked (exact <c>le</c> counts of a window).</summary>
    private long[] Materialized()
    {
        if (Volatile.Read(ref _counts) is { } counts)
        {
            return counts;
        }

        // Note: a benign race: two readers asking first both build equal arrays.
        int boundaries = _histogram!.BoundaryCount;
        counts = new long[_length + boundaries];
        for (int j = 0; j < _length; j++)
        {
            counts[j] = Cell(j);
        }

        for (int b = 0; b < boundaries; b++)
        {
            counts[_length + b] = BoundaryCell(b);
        }

        Volatile.Write(ref _counts, counts); // release: a reader that sees the array sees its cells
        return counts;
    }

    /// <summary>Gets the exact count at or below each boundary of the histogram (none without one), computed once per snapshot.</summary>
    internal ReadOnlySpan<long> CountsAtBoundaries
    {
        get
        {
            if (Volatile.Read(ref _atBoundaries) is not { } counts)
            {
                counts = new long[_histogram?.BoundaryCount ?? 0];
                _histogram?.CountsAtOrBelow(Buckets, FirstBucket, BoundaryCells, counts);
                Volatile.Write(ref _atBoundaries, counts); // release, as above
            }

            return counts;
        }
    }

    /// <summary>
    /// An empty snapshot of <paramref name="histogram"/>: every empty snapshot of one length shares one
    /// all-zero array (snapshots never write their counts), so idle histograms cost no memory per monitor.
    /// </summary>
    internal static LatencySnapshot Empty(StripedHistogram histogram) =>
        new(histogram, ZeroCounts.GetOrAdd(histogram.Length, static length => new long[length]), 0);

    /// <summary>
    /// Writes the quantiles <paramref name="quantiles"/> (ascending) in seconds into <paramref name="seconds"/> in one
    /// pass over the buckets: what publishing needs, instead of one pass per quantile. Equal to <see cref="GetQuantile"/>.
    /// </summary>
    internal void GetQuantiles(ReadOnlySpan<double> quantiles, Span<double> seconds)
    {
        if (Count == 0)
        {
            seconds[..quantiles.Length].Clear();
            return;
        }

        if ((_pages ?? _reading?._pages) is { } pages)
        {
            GetPagedQuantiles(pages, _pages is null ? _reading!._firstPage : _firstPage, quantiles, seconds);
            return;
        }

        long seen = 0;
        int j = -1;
        for (int q = 0; q < quantiles.Length; q++)
        {
            long rank = RankOf(quantiles[q]);
            while (seen < rank && j < _length - 1)
            {
                seen += Cell(++j);
            }

            seconds[q] = _layout.Midpoint(_first + Math.Max(j, 0)) / Stopwatch.Frequency;
        }
    }

    /// <summary>
    /// <see cref="GetQuantiles"/> over a paged reading or a window of one: page by page, a page that ends before the next
    /// rank counted whole (its kept count, or its cells minus the window's base, several per instruction), and only the
    /// page holding a rank read cell by cell.
    /// </summary>
    private void GetPagedQuantiles(long[][] pages, int firstPage, ReadOnlySpan<double> quantiles, Span<double> seconds)
    {
        int q = 0;
        long rank = RankOf(quantiles[0]);
        long seen = 0;
        int end = _first + _length;
        for (int p = 0; p < pages.Length && q < quantiles.Length; p++)
        {
            int pageStart = (firstPage + p) << PageShift;
            int from = Math.Max(pageStart, _first);
            int to = Math.Min(pageStart + PageSize, end);
            if (from >= to)
            {
                continue;
            }

            ReadOnlySpan<long> cells = pages[p].AsSpan(from - pageStart, to - from);
            bool based = _base.Cells is not null;
            long pageCount = based ? PositiveDifferenceSum(cells, _base, from)
                : to - from == PageSize ? pages[p][PageCountSlot]
                : CellSums.Sum(cells);
            if (seen + pageCount < rank)
            {
                seen += pageCount;
                continue;
            }

            for (int k = 0; k < cells.Length && q < quantiles.Length; k++)
            {
                seen += based ? Math.Max(0, cells[k] - _base.At(from + k)) : cells[k];
                while (seen >= rank)
                {
                    seconds[q] = _layout.Midpoint(from + k) / Stopwatch.Frequency;
                    if (++q == quantiles.Length)
                    {
                        return;
                    }

                    rank = RankOf(quantiles[q]);
                }
            }
        }

        // Only when the cells held fewer than the count (never for a consistent reading): the last bucket, as GetQuantileTicks does.
        for (; q < quantiles.Length; q++)
        {
            seconds[q] = _layout.Midpoint(end - 1) / Stopwatch.Frequency;
        }
    }

    /// <summary>Returns the nearest rank of <paramref name="quantile"/>: the small epsilon keeps 0.99 × 100 (= 99.00000000000001 in binary) at rank 99.</summary>
    private long RankOf(double quantile) => Math.Max(1, (long)Math.Ceiling((quantile * Count) - 1e-9));

    internal double GetQuantileTicks(double quantile)
    {
        if (Count == 0)
        {
            return 0;
        }

        long rank = RankOf(quantile);
        long seen = 0;
        for (int j = 0; j < _length; j++)
        {
            seen += Cell(j);
            if (seen >= rank)
            {
                return _layout.Midpoint(_first + j);
            }
        }

        return _layout.Midpoint(_first + _length - 1);
    }
}

/// <summary>One bucket of a <see cref="LatencySnapshot"/>: durations from <paramref name="LowerBound"/> (inclusive) to <paramref name="UpperBound"/> (exclusive), in seconds.</summary>
/// <param name="LowerBound">The smallest duration the bucket holds, in seconds.</param>
/// <param name="UpperBound">The start of the next bucket, in seconds.</param>
/// <param name="Count">The durations recorded in the bucket.</param>
public readonly record struct LatencyBucket(double LowerBound, double UpperBound, long Count);
