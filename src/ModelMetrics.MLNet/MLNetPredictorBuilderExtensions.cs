// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

namespace ModelMetrics.MLNet;

/// <summary>Records the predictions of an ML.NET model (<see cref="MLNetPredictor"/>) into a monitor.</summary>
public static class MLNetPredictorBuilderExtensions
{
    /// <summary>
    /// Records every prediction that passes this stage into <paramref name="monitor"/>, read from the ML.NET output row
    /// with no mapping to write: a multiclass model's class probabilities (its <c>Score</c> vector, reordered from the
    /// model's classes to the monitor's <see cref="ModelMonitorOptions.ClassLabels"/> by name), or its predicted class when
    /// the scores are not probabilities; a binary model's <c>Probability</c> (or <c>PredictedLabel</c>; ClassLabels are
    /// false first, then true); a regression model's <c>Score</c>. Predictions are counted for drift, and with
    /// <paramref name="predictionId"/> kept for their delayed label (<c>monitor.RecordLabel(id, "class name")</c>).
    /// </summary>
    /// <remarks>
    /// The pipeline must have an <see cref="MLNetPredictor"/> model below this stage. Place it above a cache
    /// (<c>.UseMLNetPredictions(…).UseCache(…)</c>) to record every prediction served, hits included, so that a label
    /// for any response joins. It records no call or latency: add <c>UseMetrics</c> for those.
    /// </remarks>
    /// <typeparam name="TInput">The model's input row.</typeparam>
    /// <typeparam name="TOutput">The model's output row.</typeparam>
    /// <param name="builder">The pipeline.</param>
    /// <param name="monitor">Where predictions are recorded: a classifier's monitor declares ClassLabels holding the model's class names, a regression model's none. The caller keeps ownership of it.</param>
    /// <param name="predictionId">
    /// Returns the id of an input's prediction, for its label to come; <see langword="null"/> to count predictions for drift
    /// only (a regression model needs ids). An invalid id (<see langword="default"/>) records that prediction for drift only;
    /// an exception records it with an invalid id, which the monitor counts.
    /// </param>
    /// <returns>The pipeline.</returns>
    /// <exception cref="ArgumentException">When the pipeline is built: the monitor or the output type does not fit the model.</exception>
    /// <exception cref="InvalidOperationException">When the pipeline is built: no model of <see cref="MLNetPredictor"/> below this stage.</exception>
    public static PredictorBuilder<TInput, TOutput> UseMLNetPredictions<TInput, TOutput>(
        this PredictorBuilder<TInput, TOutput> builder, ModelMonitor monitor, Func<TInput, PredictionId>? predictionId)
        where TInput : class
        where TOutput : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(monitor);
        return builder.Use(inner => Create(inner, monitor, predictionId));
    }

    /// <summary>
    /// Records every prediction that passes this stage into the monitor <paramref name="monitor"/> returns from the services
    /// the pipeline is built with (for dependency injection: <c>sp => sp.GetRequiredKeyedService&lt;ModelMonitor&gt;("iris")</c>);
    /// see <see cref="UseMLNetPredictions{TInput, TOutput}(PredictorBuilder{TInput, TOutput}, ModelMonitor, Func{TInput, PredictionId}?)"/>.
    /// </summary>
    /// <typeparam name="TInput">The model's input row.</typeparam>
    /// <typeparam name="TOutput">The model's output row.</typeparam>
    /// <param name="builder">The pipeline.</param>
    /// <param name="monitor">Returns the monitor, once, when the pipeline is built.</param>
    /// <param name="predictionId">Returns the id of an input's prediction; <see langword="null"/> for drift only.</param>
    /// <returns>The pipeline.</returns>
    public static PredictorBuilder<TInput, TOutput> UseMLNetPredictions<TInput, TOutput>(
        this PredictorBuilder<TInput, TOutput> builder, Func<IServiceProvider, ModelMonitor> monitor, Func<TInput, PredictionId>? predictionId)
        where TInput : class
        where TOutput : class, new()
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(monitor);
        return builder.Use((inner, services) => Create(
            inner,
            monitor(services) ?? throw new InvalidOperationException("The monitor factory passed to UseMLNetPredictions returned null."),
            predictionId));
    }

    private static MLNetPredictionRecorder<TInput, TOutput> Create<TInput, TOutput>(IPredictor<TInput, TOutput> inner, ModelMonitor monitor, Func<TInput, PredictionId>? predictionId)
        where TInput : class
        where TOutput : class, new()
    {
        // GetService walks down the pipeline (through caches, metrics, anything derived from DelegatingPredictor).
        var model = inner.GetService(typeof(MLNetEnginePredictor<TInput, TOutput>)) as MLNetEnginePredictor<TInput, TOutput>
            ?? throw new InvalidOperationException("UseMLNetPredictions needs a model created by MLNetPredictor.Create below it in the pipeline.");
        MLNetOutputReader<TOutput> reader = MLNetOutputReader<TOutput>.Create(model.OutputSchema, monitor);
        if (reader.Kind == MLNetModelKind.Regression && predictionId is null)
        {
            throw new ArgumentException("A regression model's predictions are recorded for their labels only: pass predictionId.", nameof(predictionId));
        }

        return new MLNetPredictionRecorder<TInput, TOutput>(inner, reader, predictionId);
    }
}
