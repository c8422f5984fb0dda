// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using ModelMetrics.Signals;

namespace ModelMetrics;

/// <summary>
/// Several instances of one model behind one predictor (<see cref="Predictor.LoadBalanced"/>): each call goes to one
/// instance that <see cref="Balancer"/> picks, and its end is counted against that instance.
/// </summary>
/// <remarks>
/// The instance's output and exception reach the caller unchanged (the exception is rethrown with <c>throw;</c>): the
/// balancer adds no error of its own to the predict path. A batch is one call to one instance; a stream is one call that
/// ends when the stream does (a consumer that stops early ends it as a success).
/// </remarks>
/// <typeparam name="TInput">The model's input.</typeparam>
/// <typeparam name="TOutput">The model's output.</typeparam>
internal sealed class LoadBalancedPredictor<TInput, TOutput> : IPredictor<TInput, TOutput>
{
    private readonly IPredictor<TInput, TOutput>[] _predictors;
    private readonly Balancer _balancer;
    private readonly TimeSpan? _timeout;
    private readonly LoadBalancingSignal? _signal;
    private int _disposed;

    public LoadBalancedPredictor(IPredictor<TInput, TOutput>[] predictors, Balancer balancer, TimeSpan? timeout, LoadBalancingSignal? signal)
    {
        _predictors = predictors;
        _balancer = balancer;
        _timeout = timeout;
        _signal = signal;
    }

    internal Balancer Balancer => _balancer;

    /// <inheritdoc />
    public TOutput Predict(TInput input)
    {
        long start = _balancer.Time.GetTimestamp();
        int index = _balancer.Choose(start, out bool probe);
        _balancer.Start(index);
        TOutput output;
        try
        {
            output = _predictors[index].Predict(input);
        }
        catch (Exception exception)
        {
            _balancer.End(index, probe, start, Classify(exception, null, default));
            throw;
        }

        _balancer.End(index, probe, start, CallOutcome.Succeeded);
        return output;
    }

    /// <inheritdoc />
    public ValueTask<TOutput> PredictAsync(TInput input, CancellationToken cancellationToken = default) =>
        Run(input, static (predictor, input, token) => predictor.PredictAsync(input, token), cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<TOutput>> PredictBatchAsync(IReadOnlyList<TInput> inputs, CancellationToken cancellationToken = default) =>
        Run(inputs, static (predictor, inputs, token) => predictor.PredictBatchAsync(inputs, token), cancellationToken);

    /// <inheritdoc />
    public IAsyncEnumerable<TOutput> PredictStreamingAsync(TInput input, CancellationToken cancellationToken = default) =>
        StreamAsync(input, cancellationToken);

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        // The instances are peers: none of them answers for the balancer, so only the balancer's own services are found here.
        return serviceType == typeof(LoadBalancerStatistics) ? _balancer.GetStatistics()
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <summary>Stops publishing the instances' metrics and disposes every instance.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _signal?.Detach(_balancer);
        foreach (IPredictor<TInput, TOutput> predictor in _predictors)
        {
            predictor.Dispose();
        }
    }

    /// <summary>How a call that threw ended: cancelled by its caller, timed out by the balancer's token, or failed.</summary>
    private static CallOutcome Classify(Exception exception, CancellationTokenSource? timeout, CancellationToken callerToken) =>
        exception is OperationCanceledException && callerToken.IsCancellationRequested ? CallOutcome.Cancelled
        : exception is OperationCanceledException && timeout is { IsCancellationRequested: true } ? CallOutcome.TimedOut
        : CallOutcome.Failed;

    private ValueTask<TResult> Run<TState, TResult>(
        TState state,
        Func<IPredictor<TInput, TOutput>, TState, CancellationToken, ValueTask<TResult>> call,
        CancellationToken cancellationToken)
    {
        long start = _balancer.Time.GetTimestamp();
        int index = _balancer.Choose(start, out bool probe);
        _balancer.Start(index);
        if (_timeout is { } timeout)
        {
            return RunWithTimeoutAsync(index, probe, start, state, call, timeout, cancellationToken);
        }

        ValueTask<TResult> pending;
        try
        {
            pending = call(_predictors[index], state, cancellationToken);
        }
        catch (Exception exception)
        {
            _balancer.End(index, probe, start, Classify(exception, null, cancellationToken));
            throw;
        }

        // Note: a call that completed synchronously is counted here, without an async state machine: it allocates nothing.
        if (pending.IsCompletedSuccessfully)
        {
            _balancer.End(index, probe, start, CallOutcome.Succeeded);
            return pending;
        }

        return AwaitAsync(index, probe, start, pending, cancellationToken);
    }

    private async ValueTask<TResult> AwaitAsync<TResult>(int index, bool probe, long start, ValueTask<TResult> pending, CancellationToken cancellationToken)
    {
        TResult result;
        try
        {
            result = await pending.ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            _balancer.End(index, probe, start, Classify(exception, null, cancellationToken));
            throw;
        }

        _balancer.End(index, probe, start, CallOutcome.Succeeded);
        return result;
    }

    private async ValueTask<TResult> RunWithTimeoutAsync<TState, TResult>(
        int index,
        bool probe,
        long start,
        TState state,
        Func<IPredictor<TInput, TOutput>, TState, CancellationToken, ValueTask<TResult>> call,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        // Note: a timer and a linked token per call, only when a timeout is set; the timer runs on the balancer's clock.
        using var timer = new CancellationTokenSource(timeout, _balancer.Time);
        using CancellationTokenSource? linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token) : null;
        TResult result;
        try
        {
            result = await call(_predictors[index], state, linked?.Token ?? timer.Token).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            _balancer.End(index, probe, start, Classify(exception, timer, cancellationToken));
            throw;
        }

        _balancer.End(index, probe, start, CallOutcome.Succeeded);
        return result;
    }

    private async IAsyncEnumerable<TOutput> StreamAsync(TInput input, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long start = _balancer.Time.GetTimestamp();
        int index = _balancer.Choose(start, out bool probe);
        _balancer.Start(index);
        CallOutcome outcome = CallOutcome.Succeeded;
        CancellationTokenSource? timer = null;
        CancellationTokenSource? linked = null;
        IAsyncEnumerator<TOutput>? chunks = null;
        try
        {
            CancellationToken token = cancellationToken;
            if (_timeout is { } timeout)
            {
                timer = new CancellationTokenSource(timeout, _balancer.Time);
                linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token) : null;
                token = linked?.Token ?? timer.Token;
            }

            while (true)
            {
                TOutput chunk;
                try
                {
                    chunks ??= _predictors[index].PredictStreamingAsync(input, token).GetAsyncEnumerator(token);
                    if (!await chunks.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    chunk = chunks.Current;
                }
                catch (Exception exception)
                {
                    outcome = Classify(exception, timer, cancellationToken);
                    throw;
                }

                yield return chunk;
            }
        }
        finally
        {
            try
            {
                if (chunks is not null)
                {
                    await chunks.DisposeAsync().ConfigureAwait(false);
                }
            }
            finally
            {
                linked?.Dispose();
                timer?.Dispose();
                _balancer.End(index, probe, start, outcome);
            }
        }
    }
}
