// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;

namespace ModelMetrics.AI;

/// <summary>
/// A <see cref="DelegatingEmbeddingGenerator{TInput, TEmbedding}"/> that records every call of the generator it wraps
/// into a <see cref="ModelMonitor"/>'s generative-AI signal: input tokens from <see cref="GeneratedEmbeddings{TEmbedding}.Usage"/>,
/// duration, errors; and, when the monitor records calls as well, the batch size as items
/// (<see cref="ModelMonitorSnapshot.Items"/>, <c>model.inference.items</c>).
/// </summary>
/// <typeparam name="TInput">The type of the values embedded.</typeparam>
/// <typeparam name="TEmbedding">The type of the embeddings.</typeparam>
/// <remarks>Give the monitor <see cref="GenAIOptions.OperationName"/> <c>embeddings</c>, as the conventions name the operation.</remarks>
public sealed class ModelMetricsEmbeddingGenerator<TInput, TEmbedding> : DelegatingEmbeddingGenerator<TInput, TEmbedding>
    where TEmbedding : Embedding
{
    private readonly GenAIRecorder _recorder;
    private readonly string? _defaultModelId;
    private readonly bool _ownsMonitor;

    /// <summary>Initializes a new instance that records into <paramref name="monitor"/>.</summary>
    /// <param name="innerGenerator">The generator to measure.</param>
    /// <param name="monitor">A monitor with <see cref="ModelMonitorOptions.GenAI"/> set. Not disposed with this generator.</param>
    /// <exception cref="ArgumentException"><paramref name="monitor"/> has no generative-AI signal.</exception>
    public ModelMetricsEmbeddingGenerator(IEmbeddingGenerator<TInput, TEmbedding> innerGenerator, ModelMonitor monitor)
        : this(innerGenerator, monitor, ownsMonitor: false)
    {
    }

    internal ModelMetricsEmbeddingGenerator(IEmbeddingGenerator<TInput, TEmbedding> innerGenerator, ModelMonitor monitor, bool ownsMonitor)
        : base(innerGenerator)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        _recorder = monitor.GenAI ?? throw new ArgumentException("The monitor must record generative calls: set ModelMonitorOptions.GenAI.", nameof(monitor));
        Monitor = monitor;
        _ownsMonitor = ownsMonitor;
        _defaultModelId = (innerGenerator.GetService(typeof(EmbeddingGeneratorMetadata)) as EmbeddingGeneratorMetadata)?.DefaultModelId;
    }

    /// <summary>Gets the monitor calls are recorded into (also returned by <c>GetService(typeof(ModelMonitor))</c>).</summary>
    public ModelMonitor Monitor { get; }

    /// <inheritdoc />
    public override async Task<GeneratedEmbeddings<TEmbedding>> GenerateAsync(IEnumerable<TInput> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        int batch = values is ICollection<TInput> collection ? collection.Count : -1;
        long start = Monitor.StartCall();
        GenAICall call = _recorder.StartCall(options?.ModelId ?? _defaultModelId);
        GeneratedEmbeddings<TEmbedding> embeddings;
        try
        {
            embeddings = await base.GenerateAsync(values, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception)
        {
            call.Fail(exception, cancellationToken: cancellationToken);
            Monitor.EndBatchCall(start, Math.Max(batch, 1), exception, cancellationToken);
            throw;
        }

        UsageDetails? usage = embeddings.Usage;

        // An embedding call produces no output tokens: 0, not unknown.
        call.Complete(new GenAIUsage(usage?.InputTokenCount, OutputTokens: 0), GenAIFinishReason.Stop, embeddings.Count > 0 ? embeddings[0].ModelId : null);
        Monitor.EndBatchCall(start, batch < 0 ? embeddings.Count : batch, exception: null, cancellationToken);
        return embeddings;
    }

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
}
