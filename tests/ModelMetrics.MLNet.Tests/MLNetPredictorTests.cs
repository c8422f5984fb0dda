// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.ML;
using Microsoft.ML.Data;
using NUnit.Framework;

namespace ModelMetrics.MLNet.Tests;

[TestFixture]
public sealed class MLNetPredictorTests
{
    private MLContext _ml = null!;
    private ITransformer _multiclass = null!;
    private List<BlobRow> _test = null!;

    [OneTimeSetUp]
    public void Train()
    {
        _ml = new MLContext(seed: 7);
        _multiclass = Blobs.TrainMulticlass(_ml, Blobs.Generate(600, seed: 1));
        _test = Blobs.Generate(300, seed: 2);
    }

    [Test]
    public void Predict_Multiclass_EqualsTheEnginesOwnOutputs()
    {
        using PredictionEngine<BlobRow, MulticlassOutput> engine = _ml.Model.CreatePredictionEngine<BlobRow, MulticlassOutput>(_multiclass);
        using IPredictor<BlobRow, MulticlassOutput> predictor = MLNetPredictor.Create<BlobRow, MulticlassOutput>(_ml, _multiclass);

        foreach (BlobRow row in _test)
        {
            MulticlassOutput expected = engine.Predict(row);
            MulticlassOutput actual = predictor.Predict(row);
            Assert.That(actual.PredictedLabel, Is.EqualTo(expected.PredictedLabel));
            Assert.That(actual.Score, Is.EqualTo(expected.Score));
        }
    }

    [Test]
    public async Task PredictAsyncAndBatch_Multiclass_EqualSingleCalls()
    {
        using IPredictor<BlobRow, MulticlassOutput> predictor = MLNetPredictor.Create<BlobRow, MulticlassOutput>(_ml, _multiclass);
        List<BlobRow> rows = _test.Take(20).ToList();

        IReadOnlyList<MulticlassOutput> batch = await predictor.PredictBatchAsync(rows);
        for (int i = 0; i < rows.Count; i++)
        {
            MulticlassOutput single = predictor.Predict(rows[i]);
            MulticlassOutput asynchronous = await predictor.PredictAsync(rows[i]);
            Assert.That(batch[i].Score, Is.EqualTo(single.Score));
            Assert.That(asynchronous.Score, Is.EqualTo(single.Score));
        }
    }

