// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace ModelMetrics.Signals;

/// <summary>A prediction waiting for its ground truth.</summary>
/// <param name="PredictedClass">The predicted class index (classifiers).</param>
/// <param name="PredictedValue">The predicted value (regression models).</param>
/// <param name="Probabilities">The class probabilities, or <see langword="null"/>; owned by the caller, never copied.</param>
/// <param name="Timestamp">
/// When the prediction was made, in <see cref="TimeProvider.GetTimestamp"/> units of the store's clock. As returned by
/// <see cref="PendingPredictions.TryJoin(PredictionId, out PendingPrediction)"/>, moved back by every backward step of
/// the clock since (see <see cref="PendingPredictions"/>), so that the clock's reading minus it is the time elapsed.
/// </param>
internal readonly record struct PendingPrediction(int PredictedClass, double PredictedValue, float[]? Probabilities, long Timestamp);

/// <summary>What became of a label offered to <see cref="PendingPredictions.TryJoin"/>.</summary>
internal enum JoinResult
{
    /// <summary>The prediction was pending: it is returned and removed.</summary>
    Joined,

    /// <summary>No prediction with this id is pending or was recently removed.</summary>
    UnknownId,

    /// <summary>The prediction was already joined to an earlier label (the first label wins).</summary>
    DuplicateLabel,

    /// <summary>The prediction was recently evicted (store full) or expired (older than the time to live).</summary>
    LateLabel,

    /// <summary>The id was invalid (a <see langword="null"/> or empty string, or <see langword="default"/>).</summary>
    InvalidId,
}

/// <summary>
/// Holds predictions by <see cref="PredictionId"/> until their ground truth arrives, bounded in entries and in
/// age, and says what happened to every label it is offered.
/// </summary>
/// <remarks>
/// <para>
/// Ids are partitioned by hash into segments (a power of two: four per processor, clamped to 16..64, and never
/// more than the capacity, so that each segment holds at least one entry). Each segment has its own lock, its own
/// share of the capacity (the shares sum to the capacity exactly) and a hash table over an array of nodes that
/// are linked into either the pending list (oldest first) or the recently-removed list. No lock is global (but the
/// clock's, taken only when the clock steps back): threads that touch different segments never wait for each other, and a segment's lock is held for O(1) work (amortized:
/// an operation also expires every entry of its segment that is older than the time to live, each entry once).
/// </para>
/// <para>
/// Ids are not kept: each is reduced to a <see cref="PendingKey"/> of 17 bytes (a long or Guid exactly, a string as
/// a 122-bit hash; two different strings with the same hash are treated as the same id, with the probability
/// stated there, below 10^-30 for ids of up to 100 characters), so the store's memory does not depend on the ids.
/// </para>
/// <para>
/// Bounds: a segment never holds more pending entries than its share (adding to a full segment evicts its
/// oldest entry, counted in <see cref="Evicted"/>), and remembers at most as many recently removed ids (joined,
/// evicted or expired: the key and why, to tell a duplicate or late label from an unknown id). So the store holds
/// at most <c>capacity</c> pending entries and <c>capacity</c> removed keys, whatever the traffic. Because shares
/// are per segment, an entry can be evicted before the store as a whole is full (its segment is): while it fills
/// with random ids the first eviction comes at roughly 1 - 2/sqrt(share) full (about 90% for shares of a few
/// hundred); under sustained traffic every segment is full and the store holds its capacity. Entries expire when older than the time to live, at the next
/// <see cref="Add"/> or <see cref="TryJoin(PredictionId, out PendingPrediction)"/> of their segment or at
/// <see cref="ExpireOld"/>, never earlier; as the pending list is in the order of adding, an entry added just after
/// one stamped later (racing threads) can expire that much later.
/// </para>
/// <para>
/// A clock that steps backwards (a custom <see cref="TimeProvider"/>, or NTP on a virtual machine) does not stop
/// expiry. The store keeps a time that never goes back (<see cref="SteadyClock"/>): the clock's reading plus the sum
/// of the backward steps seen, where a reading below the last one counts as a step back by the difference (no time
/// elapsed since the last reading). Entries are stamped and aged on that time (a stamp is never later than the
/// time at its add), so an entry added before a step back still expires after its time to live counted across the
/// step, and a joined prediction's timestamp is returned moved back by the steps seen since it was added (the delay
/// to its label is the time elapsed, not negative). What a step costs: the time between the store's last reading
/// before it and its first after (any add, label or sweep reads the clock) is not counted, so entries expire that
/// much later, never earlier, and a delay across the step reads that much shorter; under traffic that is
/// microseconds, and a collected monitor's store is read at each collection.
/// </para>
/// <para>
/// Memory, measured with <see cref="GC.GetTotalMemory(bool)"/> around the filling of 100 000 entries (capacity
/// 100 000): about 90 bytes per pending entry, whatever the kind and length of the ids. Node arrays grow by
/// doubling up to twice the capacity (a pending entry and a removed key each take a 64-byte node), plus 4 to 8
/// bytes of hash bucket per node: a store that has seen several times its capacity in traffic holds about 140
/// bytes per unit of capacity (measured: 139 with 1 KB string ids, 2 cores), and at most 144 plus a few hundred
/// bytes per segment. No id is kept alive. Probability arrays are referenced, not copied (the monitor copies the
/// caller's: 4 bytes per class plus a 24-byte array header per pending entry), and released when the entry leaves
/// the pending list.
/// </para>
/// <para>
/// Thread-safe. Every operation on a segment holds its lock, so no count is lost or doubled under any number of
/// threads: each added prediction is exactly once replaced, joined, evicted, expired or still pending, and each
/// label is counted under exactly one <see cref="JoinResult"/>. No allocation per <see cref="Add"/> or <see cref="TryJoin"/>
/// once the node arrays have grown: removed nodes are reused from a free list. Counters are read without locks
/// and summed over segments one after another, so a reading is exact for every operation that
/// completed before it started but is not a snapshot of all counters at one instant.
/// </para>
/// </remarks>
internal sealed class PendingPredictions
{
    /// <summary>The largest capacity: 10^8 entries (about 14.4 GB at 144 bytes each).</summary>
    public const int MaxCapacity = 100_000_000;

