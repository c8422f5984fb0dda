// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace ModelMetrics;

/// <summary>A predictor over whichever delegate it was given; see <see cref="Predictor"/> for how calls map.</summary>
internal sealed class DelegatePredictor<TInput, TOutput> : IPredictor<TInput, TOutput>
{
    private readonly Func<TInput, TOutput>? _predict;
    private readonly Func<TInput, CancellationToken, ValueTask<TOutput>>? _predictAsync;
    private readonly Func<IReadOnlyList<TInput>, CancellationToken, ValueTask<IReadOnlyList<TOutput>>>? _predictBatchAsync;
    private readonly Func<TInput, CancellationToken, IAsyncEnumerable<TOutput>>? _predictStreamingAsync;

    public DelegatePredictor(
        Func<TInput, TOutput>? predict,
        Func<TInput, CancellationToken, ValueTask<TOutput>>? predictAsync,
        Func<IReadOnlyList<TInput>, CancellationToken, ValueTask<IReadOnlyList<TOutput>>>? predictBatchAsync,
        Func<TInput, CancellationToken, IAsyncEnumerable<TOutput>>? predictStreamingAsync)
    {
        _predict = predict;
        _predictAsync = predictAsync;
        _predictBatchAsync = predictBatchAsync;
        _predictStreamingAsync = predictStreamingAsync;
    }

    public TOutput Predict(TInput input)
    {
        if (_predict is not null)
        {
            return _predict(input);
        }

        ValueTask<TOutput> pending = PredictAsync(input, CancellationToken.None);
        return pending.IsCompletedSuccessfully ? pending.Result : pending.AsTask().GetAwaiter().GetResult();
    }

    public ValueTask<TOutput> PredictAsync(TInput input, CancellationToken cancellationToken = default)
    {
        if (_predictAsync is not null)
        {
            return _predictAsync(input, cancellationToken);
        }

        if (_predict is not null)
        {
            return new ValueTask<TOutput>(_predict(input));
        }

        if (_predictBatchAsync is not null)
        {
            return PredictOneOfBatchAsync(input, cancellationToken);
        }

        throw new NotSupportedException("This predictor was created from a streaming model; it can only stream.");
    }

    public ValueTask<IReadOnlyList<TOutput>> PredictBatchAsync(IReadOnlyList<TInput> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (_predictBatchAsync is not null)
        {
            return _predictBatchAsync(inputs, cancellationToken);
        }

        if (_predict is not null)
        {
            var outputs = new TOutput[inputs.Count];
            for (int i = 0; i < outputs.Length; i++)
            {
                outputs[i] = _predict(inputs[i]);
            }

            return new ValueTask<IReadOnlyList<TOutput>>(outputs);
        }

        return PredictEachAsync(inputs, cancellationToken);
    }

    public IAsyncEnumerable<TOutput> PredictStreamingAsync(TInput input, CancellationToken cancellationToken = default) =>
        _predictStreamingAsync is not null ? _predictStreamingAsync(input, cancellationToken) : StreamSingleAsync(input, cancellationToken);

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose()
    {
        // Delegates own nothing.
    }

    private async ValueTask<TOutput> PredictOneOfBatchAsync(TInput input, CancellationToken cancellationToken)
    {
        IReadOnlyList<TOutput> outputs = await _predictBatchAsync!([input], cancellationToken).ConfigureAwait(false);
        return outputs.Count == 1 ? outputs[0] : throw new InvalidOperationException($"The batch model returned {outputs.Count} outputs for 1 input.");
    }

    private async ValueTask<IReadOnlyList<TOutput>> PredictEachAsync(IReadOnlyList<TInput> inputs, CancellationToken cancellationToken)
    {
        var outputs = new TOutput[inputs.Count];
        for (int i = 0; i < outputs.Length; i++)
        {
            outputs[i] = await PredictAsync(inputs[i], cancellationToken).ConfigureAwait(false);
        }

        return outputs;
    }

    private async IAsyncEnumerable<TOutput> StreamSingleAsync(TInput input, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return await PredictAsync(input, cancellationToken).ConfigureAwait(false);
    }
}