    [Test]
    public void UseMLNetPredictions_DelayedLabels_ConfusionMatrixEqualsTheEnginesOutputsByClassName()
    {
        using PredictionEngine<BlobRow, MulticlassOutput> engine = _ml.Model.CreatePredictionEngine<BlobRow, MulticlassOutput>(_multiclass);
        VBuffer<ReadOnlyMemory<char>> keyNames = default;
        engine.OutputSchema["PredictedLabel"].GetKeyValues(ref keyNames);
        string[] modelClasses = [.. keyNames.DenseValues().Select(n => n.ToString())];

        // The model numbers its classes by first occurrence, the monitor declares them sorted: the adapter must map by name.
        Assert.That(modelClasses, Is.EqualTo(Blobs.OccurrenceOrder));

        using var monitor = NewMonitor(Blobs.MonitorLabels);
        using IPredictor<BlobRow, MulticlassOutput> predictor = MLNetPredictor.Create<BlobRow, MulticlassOutput>(_ml, _multiclass)
            .AsBuilder()
            .UseMLNetPredictions(monitor, row => row.Id)
            .UseMetrics(monitor)
            .Build();

        var expected = new long[3, 3];
        double expectedLogLoss = 0;
        foreach (BlobRow row in _test)
        {
            MulticlassOutput output = predictor.Predict(row);
            MulticlassOutput own = engine.Predict(row);
            string predictedName = modelClasses[own.PredictedLabel - 1];
            expected[Array.IndexOf(Blobs.MonitorLabels, predictedName), Array.IndexOf(Blobs.MonitorLabels, row.Label)]++;
            expectedLogLoss -= Math.Max(Math.Log(own.Score[Array.IndexOf(modelClasses, row.Label)]), Math.Log(2.220446049250313e-16));
            Assert.That(output.Score, Is.EqualTo(own.Score));
        }

        Assert.That(monitor.GetSnapshot().Labels.Pending, Is.EqualTo(_test.Count));
        foreach (BlobRow row in _test)
        {
            Assert.That(monitor.RecordLabel(row.Id, row.Label), Is.True);
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        ClassificationSnapshot classification = snapshot.Classification!;
        Assert.Multiple(() =>
        {
            for (int p = 0; p < 3; p++)
            {
                for (int a = 0; a < 3; a++)
                {
                    Assert.That(classification.GetCount(p, a), Is.EqualTo(expected[p, a]), $"predicted {Blobs.MonitorLabels[p]}, actual {Blobs.MonitorLabels[a]}");
                }
            }

            // Off-diagonal cells exist: the blobs overlap, so a wrong mapping could not pass by luck.
            Assert.That(classification.Correct, Is.LessThan(_test.Count));
            Assert.That(classification.Correct, Is.GreaterThan(_test.Count / 2));
            Assert.That(classification.Total, Is.EqualTo(_test.Count));

            // SdcaMaximumEntropy's scores are probabilities: each prediction was recorded with them.
            Assert.That(classification.ScoredCount, Is.EqualTo(_test.Count));
            Assert.That(classification.LogLossSum, Is.EqualTo(expectedLogLoss).Within(1e-3));
            Assert.That(snapshot.Calls, Is.EqualTo(_test.Count));
            Assert.That(snapshot.Rejected, Is.Empty);
        });
    }

    [Test]
    public void UseMLNetPredictions_WithoutIds_CountsPredictedClassesForDrift()
    {
        using PredictionEngine<BlobRow, MulticlassOutput> engine = _ml.Model.CreatePredictionEngine<BlobRow, MulticlassOutput>(_multiclass);
        using var monitor = NewMonitor(Blobs.MonitorLabels);
        monitor.SetDriftReference([1, 1, 1]);
        using IPredictor<BlobRow, MulticlassOutput> predictor = MLNetPredictor.Create<BlobRow, MulticlassOutput>(_ml, _multiclass)
            .AsBuilder().UseMLNetPredictions(monitor, predictionId: null).Build();

        var expectedShares = new double[3];
        foreach (BlobRow row in _test)
        {
            _ = predictor.Predict(row);
            MulticlassOutput own = engine.Predict(row);
            expectedShares[Array.IndexOf(Blobs.MonitorLabels, Blobs.OccurrenceOrder[own.PredictedLabel - 1])] += 1.0 / _test.Count;
        }

        DriftSnapshot drift = monitor.GetSnapshot().Recent.Drift!;
        Assert.That(drift.Predictions, Is.EqualTo(_test.Count));
        Assert.That(drift.ClassShares, Is.EqualTo(expectedShares).Within(1e-12));
        Assert.That(monitor.GetSnapshot().Labels.Pending, Is.Zero);
    }

    [Test]
    public void UseMLNetPredictions_ScoresThatAreNotProbabilities_RecordsThePredictedLabelOnly()
    {
        ITransformer model = Blobs.TrainUncalibrated(_ml, Blobs.Generate(600, seed: 1));
        using PredictionEngine<BlobRow, MulticlassOutput> engine = _ml.Model.CreatePredictionEngine<BlobRow, MulticlassOutput>(model);
        using var monitor = NewMonitor(Blobs.MonitorLabels);
        using IPredictor<BlobRow, MulticlassOutput> predictor = MLNetPredictor.Create<BlobRow, MulticlassOutput>(_ml, model)
            .AsBuilder().UseMLNetPredictions(monitor, row => row.Id).Build();

        var expected = new long[3, 3];
        foreach (BlobRow row in _test)
        {
            _ = predictor.Predict(row);
            MulticlassOutput own = engine.Predict(row);
            Assert.That(Math.Abs(own.Score.Sum() - 1), Is.GreaterThan(0.001), "SdcaNonCalibrated's scores are not probabilities");
            expected[Array.IndexOf(Blobs.MonitorLabels, Blobs.OccurrenceOrder[own.PredictedLabel - 1]), Array.IndexOf(Blobs.MonitorLabels, row.Label)]++;
            Assert.That(monitor.RecordLabel(row.Id, row.Label), Is.True);
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            for (int p = 0; p < 3; p++)
            {
                for (int a = 0; a < 3; a++)
                {
                    Assert.That(snapshot.Classification!.GetCount(p, a), Is.EqualTo(expected[p, a]));
                }
            }

            Assert.That(snapshot.Classification!.ScoredCount, Is.Zero);
            Assert.That(snapshot.Rejected, Is.Empty);
        });
    }

