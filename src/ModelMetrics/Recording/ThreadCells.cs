// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Runtime.CompilerServices;
using System.Threading;

namespace ModelMetrics.Recording;

/// <summary>
/// Single-writer cells: every thread that records into one owner (a signal of one monitor) gets a cell set of its
/// own, a few counters and a paged histogram, which only that thread writes, with plain stores. Readers sum the live
/// sets with volatile reads, and fold the sets of threads that have exited into a base, so nothing is lost and memory
/// does not grow with thread churn.
/// </summary>
/// <remarks>
/// <para>
/// Finding the set: a <see cref="ThreadStaticAttribute"/> field caches the set a thread used last (one load and one
/// compare per record); a thread that switches owners looks in a small per-thread list of its recent sets, then in the
/// owner's list of live sets, and registers a new set only on its first record into that owner. No dictionary lookup,
/// no lock on any of these paths.
/// </para>
/// <para>
/// Bounded: at most <see cref="MaxSets"/> live sets per owner. A thread beyond that gets the shared set
/// (<see cref="ThreadCellSet.IsOwned"/> false) and its caller records into interlocked striped cells instead: still
/// exact, just not free. A set's histogram is allocated in pages of <see cref="ThreadCellSet.PageSize"/> buckets
/// when first hit, so a thread that sees latencies in a narrow range holds a few pages, not the whole histogram.
/// </para>
/// <para>
/// Threads that exited are detected by <see cref="Thread.IsAlive"/> when a reader folds (every read), or when a
/// new thread finds the list full. A dead thread writes nothing more, so moving its counts into the base is exact; a
/// fold and a read exclude each other through <see cref="Gate"/>, which readers hold for their whole read and writers
/// only ever try (<see cref="Monitor.TryEnter(object)"/>), so a reader never blocks a writer.
/// </para>
/// </remarks>
internal sealed class ThreadCells
{
    /// <summary>Gets the most live thread-owned sets per owner: 4 per stripe (<see cref="Stripes.Count"/>), at least 16, at most 256.</summary>
    public static readonly int MaxSets = Math.Clamp(4 * Stripes.Count, 16, 256);

    /// <summary>
    /// The largest histogram given thread-owned sets: 32,768 buckets (3 significant digits over the default range).
    /// Larger ones (4 and 5 digits) record into stripes only, whose memory <see cref="StripedCells.MaxBytes"/> caps.
    /// </summary>
    public const int MaxBuckets = 1 << 15;

    private const int RecentSets = 4;

    private static long s_nextKey;

    // Note: [ThreadStatic] fields start null on every thread; the cache holds sets, never their owner, so a thread
    // that recorded into a monitor never keeps that monitor alive.
    [ThreadStatic]
    private static ThreadCellSet? t_last;

    [ThreadStatic]
    private static ThreadCellSet?[]? t_recent;

    [ThreadStatic]
    private static int t_nextRecent;

    private readonly long _key = Interlocked.Increment(ref s_nextKey);
    private readonly ThreadCellSet _shared;
    private readonly int _counterCount;
    private readonly int _bucketCount;
    private readonly int _boundaryCount;
    private readonly int _maxSets;
    private ThreadCellSet[] _live = [];
    private long[]? _baseBuckets;   // buckets, then boundary cells, of folded sets (written under Gate only)
    private readonly long[] _baseCounters;
    private long _folded;

    /// <param name="counterCount">Counters per set.</param>
    /// <param name="bucketCount">Buckets of each set's histogram.</param>
    /// <param name="boundaryCount">Boundary cells of each set's histogram (see <see cref="StripedHistogram"/>).</param>
    /// <remarks>Above <see cref="MaxBuckets"/> buckets no thread gets a set of its own: every writer records into stripes.</remarks>
    public ThreadCells(int counterCount, int bucketCount, int boundaryCount)
    {
        _counterCount = counterCount;
        _bucketCount = bucketCount;
        _boundaryCount = boundaryCount;
        _maxSets = bucketCount <= MaxBuckets ? MaxSets : 0;
        _baseCounters = new long[counterCount];
        _shared = new ThreadCellSet(_key, owner: null, 0, 0, 0);
    }

    /// <summary>Gets the lock readers hold while they fold and read; writers only try it.</summary>
    public object Gate { get; } = new();

