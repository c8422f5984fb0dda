// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;

namespace ModelMetrics.Onnx.Tests;

/// <summary>
/// A model that takes long to run: a chain of MatMuls by a 256 × 256 averaging matrix (values stay bounded), then the
/// row mean as a regression score. With one intra-op thread and a large batch it runs for seconds, long enough to be
/// cancelled in the middle of a run.
/// </summary>
internal static class SlowModel
{
    public const int Features = 256;

    public static byte[] Build(int matMuls)
    {
        List<OnnxModelWriter.Node> nodes = [];
        string previous = "features";
        for (int i = 0; i < matMuls; i++)
        {
            string next = $"m{i}";
            nodes.Add(new("MatMul", [previous, "W"], [next]));
            previous = next;
        }

        nodes.Add(new("ReduceMean", [previous], ["score"], "", new OnnxModelWriter.Attribute("axes", Ints: [1]), new OnnxModelWriter.Attribute("keepdims", Int: 1)));
        float[] average = [.. Enumerable.Repeat(1f / Features, Features * Features)];
        return OnnxModelWriter.Model(
            nodes,
            [new("W", [Features, Features], average)],
            [new("features", OnnxModelWriter.Tensor(OnnxModelWriter.Float, -1, Features))],
            [new("score", OnnxModelWriter.Tensor(OnnxModelWriter.Float, -1, 1))]);
    }
}
