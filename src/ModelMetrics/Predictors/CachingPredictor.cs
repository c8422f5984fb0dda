// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using ModelMetrics.Signals;

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
    private readonly Func<TInput, TKey> _keySelector;
    private readonly TimeProvider _timeProvider;
    private readonly int _capacity;
    private readonly int _evictionTarget;
    private readonly long _timeToLive;
    private readonly ConcurrentDictionary<TKey, Entry> _entries = new();
    private readonly ConcurrentDictionary<TKey, TaskCompletionSource<TOutput>> _inFlight = new();
    private readonly object _evictionLock = new();
    private readonly CacheCounters _counters = new();

    private long _useSequence;

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

        _counters.Attach(options.Monitor ?? innerPredictor.GetService<ModelMonitor>());
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
    public override ValueTask<IReadOnlyList<TOutput>> PredictBatchAsync(IReadOnlyList<TInput> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        return inputs.Count == 0 ? InnerPredictor.PredictBatchAsync(inputs, cancellationToken) : PredictBatchCoreAsync(inputs, cancellationToken);
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(CacheStatistics) ? GetStatistics() : base.GetService(serviceType, serviceKey);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _counters.Detach();
        }

        base.Dispose(disposing);
    }

    internal CacheStatistics GetStatistics() => _counters.Read();

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
            _counters.KeyFault();
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
                _counters.Hit();
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
        switch (Claim(key, out TaskCompletionSource<TOutput> flight, out TOutput? cached))
        {
            case Lookup.Hit:
                return cached!;
            case Lookup.InFlight:
                return flight.Task.GetAwaiter().GetResult();
        }

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

        StoreAndComplete(key, flight, output, start);
        return output;
    }

    private async ValueTask<TOutput> PredictMissAsync(TKey key, TInput input, CancellationToken cancellationToken)
    {
        switch (Claim(key, out TaskCompletionSource<TOutput> flight, out TOutput? cached))
        {
            case Lookup.Hit:
                return cached!;
            case Lookup.InFlight:
                return await flight.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

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

        StoreAndComplete(key, flight, output, start);
        return output;
    }

    /// <summary>
    /// After a missed lookup: registers this call's flight for <paramref name="key"/> (<see cref="Lookup.Miss"/>: the caller
    /// must call the model and end the flight), or finds another call's flight to wait on (<see cref="Lookup.InFlight"/>:
    /// <paramref name="flight"/> is that one), or finds the output stored meanwhile (<see cref="Lookup.Hit"/>). Counts the outcome.
    /// </summary>
    private Lookup Claim(TKey key, out TaskCompletionSource<TOutput> flight, out TOutput? cached)
    {
        TaskCompletionSource<TOutput> mine = new(TaskCreationOptions.RunContinuationsAsynchronously);
        flight = _inFlight.GetOrAdd(key, mine);
        cached = default;
        if (flight != mine)
        {
            _counters.Coalesced();
            return Lookup.InFlight;
        }

        // The call that stored this key's output removes its flight after storing: look again before calling the model.
        if (TryHit(key, _timeProvider.GetTimestamp(), out cached))
        {
            Complete(key, flight, cached);
            return Lookup.Hit;
        }

        _counters.Miss();
        return Lookup.Miss;
    }

    private void StoreAndComplete(TKey key, TaskCompletionSource<TOutput> flight, TOutput output, long start)
    {
        try
        {
            Store(key, output, start);
        }
        finally
        {
            // Waiters must never be left waiting, whatever storing did.
            Complete(key, flight, output);
        }
    }

    /// <summary>
    /// A batch is looked up item by item: hits are answered from the cache, items whose key is in flight wait for that call,
    /// and the rest — each key once, and the items without a key — go to the model in one smaller batch, whose outputs are
    /// stored as single calls' are. Each miss counts the batch's duration divided by its size as its model time.
    /// </summary>
    private async ValueTask<IReadOnlyList<TOutput>> PredictBatchCoreAsync(IReadOnlyList<TInput> inputs, CancellationToken cancellationToken)
    {
        var outputs = new TOutput[inputs.Count];
        var fromModel = new int[inputs.Count]; // the item's index in the model's batch, or -1 when answered otherwise
        var modelInputs = new List<TInput>();
        var flights = new List<(TKey? Key, TaskCompletionSource<TOutput>? Flight)>(); // per model item; no flight: uncached
        Dictionary<TKey, int>? batchKeys = null;
        List<(int Item, Task<TOutput> Flight)>? waits = null;
        long now = _timeProvider.GetTimestamp();
        for (int i = 0; i < inputs.Count; i++)
        {
            fromModel[i] = -1;
            if (!TryGetKey(inputs[i], out TKey? key))
            {
                fromModel[i] = modelInputs.Count;
                modelInputs.Add(inputs[i]);
                flights.Add((default, null));
                continue;
            }

            if (TryHit(key, now, out TOutput? hit))
            {
                outputs[i] = hit;
                continue;
            }

            // The same key twice in one batch: one model item serves both.
            if (batchKeys is not null && batchKeys.TryGetValue(key, out int shared))
            {
                _counters.Coalesced();
                fromModel[i] = shared;
                continue;
            }

            switch (Claim(key, out TaskCompletionSource<TOutput> flight, out TOutput? cached))
            {
                case Lookup.Hit:
                    outputs[i] = cached!;
                    continue;
                case Lookup.InFlight:
                    (waits ??= []).Add((i, flight.Task));
                    continue;
            }

            (batchKeys ??= []).Add(key, modelInputs.Count);
            fromModel[i] = modelInputs.Count;
            modelInputs.Add(inputs[i]);
            flights.Add((key, flight));
        }

        if (modelInputs.Count > 0)
        {
            await PredictMissesAsync(modelInputs, flights, fromModel, outputs, cancellationToken).ConfigureAwait(false);
        }

        if (waits is not null)
        {
            foreach ((int item, Task<TOutput> flight) in waits)
            {
                outputs[item] = await flight.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return outputs;
    }

    private async ValueTask PredictMissesAsync(
        List<TInput> modelInputs,
        List<(TKey? Key, TaskCompletionSource<TOutput>? Flight)> flights,
        int[] fromModel,
        TOutput[] outputs,
        CancellationToken cancellationToken)
    {
        long start = _timeProvider.GetTimestamp();
        IReadOnlyList<TOutput> results;
        try
        {
            results = await InnerPredictor.PredictBatchAsync(modelInputs, cancellationToken).ConfigureAwait(false);
            if (results.Count != modelInputs.Count)
            {
                throw new InvalidOperationException(
                    $"The model returned {results.Count} outputs for a batch of {modelInputs.Count} inputs: the cache cannot tell which output answers which input.");
            }
        }
        catch (Exception exception)
        {
            foreach ((TKey? key, TaskCompletionSource<TOutput>? flight) in flights)
            {
                if (flight is not null)
                {
                    Fail(key!, flight, exception);
                }
            }

            throw;
        }

        try
        {
            long end = _timeProvider.GetTimestamp();
            _counters.RecordMissLatency(_timeProvider.GetElapsedTime(start, end) / modelInputs.Count);
            for (int m = 0; m < flights.Count; m++)
            {
                if (flights[m].Flight is not null)
                {
                    Insert(flights[m].Key!, results[m], end);
                }
            }
        }
        finally
        {
            // Waiters must never be left waiting, whatever storing did.
            for (int m = 0; m < flights.Count; m++)
            {
                if (flights[m].Flight is { } flight)
                {
                    Complete(flights[m].Key!, flight, results[m]);
                }
            }
        }

        for (int i = 0; i < fromModel.Length; i++)
        {
            if (fromModel[i] >= 0)
            {
                outputs[i] = results[fromModel[i]];
            }
        }
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
        _counters.RecordMissLatency(_timeProvider.GetElapsedTime(start, end));
        Insert(key, output, end);
    }

    private void Insert(TKey key, TOutput output, long end)
    {
        var entry = new Entry(output, end + _timeToLive, Interlocked.Increment(ref _useSequence));

        // Only this key's flight adds it, so an entry already there is a stale one nobody has removed yet.
        while (!_entries.TryAdd(key, entry))
        {
            if (_entries.TryRemove(key, out _))
            {
                _counters.Expired();
            }
        }

        if (_counters.EntryAdded() > _capacity)
        {
            Evict(end);
        }
    }

    private void RemoveExpired(TKey key, Entry entry)
    {
        if (_entries.TryRemove(new KeyValuePair<TKey, Entry>(key, entry)))
        {
            _counters.Expired();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Evict(long now)
    {
        lock (_evictionLock)
        {
            // Another insert's eviction may have made room while this one waited for the lock.
            if (_counters.Entries <= _capacity)
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

            if (_counters.Entries <= _capacity)
            {
                return;
            }

            live.Sort(static (a, b) => a.LastUsed.CompareTo(b.LastUsed));
            long excess = _counters.Entries - _evictionTarget;
            for (int i = 0; i < live.Count && excess > 0; i++)
            {
                if (_entries.TryRemove(live[i].Pair))
                {
                    _counters.EvictedForCapacity();
                    excess--;
                }
            }
        }
    }

    /// <summary>What <see cref="Claim"/> found.</summary>
    private enum Lookup
    {
        /// <summary>This call owns the key's flight: it calls the model.</summary>
        Miss,

        /// <summary>Another call's model call for the key is in flight: wait for it.</summary>
        InFlight,

        /// <summary>The output was stored meanwhile.</summary>
        Hit,
    }

    private sealed class Entry(TOutput value, long expiresAt, long lastUsed)
    {
        public TOutput Value { get; } = value;

        public long ExpiresAt { get; } = expiresAt;

        public long LastUsed { get; set; } = lastUsed;
    }
}
