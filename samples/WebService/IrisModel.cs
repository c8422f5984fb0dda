// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace WebService;

/// <summary>The model's input row: four measurements, and the request's id, which the model never sees.</summary>
public sealed class IrisInput
{
    public float SepalLength { get; set; }

    public float SepalWidth { get; set; }

    public float PetalLength { get; set; }

    public float PetalWidth { get; set; }

    /// <summary>Gets or sets the prediction's id: the key of its delayed label. Not a model column.</summary>
    [NoColumn]
    public string Id { get; set; } = string.Empty;
}

/// <summary>The model's output row: ML.NET's predicted key and one probability per class (in the model's class order).</summary>
public sealed class IrisOutput
{
    public uint PredictedLabel { get; set; }

    public float[] Score { get; set; } = [];
}

/// <summary>
/// An iris-like classifier trained at start-up from generated measurements (the class means and spreads of Fisher's iris
/// data; nothing is downloaded): SdcaMaximumEntropy, whose scores are softmax probabilities.
/// </summary>
public sealed class IrisModel
{
    private static readonly string[] Species = ["setosa", "versicolor", "virginica"];

    // Per species: mean and standard deviation of sepal length, sepal width, petal length, petal width (cm).
    private static readonly (double Mean, double Deviation)[][] Measurements =
    [
        [(5.01, 0.35), (3.43, 0.38), (1.46, 0.17), (0.25, 0.11)],
        [(5.94, 0.52), (2.77, 0.31), (4.26, 0.47), (1.33, 0.20)],
        [(6.59, 0.64), (2.97, 0.32), (5.55, 0.55), (2.03, 0.27)],
    ];

    private IrisModel(MLContext context, ITransformer transformer, string[] classes)
    {
        Context = context;
        Transformer = transformer;
        Classes = classes;
    }

    /// <summary>Gets the context the model was trained with.</summary>
    public MLContext Context { get; }

    /// <summary>Gets the trained model.</summary>
    public ITransformer Transformer { get; }

    /// <summary>Gets the class names in the model's order (its Score slots).</summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>Trains the model on <paramref name="rows"/> generated measurements.</summary>
    public static IrisModel Train(int rows, int seed)
    {
        var context = new MLContext(seed);
        IDataView data = context.Data.LoadFromEnumerable(Generate(rows, new Random(seed)));

        // The label is mapped to a key on the training data only, so that the served model needs no label column: its
        // Score slots keep the class names, which ModelMetrics maps to the monitor's ClassLabels.
        IDataView keyed = context.Transforms.Conversion.MapValueToKey(nameof(TrainingRow.Label)).Fit(data).Transform(data);
        var model = context.Transforms.Concatenate("Features", nameof(TrainingRow.SepalLength), nameof(TrainingRow.SepalWidth), nameof(TrainingRow.PetalLength), nameof(TrainingRow.PetalWidth))
            .Append(context.MulticlassClassification.Trainers.SdcaMaximumEntropy(maximumNumberOfIterations: 50))
            .Fit(keyed);

        VBuffer<ReadOnlyMemory<char>> names = default;
        model.GetOutputSchema(keyed.Schema)["Score"].GetSlotNames(ref names);
        return new IrisModel(context, model, [.. names.DenseValues().Select(n => n.ToString())]);
    }

    /// <summary>Generates labelled measurements, the species in turn.</summary>
    public static IEnumerable<TrainingRow> Generate(int rows, Random random)
    {
        for (int i = 0; i < rows; i++)
        {
            int species = i % Species.Length;
            (double Mean, double Deviation)[] m = Measurements[species];
            yield return new TrainingRow
            {
                SepalLength = Sample(m[0], random),
                SepalWidth = Sample(m[1], random),
                PetalLength = Sample(m[2], random),
                PetalWidth = Sample(m[3], random),
                Label = Species[species],
            };
        }
    }

    private static float Sample((double Mean, double Deviation) measurement, Random random) =>
        (float)Math.Round(Math.Max(0.1, measurement.Mean + (measurement.Deviation * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()))), 1);
}

/// <summary>A labelled training row.</summary>
public sealed class TrainingRow
{
    public float SepalLength { get; set; }

    public float SepalWidth { get; set; }

    public float PetalLength { get; set; }

    public float PetalWidth { get; set; }

    public string Label { get; set; } = string.Empty;
}
