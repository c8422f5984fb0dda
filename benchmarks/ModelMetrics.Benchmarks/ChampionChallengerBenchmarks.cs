// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;

namespace ModelMetrics.Benchmarks;

/// <summary>
/// What a shadow challenger costs the caller: one call of the trivial model without a shadow (the baseline), and with
/// <c>UseShadow</c> of a slow challenger (1 ms per answer, so its queue is full and nearly every sample is dropped) at sample
/// rates 1 and 0.1, and of a fast challenger at rate 1 (every sample queued and run by the worker on the other core).
/// </summary>
[MemoryDiagnoser]
public class ShadowBenchmarks
{
    private IPredictor<int, int> _plain = null!;
    private IPredictor<int, int> _slowEveryCall = null!;
    private IPredictor<int, int> _slowOneInTen = null!;
    private IPredictor<int, int> _fastEveryCall = null!;

    [GlobalSetup]
    public void Setup()
    {
        _plain = Predictor.Create<int, int>(TrivialModel.Predict);
        _slowEveryCall = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder().UseShadow(new SlowModel(), 1).Build();
        _slowOneInTen = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder().UseShadow(new SlowModel(), 0.1).Build();
        _fastEveryCall = Predictor.Create<int, int>(TrivialModel.Predict).AsBuilder().UseShadow(Predictor.Create<int, int>(TrivialModel.Predict), 1).Build();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plain.Dispose();
        _slowEveryCall.Dispose();
        _slowOneInTen.Dispose();
        _fastEveryCall.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Predict, no shadow")]
    public int Plain() => _plain.Predict(1);

    [Benchmark(Description = "Predict, UseShadow(slow challenger, 1.0): queue full, sample dropped")]
    public int SlowEveryCall() => _slowEveryCall.Predict(1);

    [Benchmark(Description = "Predict, UseShadow(slow challenger, 0.1)")]
    public int SlowOneInTen() => _slowOneInTen.Predict(1);

    [Benchmark(Description = "Predict, UseShadow(fast challenger, 1.0): every sample queued")]
    public int FastEveryCall() => _fastEveryCall.Predict(1);

    /// <summary>A challenger that takes 1 ms per answer.</summary>
    private sealed class SlowModel : IPredictor<int, int>
    {
        public int Predict(int input) => input;

        public async ValueTask<int> PredictAsync(int input, CancellationToken cancellationToken = default)
        {
            await Task.Delay(1, cancellationToken).ConfigureAwait(false);
            return input;
        }

        public ValueTask<IReadOnlyList<int>> PredictBatchAsync(IReadOnlyList<int> inputs, CancellationToken cancellationToken = default) => new(inputs);

        public IAsyncEnumerable<int> PredictStreamingAsync(int input, CancellationToken cancellationToken = default) => throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}

/// <summary>
/// What the hot-swap predictor adds to a call: the model called directly (the baseline) and through a
/// <see cref="HotSwapPredictor{TInput, TOutput}"/>, synchronously and asynchronously (completing synchronously), on one thread.
/// </summary>
[MemoryDiagnoser]
public class HotSwapBenchmarks
{
    private IPredictor<int, int> _model = null!;
    private HotSwapPredictor<int, int> _hot = null!;

    [GlobalSetup]
    public void Setup()
    {
        _model = Predictor.Create<int, int>(TrivialModel.Predict);
        _hot = new HotSwapPredictor<int, int>(Predictor.Create<int, int>(TrivialModel.Predict));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _model.Dispose();
        _hot.Dispose();
    }

    [Benchmark(Baseline = true, Description = "model.Predict")]
    public int Plain() => _model.Predict(1);

    [Benchmark(Description = "HotSwapPredictor.Predict")]
    public int HotSwap() => _hot.Predict(1);

    [Benchmark(Description = "model.PredictAsync (sync completion)")]
    public int PlainAsync() => Completed(_model.PredictAsync(1));

    [Benchmark(Description = "HotSwapPredictor.PredictAsync (sync completion)")]
    public int HotSwapAsync() => Completed(_hot.PredictAsync(1));

    private static int Completed(ValueTask<int> pending) =>
        pending.IsCompletedSuccessfully ? pending.Result : throw new InvalidOperationException("The call should have completed synchronously.");
}