    /// <summary>Gets the number of live thread-owned sets (for tests: bounded, released when threads exit).</summary>
    public int LiveSets => Volatile.Read(ref _live).Length;

    /// <summary>Gets the number of sets folded into the base so far.</summary>
    public long FoldedSets => Volatile.Read(ref _folded);

    /// <summary>Gets a value indicating whether no set was ever registered.</summary>
    public bool IsEmpty => Volatile.Read(ref _live).Length == 0 && Volatile.Read(ref _baseBuckets) is null;

    /// <summary>Gets the bytes the live sets' histograms and the base take (arrays with their headers).</summary>
    public long HistogramBytes
    {
        get
        {
            long bytes = Volatile.Read(ref _baseBuckets) is { } b ? ArrayBytes(b.Length) : 0;
            foreach (ThreadCellSet set in Volatile.Read(ref _live))
            {
                bytes += set.HistogramBytes;
            }

            return bytes;
        }
    }

    /// <summary>Returns the calling thread's set (the shared one when this owner has <see cref="MaxSets"/> live sets).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ThreadCellSet Current()
    {
        // Note: one thread-static load and one compare on the hot path; switching owners takes the out-of-line path.
        ThreadCellSet? last = t_last;
        return last is not null && last.Key == _key ? last : Find();
    }

    /// <summary>Returns the sum of counter <paramref name="counter"/> over the base and every live set. Under <see cref="Gate"/>.</summary>
    public long Sum(int counter)
    {
        long total = _baseCounters[counter];
        foreach (ThreadCellSet set in _live)
        {
            total += set.ReadCounter(counter);
        }

        return total;
    }

    /// <summary>Adds the histogram of the base and every live set (buckets, then boundary cells) to <paramref name="target"/>. Under <see cref="Gate"/>.</summary>
    public void AddHistogramTo(long[] target)
    {
        if (_baseBuckets is { } baseBuckets)
        {
            for (int i = 0; i < baseBuckets.Length; i++)
            {
                target[i] += baseBuckets[i];
            }
        }

        foreach (ThreadCellSet set in _live)
        {
            set.AddHistogramTo(target, _bucketCount);
        }
    }

    /// <summary>
    /// Folds the sets of exited threads into the base and drops them from the live list, and refills the spare pages
    /// of the others (<see cref="ThreadCellSet.SparePages"/>). Under <see cref="Gate"/>
    /// (readers call it first thing in a read, so a read never sees a set both in the base and in the list).
    /// </summary>
    public void Fold()
    {
        ThreadCellSet[] live = Volatile.Read(ref _live);
        int dead = 0;
        foreach (ThreadCellSet set in live)
        {
            if (!set.Owner!.IsAlive)
            {
                dead++;
            }
            else
            {
                set.RefillSpares();
            }
        }

        if (dead == 0)
        {
            return;
        }

        var folded = new ThreadCellSet[dead];
        int f = 0;
        foreach (ThreadCellSet set in live)
        {
            if (!set.Owner!.IsAlive && f < dead)
            {
                folded[f++] = set;
            }
        }

        // Registering threads append without the gate: retry on their CAS, removing only the sets found dead.
        ThreadCellSet[] current = live;
        while (true)
        {
            ThreadCellSet[] next = Without(current, folded);
            ThreadCellSet[] seen = Interlocked.CompareExchange(ref _live, next, current);
            if (ReferenceEquals(seen, current))
            {
                break;
            }

            current = seen;
        }

        _baseBuckets ??= new long[_bucketCount + _boundaryCount];
        foreach (ThreadCellSet set in folded)
        {
            // The thread has exited (IsAlive is false only after it stopped running managed code): its cells are final.
            set.AddHistogramTo(_baseBuckets, _bucketCount);
            for (int c = 0; c < _counterCount; c++)
            {
                _baseCounters[c] += set.ReadCounter(c);
            }
        }

        Volatile.Write(ref _folded, _folded + folded.Length);
    }

    private static long ArrayBytes(int longs) => 24 + (8L * longs);

    private static ThreadCellSet[] Without(ThreadCellSet[] sets, ThreadCellSet[] removed)
    {
        var kept = new ThreadCellSet[sets.Length];
        int count = 0;
        foreach (ThreadCellSet set in sets)
        {
            if (Array.IndexOf(removed, set) < 0)
            {
                kept[count++] = set;
            }
        }

        return kept.AsSpan(0, count).ToArray();
    }