    private const int MinSegments = 16;
    private const int MaxSegments = 64;

    private readonly Segment[] _segments;
    private readonly int _segmentMask;
    private readonly long _timeToLiveTimestamp;
    private long _invalidId;

    /// <summary>Initializes an empty store.</summary>
    /// <param name="capacity">The most entries pending at once: 1 to <see cref="MaxCapacity"/>.</param>
    /// <param name="timeToLive">How long an entry waits for its label before it expires: positive.</param>
    /// <param name="timeProvider">The clock for expiry; <see cref="PendingPrediction.Timestamp"/> is in its units.</param>
    public PendingPredictions(int capacity, TimeSpan timeToLive, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxCapacity);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeToLive, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(timeProvider);

        Capacity = capacity;
        TimeToLive = timeToLive;

        // Rounded up, so that an entry is never expired before its full time to live; Int128 so that a long time to
        // live on a fine clock cannot overflow (it then saturates: nothing ever expires).
        Int128 ttl = (((Int128)timeToLive.Ticks * timeProvider.TimestampFrequency) + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond;
        _timeToLiveTimestamp = ttl > long.MaxValue ? long.MaxValue : (long)ttl;

        // Four segments per processor make two threads meet on a lock rarely; a power of two picks the segment with a
        // mask; at most the largest power of two not above the capacity, so that every segment gets at least one entry.
        int wanted = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(Environment.ProcessorCount * 4, MinSegments, MaxSegments));
        int count = Math.Min(wanted, 1 << BitOperations.Log2((uint)capacity));
        var clock = new SteadyClock(timeProvider);
        _segments = new Segment[count];
        _segmentMask = count - 1;
        int share = capacity / count;
        int remainder = capacity % count;
        for (int i = 0; i < count; i++)
        {
            // The first `remainder` segments take one more, so that the shares sum to the capacity exactly.
            _segments[i] = new Segment(share + (i < remainder ? 1 : 0), clock);
        }
    }

    /// <summary>Gets the most entries that can be pending at once.</summary>
    public int Capacity { get; }

    /// <summary>Gets how long an entry waits for its label before it expires.</summary>
    public TimeSpan TimeToLive { get; }

    /// <summary>Gets the number of segments (a power of two, at most the capacity).</summary>
    public int SegmentCount => _segments.Length;

    /// <summary>Gets the number of entries pending now, summed over segments.</summary>
    public int Count
    {
        get
        {
            int total = 0;
            foreach (Segment segment in _segments)
            {
                total += segment.Count;
            }

            return total;
        }
    }

    /// <summary>Gets the number of labels joined to their prediction.</summary>
    public long Joined => Sum(Counter.Joined);

    /// <summary>Gets the number of entries removed because they were older than the time to live.</summary>
    public long Expired => Sum(Counter.Expired);

    /// <summary>Gets the number of entries removed to make room in a full segment.</summary>
    public long Evicted => Sum(Counter.Evicted);

    /// <summary>Gets the number of adds of an id that was already pending (the newer prediction replaced the older).</summary>
    public long Replaced => Sum(Counter.Replaced);

    /// <summary>Gets the number of labels whose id was neither pending nor recently removed.</summary>
    public long UnknownId => Sum(Counter.UnknownId);

    /// <summary>Gets the number of labels for an id recently joined to an earlier label.</summary>
    public long DuplicateLabel => Sum(Counter.DuplicateLabel);

    /// <summary>Gets the number of labels for an id recently evicted or expired.</summary>
    public long LateLabel => Sum(Counter.LateLabel);

    /// <summary>Gets the number of adds and labels with an invalid id; none of them was stored or joined.</summary>
    public long InvalidId => Volatile.Read(ref _invalidId);

    /// <summary>
    /// Stores <paramref name="prediction"/> under <paramref name="id"/>, replacing a pending prediction with the same
    /// id and evicting the oldest entry of a full segment. An invalid id is counted and ignored. Never throws.
    /// </summary>
    /// <param name="id">The prediction's id.</param>
    /// <param name="prediction">The prediction; its timestamp should be the store clock's current time.</param>
    public void Add(PredictionId id, in PendingPrediction prediction)
    {
        if (!id.IsValid)
        {
            Interlocked.Increment(ref _invalidId);
            return;
        }

        var key = PendingKey.Of(id);
        int hash = key.Hash;
        SegmentFor(hash).Add(key, hash, prediction, _timeToLiveTimestamp);
    }

    /// <summary>
    /// Joins a label to the prediction pending under <paramref name="id"/>: on <see cref="JoinResult.Joined"/> the
    /// prediction is removed and returned; otherwise says why there is none. Every call is counted under its result.
    /// Never throws.
    /// </summary>
    /// <param name="id">The id the prediction was added with.</param>
    /// <param name="prediction">The joined prediction; <see langword="default"/> unless joined.</param>
    /// <returns>What became of the label.</returns>
    /// <remarks>
    /// A store holds predictions of one kind only (its monitor rejects the other kind before it gets here), so a
    /// label never meets a prediction of the other kind.
    /// </remarks>
    public JoinResult TryJoin(PredictionId id, out PendingPrediction prediction)
    {
        if (!id.IsValid)
        {
            Interlocked.Increment(ref _invalidId);
            prediction = default;
            return JoinResult.InvalidId;
        }

        var key = PendingKey.Of(id);
        int hash = key.Hash;
        return SegmentFor(hash).TryJoin(key, hash, _timeToLiveTimestamp, out prediction);
    }

    /// <summary>
    /// Expires the entries of every segment that are older than the time to live, one segment at a time (meant for
    /// collection time, so that an idle store does not hold stale entries).
    /// </summary>
    /// <returns>The number of entries expired by this sweep.</returns>
    public int ExpireOld()
    {
        int expired = 0;
        foreach (Segment segment in _segments)
        {
            expired += segment.ExpireOld(_timeToLiveTimestamp);
        }

        return expired;
    }

    /// <summary>Returns the index of the segment that holds <paramref name="id"/> (for tests and diagnostics).</summary>
    /// <param name="id">A valid id.</param>
    /// <returns>0 to <see cref="SegmentCount"/> - 1.</returns>
    public int SegmentOf(PredictionId id) => SegmentIndex(PendingKey.Of(id).Hash);

    /// <summary>Returns how many entries segment <paramref name="segment"/> holds at most (its share of the capacity).</summary>
    /// <param name="segment">0 to <see cref="SegmentCount"/> - 1.</param>
    /// <returns>At least 1; the shares of all segments sum to <see cref="Capacity"/>.</returns>
    public int SegmentCapacity(int segment) => _segments[segment].Capacity;

    private Segment SegmentFor(int hash) => _segments[SegmentIndex(hash)];

    // Note: the segment comes from the top bits of a Fibonacci mix and the bucket (inside the segment) from the low
    // bits of the hash, so that the ids of one segment still spread over all of its buckets.
    private int SegmentIndex(int hash) => (int)(((uint)hash * 0x9E3779B9u) >> 26) & _segmentMask;

    private long Sum(Counter counter)
    {
        long total = 0;
        foreach (Segment segment in _segments)
        {
            total += segment.Read(counter);
        }

        return total;
    }

    private enum Counter
    {
        Joined,
        Expired,
        Evicted,
        Replaced,
        UnknownId,
        DuplicateLabel,
        LateLabel,
    }

    /// <summary>Where a node is: free, pending, or remembered as removed for one of three reasons.</summary>
    private enum NodeState : byte
    {
        Free,
        Pending,
        Joined,
        Evicted,
        Expired,
    }

    /// <summary>
    /// One pending entry or one remembered removal: 64 bytes in a 64-bit process. The key's and the prediction's
    /// fields are inlined rather than held as a <see cref="PendingKey"/> and a <see cref="PendingPrediction"/>, whose
    /// padding would make it 80.
    /// </summary>
    private struct Node
    {
        public long KeyFirst;
        public long KeySecond;
        public float[]? Probabilities;
        public double PredictedValue;
        public long Timestamp;
        public int PredictedClass;
        public int Hash;
        public int NextInBucket;
        public int Older;
        public int Newer;
        public NodeState State;
        public IdKind KeyKind;
    }

    /// <summary>A doubly linked list of nodes by index, oldest to newest.</summary>
    private struct NodeList
    {
        public int Oldest;
        public int Newest;
        public int Count;
    }

    /// <summary>
    /// The store's clock, which a backward step of its <see cref="TimeProvider"/> does not send back: the provider's
    /// reading plus <see cref="_offset"/>, the sum of the backward steps seen so far.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Rule: a reading below the last one recorded (<see cref="_lastNow"/>) is a step back, and no time is counted
    /// between the two: the offset grows by the difference, so the time goes on from the last reading. So the store's
    /// time never runs ahead of the provider's time had it never stepped back (entries never expire early), and
    /// falls behind it by the time between the last reading before a step and the first after it (the store cannot
    /// tell how much of that gap came before the step), plus at most <see cref="_slack"/> (one millisecond), the
    /// resolution of <see cref="_lastNow"/>.
    /// </para>
    /// <para>
    /// Lock-free for readers: one volatile read of the offset before the provider's reading (so that an offset
    /// raised after a step is never added to a reading from before it), one of the last reading after, and a write
    /// of it at most once per millisecond of the provider's time. A reading that looks like a step back is checked
    /// again under a lock, with a fresh reading, before the offset is raised; only that happens under it.
    /// </para>
    /// </remarks>
    private sealed class SteadyClock
    {
        private readonly TimeProvider _provider;
        private readonly long _slack;
#if NET9_0_OR_GREATER
        private readonly Lock _stepGate = new();
#else
        private readonly object _stepGate = new();
#endif
        private long _offset;
        private long _lastNow;

        public SteadyClock(TimeProvider provider)
        {
            _provider = provider;
            _slack = Math.Max(1, provider.TimestampFrequency / 1000);
            _lastNow = provider.GetTimestamp();
        }

        /// <summary>Returns the store's time now, and in <paramref name="offset"/> what was added to the provider's reading.</summary>
        public long Now(out long offset)
        {
            offset = Volatile.Read(ref _offset);
            long now = unchecked(_provider.GetTimestamp() + offset);
            long last = Volatile.Read(ref _lastNow);
            if (now < last)
            {
                return SteppedBack(out offset);
            }

            // Note: a plain write, not a compare-and-swap: a racing thread may write an older reading over a newer one,
            // which only makes a later step look a little smaller (never larger) than it was.
            if (now - last > _slack)
            {
                Volatile.Write(ref _lastNow, now);
            }

            return now;
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private long SteppedBack(out long offset)
        {
            lock (_stepGate)
            {
                // Read again: the first reading may have raced with another thread raising the offset.
                offset = _offset;
                long now = unchecked(_provider.GetTimestamp() + offset);
                long last = Volatile.Read(ref _lastNow);
                if (now < last)
                {
                    offset = unchecked(offset + (last - now));
                    Volatile.Write(ref _offset, offset);
                    return last;
                }

                Volatile.Write(ref _lastNow, now);
                return now;
            }
        }
    }

    /// <summary>
    /// One partition of the store: a hash table (chained through node indexes) over a growable node array, with the
    /// pending list, the recently-removed list and a free list threaded through the same nodes.
    /// </summary>
    /// <remarks>
    /// Every method takes the segment's lock, except the counter readers, which read single words that the lock
    /// holder writes with <see cref="Volatile"/>. Invariants: pending ≤ capacity, removed ≤ capacity, so the nodes in
    /// use never exceed twice the capacity, the array's largest size.
    /// </remarks>
    private sealed class Segment
    {
        private const int Nil = -1;
        private const int InitialNodes = 16;
        private static readonly int[] NoBuckets = [Nil];

        // Note: System.Threading.Lock (net9+) is cheaper than a monitor on an object; both work with `lock`.
#if NET9_0_OR_GREATER
        private readonly Lock _gate = new();
#else
        private readonly object _gate = new();
#endif
        private readonly SteadyClock _clock;
        private readonly int _capacity;
        private readonly int _maxNodes;
        private readonly long[] _counts = new long[(int)Counter.LateLabel + 1];
        private Node[] _nodes;
        private int[] _buckets;
        private int _used;
        private int _free = Nil;
        private NodeList _pending = new() { Oldest = Nil, Newest = Nil };
        private NodeList _removed = new() { Oldest = Nil, Newest = Nil };

        public Segment(int capacity, SteadyClock clock)
        {
            _clock = clock;
            _capacity = capacity;
            _maxNodes = 2 * capacity;
            // No nodes until the first add (most monitors never use ids); until then every lookup
            // reads the shared one-bucket table, which the first growth replaces before any write.
            _nodes = [];
            _buckets = NoBuckets;
        }

        public int Capacity => _capacity;

        public int Count => Volatile.Read(ref _pending.Count);

        public long Read(Counter counter) => Volatile.Read(ref _counts[(int)counter]);

        public void Add(in PendingKey key, int hash, in PendingPrediction prediction, long timeToLive)
        {
            lock (_gate)
            {
                long now = _clock.Now(out long offset);
                ExpireOldest(now, timeToLive);
                int index = Find(key, hash);
                if (index == Nil)
                {
                    if (_pending.Count == _capacity)
                    {
                        Retire(_pending.Oldest, NodeState.Evicted);
                    }

                    // Note: taken after the eviction, which may have freed the node this reuses; there is always one,
                    // as pending < capacity and removed <= capacity now.
                    index = TakeNode();
                    ref Node created = ref _nodes[index];
                    created.KeyFirst = key.First;
                    created.KeySecond = key.Second;
                    created.KeyKind = key.Kind;
                    created.Hash = hash;
                    ref int bucket = ref _buckets[hash & (_buckets.Length - 1)];
                    created.NextInBucket = bucket;
                    bucket = index;
                }
                else if (_nodes[index].State == NodeState.Pending)
                {
                    // The newer prediction wins and starts a new time to live; the store keeps one entry per id.
                    Unlink(ref _pending, index);
                    Increment(Counter.Replaced);
                }
                else
                {
                    // A removed id predicted again: its node becomes pending again (it forgets the removal).
                    Unlink(ref _removed, index);
                    if (_pending.Count == _capacity)
                    {
                        Retire(_pending.Oldest, NodeState.Evicted);
                    }
                }

                ref Node node = ref _nodes[index];
                node.State = NodeState.Pending;
                node.PredictedClass = prediction.PredictedClass;
                node.PredictedValue = prediction.PredictedValue;
                node.Probabilities = prediction.Probabilities;

                // On the segment's time, and never after its now: a stamp read before a step back (by the caller, or
                // before this thread waited for the lock) would otherwise sit in the future and block expiry behind it.
                node.Timestamp = Math.Min(unchecked(prediction.Timestamp + offset), now);
                Append(ref _pending, index);
            }
        }

        public JoinResult TryJoin(in PendingKey key, int hash, long timeToLive, out PendingPrediction prediction)
        {
            lock (_gate)
            {
                // Expire first: a label that arrives after the time to live is late even if no sweep has run yet.
                long now = _clock.Now(out long offset);
                ExpireOldest(now, timeToLive);
                int index = Find(key, hash);
                if (index == Nil)
                {
                    Increment(Counter.UnknownId);
                    prediction = default;
                    return JoinResult.UnknownId;
                }

                ref Node node = ref _nodes[index];
                switch (node.State)
                {
                    case NodeState.Pending:
                        // Back on the clock's scale: moved back by the steps seen since it was stamped.
                        prediction = new PendingPrediction(node.PredictedClass, node.PredictedValue, node.Probabilities, unchecked(node.Timestamp - offset));
                        Retire(index, NodeState.Joined);
                        Increment(Counter.Joined);
                        return JoinResult.Joined;
                    case NodeState.Joined:
                        Increment(Counter.DuplicateLabel);
                        prediction = default;
                        return JoinResult.DuplicateLabel;
                    default:
                        Increment(Counter.LateLabel);
                        prediction = default;
                        return JoinResult.LateLabel;
                }
            }
        }

        public int ExpireOld(long timeToLive)
        {
            lock (_gate)
            {
                return ExpireOldest(_clock.Now(out _), timeToLive);
            }
        }

        private static int[] NewBuckets(int nodes)
        {
            // At least one bucket per node: chains stay about one node long.
            int[] buckets = new int[BitOperations.RoundUpToPowerOf2((uint)nodes)];
            Array.Fill(buckets, Nil);
            return buckets;
        }

        private int ExpireOldest(long now, long timeToLive)
        {
            int expired = 0;

            // Note: unchecked difference, so that a stamp after `now` reads as a negative age: not expired. Add clamps
            // stamps to its `now`; one can still be ahead of a later `now` by the steady clock's slack (a thread that
            // read the clock just before a step back was detected), a millisecond or so.
            while (_pending.Count > 0 && unchecked(now - _nodes[_pending.Oldest].Timestamp) > timeToLive)
            {
                Retire(_pending.Oldest, NodeState.Expired);
                expired++;
            }

            if (expired > 0)
            {
                Add(Counter.Expired, expired);
            }

            return expired;
        }

        private int Find(in PendingKey key, int hash)
        {
            Node[] nodes = _nodes;
            for (int i = _buckets[hash & (_buckets.Length - 1)]; i != Nil; i = nodes[i].NextInBucket)
            {
                ref Node node = ref nodes[i];
                if (node.Hash == hash && node.KeyFirst == key.First && node.KeySecond == key.Second && node.KeyKind == key.Kind)
                {
                    return i;
                }
            }

            return Nil;
        }

        /// <summary>Moves a pending node to the removed list, forgetting the oldest removal when it is full.</summary>
        private void Retire(int index, NodeState reason)
        {
            Unlink(ref _pending, index);
            ref Node node = ref _nodes[index];
            node.State = reason;

            // Note: the caller's probabilities are released now; a removed id keeps only what tells labels apart.
            node.Probabilities = null;
            Append(ref _removed, index);
            if (reason == NodeState.Evicted)
            {
                Increment(Counter.Evicted);
            }

            if (_removed.Count > _capacity)
            {
                Free(_removed.Oldest);
            }
        }

        private void Free(int index)
        {
            Unlink(ref _removed, index);
            ref Node node = ref _nodes[index];
            ref int link = ref _buckets[node.Hash & (_buckets.Length - 1)];
            while (link != index)
            {
                link = ref _nodes[link].NextInBucket;
            }

            link = node.NextInBucket;

            // The free list is threaded through Newer.
            node = default;
            node.Newer = _free;
            _free = index;
        }

        private int TakeNode()
        {
            if (_free != Nil)
            {
                int index = _free;
                _free = _nodes[index].Newer;
                return index;
            }

            if (_used == _nodes.Length)
            {
                Grow();
            }

            return _used++;
        }

        // Note: out of line, it runs only while the segment's arrays grow towards twice its capacity.
        [MethodImpl(MethodImplOptions.NoInlining)]
        private void Grow()
        {
            Debug.Assert(_nodes.Length < _maxNodes, "A node is always free or below the largest size.");
            Array.Resize(ref _nodes, (int)Math.Min(_maxNodes, Math.Max(InitialNodes, 2L * _nodes.Length)));
            if (_buckets.Length >= _nodes.Length)
            {
                return;
            }

            _buckets = NewBuckets(_nodes.Length);
            int mask = _buckets.Length - 1;
            for (int i = 0; i < _used; i++)
            {
                ref Node node = ref _nodes[i];
                if (node.State != NodeState.Free)
                {
                    ref int bucket = ref _buckets[node.Hash & mask];
                    node.NextInBucket = bucket;
                    bucket = i;
                }
            }
        }

        private void Append(ref NodeList list, int index)
        {
            ref Node node = ref _nodes[index];
            node.Older = list.Newest;
            node.Newer = Nil;
            if (list.Newest == Nil)
            {
                list.Oldest = index;
            }
            else
            {
                _nodes[list.Newest].Newer = index;
            }

            list.Newest = index;

            // Note: Count of the pending list is read without the lock (Segment.Count); int writes are atomic.
            Volatile.Write(ref list.Count, list.Count + 1);
        }

        private void Unlink(ref NodeList list, int index)
        {
            ref Node node = ref _nodes[index];
            if (node.Older == Nil)
            {
                list.Oldest = node.Newer;
            }
            else
            {
                _nodes[node.Older].Newer = node.Newer;
            }

            if (node.Newer == Nil)
            {
                list.Newest = node.Older;
            }
            else
            {
                _nodes[node.Newer].Older = node.Older;
            }

            Volatile.Write(ref list.Count, list.Count - 1);
        }

        private void Increment(Counter counter) => Add(counter, 1);

        // Note: only the lock holder writes a counter, so read-add-write loses nothing; the volatile write keeps a
        // lock-free reader from seeing a torn long on a 32-bit platform.
        private void Add(Counter counter, int amount) =>
            Volatile.Write(ref _counts[(int)counter], _counts[(int)counter] + amount);
    }
}
