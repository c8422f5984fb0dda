// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace ModelMetrics;

/// <summary>
/// A decorator that records every call of the predictor it wraps into a <see cref="ModelMonitor"/>:
/// duration, outcome (success, error type, cancellation, timeout), items of batches, and for streamed
/// calls the time to the first chunk and the chunk count.
/// </summary>
/// <remarks>
/// It never changes what the model returns or throws: outputs pass through untouched, and the model's
/// exception reaches the caller as the same object, with its stack trace, after being counted. A call that
/// completes synchronously allocates nothing here.
/// </remarks>
/// <typeparam name="TInput">The model's input.</typeparam>
/// <typeparam name="TOutput">The model's output.</typeparam>
public sealed class MetricsPredictor<TInput, TOutput> : DelegatingPredictor<TInput, TOutput>
{
    private readonly bool _ownsMonitor;
    private readonly Func<TOutput, int>? _countOutputTokens;
    private readonly FeatureExtractor<TInput>? _extractFeatures;

    /// <summary>Initializes a new instance that records into <paramref name="monitor"/>.</summary>
    /// <param name="innerPredictor">The predictor to measure.</param>
    /// <param name="monitor">Where calls are recorded. Not disposed with this predictor.</param>
    public MetricsPredictor(IPredictor<TInput, TOutput> innerPredictor, ModelMonitor monitor)
        : this(innerPredictor, monitor, ownsMonitor: false)
    {
    }

    /// <summary>
    /// Initializes a new instance that records into <paramref name="monitor"/> and, for streamed calls of a monitor with
    /// <see cref="ModelMonitorOptions.GenAI"/>, counts each chunk's output tokens with <paramref name="countOutputTokens"/>
    /// (a model served with ONNX Runtime GenAI, llama.cpp or a raw HTTP client: a chunk is often one token).
    /// </summary>
    /// <param name="innerPredictor">The predictor to measure.</param>
    /// <param name="monitor">Where calls are recorded. Not disposed with this predictor.</param>
    /// <param name="countOutputTokens">Returns the output tokens in one chunk; a negative count is rejected and counted, an exception counts the chunk without tokens.</param>
    public MetricsPredictor(IPredictor<TInput, TOutput> innerPredictor, ModelMonitor monitor, Func<TOutput, int> countOutputTokens)
        : this(innerPredictor, monitor, ownsMonitor: false)
    {
        ArgumentNullException.ThrowIfNull(countOutputTokens);
        _countOutputTokens = countOutputTokens;
    }

    /// <summary>
    /// Initializes a new instance that records into <paramref name="monitor"/> and, before each input reaches the model,
    /// records its features (<see cref="ModelMonitorOptions.Features"/>) as <paramref name="extractFeatures"/> writes them.
    /// </summary>
    /// <param name="innerPredictor">The predictor to measure.</param>
    /// <param name="monitor">Where calls are recorded; it must declare <see cref="ModelMonitorOptions.Features"/>. Not disposed with this predictor.</param>
    /// <param name="extractFeatures">Writes an input's feature values; an exception is counted (<c>feature_extractor_fault</c>) and the call goes on.</param>
    /// <exception cref="ArgumentException"><paramref name="monitor"/> declares no features.</exception>
    public MetricsPredictor(IPredictor<TInput, TOutput> innerPredictor, ModelMonitor monitor, FeatureExtractor<TInput> extractFeatures)
        : this(innerPredictor, monitor, ownsMonitor: false, extractFeatures)
    {
    }

    internal MetricsPredictor(IPredictor<TInput, TOutput> innerPredictor, ModelMonitor monitor, bool ownsMonitor, FeatureExtractor<TInput> extractFeatures)
        : this(innerPredictor, monitor, ownsMonitor)
    {
        ArgumentNullException.ThrowIfNull(extractFeatures);
        if (monitor.Features is null)
        {
            throw new ArgumentException("A feature extractor needs a monitor that declares ModelMonitorOptions.Features.", nameof(monitor));
        }

        _extractFeatures = extractFeatures;
    }