    [Test]
    public void UseMLNetPredictions_TextPredictedLabelOnly_RecordsTheClassByName()
    {
        List<BlobRow> rows = Blobs.Generate(600, seed: 1);
        ITransformer model = Blobs.TrainMulticlass(_ml, rows);
        ITransformer named = model.Append(_ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(model.Transform(_ml.Data.LoadFromEnumerable(rows))));
        using PredictionEngine<BlobRow, MulticlassOutput> engine = _ml.Model.CreatePredictionEngine<BlobRow, MulticlassOutput>(model);
        using var monitor = NewMonitor(Blobs.MonitorLabels);
        monitor.SetDriftReference([1, 1, 1]);
        using IPredictor<BlobRow, TextLabelOutput> predictor = MLNetPredictor.Create<BlobRow, TextLabelOutput>(_ml, named)
            .AsBuilder().UseMLNetPredictions(monitor, predictionId: null).Build();

        var expectedShares = new double[3];
        foreach (BlobRow row in _test)
        {
            string predicted = predictor.Predict(row).PredictedLabel;
            Assert.That(predicted, Is.EqualTo(Blobs.OccurrenceOrder[engine.Predict(row).PredictedLabel - 1]));
            expectedShares[Array.IndexOf(Blobs.MonitorLabels, predicted)] += 1.0 / _test.Count;
        }

        Assert.That(monitor.GetSnapshot().Recent.Drift!.ClassShares, Is.EqualTo(expectedShares).Within(1e-12));
    }

    [Test]
    public void Predict_TwoThreads_CountsExactAndOneEnginePerConcurrentCaller()
    {
        const int CallsPerThread = 2_000;
        using var monitor = NewMonitor(Blobs.MonitorLabels);
        monitor.SetDriftReference([1, 1, 1]);
        using IPredictor<BlobRow, MulticlassOutput> predictor = MLNetPredictor.Create<BlobRow, MulticlassOutput>(_ml, _multiclass)
            .AsBuilder()
            .UseMLNetPredictions(monitor, row => row.Id)
            .UseMetrics(monitor)
            .Build();
        using PredictionEngine<BlobRow, MulticlassOutput> engine = _ml.Model.CreatePredictionEngine<BlobRow, MulticlassOutput>(_multiclass);
        float[][] expected = [.. _test.Select(row => engine.Predict(row).Score)];

        var mismatches = 0;
        using var start = new Barrier(2);
        Thread[] threads =
        [
            .. Enumerable.Range(0, 2).Select(t => new Thread(() =>
            {
                start.SignalAndWait(TimeSpan.FromSeconds(30));
                for (int i = 0; i < CallsPerThread; i++)
                {
                    int r = i % _test.Count;
                    BlobRow row = _test[r];
                    var input = new BlobRow { X = row.X, Y = row.Y, Label = row.Label, Id = $"t{t}-{i}" };
                    if (!predictor.Predict(input).Score.SequenceEqual(expected[r]))
                    {
                        Interlocked.Increment(ref mismatches);
                    }
                }
            })),
        ];
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            Assert.That(thread.Join(TimeSpan.FromMinutes(2)), Is.True);
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        var pool = predictor.GetService<MLNetEnginePredictor<BlobRow, MulticlassOutput>>()!.Pool;
        Assert.Multiple(() =>
        {
            Assert.That(mismatches, Is.Zero);
            Assert.That(snapshot.Calls, Is.EqualTo(2 * CallsPerThread));
            Assert.That(snapshot.Failed, Is.Zero);
            Assert.That(snapshot.Labels.Pending, Is.EqualTo(2 * CallsPerThread));
            Assert.That(snapshot.Recent.Drift!.Predictions, Is.EqualTo(2 * CallsPerThread));
            Assert.That(pool.Created, Is.InRange(1, 2));
        });
    }

