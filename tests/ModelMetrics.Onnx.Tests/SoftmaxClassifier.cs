// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Linq;

namespace ModelMetrics.Onnx.Tests;

/// <summary>
/// A softmax-regression classifier (4 features, 3 classes) and a linear regression on the same features, with fixed
/// weights: written as a real ONNX model (MatMul + Add + Softmax + ArgMax, Cast, LabelEncoder, ZipMap) and computed here in C#
/// (double precision) as the reference the adapter's outputs are checked against.
/// </summary>
internal static class SoftmaxClassifier
{
    public const int Features = 4;

    /// <summary>The class labels, deliberately not in alphabetical order: ZipMap's string maps come back sorted by key.</summary>
    public static readonly string[] Labels = ["low", "mid", "high"];

    // W[f, k], row-major [Features, Classes].
    private static readonly float[] Weights =
    [
        1.5f, -0.5f, -1.0f,
        -0.8f, 1.2f, -0.4f,
        0.3f, -0.9f, 0.6f,
        -1.1f, 0.2f, 0.9f,
    ];

    private static readonly float[] Biases = [0.2f, -0.1f, -0.1f];

    private static readonly float[] RegressionWeights = [0.5f, -1.25f, 2.0f, 0.75f];

    private const float RegressionBias = 3.0f;

    /// <summary>Builds the model; <paramref name="batch"/> is the batch dimension: -1 symbolic, or a fixed size.</summary>
    public static byte[] Build(long batch = -1)
    {
        int classes = Labels.Length;
        return OnnxModelWriter.Model(
            [
                new("MatMul", ["features", "W"], ["z"]),
                new("Add", ["z", "B"], ["logits"]),
                new("Softmax", ["logits"], ["probabilities"], "", new OnnxModelWriter.Attribute("axis", Int: 1)),
                new("ArgMax", ["probabilities"], ["label"], "", new OnnxModelWriter.Attribute("axis", Int: 1), new OnnxModelWriter.Attribute("keepdims", Int: 0)),
                new("LabelEncoder", ["label"], ["label_name"], "ai.onnx.ml",
                    new OnnxModelWriter.Attribute("keys_int64s", Ints: [.. Enumerable.Range(0, classes).Select(k => (long)k)]),
                    new OnnxModelWriter.Attribute("values_strings", Strings: Labels)),
                new("ZipMap", ["probabilities"], ["probability_map"], "ai.onnx.ml", new OnnxModelWriter.Attribute("classlabels_strings", Strings: Labels)),
                new("ZipMap", ["probabilities"], ["probability_map_int"], "ai.onnx.ml",
                    new OnnxModelWriter.Attribute("classlabels_int64s", Ints: [.. Enumerable.Range(0, classes).Select(k => (long)k)])),
                new("Cast", ["label"], ["label32"], "", new OnnxModelWriter.Attribute("to", Int: OnnxModelWriter.Int32)),
                new("MatMul", ["features", "WR"], ["r"]),
                new("Add", ["r", "BR"], ["score"]),
            ],
            [
                new("W", [Features, classes], Weights),
                new("B", [classes], Biases),
                new("WR", [Features, 1], RegressionWeights),
                new("BR", [1], [RegressionBias]),
            ],
            [new("features", OnnxModelWriter.Tensor(OnnxModelWriter.Float, batch, Features))],
            [
                new("probabilities", OnnxModelWriter.Tensor(OnnxModelWriter.Float, batch, classes)),
                new("label", OnnxModelWriter.Tensor(OnnxModelWriter.Int64, batch)),
                new("label_name", OnnxModelWriter.Tensor(OnnxModelWriter.String, batch)),
                new("label32", OnnxModelWriter.Tensor(OnnxModelWriter.Int32, batch)),
                new("probability_map", OnnxModelWriter.SequenceOfMaps(OnnxModelWriter.String)),
                new("probability_map_int", OnnxModelWriter.SequenceOfMaps(OnnxModelWriter.Int64)),
                new("score", OnnxModelWriter.Tensor(OnnxModelWriter.Float, batch, 1)),
            ]);
    }

    /// <summary>The class probabilities the model computes, in double precision.</summary>
    public static double[] Probabilities(float[] x)
    {
        int classes = Labels.Length;
        double[] logits = new double[classes];
        for (int k = 0; k < classes; k++)
        {
            double sum = Biases[k];
            for (int f = 0; f < Features; f++)
            {
                sum += (double)x[f] * Weights[(f * classes) + k];
            }

            logits[k] = sum;
        }

        double max = logits.Max();
        double[] exp = [.. logits.Select(l => Math.Exp(l - max))];
        double total = exp.Sum();
        return [.. exp.Select(e => e / total)];
    }

    /// <summary>The predicted class: the first most probable one.</summary>
    public static int Predict(float[] x)
    {
        double[] p = Probabilities(x);
        int best = 0;
        for (int k = 1; k < p.Length; k++)
        {
            if (p[k] > p[best])
            {
                best = k;
            }
        }

        return best;
    }

    /// <summary>The regression output.</summary>
    public static double Score(float[] x)
    {
        double sum = RegressionBias;
        for (int f = 0; f < Features; f++)
        {
            sum += (double)x[f] * RegressionWeights[f];
        }

        return sum;
    }

    /// <summary>A fixed data set: <paramref name="count"/> rows with features uniform in [-2, 2].</summary>
    public static float[][] DataSet(int count, int seed = 20251201)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ => Enumerable.Range(0, Features).Select(_ => (float)((random.NextDouble() * 4) - 2)).ToArray())];
    }

    /// <summary>The true class of row <paramref name="row"/>: the model's class, except every fifth row, which is the next class.</summary>
    public static int Actual(float[] x, int row) => row % 5 == 4 ? (Predict(x) + 1) % Labels.Length : Predict(x);
}
