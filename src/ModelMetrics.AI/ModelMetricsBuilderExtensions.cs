// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.AI;

namespace ModelMetrics.AI;

/// <summary>Adds ModelMetrics to Microsoft.Extensions.AI pipelines.</summary>
public static class ModelMetricsBuilderExtensions
{
    /// <summary>Adds a <see cref="ModelMetricsChatClient"/> that records into <paramref name="monitor"/>.</summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="monitor">A monitor with <see cref="ModelMonitorOptions.GenAI"/> set. The caller keeps ownership of it.</param>
    /// <returns>The pipeline.</returns>
    /// <exception cref="ArgumentException"><paramref name="monitor"/> has no generative-AI signal.</exception>
    public static ChatClientBuilder UseModelMetrics(this ChatClientBuilder builder, ModelMonitor monitor)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(monitor);
        if (monitor.GenAI is null)
        {
            throw new ArgumentException("The monitor must record generative calls: set ModelMonitorOptions.GenAI.", nameof(monitor));
        }

        return builder.Use(inner => new ModelMetricsChatClient(inner, monitor));
    }

    /// <summary>Adds a <see cref="ModelMetricsChatClient"/> with a monitor of its own and default options (see <see cref="UseModelMetrics(ChatClientBuilder, Action{ModelMonitorOptions})"/>).</summary>
    /// <param name="builder">The pipeline.</param>
    /// <returns>The pipeline.</returns>
    public static ChatClientBuilder UseModelMetrics(this ChatClientBuilder builder) => builder.UseModelMetrics(configure: null);

    /// <summary>
    /// Adds a <see cref="ModelMetricsChatClient"/> with a monitor of its own, created when the pipeline is built (with
    /// the services' <see cref="IMeterFactory"/> when there is one) and disposed with the client. Its defaults come from
    /// the inner client's <see cref="ChatClientMetadata"/>: <see cref="ModelMonitorOptions.ModelName"/> is the default
    /// model id (or <c>chat</c>) and <see cref="GenAIOptions.ProviderName"/> the provider; <paramref name="configure"/>
    /// may change any option. Reach the monitor with <c>client.GetService&lt;ModelMonitor&gt;()</c>.
    /// </summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="configure">Changes the monitor's options, or <see langword="null"/>.</param>
    /// <returns>The pipeline.</returns>
    public static ChatClientBuilder UseModelMetrics(this ChatClientBuilder builder, Action<ModelMonitorOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var metadata = inner.GetService(typeof(ChatClientMetadata)) as ChatClientMetadata;
            ModelMonitorOptions options = CreateOptions(services, metadata?.DefaultModelId ?? "chat", metadata?.ProviderName, "chat", configure);
            return new ModelMetricsChatClient(inner, new ModelMonitor(options), ownsMonitor: true);
        });
    }

    /// <summary>Adds a <see cref="ModelMetricsEmbeddingGenerator{TInput, TEmbedding}"/> that records into <paramref name="monitor"/>.</summary>
    /// <typeparam name="TInput">The type of the values embedded.</typeparam>
    /// <typeparam name="TEmbedding">The type of the embeddings.</typeparam>
    /// <param name="builder">The pipeline.</param>
    /// <param name="monitor">A monitor with <see cref="ModelMonitorOptions.GenAI"/> set. The caller keeps ownership of it.</param>
    /// <returns>The pipeline.</returns>
    /// <exception cref="ArgumentException"><paramref name="monitor"/> has no generative-AI signal.</exception>
    public static EmbeddingGeneratorBuilder<TInput, TEmbedding> UseModelMetrics<TInput, TEmbedding>(this EmbeddingGeneratorBuilder<TInput, TEmbedding> builder, ModelMonitor monitor)
        where TEmbedding : Embedding
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(monitor);
        if (monitor.GenAI is null)
        {
            throw new ArgumentException("The monitor must record generative calls: set ModelMonitorOptions.GenAI.", nameof(monitor));
        }

        return builder.Use(inner => new ModelMetricsEmbeddingGenerator<TInput, TEmbedding>(inner, monitor));
    }

    /// <summary>
    /// Adds a <see cref="ModelMetricsEmbeddingGenerator{TInput, TEmbedding}"/> with a monitor of its own (operation
    /// <c>embeddings</c>; defaults from the inner generator's <see cref="EmbeddingGeneratorMetadata"/>), disposed with it.
    /// </summary>
    /// <typeparam name="TInput">The type of the values embedded.</typeparam>
    /// <typeparam name="TEmbedding">The type of the embeddings.</typeparam>
    /// <param name="builder">The pipeline.</param>
    /// <param name="configure">Changes the monitor's options, or <see langword="null"/>.</param>
    /// <returns>The pipeline.</returns>
    public static EmbeddingGeneratorBuilder<TInput, TEmbedding> UseModelMetrics<TInput, TEmbedding>(this EmbeddingGeneratorBuilder<TInput, TEmbedding> builder, Action<ModelMonitorOptions>? configure)
        where TEmbedding : Embedding
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var metadata = inner.GetService(typeof(EmbeddingGeneratorMetadata)) as EmbeddingGeneratorMetadata;
            ModelMonitorOptions options = CreateOptions(services, metadata?.DefaultModelId ?? "embeddings", metadata?.ProviderName, "embeddings", configure);
            return new ModelMetricsEmbeddingGenerator<TInput, TEmbedding>(inner, new ModelMonitor(options), ownsMonitor: true);
        });
    }

    private static ModelMonitorOptions CreateOptions(IServiceProvider services, string modelName, string? providerName, string operationName, Action<ModelMonitorOptions>? configure)
    {
        var options = new ModelMonitorOptions
        {
            ModelName = modelName,
            MeterFactory = services.GetService(typeof(IMeterFactory)) as IMeterFactory,
            GenAI = new GenAIOptions { OperationName = operationName, ProviderName = string.IsNullOrEmpty(providerName) ? null : providerName },
        };
        configure?.Invoke(options);
        options.GenAI ??= new GenAIOptions { OperationName = operationName };
        return options;
    }
}
