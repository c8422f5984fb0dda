// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;

namespace ModelMetrics.Benchmarks;

/// <summary>
/// What a cache hit through <c>UseCache</c> costs: the trivial model called directly (the baseline), the cache's own lookup
/// (<see cref="ConcurrentDictionary{TKey, TValue}.TryGetValue"/> on the same key type, what any in-memory cache pays), and a
/// hit through the pipeline, <c>Predict</c> and <c>PredictAsync</c> (completing synchronously), on the system clock.
/// </summary>
[MemoryDiagnoser]
public class CacheBenchmarks
{
    private readonly ConcurrentDictionary<int, int> _dictionary = new();
    private IPredictor<int, int> _model = null!;
    private IPredictor<int, int> _cached = null!;

    [GlobalSetup]
    public void Setup()
    {
        _model = Predictor.Create<int, int>(TrivialModel.Predict);
        _cached = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder().UseCache(x => x, o => o.TimeToLive = TimeSpan.FromDays(1)).Build();
        _dictionary[1] = 2;
        _cached.Predict(1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _model.Dispose();
        _cached.Dispose();
    }

    [Benchmark(Baseline = true, Description = "model.Predict")]
    public int Plain() => _model.Predict(1);

    [Benchmark(Description = "ConcurrentDictionary.TryGetValue (the lookup alone)")]
    public int Lookup() => _dictionary.TryGetValue(1, out int value) ? value : -1;

    [Benchmark(Description = "UseCache hit, Predict")]
    public int Hit() => _cached.Predict(1);

    [Benchmark(Description = "UseCache hit, PredictAsync (sync completion)")]
    public int HitAsync()
    {
        ValueTask<int> pending = _cached.PredictAsync(1);
        return pending.IsCompletedSuccessfully ? pending.Result : throw new InvalidOperationException("A hit should complete synchronously.");
    }
}
