// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

namespace ModelMetrics;

/// <summary>
/// Writes an input's feature values into <paramref name="values"/>, one per declared feature in declaration order (see
/// <see cref="FeatureRecorder.Record"/>): given to <see cref="MetricsPredictorBuilderExtensions.UseMetrics{TInput, TOutput}(PredictorBuilder{TInput, TOutput}, ModelMonitor, FeatureExtractor{TInput})"/>,
/// it runs once per input, before the model, into a span on the stack (no allocation).
/// </summary>
/// <typeparam name="TInput">The model's input.</typeparam>
/// <param name="input">The input.</param>
/// <param name="values">Where the values go; it starts filled with NaN, so a value left unwritten counts as missing.</param>
public delegate void FeatureExtractor<in TInput>(TInput input, Span<double> values);
