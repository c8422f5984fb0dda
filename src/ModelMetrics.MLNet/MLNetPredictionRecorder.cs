// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace ModelMetrics.MLNet;

/// <summary>
/// A decorator that records every output that passes through it (for drift, and with an id for a label to come) with an
/// <see cref="MLNetOutputReader{TOutput}"/>. Outputs pass through untouched, and the model's exceptions too (a failed call
/// records nothing). Placed above a cache, it records cached outputs as well: every prediction a caller receives.
/// </summary>
/// <typeparam name="TInput">The model's input row.</typeparam>
/// <typeparam name="TOutput">The model's output row.</typeparam>
internal sealed class MLNetPredictionRecorder<TInput, TOutput> : DelegatingPredictor<TInput, TOutput>
    where TOutput : class
{
    private readonly MLNetOutputReader<TOutput> _reader;
    private readonly Func<TInput, PredictionId>? _predictionId;

    public MLNetPredictionRecorder(IPredictor<TInput, TOutput> innerPredictor, MLNetOutputReader<TOutput> reader, Func<TInput, PredictionId>? predictionId)
        : base(innerPredictor)
    {
        _reader = reader;
        _predictionId = predictionId;
    }

    public override TOutput Predict(TInput input)
    {
        TOutput output = InnerPredictor.Predict(input);
        Record(input, output);
        return output;
    }

    public override ValueTask<TOutput> PredictAsync(TInput input, CancellationToken cancellationToken = default)
    {
        ValueTask<TOutput> pending = InnerPredictor.PredictAsync(input, cancellationToken);
        if (pending.IsCompletedSuccessfully)
        {
            // Note: the synchronous path (an ML.NET engine, a cache hit) records without an async state machine.
            TOutput output = pending.Result;
            Record(input, output);
            return new ValueTask<TOutput>(output);
        }

        return RecordWhenDoneAsync(input, pending);
    }

    public override async ValueTask<IReadOnlyList<TOutput>> PredictBatchAsync(IReadOnlyList<TInput> inputs, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<TOutput> outputs = await InnerPredictor.PredictBatchAsync(inputs, cancellationToken).ConfigureAwait(false);
        for (int i = 0; i < outputs.Count && i < inputs.Count; i++)
        {
            Record(inputs[i], outputs[i]);
        }

        return outputs;
    }

    public override async IAsyncEnumerable<TOutput> PredictStreamingAsync(TInput input, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (TOutput output in InnerPredictor.PredictStreamingAsync(input, cancellationToken).ConfigureAwait(false))
        {
            Record(input, output);
            yield return output;
        }
    }

    private async ValueTask<TOutput> RecordWhenDoneAsync(TInput input, ValueTask<TOutput> pending)
    {
        TOutput output = await pending.ConfigureAwait(false);
        Record(input, output);
        return output;
    }

    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "A faulty id selector must not fail a prediction the model made: the prediction is recorded with an invalid id, which the monitor counts.")]
    private void Record(TInput input, TOutput output)
    {
        if (output is null)
        {
            return;
        }

        if (_predictionId is null)
        {
            _reader.Record(output, default, withId: false);
            return;
        }

        PredictionId id;
        try
        {
            id = _predictionId(input);
        }
        catch (Exception)
        {
            // Recorded with the invalid id: the monitor counts it (model.labels, invalid_id) rather than losing it silently.
            _reader.Record(output, default, withId: true);
            return;
        }

        // An invalid id the selector returned on purpose (a request without one) is a prediction for drift only.
        _reader.Record(output, id, withId: id.IsValid);
    }
}
