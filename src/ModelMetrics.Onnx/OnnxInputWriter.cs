// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

namespace ModelMetrics.Onnx;

/// <summary>Writes one input's features into its row of the model's input tensor.</summary>
/// <typeparam name="TInput">The model's input.</typeparam>
/// <param name="input">The input.</param>
/// <param name="row">
/// The input's row, one element per feature in the model's order, all zero when the writer is called (pooled buffers are
/// cleared first). An exception fails the call, as a model's own error would.
/// </param>
public delegate void OnnxInputWriter<in TInput>(TInput input, Span<float> row);
