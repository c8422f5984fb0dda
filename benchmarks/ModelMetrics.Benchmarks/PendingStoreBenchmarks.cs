// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Linq;
using BenchmarkDotNet.Attributes;
using ModelMetrics.Signals;

namespace ModelMetrics.Benchmarks;

/// <summary>
/// The store that joins delayed ground truth to predictions by id (internal <see cref="PendingPredictions"/>): the
/// cost of one prediction added and one label joined on one thread, by kind of id, with labels arriving
/// <see cref="Lag"/> predictions late so that the store holds that many entries, as in a service; the cost of an
/// add to a full store (it evicts); and the memory per entry.
/// </summary>
/// <remarks>
/// Memory is reported twice. <see cref="Fill_PerEntry"/> fills a new store and reads its allocation per entry
/// (Allocated column), which includes the arrays discarded while they doubled. The global setup writes the memory
/// that stays (<see cref="GC.GetTotalMemory(bool)"/> before and after filling) to the log, as
/// "// PendingPredictions retained …".
/// </remarks>
[MemoryDiagnoser]
public class PendingStoreBenchmarks
{
    private const int Capacity = 100_000;
    private const int Lag = 50_000;
    private const int IdRing = 1 << 17; // more than Lag: an id is joined before it is reused
    private const int FillEntries = 100_000;

    private PendingPredictions _int64Store = null!;
    private PendingPredictions _stringStore = null!;
    private PendingPredictions _guidStore = null!;
    private PendingPredictions _fullStore = null!;
    private string[] _stringIds = null!;
    private Guid[] _guidIds = null!;
    private long _int64Next;
    private int _stringNext;
    private int _guidNext;
    private long _evictingNext;

    [GlobalSetup]
    public void Setup()
    {
        // Ids as services make them: 36-character request ids, random Guids. Made here, so they are not measured.
        _stringIds = Enumerable.Range(0, IdRing).Select(i => $"req-{i:x8}-0000-4000-8000-{i * 7919L:x12}").ToArray();
        _guidIds = Enumerable.Range(0, IdRing).Select(_ => Guid.NewGuid()).ToArray();

        _int64Store = new PendingPredictions(Capacity, TimeSpan.FromHours(1), TimeProvider.System);
        _stringStore = new PendingPredictions(Capacity, TimeSpan.FromHours(1), TimeProvider.System);
        _guidStore = new PendingPredictions(Capacity, TimeSpan.FromHours(1), TimeProvider.System);
        _fullStore = new PendingPredictions(Capacity, TimeSpan.FromHours(1), TimeProvider.System);

        // Past the warm-up the stores hold Lag pending entries and their arrays have grown: the steady state.
        for (int i = 0; i < 4 * IdRing; i++)
        {
            AddThenJoin_Int64();
            AddThenJoin_String();
            AddThenJoin_Guid();
            Add_FullStore_Evicts();
        }

        ReportRetainedBytes();
    }

    // The result (a JoinResult, internal) is returned as an int, so that the work is not optimized away.
    [Benchmark(Description = "Add + TryJoin (50 000 behind), long id")]
    public int AddThenJoin_Int64()
    {
        long id = _int64Next++;
        _int64Store.Add(id, new PendingPrediction(1, 0.5, null, Stopwatch.GetTimestamp()));
        return (int)_int64Store.TryJoin(id - Lag, out _);
    }

    [Benchmark(Description = "Add + TryJoin (50 000 behind), 36-char string id")]
    public int AddThenJoin_String()
    {
        int index = _stringNext++ & (IdRing - 1);
        _stringStore.Add(_stringIds[index], new PendingPrediction(1, 0.5, null, Stopwatch.GetTimestamp()));
        return (int)_stringStore.TryJoin(_stringIds[(index - Lag) & (IdRing - 1)], out _);
    }

    [Benchmark(Description = "Add + TryJoin (50 000 behind), Guid id")]
    public int AddThenJoin_Guid()
    {
        int index = _guidNext++ & (IdRing - 1);
        _guidStore.Add(_guidIds[index], new PendingPrediction(1, 0.5, null, Stopwatch.GetTimestamp()));
        return (int)_guidStore.TryJoin(_guidIds[(index - Lag) & (IdRing - 1)], out _);
    }

    [Benchmark(Description = "Add to a full store (evicts the oldest), long id")]
    public void Add_FullStore_Evicts() =>
        _fullStore.Add(_evictingNext++, new PendingPrediction(1, 0.5, null, Stopwatch.GetTimestamp()));

    [Benchmark(OperationsPerInvoke = FillEntries, Description = "new store + 100 000 adds, per entry (Allocated includes growth copies)")]
    public int Fill_PerEntry()
    {
        // One timestamp for all: the clock is not what this measures (and an old stamp would expire at once).
        long now = Stopwatch.GetTimestamp();
        var store = new PendingPredictions(FillEntries, TimeSpan.FromHours(1), TimeProvider.System);
        for (long id = 0; id < FillEntries; id++)
        {
            store.Add(id, new PendingPrediction(1, 0.5, null, now));
        }

        return store.Count;
    }

    private static void ReportRetainedBytes()
    {
        long now = Stopwatch.GetTimestamp();
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var store = new PendingPredictions(FillEntries, TimeSpan.FromHours(1), TimeProvider.System);
        for (long id = 0; id < FillEntries; id++)
        {
            store.Add(id, new PendingPrediction(1, 0.5, null, now));
        }

        long filled = GC.GetTotalMemory(forceFullCollection: true) - before;

        // Then 10 times the capacity in traffic, half of it labelled: removed ids are remembered too, up to the capacity.
        for (long id = FillEntries; id < 11L * FillEntries; id++)
        {
            store.Add(id, new PendingPrediction(1, 0.5, null, now));
            if ((id & 1) == 0)
            {
                store.TryJoin(id - 1000, out _);
            }
        }

        long churned = GC.GetTotalMemory(forceFullCollection: true) - before;
        GC.KeepAlive(store);
        Console.WriteLine(
            $"// PendingPredictions retained: {filled / (double)FillEntries:F1} bytes per pending entry ({FillEntries:N0} long ids), " +
            $"{churned / (double)FillEntries:F1} bytes per unit of capacity after 10x traffic");
    }
}