    // Note: out of line: runs when a thread records into another owner than last time, or for the first time.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private ThreadCellSet Find()
    {
        ThreadCellSet?[] recent = t_recent ??= new ThreadCellSet?[RecentSets];
        foreach (ThreadCellSet? set in recent)
        {
            if (set is not null && set.Key == _key)
            {
                return t_last = set;
            }
        }

        ThreadCellSet found = FindOrRegister();
        recent[t_nextRecent] = found;
        t_nextRecent = (t_nextRecent + 1) % RecentSets;
        return t_last = found;
    }

    private ThreadCellSet FindOrRegister()
    {
        Thread thread = Thread.CurrentThread;
        ThreadCellSet[] live = Volatile.Read(ref _live);
        foreach (ThreadCellSet set in live)
        {
            if (set.Owner == thread)
            {
                return set;
            }
        }

        if (_maxSets == 0)
        {
            return _shared;
        }

        if (live.Length >= _maxSets && Monitor.TryEnter(Gate))
        {
            // Full: free the sets of exited threads, if no reader holds the gate right now (never wait for one).
            try
            {
                Fold();
            }
            finally
            {
                Monitor.Exit(Gate);
            }
        }

        var created = new ThreadCellSet(_key, thread, _counterCount, _bucketCount, _boundaryCount);
        while (true)
        {
            live = Volatile.Read(ref _live);
            if (live.Length >= _maxSets)
            {
                return _shared;
            }

            ThreadCellSet[] next = [.. live, created];
            if (ReferenceEquals(Interlocked.CompareExchange(ref _live, next, live), live))
            {
                return created;
            }
        }
    }
}

/// <summary>One thread's cells in a <see cref="ThreadCells"/>: counters and a paged histogram, written by that thread only.</summary>
internal sealed class ThreadCellSet
{
    /// <summary>Buckets per histogram page: 32 (256 bytes).</summary>
    public const int PageSize = 1 << PageBits;

    /// <summary>
    /// Zeroed pages a set keeps ready: a thread that hits a new page takes one instead of allocating, and readers
    /// replace what was taken. So recording allocates nothing after a thread's first call, unless it hits more than
    /// this many new pages between two reads.
    /// </summary>
    public const int SparePages = 8;

    private const int PageBits = 5;
    private const int PageMask = PageSize - 1;

    private readonly long[] _counters;     // padded: cell i at Stripes.Padding + i, so no other thread's data shares its lines
    private readonly long[]?[] _pages;
    private readonly long[]?[] _spares;   // taken by the owner (interlocked, rare), refilled by readers
    private readonly long[]? _boundaries;
    private long _pageBytes;
    private int _sparesTaken = 1; // set by the owner after it takes a spare page, taken by readers (which refill); set at first, for the first fill

    public ThreadCellSet(long key, Thread? owner, int counterCount, int bucketCount, int boundaryCount)
    {
        Key = key;
        Owner = owner;
        _counters = owner is null ? [] : new long[counterCount + (2 * Stripes.Padding)];
        _pages = owner is null ? [] : new long[]?[(bucketCount + PageMask) >> PageBits];
        _spares = new long[]?[owner is null ? 0 : SparePages];
        RefillSpares();
        _boundaries = owner is null || boundaryCount == 0 ? null : new long[boundaryCount];
    }

    /// <summary>Gets the key of the <see cref="ThreadCells"/> this set belongs to.</summary>
    public long Key { get; }

    /// <summary>Gets the thread that owns and alone writes this set; <see langword="null"/> for the shared set.</summary>
    public Thread? Owner { get; }

