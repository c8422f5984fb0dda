// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Linq;
using Microsoft.ML;
using Microsoft.ML.Data;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Classification;

/// <summary>The expected numbers come from ML.NET's multiclass evaluator run on the same pairs.</summary>
public class ClassificationMlNetReferenceTests
{
    private const int Classes = 4;

    [Test]
    public void Metrics_MatchMlNetMulticlassEvaluator()
    {
        var random = new Random(20261123);
        Row[] rows = Enumerable.Range(0, 2000).Select(_ => NewRow(random)).ToArray();

        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "mlnet-reference-" + Guid.NewGuid(),
            ClassLabels = ["a", "b", "c", "d"],
        });
        foreach (Row row in rows)
        {
            monitor.RecordGroundTruth(row.Score, (int)row.Label);
        }

        ClassificationSnapshot ours = monitor.GetSnapshot().Classification!;

        var ml = new MLContext(seed: 1);
        // Labels become keys ordered by value (0 → first key), the same order for actual and predicted.
        IDataView raw = ml.Data.LoadFromEnumerable(rows);
        IDataView data = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Append(ml.Transforms.Conversion.MapValueToKey("PredictedLabel", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue))
            .Fit(raw)
            .Transform(raw);
        MulticlassClassificationMetrics reference = ml.MulticlassClassification.Evaluate(data, "Label", "Score", "PredictedLabel", topKPredictionCount: 2);

        Assert.Multiple(() =>
        {
            Assert.That(ours.Total, Is.EqualTo(rows.Length));
            Assert.That(ours.Accuracy, Is.EqualTo(reference.MicroAccuracy).Within(1e-12), "micro accuracy");
            Assert.That(ours.BalancedAccuracy, Is.EqualTo(reference.MacroAccuracy).Within(1e-12), "macro accuracy is the mean per-class recall");
            Assert.That(ours.LogLoss, Is.EqualTo(reference.LogLoss).Within(1e-6), "log-loss (ours sums micro-nats)");
            Assert.That(ours.GetTopKAccuracy(2), Is.EqualTo(reference.TopKAccuracy).Within(1e-12), "top-2 accuracy");
            for (int i = 0; i < Classes; i++)
            {
                Assert.That(ours.Classes[i].Precision, Is.EqualTo(reference.ConfusionMatrix.PerClassPrecision[i]).Within(1e-12), $"precision of class {i}");
                Assert.That(ours.Classes[i].Recall, Is.EqualTo(reference.ConfusionMatrix.PerClassRecall[i]).Within(1e-12), $"recall of class {i}");
                for (int p = 0; p < Classes; p++)
                {
                    Assert.That(ours.GetCount(predicted: p, actual: i), Is.EqualTo((long)reference.ConfusionMatrix.Counts[i][p]), $"cell {i},{p}");
                }
            }
        });
    }

    private static Row NewRow(Random random)
    {
        // A model that is right about 60% of the time: the true class gets a boost, then normalize.
        uint label = (uint)random.Next(Classes);
        float[] score = Enumerable.Range(0, Classes).Select(_ => (float)random.NextDouble()).ToArray();
        score[label] += (float)random.NextDouble() * 0.8f;
        float total = score.Sum();
        for (int i = 0; i < Classes; i++)
        {
            score[i] /= total;
        }

        uint predicted = (uint)Array.IndexOf(score, score.Max());
        return new Row { Label = label, Score = score, PredictedLabel = predicted };
    }

    private sealed class Row
    {
        public uint Label { get; set; }

        [VectorType(Classes)]
        public float[] Score { get; set; } = [];

        public uint PredictedLabel { get; set; }
    }
}
