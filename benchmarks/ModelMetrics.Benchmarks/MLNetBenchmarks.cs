// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Linq;
using BenchmarkDotNet.Attributes;
using Microsoft.ML;
using Microsoft.ML.Data;
using ModelMetrics.MLNet;

namespace ModelMetrics.Benchmarks;

/// <summary>
/// What the ML.NET adapter adds to a prediction: ML.NET's own <see cref="PredictionEngine{TSrc, TDst}"/> (the baseline; not
/// thread-safe), <c>MLNetPredictor.Create</c> (an engine rented from the pool and given back on every call), and with
/// <c>UseMLNetPredictions</c> recording the class probabilities for drift, without and with a prediction id (which keeps the
/// prediction for its label: the pending store is cleared by labels so it never fills). A 3-class SdcaMaximumEntropy model on
/// two features.
/// </summary>
[MemoryDiagnoser]
public class MLNetBenchmarks
{
    private static readonly string[] Classes = ["a", "b", "c"];
    private static readonly float[] Probabilities = [0.7f, 0.2f, 0.1f];

    private readonly Row _row = new() { X = 1.2f, Y = 0.4f, Label = "a" };
    private MLContext _ml = null!;
    private PredictionEngine<Row, Output> _engine = null!;
    private IPredictor<Row, Output> _pooled = null!;
    private IPredictor<Row, Output> _recorded = null!;
    private IPredictor<Row, Output> _recordedWithId = null!;
    private ModelMonitor _monitor = null!;
    private ModelMonitor _monitorWithId = null!;
    private long _id;

    [GlobalSetup]
    public void Setup()
    {
        _ml = new MLContext(seed: 1);
        var random = new Random(1);
        Row[] rows =
        [
            .. Enumerable.Range(0, 300).Select(i => new Row
            {
                X = (i % 3) + (float)random.NextDouble(),
                Y = (i % 3 == 1 ? 1 : 0) + (float)random.NextDouble(),
                Label = Classes[i % 3],
            }),
        ];
        ITransformer model = _ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(_ml.Transforms.Concatenate("Features", nameof(Row.X), nameof(Row.Y)))
            .Append(_ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(maximumNumberOfIterations: 20))
            .Fit(_ml.Data.LoadFromEnumerable(rows));

        _engine = _ml.Model.CreatePredictionEngine<Row, Output>(model);
        _pooled = MLNetPredictor.Create<Row, Output>(_ml, model);
        _monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "bench-mlnet", ClassLabels = Classes });
        _monitorWithId = new ModelMonitor(new ModelMonitorOptions { ModelName = "bench-mlnet-id", ClassLabels = Classes });
        _recorded = MLNetPredictor.Create<Row, Output>(_ml, model).AsBuilder().UseMLNetPredictions(_monitor, predictionId: null).Build();
        _recordedWithId = MLNetPredictor.Create<Row, Output>(_ml, model).AsBuilder().UseMLNetPredictions(_monitorWithId, r => r.Id).Build();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.Dispose();
        _pooled.Dispose();
        _recorded.Dispose();
        _recordedWithId.Dispose();
        _monitor.Dispose();
        _monitorWithId.Dispose();
    }

    [Benchmark(Baseline = true, Description = "PredictionEngine.Predict (ML.NET alone)")]
    public float[] Engine() => _engine.Predict(_row).Score;

    [Benchmark(Description = "MLNetPredictor.Create: Predict (engine pool)")]
    public float[] Pooled() => _pooled.Predict(_row).Score;

    [Benchmark(Description = "+ UseMLNetPredictions (probabilities, drift)")]
    public float[] Recorded() => _recorded.Predict(_row).Score;

    [Benchmark(Description = "monitor.RecordPrediction(probabilities) alone")]
    public int RecordPredictionAlone()
    {
        _monitor.RecordPrediction(Probabilities);
        return Probabilities.Length;
    }

    [Benchmark(Description = "+ UseMLNetPredictions with id (kept for its label), + RecordLabel")]
    public float[] RecordedWithId()
    {
        _row.Id = ++_id;
        float[] score = _recordedWithId.Predict(_row).Score;
        _monitorWithId.RecordLabel(_row.Id, 0);
        return score;
    }

    /// <summary>An input row; the id is not a model column.</summary>
    public sealed class Row
    {
        public float X { get; set; }

        public float Y { get; set; }

        public string Label { get; set; } = string.Empty;

        [NoColumn]
        public long Id { get; set; }
    }

    /// <summary>The model's output row.</summary>
    public sealed class Output
    {
        public uint PredictedLabel { get; set; }

        public float[] Score { get; set; } = [];
    }
}