    /// <summary>Gets a value indicating whether the calling thread owns this set (else it is the shared set: record into stripes).</summary>
    public bool IsOwned
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Owner is not null;
    }

    /// <summary>Gets the bytes of this set's histogram: its page table, its pages and its boundary cells.</summary>
    public long HistogramBytes
    {
        get
        {
            long bytes = 24 + (8L * _pages.Length) + Volatile.Read(ref _pageBytes) + (_boundaries is { } b ? 24 + (8L * b.Length) : 0);
            bytes += 24 + (8L * _spares.Length);
            for (int i = 0; i < _spares.Length; i++)
            {
                bytes += Volatile.Read(ref _spares[i]) is null ? 0 : PageBytes;
            }

            return bytes;
        }
    }

    private static long PageBytes => 24 + (8L * PageSize);

    /// <summary>Adds one to a counter. Owner thread only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Increment(int counter)
    {
        // Note: the only writer: a plain read-add-store loses nothing. Release, so that a reader that sees it sees
        // every cell this thread wrote before (its bucket, its items, the start of its call).
        ref long cell = ref _counters[Stripes.Padding + counter];
        Volatile.Write(ref cell, cell + 1);
    }

    /// <summary>Adds <paramref name="value"/> (any sign) to a counter. Owner thread only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(int counter, long value)
    {
        // Note: as in Increment: the only writer, a plain read-add-store; release, so that a reader that sees it sees
        // every cell this thread wrote before.
        ref long cell = ref _counters[Stripes.Padding + counter];
        Volatile.Write(ref cell, unchecked(cell + value));
    }

    /// <summary>Adds one to histogram bucket <paramref name="bucket"/>. Owner thread only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void IncrementBucket(int bucket)
    {
        long[] page = _pages[bucket >> PageBits] ?? AddPage(bucket >> PageBits);
        ref long cell = ref page[bucket & PageMask];

        // Note: single writer, plain add; release so that items counted before the call are visible with it.
        Volatile.Write(ref cell, cell + 1);
    }

    /// <summary>Adds one to boundary cell <paramref name="boundary"/> (after its bucket). Owner thread only.</summary>
    public void IncrementBoundary(int boundary)
    {
        long[] cells = _boundaries!;
        Volatile.Write(ref cells[boundary], cells[boundary] + 1);
    }

    /// <summary>Puts a zeroed page into every spare slot the owner emptied. Readers only (allocates off the call path).</summary>
    public void RefillSpares()
    {
        // Note: most readings find no spare taken (the owner takes one only when it first hits a page): one load then.
        if (Volatile.Read(ref _sparesTaken) == 0)
        {
            return;
        }

        Volatile.Write(ref _sparesTaken, 0);
        for (int i = 0; i < _spares.Length; i++)
        {
            if (Volatile.Read(ref _spares[i]) is null)
            {
                // The owner only ever empties a slot: a CAS from empty cannot overwrite a page it has not taken.
                Interlocked.CompareExchange(ref _spares[i], new long[PageSize], null);
            }
        }
    }

    /// <summary>Reads a counter (acquire: pairs with the owner's release in <see cref="Increment"/>).</summary>
    public long ReadCounter(int counter) => Volatile.Read(ref _counters[Stripes.Padding + counter]);

    /// <summary>Adds this set's buckets, then boundary cells at <paramref name="bucketCount"/>, to <paramref name="target"/>.</summary>
    public void AddHistogramTo(long[] target, int bucketCount)
    {
        for (int p = 0; p < _pages.Length; p++)
        {
            // Acquire: a page published by the owner is seen with its zeroed cells.
            if (Volatile.Read(ref _pages[p]) is not { } page)
            {
                continue;
            }

            // Note: several cells per instruction, plain loads (each cell is one aligned word: never torn); the fences
            // below order them before the boundary cells and before whatever the reader reads next.
            int start = p << PageBits;
            CellSums.AddTo(target.AsSpan(start), page.AsSpan(0, Math.Min(page.Length, bucketCount - start)));
        }

        // Boundary cells after the buckets: a reading never sees a boundary count ahead of its bucket from this set.
        Interlocked.MemoryBarrier();
        if (_boundaries is { } boundaries)
        {
            CellSums.AddTo(target.AsSpan(bucketCount), boundaries);
            Interlocked.MemoryBarrier();
        }
    }

    // Note: out of line: once per page per thread, and allocation-free while a spare page is left.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long[] AddPage(int index)
    {
        long[]? page = null;
        for (int i = 0; i < _spares.Length && page is null; i++)
        {
            page = Interlocked.Exchange(ref _spares[i], null);
        }

        if (page is not null)
        {
            Volatile.Write(ref _sparesTaken, 1);
        }

        page ??= new long[PageSize];

        // Release: readers that find the page see it zeroed; the byte count is for tests and budgets only.
        Volatile.Write(ref _pages[index], page);
        Volatile.Write(ref _pageBytes, _pageBytes + PageBytes);
        return page;
    }
}
