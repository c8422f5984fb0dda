// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using ModelMetrics.Diagnostics;
using ModelMetrics.Signals;

namespace ModelMetrics;

/// <summary>
/// Passes every call to the champion and hands a sample of single and batch calls, with the champion's answers, to a
/// background worker that runs the challenger on them and compares (see <see cref="ShadowComparison"/>).
/// </summary>
/// <remarks>
/// The caller's result, exception and latency are the champion's: the only work on the caller's path is the sampling draw
/// and, for a sampled call, one bounded-queue write that never waits (a full queue drops the sample and counts it).
/// Streamed calls are not shadowed (there is no single answer to compare).
/// </remarks>
internal sealed class ShadowPredictor<TInput, TOutput> : DelegatingPredictor<TInput, TOutput>
{
    private readonly IPredictor<TInput, TOutput> _challenger;
    private readonly double _sampleRate;
    private readonly IEqualityComparer<TOutput> _comparer;
    private readonly Func<TInput, PredictionId>? _predictionId;
    private readonly Func<TOutput, int>? _predictedClass;
    private readonly TimeProvider _time;
    private readonly TimeSpan _drainTimeout;
    private readonly bool _disposeChallenger;
    private readonly Channel<Sample> _queue;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _worker;
    private readonly string _championName;
    private readonly string _challengerName;
    private int _disposed;