    [Test]
    public void UseMLNetPredictions_Binary_RecordsTheProbabilityOfTrue()
    {
        ITransformer model = Blobs.TrainBinary(_ml, Blobs.Generate(600, seed: 1));
        using PredictionEngine<BlobRow, BinaryOutput> engine = _ml.Model.CreatePredictionEngine<BlobRow, BinaryOutput>(model);
        using var monitor = NewMonitor(["other", "apple"]);
        using IPredictor<BlobRow, BinaryOutput> predictor = MLNetPredictor.Create<BlobRow, BinaryOutput>(_ml, model)
            .AsBuilder().UseMLNetPredictions(monitor, row => row.Id).Build();

        var expected = new long[2, 2];
        foreach (BlobRow row in _test)
        {
            BinaryOutput output = predictor.Predict(row);
            BinaryOutput own = engine.Predict(row);
            Assert.That(output.Probability, Is.EqualTo(own.Probability));
            expected[own.Probability > 0.5f ? 1 : 0, row.IsPositive ? 1 : 0]++;
            Assert.That(monitor.RecordLabel(row.Id, row.IsPositive), Is.True);
        }

        ClassificationSnapshot classification = monitor.GetSnapshot().Classification!;
        Assert.Multiple(() =>
        {
            for (int p = 0; p < 2; p++)
            {
                for (int a = 0; a < 2; a++)
                {
                    Assert.That(classification.GetCount(p, a), Is.EqualTo(expected[p, a]));
                }
            }

            Assert.That(classification.ScoredCount, Is.EqualTo(_test.Count));
            Assert.That(expected[1, 1], Is.GreaterThan(0));
        });
    }