    internal MetricsPredictor(IPredictor<TInput, TOutput> innerPredictor, ModelMonitor monitor, bool ownsMonitor)
        : base(innerPredictor)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        Monitor = monitor;
        _ownsMonitor = ownsMonitor;
    }

    /// <summary>Gets the monitor calls are recorded into (also returned by <c>GetService(typeof(ModelMonitor))</c>).</summary>
    public ModelMonitor Monitor { get; }

    /// <inheritdoc />
    public override TOutput Predict(TInput input)
    {
        RecordFeatures(input);
        long start = Monitor.StartCall();
        TOutput output;
        try
        {
            output = InnerPredictor.Predict(input);
        }
        catch (Exception exception)
        {
            Monitor.EndCall(start, exception);
            throw;
        }

        Monitor.EndCall(start);
        return output;
    }

    /// <inheritdoc />
    public override ValueTask<TOutput> PredictAsync(TInput input, CancellationToken cancellationToken = default)
    {
        RecordFeatures(input);
        long start = Monitor.StartCall();
        ValueTask<TOutput> pending;
        try
        {
            pending = InnerPredictor.PredictAsync(input, cancellationToken);
        }
        catch (Exception exception)
        {
            Monitor.EndCall(start, exception, cancellationToken);
            throw;
        }

        // Note: the synchronous-completion path records and returns without an async state machine,
        // so a model that answers synchronously costs no allocation.
        if (pending.IsCompletedSuccessfully)
        {
            TOutput output = pending.Result;
            Monitor.EndCall(start);
            return new ValueTask<TOutput>(output);
        }

        return AwaitAsync(pending, start, cancellationToken);
    }

    /// <inheritdoc />
    public override ValueTask<IReadOnlyList<TOutput>> PredictBatchAsync(IReadOnlyList<TInput> inputs, CancellationToken cancellationToken = default)
    {
        if (_extractFeatures is not null && inputs is not null)
        {
            foreach (TInput input in inputs)
            {
                RecordFeatures(input);
            }
        }

        long start = Monitor.StartCall();
        int itemCount = inputs?.Count ?? 0;
        ValueTask<IReadOnlyList<TOutput>> pending;
        try
        {
            pending = InnerPredictor.PredictBatchAsync(inputs!, cancellationToken);
        }
        catch (Exception exception)
        {
            Monitor.EndBatchCall(start, itemCount, exception, cancellationToken);
            throw;
        }

        if (pending.IsCompletedSuccessfully)
        {
            IReadOnlyList<TOutput> outputs = pending.Result;
            Monitor.EndBatchCall(start, itemCount, exception: null, cancellationToken);
            return new ValueTask<IReadOnlyList<TOutput>>(outputs);
        }

        return AwaitBatchAsync(pending, start, itemCount, cancellationToken);
    }

    /// <inheritdoc />
    public override IAsyncEnumerable<TOutput> PredictStreamingAsync(TInput input, CancellationToken cancellationToken = default) =>
        StreamAsync(input, cancellationToken);

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(ModelMonitor) ? Monitor : base.GetService(serviceType, serviceKey);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && _ownsMonitor)
        {
            Monitor.Dispose();
        }

        base.Dispose(disposing);
    }

    private async ValueTask<TOutput> AwaitAsync(ValueTask<TOutput> pending, long start, CancellationToken cancellationToken)
    {
        TOutput output;
        try
        {
            output = await pending.ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            Monitor.EndCall(start, exception, cancellationToken);
            throw;
        }

        Monitor.EndCall(start);
        return output;
    }

    private async ValueTask<IReadOnlyList<TOutput>> AwaitBatchAsync(ValueTask<IReadOnlyList<TOutput>> pending, long start, int itemCount, CancellationToken cancellationToken)
    {
        IReadOnlyList<TOutput> outputs;
        try
        {
            outputs = await pending.ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            Monitor.EndBatchCall(start, itemCount, exception, cancellationToken);
            throw;
        }

        Monitor.EndBatchCall(start, itemCount, exception: null, cancellationToken);
        return outputs;
    }

    private async IAsyncEnumerable<TOutput> StreamAsync(TInput input, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        RecordFeatures(input);

        // A monitor with the generative-AI signal also records the stream as a generative call: time to first token,
        // inter-chunk latency, and the output tokens counted per chunk when a counter was given.
        GenAICall generation = Monitor.GenAI is { } genAI ? genAI.StartCall() : default;
        bool finished = false;
        long start = Monitor.StartCall();
        long firstChunk = 0;
        long chunks = 0;
        IAsyncEnumerator<TOutput> enumerator;
        try
        {
            enumerator = InnerPredictor.PredictStreamingAsync(input, cancellationToken).GetAsyncEnumerator(cancellationToken);
        }
        catch (Exception exception)
        {
            Monitor.EndStreamingCall(start, 0, 0, exception, cancellationToken);
            generation.Fail(exception, cancellationToken: cancellationToken);
            throw;
        }

        // A consumer that stops early (break, or disposal) ends the call as a success: the model did not fail.
        Exception? failure = null;
        try
        {
            while (true)
            {
                bool hasChunk;
                try
                {
                    hasChunk = await enumerator.MoveNextAsync().ConfigureAwait(false);
                }
                catch (Exception exception)
                {
                    failure = exception;
                    throw;
                }

                if (!hasChunk)
                {
                    finished = true;
                    break;
                }

                if (chunks++ == 0)
                {
                    firstChunk = Stopwatch.GetTimestamp();
                }

                TOutput chunk = enumerator.Current;
                RecordGeneratedChunk(ref generation, chunk);
                yield return chunk;
            }
        }
        finally
        {
            try
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception exception) when ((failure ??= exception) is null)
            {
                // Never entered: the filter only notes a fault of the model's DisposeAsync (unless the
                // enumeration already failed) and lets it propagate to the caller unchanged.
            }
            finally
            {
                Monitor.EndStreamingCall(start, firstChunk, chunks, failure, cancellationToken);
                if (failure is not null)
                {
                    generation.Fail(failure, cancellationToken: cancellationToken);
                }
                else if (finished)
                {
                    generation.Complete();
                }
                else
                {
                    // The consumer stopped early: the generation did not finish.
                    generation.Abandon();
                }
            }
        }
    }

    /// <summary>Records an input's features with the extractor, when there is one: never throws into the call.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void RecordFeatures(TInput input)
    {
        if (_extractFeatures is not null)
        {
            ExtractAndRecord(input);
        }
    }

    private void ExtractAndRecord(TInput input)
    {
        // Note: at most 256 features (2 KB) on the stack; NaN first, so a value the extractor leaves out counts as missing.
        FeatureRecorder features = Monitor.Features!;
        Span<double> values = stackalloc double[features.Features.Count];
        values.Fill(double.NaN);
        try
        {
            _extractFeatures!(input, values);
        }
#pragma warning disable CA1031 // Note: a faulty extractor must not fail the caller's call; it is counted.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            features.Signal.Context.Reject(Recording.RejectionReason.FeatureExtractorFault);
            Diagnostics.ModelMetricsEventSource.Log.Swallowed(Monitor.ModelName, "the feature extractor", exception);
            return;
        }

        features.Record(values);
    }

    private void RecordGeneratedChunk(ref GenAICall generation, TOutput chunk)
    {
        if (_countOutputTokens is null)
        {
            generation.RecordChunk();
            return;
        }

        int tokens;
        try
        {
            tokens = _countOutputTokens(chunk);
        }
#pragma warning disable CA1031 // Note: a faulty token counter must not fail the caller's stream; the chunk counts without tokens.
        catch (Exception)
#pragma warning restore CA1031
        {
            generation.RecordChunk();
            return;
        }

        generation.RecordChunk(tokens);
    }
}