    public ShadowPredictor(IPredictor<TInput, TOutput> champion, IPredictor<TInput, TOutput> challenger, double sampleRate, ShadowOptions<TInput, TOutput> options)
        : base(champion)
    {
        _challenger = challenger;
        _sampleRate = sampleRate;
        _comparer = options.Comparer ?? EqualityComparer<TOutput>.Default;
        _predictionId = options.PredictionId;
        _predictedClass = options.PredictedClass;
        _time = options.TimeProvider;
        _drainTimeout = options.DrainTimeout;
        _disposeChallenger = options.DisposeChallenger;
        _championName = NameOf(champion, "champion");
        _challengerName = NameOf(challenger, "challenger");
        Comparison = new ShadowComparison(
            _predictionId is not null && _predictedClass is not null
                ? new PendingPredictions(options.PendingCapacity, options.PendingTimeToLive, options.TimeProvider)
                : null);

        // Note: Wait mode so that TryWrite fails on a full queue (the drop modes would report success for a dropped item),
        // and one reader so that the channel can use its cheaper single-consumer path.
        _queue = Channel.CreateBounded<Sample>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            AllowSynchronousContinuations = false,
        });
        _worker = Task.Run(RunAsync);
    }

    public ShadowComparison Comparison { get; }

    public override TOutput Predict(TInput input)
    {
        TOutput output = InnerPredictor.Predict(input);
        if (ShouldSample())
        {
            Enqueue(new Sample(input, output, null, null));
        }

        return output;
    }

    public override ValueTask<TOutput> PredictAsync(TInput input, CancellationToken cancellationToken = default)
    {
        ValueTask<TOutput> pending = InnerPredictor.PredictAsync(input, cancellationToken);
        if (!ShouldSample())
        {
            return pending;
        }

        // Note: a call that completed synchronously is queued and returned without an async state machine.
        if (pending.IsCompletedSuccessfully)
        {
            TOutput output = pending.Result;
            Enqueue(new Sample(input, output, null, null));
            return new ValueTask<TOutput>(output);
        }

        return ShadowAfterAsync(pending, input);
    }

    public override ValueTask<IReadOnlyList<TOutput>> PredictBatchAsync(IReadOnlyList<TInput> inputs, CancellationToken cancellationToken = default)
    {
        ValueTask<IReadOnlyList<TOutput>> pending = InnerPredictor.PredictBatchAsync(inputs, cancellationToken);
        if (inputs is null || !ShouldSample())
        {
            return pending;
        }

        if (pending.IsCompletedSuccessfully)
        {
            IReadOnlyList<TOutput> outputs = pending.Result;
            Enqueue(new Sample(default!, default!, inputs, outputs));
            return new ValueTask<IReadOnlyList<TOutput>>(outputs);
        }

        return ShadowBatchAfterAsync(pending, inputs);
    }

    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(ShadowComparison) ? Comparison : base.GetService(serviceType, serviceKey);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // Samples offered from now on are dropped (TryWrite fails on a completed channel); the worker runs what is queued.
            _queue.Writer.TryComplete();
            if (!_worker.Wait(_drainTimeout))
            {
                // Past the bounded wait: cancel the challenger's call; the worker counts what is left as dropped and disposes
                // the challenger when that call returns (never under it).
                _stopping.Cancel();
            }

            if (_worker.IsCompleted)
            {
                _stopping.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private static string NameOf(IPredictor<TInput, TOutput> predictor, string fallback) =>
        (predictor.GetService(typeof(ModelMonitor)) as ModelMonitor)?.ModelName ?? fallback;

    private bool ShouldSample() => _sampleRate >= 1 || Random.Shared.NextDouble() < _sampleRate;

    private void Enqueue(Sample sample)
    {
        int count = sample.Inputs?.Count ?? 1;
        Comparison.CountSampled(count);
        if (!_queue.Writer.TryWrite(sample))
        {
            Comparison.CountDropped(count);
            ModelMetricsEventSource.Log.ShadowSampleDropped(_championName, _challengerName);
        }
    }

    private async ValueTask<TOutput> ShadowAfterAsync(ValueTask<TOutput> pending, TInput input)
    {
        TOutput output = await pending.ConfigureAwait(false);
        Enqueue(new Sample(input, output, null, null));
        return output;
    }

    private async ValueTask<IReadOnlyList<TOutput>> ShadowBatchAfterAsync(ValueTask<IReadOnlyList<TOutput>> pending, IReadOnlyList<TInput> inputs)
    {
        IReadOnlyList<TOutput> outputs = await pending.ConfigureAwait(false);
        Enqueue(new Sample(default!, default!, inputs, outputs));
        return outputs;
    }

    private async Task RunAsync()
    {
        CancellationToken stopping = _stopping.Token;
        ChannelReader<Sample> reader = _queue.Reader;
        try
        {
            while (await reader.WaitToReadAsync(stopping).ConfigureAwait(false))
            {
                while (!stopping.IsCancellationRequested && reader.TryRead(out Sample sample))
                {
                    await RunChallengerAsync(sample, stopping).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Disposal gave up waiting: what is still queued is counted below.
        }
        finally
        {
            long left = 0;
            while (reader.TryRead(out Sample sample))
            {
                left += sample.Inputs?.Count ?? 1;
            }

            Comparison.CountDropped(left);
            try
            {
                if (_disposeChallenger)
                {
                    _challenger.Dispose();
                }
            }
#pragma warning disable CA1031 // Note: the worker has no caller to throw to; a faulty Dispose of the challenger is logged.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                ModelMetricsEventSource.Log.Swallowed(_challengerName, "shadow challenger dispose", exception);
            }
        }
    }

    private async ValueTask RunChallengerAsync(Sample sample, CancellationToken stopping)
    {
        int count = sample.Inputs?.Count ?? 1;
        try
        {
            if (sample.Inputs is null)
            {
                TOutput answer = await _challenger.PredictAsync(sample.Input, stopping).ConfigureAwait(false);
                Compare(sample.Input, sample.Output, answer);
                return;
            }

            IReadOnlyList<TOutput> answers = await _challenger.PredictBatchAsync(sample.Inputs, stopping).ConfigureAwait(false);
            for (int i = 0; i < count; i++)
            {
                if (i < answers.Count && i < sample.Outputs!.Count)
                {
                    Compare(sample.Inputs[i], sample.Outputs[i], answers[i]);
                }
                else
                {
                    // A challenger that returned fewer answers than inputs failed on the rest.
                    Comparison.CountFailed(1);
                }
            }
        }
#pragma warning disable CA1031 // Note: the challenger's faults never reach the caller: counted and logged.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Comparison.CountFailed(count);
            ModelMetricsEventSource.Log.Swallowed(_challengerName, "shadow challenger", exception);
        }
    }

    private void Compare(TInput input, TOutput champion, TOutput challenger)
    {
        try
        {
            bool agreed = _comparer.Equals(champion, challenger);
            if (_predictionId is not null && _predictedClass is not null)
            {
                Comparison.AddPair(_predictionId(input), _predictedClass(champion), _predictedClass(challenger), _time.GetTimestamp());
            }

            Comparison.CountCompared(agreed);
        }
#pragma warning disable CA1031 // Note: a faulty comparer or id function fails this one comparison, counted and logged, never the caller.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            Comparison.CountFailed(1);
            ModelMetricsEventSource.Log.Swallowed(_challengerName, "shadow comparison", exception);
        }
    }

    /// <summary>A sampled call: one input and the champion's output, or a batch of them.</summary>
    private readonly record struct Sample(TInput Input, TOutput Output, IReadOnlyList<TInput>? Inputs, IReadOnlyList<TOutput>? Outputs);
}
