// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ModelMetrics.MLNet.Tests;

/// <summary>A row of the test data: two features and a class name (the label), plus an id ML.NET never sees.</summary>
public sealed class BlobRow
{
    public float X { get; set; }

    public float Y { get; set; }

    public string Label { get; set; } = string.Empty;

    public bool IsPositive { get; set; }

    public float Target { get; set; }

    [NoColumn]
    public string Id { get; set; } = string.Empty;
}

/// <summary>A multiclass model's output: the predicted key and one score per class.</summary>
public sealed class MulticlassOutput
{
    public uint PredictedLabel { get; set; }

    public float[] Score { get; set; } = [];
}

/// <summary>A multiclass model's output after MapKeyToValue: the class name only.</summary>
public sealed class TextLabelOutput
{
    public string PredictedLabel { get; set; } = string.Empty;
}

/// <summary>A calibrated binary model's output.</summary>
public sealed class BinaryOutput
{
    public bool PredictedLabel { get; set; }

    public float Score { get; set; }

    public float Probability { get; set; }
}

/// <summary>A regression model's output, the score under another member name.</summary>
public sealed class RegressionOutput
{
    [ColumnName("Score")]
    public float Value { get; set; }
}

/// <summary>Gaussian blobs with a fixed seed, and small models trained on them in a second or so.</summary>
internal static class Blobs
{
    /// <summary>The class names in the order they first occur in the data (the model's key order).</summary>
    public static readonly string[] OccurrenceOrder = ["zebra", "apple", "mango"];

    /// <summary>The same names as the monitor declares them: another order, so a wrong mapping shows.</summary>
    public static readonly string[] MonitorLabels = ["apple", "mango", "zebra"];

    private static readonly (float X, float Y)[] Centers = [(0f, 0f), (2f, 0.5f), (1f, 2f)];

    public static List<BlobRow> Generate(int count, int seed)
    {
        var random = new Random(seed);
        var rows = new List<BlobRow>(count);
        for (int i = 0; i < count; i++)
        {
            int c = i % Centers.Length;
            float x = Centers[c].X + (float)Gaussian(random);
            float y = Centers[c].Y + (float)Gaussian(random);
            rows.Add(new BlobRow
            {
                X = x,
                Y = y,
                Label = OccurrenceOrder[c],
                IsPositive = c == 1,
                Target = (3 * x) - (2 * y) + 1 + (float)(0.3 * Gaussian(random)),
                Id = $"row-{seed}-{i}",
            });
        }

        return rows;
    }

    public static ITransformer TrainMulticlass(MLContext ml, IEnumerable<BlobRow> rows) =>
        ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Concatenate("Features", nameof(BlobRow.X), nameof(BlobRow.Y)))
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(maximumNumberOfIterations: 30))
            .Fit(ml.Data.LoadFromEnumerable(rows));

    public static ITransformer TrainUncalibrated(MLContext ml, IEnumerable<BlobRow> rows) =>
        ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Concatenate("Features", nameof(BlobRow.X), nameof(BlobRow.Y)))
            .Append(ml.MulticlassClassification.Trainers.SdcaNonCalibrated(maximumNumberOfIterations: 30))
            .Fit(ml.Data.LoadFromEnumerable(rows));

    public static ITransformer TrainBinary(MLContext ml, IEnumerable<BlobRow> rows) =>
        ml.Transforms.Concatenate("Features", nameof(BlobRow.X), nameof(BlobRow.Y))
            .Append(ml.BinaryClassification.Trainers.SdcaLogisticRegression(labelColumnName: nameof(BlobRow.IsPositive), maximumNumberOfIterations: 30))
            .Fit(ml.Data.LoadFromEnumerable(rows));

    public static ITransformer TrainRegression(MLContext ml, IEnumerable<BlobRow> rows) =>
        ml.Transforms.Concatenate("Features", nameof(BlobRow.X), nameof(BlobRow.Y))
            .Append(ml.Regression.Trainers.Sdca(labelColumnName: nameof(BlobRow.Target), maximumNumberOfIterations: 30))
            .Fit(ml.Data.LoadFromEnumerable(rows));

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
