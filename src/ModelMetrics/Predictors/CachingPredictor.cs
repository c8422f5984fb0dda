// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace ModelMetrics;

/// <summary>
/// The output cache of <see cref="CachePredictorBuilderExtensions.UseCache"/>: a concurrent dictionary of outputs with an
/// expiry timestamp each, a second dictionary of the model calls in flight (one per key, so that identical concurrent calls
/// share one), and a bounded size kept by removing expired entries, then the least recently used.
/// </summary>
/// <remarks>
/// A hit costs one dictionary lookup, one clock read and three interlocked additions, and allocates nothing. A miss
/// allocates its in-flight completion source and its entry. A key's in-flight call is registered before the model is
/// called and removed only after its output is stored, and the caller that registers it looks the key up once more
/// before calling the model: so a call either finds the output, or finds the call in flight, or is the one that calls
/// the model — never two model calls for one key while its output is fresh.
/// </remarks>
/// <typeparam name="TInput">The model's input.</typeparam>
/// <typeparam name="TOutput">The model's output.</typeparam>
/// <typeparam name="TKey">The cache key.</typeparam>
internal sealed class CachingPredictor<TInput, TOutput, TKey> : DelegatingPredictor<TInput, TOutput>
    where TKey : notnull
{
    // Each miss's duration weighs 1/8 in the recent mean (the first one sets it).
    private const int MeanWeightDivisor = 8;

    private readonly Func<TInput, TKey> _keySelector;
    private readonly TimeProvider _timeProvider;
    private readonly int _capacity;
    private readonly int _evictionTarget;
    private readonly long _timeToLive;
    private readonly ConcurrentDictionary<TKey, Entry> _entries = new();
    private readonly ConcurrentDictionary<TKey, TaskCompletionSource<TOutput>> _inFlight = new();
    private readonly object _evictionLock = new();
    private readonly object _meanLock = new();

    private long _count;
    private long _useSequence;
    private long _hits;
    private long _misses;
    private long _coalesced;
    private long _keyFaults;
    private long _expiredEvictions;
    private long _capacityEvictions;
    private long _timeSavedTicks;
    private long _meanMissTicks;
    private bool _hasMean;

    public CachingPredictor(IPredictor<TInput, TOutput> innerPredictor, Func<TInput, TKey> keySelector, CacheOptions options)
        : base(innerPredictor)
    {
        ArgumentNullException.ThrowIfNull(keySelector);
        ArgumentNullException.ThrowIfNull(options);
        _keySelector = keySelector;
        _timeProvider = options.TimeProvider;
        _capacity = options.Capacity;
        _evictionTarget = _capacity - (_capacity / 16);

        // In the clock's timestamp units; MaxTimeToLive (a year) times a 1 GHz clock still fits a long.
        _timeToLive = Math.Max(1, (long)(options.TimeToLive.TotalSeconds * _timeProvider.TimestampFrequency));
    }

    /// <inheritdoc />
    public override TOutput Predict(TInput input)
    {
        if (!TryGetKey(input, out TKey? key))
        {
            return InnerPredictor.Predict(input);
        }

        return TryHit(key, _timeProvider.GetTimestamp(), out TOutput? output) ? output : PredictMiss(key, input);
    }

    /// <inheritdoc />
    public override ValueTask<TOutput> PredictAsync(TInput input, CancellationToken cancellationToken = default)
    {
        if (!TryGetKey(input, out TKey? key))
        {
            return InnerPredictor.PredictAsync(input, cancellationToken);
        }

        // Note: a hit returns a completed ValueTask without an async state machine: it allocates nothing.
        return TryHit(key, _timeProvider.GetTimestamp(), out TOutput? output)
            ? new ValueTask<TOutput>(output)
            : PredictMissAsync(key, input, cancellationToken);
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(CacheStatistics) ? GetStatistics() : base.GetService(serviceType, serviceKey);
    }

    internal CacheStatistics GetStatistics() => new(
        Interlocked.Read(ref _hits),
        Interlocked.Read(ref _misses),
        Interlocked.Read(ref _coalesced),
        Interlocked.Read(ref _keyFaults),
        Interlocked.Read(ref _expiredEvictions),
        Interlocked.Read(ref _capacityEvictions),
        Interlocked.Read(ref _count),
        TimeSpan.FromTicks(Interlocked.Read(ref _timeSavedTicks)),
        TimeSpan.FromTicks(Interlocked.Read(ref _meanMissTicks)));

    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "A faulty key selector must not fail a call the model can serve: it is counted and the call goes uncached.")]
    private bool TryGetKey(TInput input, [NotNullWhen(true)] out TKey? key)
    {
        try
        {
            key = _keySelector(input);
        }
        catch (Exception)
        {
            key = default;
        }

        if (key is null)
        {
            Interlocked.Increment(ref _keyFaults);
            return false;
        }

        return true;
    }

    private bool TryHit(TKey key, long now, [MaybeNullWhen(false)] out TOutput output)
    {
        if (_entries.TryGetValue(key, out Entry? entry))
        {
            if (now - entry.ExpiresAt < 0)
            {
                // Note: a plain write of the recency stamp: it only orders evictions, and a lost race between two hits
                // of one entry leaves it stamped by either, both recent.
                entry.LastUsed = Interlocked.Increment(ref _useSequence);
                Interlocked.Increment(ref _hits);

                // Interlocked read: the mean is a long written under a lock by misses; a torn read is impossible on 64-bit
                // but not promised on 32-bit.
                Interlocked.Add(ref _timeSavedTicks, Interlocked.Read(ref _meanMissTicks));
                output = entry.Value;
                return true;
            }

            RemoveExpired(key, entry);
        }

        output = default;
        return false;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private TOutput PredictMiss(TKey key, TInput input)
    {
        TaskCompletionSource<TOutput> flight = new(TaskCreationOptions.RunContinuationsAsynchronously);
        TaskCompletionSource<TOutput> existing = _inFlight.GetOrAdd(key, flight);
        if (existing != flight)
        {
            Interlocked.Increment(ref _coalesced);
            return existing.Task.GetAwaiter().GetResult();
        }

        // The call that stored this key's output removes its flight after storing: look again before calling the model.
        if (TryHit(key, _timeProvider.GetTimestamp(), out TOutput? cached))
        {
            Complete(key, flight, cached);
            return cached;
        }

        Interlocked.Increment(ref _misses);
        long start = _timeProvider.GetTimestamp();
        TOutput output;
        try
        {
            output = InnerPredictor.Predict(input);
        }
        catch (Exception exception)
        {
            Fail(key, flight, exception);
            throw;
        }

        try
        {
            Store(key, output, start);
        }
        finally
        {
            // Waiters must never be left waiting, whatever storing did.
            Complete(key, flight, output);
        }

        return output;
    }

    private async ValueTask<TOutput> PredictMissAsync(TKey key, TInput input, CancellationToken cancellationToken)
    {
        TaskCompletionSource<TOutput> flight = new(TaskCreationOptions.RunContinuationsAsynchronously);
        TaskCompletionSource<TOutput> existing = _inFlight.GetOrAdd(key, flight);
        if (existing != flight)
        {
            Interlocked.Increment(ref _coalesced);
            return await existing.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (TryHit(key, _timeProvider.GetTimestamp(), out TOutput? cached))
        {
            Complete(key, flight, cached);
            return cached;
        }

        Interlocked.Increment(ref _misses);
        long start = _timeProvider.GetTimestamp();
        TOutput output;
        try
        {
            output = await InnerPredictor.PredictAsync(input, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            Fail(key, flight, exception);
            throw;
        }

        try
        {
            Store(key, output, start);
        }
        finally
        {
            // Waiters must never be left waiting, whatever storing did.
            Complete(key, flight, output);
        }

        return output;
    }

    private void Complete(TKey key, TaskCompletionSource<TOutput> flight, TOutput output)
    {
        _inFlight.TryRemove(new KeyValuePair<TKey, TaskCompletionSource<TOutput>>(key, flight));
        flight.TrySetResult(output);
    }

    private void Fail(TKey key, TaskCompletionSource<TOutput> flight, Exception exception)
    {
        _inFlight.TryRemove(new KeyValuePair<TKey, TaskCompletionSource<TOutput>>(key, flight));
        flight.TrySetException(exception);

        // Reading the exception marks it observed: with no waiter, the faulted task must not raise UnobservedTaskException.
        _ = flight.Task.Exception;
    }

    private void Store(TKey key, TOutput output, long start)
    {
        long end = _timeProvider.GetTimestamp();
        RecordMissLatency(_timeProvider.GetElapsedTime(start, end));
        var entry = new Entry(output, end + _timeToLive, Interlocked.Increment(ref _useSequence));

        // Only this key's flight adds it, so an entry already there is a stale one nobody has removed yet.
        while (!_entries.TryAdd(key, entry))
        {
            if (_entries.TryRemove(key, out _))
            {
                Interlocked.Decrement(ref _count);
                Interlocked.Increment(ref _expiredEvictions);
            }
        }

        if (Interlocked.Increment(ref _count) > _capacity)
        {
            Evict(end);
        }
    }

    private void RecordMissLatency(TimeSpan latency)
    {
        long ticks = Math.Max(0, latency.Ticks);
        lock (_meanLock)
        {
            long mean = _hasMean ? _meanMissTicks + ((ticks - _meanMissTicks) / MeanWeightDivisor) : ticks;
            _hasMean = true;

            // Interlocked write: hits read it without the lock.
            Interlocked.Exchange(ref _meanMissTicks, mean);
        }
    }

    private void RemoveExpired(TKey key, Entry entry)
    {
        if (_entries.TryRemove(new KeyValuePair<TKey, Entry>(key, entry)))
        {
            Interlocked.Decrement(ref _count);
            Interlocked.Increment(ref _expiredEvictions);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Evict(long now)
    {
        lock (_evictionLock)
        {
            // Another insert's eviction may have made room while this one waited for the lock.
            if (Interlocked.Read(ref _count) <= _capacity)
            {
                return;
            }

            // The recency stamps are copied: hits keep changing them, and a sort on changing keys may throw.
            var live = new List<(long LastUsed, KeyValuePair<TKey, Entry> Pair)>();
            foreach (KeyValuePair<TKey, Entry> pair in _entries)
            {
                if (now - pair.Value.ExpiresAt >= 0)
                {
                    RemoveExpired(pair.Key, pair.Value);
                }
                else
                {
                    live.Add((pair.Value.LastUsed, pair));
                }
            }

            if (Interlocked.Read(ref _count) <= _capacity)
            {
                return;
            }

            live.Sort(static (a, b) => a.LastUsed.CompareTo(b.LastUsed));
            long excess = Interlocked.Read(ref _count) - _evictionTarget;
            for (int i = 0; i < live.Count && excess > 0; i++)
            {
                if (_entries.TryRemove(live[i].Pair))
                {
                    Interlocked.Decrement(ref _count);
                    Interlocked.Increment(ref _capacityEvictions);
                    excess--;
                }
            }
        }
    }

    private sealed class Entry(TOutput value, long expiresAt, long lastUsed)
    {
        public TOutput Value { get; } = value;

        public long ExpiresAt { get; } = expiresAt;

        public long LastUsed { get; set; } = lastUsed;
    }
}
