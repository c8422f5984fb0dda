// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics.Metrics;

namespace ModelMetrics;

/// <summary>Adds metrics to a predictor pipeline.</summary>
public static class MetricsPredictorBuilderExtensions
{
    /// <summary>Adds a <see cref="MetricsPredictor{TInput, TOutput}"/> that records into <paramref name="monitor"/>.</summary>
    /// <typeparam name="TInput">The model's input.</typeparam>
    /// <typeparam name="TOutput">The model's output.</typeparam>
    /// <param name="builder">The pipeline.</param>
    /// <param name="monitor">Where calls are recorded. The caller keeps ownership of it.</param>
    /// <returns>The pipeline.</returns>
    public static PredictorBuilder<TInput, TOutput> UseMetrics<TInput, TOutput>(this PredictorBuilder<TInput, TOutput> builder, ModelMonitor monitor)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(monitor);
        return builder.Use(inner => new MetricsPredictor<TInput, TOutput>(inner, monitor));
    }

    /// <summary>
    /// Adds a <see cref="MetricsPredictor{TInput, TOutput}"/> that records into <paramref name="monitor"/> and counts the
    /// output tokens of each streamed chunk with <paramref name="countOutputTokens"/>, for the generative-AI signal
    /// (<see cref="ModelMonitorOptions.GenAI"/>): tokens, tokens per second and time per output token of any LLM.
    /// </summary>
    /// <typeparam name="TInput">The model's input.</typeparam>
    /// <typeparam name="TOutput">The model's output chunk.</typeparam>
    /// <param name="builder">The pipeline.</param>
    /// <param name="monitor">Where calls are recorded. The caller keeps ownership of it.</param>
    /// <param name="countOutputTokens">Returns the output tokens in one chunk (for example 1 for a token, or a tokenizer's count for a text delta).</param>
    /// <returns>The pipeline.</returns>
    public static PredictorBuilder<TInput, TOutput> UseMetrics<TInput, TOutput>(this PredictorBuilder<TInput, TOutput> builder, ModelMonitor monitor, Func<TOutput, int> countOutputTokens)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(monitor);
        ArgumentNullException.ThrowIfNull(countOutputTokens);
        return builder.Use(inner => new MetricsPredictor<TInput, TOutput>(inner, monitor, countOutputTokens));
    }

    /// <summary>
    /// Adds a <see cref="MetricsPredictor{TInput, TOutput}"/> that records into <paramref name="monitor"/> and records
    /// each input's features (<see cref="ModelMonitorOptions.Features"/>) as <paramref name="extractFeatures"/> writes them.
    /// </summary>
    /// <typeparam name="TInput">The model's input.</typeparam>
    /// <typeparam name="TOutput">The model's output.</typeparam>
    /// <param name="builder">The pipeline.</param>
    /// <param name="monitor">Where calls and features are recorded; it must declare features. The caller keeps ownership of it.</param>
    /// <param name="extractFeatures">Writes an input's feature values, in declaration order, into a span.</param>
    /// <returns>The pipeline.</returns>
    public static PredictorBuilder<TInput, TOutput> UseMetrics<TInput, TOutput>(this PredictorBuilder<TInput, TOutput> builder, ModelMonitor monitor, FeatureExtractor<TInput> extractFeatures)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(monitor);
        ArgumentNullException.ThrowIfNull(extractFeatures);
        return builder.Use(inner => new MetricsPredictor<TInput, TOutput>(inner, monitor, extractFeatures));
    }

    /// <summary>
    /// Adds a <see cref="MetricsPredictor{TInput, TOutput}"/> with a monitor of its own (see
    /// <see cref="UseMetrics{TInput, TOutput}(PredictorBuilder{TInput, TOutput}, Action{ModelMonitorOptions})"/>) that also
    /// records each input's features as <paramref name="extractFeatures"/> writes them.
    /// </summary>
    /// <typeparam name="TInput">The model's input.</typeparam>
    /// <typeparam name="TOutput">The model's output.</typeparam>
    /// <param name="builder">The pipeline.</param>
    /// <param name="configure">Sets the monitor's options; at least <see cref="ModelMonitorOptions.ModelName"/> and <see cref="ModelMonitorOptions.Features"/>.</param>
    /// <param name="extractFeatures">Writes an input's feature values, in declaration order, into a span.</param>
    /// <returns>The pipeline.</returns>
    public static PredictorBuilder<TInput, TOutput> UseMetrics<TInput, TOutput>(this PredictorBuilder<TInput, TOutput> builder, Action<ModelMonitorOptions> configure, FeatureExtractor<TInput> extractFeatures)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(extractFeatures);
        return builder.Use((inner, services) =>
        {
            var options = new ModelMonitorOptions { MeterFactory = services.GetService(typeof(IMeterFactory)) as IMeterFactory };
            configure(options);
            var monitor = new ModelMonitor(options);
            try
            {
                return new MetricsPredictor<TInput, TOutput>(inner, monitor, ownsMonitor: true, extractFeatures);
            }
            catch
            {
                monitor.Dispose();
                throw;
            }
        });
    }

    /// <summary>
    /// Adds a <see cref="MetricsPredictor{TInput, TOutput}"/> with a monitor of its own, created when the
    /// pipeline is built (using the services' <see cref="IMeterFactory"/> when there is one) and disposed
    /// with the predictor. Reach it with <c>predictor.GetService&lt;ModelMonitor&gt;()</c>.
    /// </summary>
    /// <typeparam name="TInput">The model's input.</typeparam>
    /// <typeparam name="TOutput">The model's output.</typeparam>
    /// <param name="builder">The pipeline.</param>
    /// <param name="configure">Sets the monitor's options; at least <see cref="ModelMonitorOptions.ModelName"/>.</param>
    /// <returns>The pipeline.</returns>
    public static PredictorBuilder<TInput, TOutput> UseMetrics<TInput, TOutput>(this PredictorBuilder<TInput, TOutput> builder, Action<ModelMonitorOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        return builder.Use((inner, services) =>
        {
            var options = new ModelMonitorOptions { MeterFactory = services.GetService(typeof(IMeterFactory)) as IMeterFactory };
            configure(options);
            return new MetricsPredictor<TInput, TOutput>(inner, new ModelMonitor(options), ownsMonitor: true);
        });
    }
}