    [Test]
    public void UseMLNetPredictions_Regression_JoinsValuesWithTheirLabels()
    {
        ITransformer model = Blobs.TrainRegression(_ml, Blobs.Generate(600, seed: 1));
        using PredictionEngine<BlobRow, RegressionOutput> engine = _ml.Model.CreatePredictionEngine<BlobRow, RegressionOutput>(model);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "mlnet-regression-" + Guid.NewGuid().ToString("N") });
        using IPredictor<BlobRow, RegressionOutput> predictor = MLNetPredictor.Create<BlobRow, RegressionOutput>(_ml, model)
            .AsBuilder().UseMLNetPredictions(monitor, row => row.Id).Build();

        double absoluteErrors = 0;
        foreach (BlobRow row in _test)
        {
            float value = predictor.Predict(row).Value;
            Assert.That(value, Is.EqualTo(engine.Predict(row).Value));
            absoluteErrors += Math.Abs(value - (double)row.Target);
            Assert.That(monitor.RecordRegressionLabel(row.Id, row.Target), Is.True);
        }

        RegressionSnapshot regression = monitor.GetSnapshot().Regression!;
        Assert.That(regression.Count, Is.EqualTo(_test.Count));
        Assert.That(regression.AbsoluteErrorSum, Is.EqualTo(absoluteErrors).Within(1e-6));
    }

    [Test]
    public void UseMLNetPredictions_MonitorWithoutTheModelsClass_FailsAtBuildNamingMonitor()
    {
        using var monitor = NewMonitor(["apple", "mango", "kiwi"]);
        PredictorBuilder<BlobRow, MulticlassOutput> builder = MLNetPredictor.Create<BlobRow, MulticlassOutput>(_ml, _multiclass)
            .AsBuilder().UseMLNetPredictions(monitor, row => row.Id);

        ArgumentException exception = Assert.Throws<ArgumentException>(() => builder.Build())!;
        Assert.That(exception.ParamName, Is.EqualTo("monitor"));
        Assert.That(exception.Message, Does.Contain("'zebra'"));
    }

    [Test]
    public void UseMLNetPredictions_RegressionWithoutIds_FailsAtBuildNamingPredictionId()
    {
        ITransformer model = Blobs.TrainRegression(_ml, Blobs.Generate(200, seed: 1));
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "mlnet-regression-" + Guid.NewGuid().ToString("N") });
        PredictorBuilder<BlobRow, RegressionOutput> builder = MLNetPredictor.Create<BlobRow, RegressionOutput>(_ml, model)
            .AsBuilder().UseMLNetPredictions(monitor, predictionId: null);

        Assert.That(() => builder.Build(), Throws.ArgumentException.With.Property(nameof(ArgumentException.ParamName)).EqualTo("predictionId"));
    }

    [Test]
    public void UseMLNetPredictions_WithoutAnMLNetModel_FailsAtBuild()
    {
        using var monitor = NewMonitor(Blobs.MonitorLabels);
        PredictorBuilder<BlobRow, MulticlassOutput> builder = Predictor.Create<BlobRow, MulticlassOutput>(_ => new MulticlassOutput())
            .AsBuilder().UseMLNetPredictions(monitor, predictionId: null);

        Assert.That(() => builder.Build(), Throws.InvalidOperationException.With.Message.Contains("MLNetPredictor.Create"));
    }

    [Test]
    public void UseMLNetPredictions_ThrowingIdSelector_NeverFailsTheCallAndIsCounted()
    {
        using var monitor = NewMonitor(Blobs.MonitorLabels);
        using IPredictor<BlobRow, MulticlassOutput> predictor = MLNetPredictor.Create<BlobRow, MulticlassOutput>(_ml, _multiclass)
            .AsBuilder().UseMLNetPredictions(monitor, _ => throw new InvalidOperationException("no id")).Build();

        MulticlassOutput output = predictor.Predict(_test[0]);

        Assert.That(output.Score, Has.Length.EqualTo(3));
        Assert.That(monitor.GetSnapshot().Labels.InvalidId, Is.EqualTo(1));
    }

    [Test]
    public void Create_InvalidRetainedEngines_ThrowsNamingTheOption()
    {
        Assert.That(
            () => MLNetPredictor.Create<BlobRow, MulticlassOutput>(_ml, _multiclass, o => o.MaxRetainedEngines = 0),
            Throws.ArgumentException.With.Property(nameof(ArgumentException.ParamName)).EqualTo(nameof(MLNetPredictorOptions.MaxRetainedEngines)));
    }

    [Test]
    public void Record_WithoutId_AllocatesNothing()
    {
        using PredictionEngine<BlobRow, MulticlassOutput> engine = _ml.Model.CreatePredictionEngine<BlobRow, MulticlassOutput>(_multiclass);
        using var monitor = NewMonitor(Blobs.MonitorLabels);
        var reader = MLNetOutputReader<MulticlassOutput>.Create(engine.OutputSchema, monitor);
        MulticlassOutput[] outputs = [.. _test.Take(50).Select(engine.Predict)];
        foreach (MulticlassOutput output in outputs)
        {
            reader.Record(output, default, withId: false);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            reader.Record(outputs[i % outputs.Length], default, withId: false);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.That(allocated, Is.Zero);
        Assert.That(monitor.GetSnapshot().Rejected, Is.Empty);
    }

    private static ModelMonitor NewMonitor(string[] labels) =>
        new(new ModelMonitorOptions { ModelName = "mlnet-" + Guid.NewGuid().ToString("N"), ClassLabels = labels });
}
