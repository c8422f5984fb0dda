// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.ML.OnnxRuntime;
using NUnit.Framework;

namespace ModelMetrics.Onnx.Tests;

public sealed class OnnxPredictorTests
{
    private const double Tolerance = 1e-5;
    private static readonly string[] Labels = SoftmaxClassifier.Labels;

    private InferenceSession _session = null!;

    [OneTimeSetUp]
    public void LoadModel() => _session = new InferenceSession(SoftmaxClassifier.Build());

    [OneTimeTearDown]
    public void DisposeModel() => _session.Dispose();

    [Test]
    public void Predict_SoftmaxModel_OutputsEqualTheModelComputedInCSharp()
    {
        using ModelMonitor monitor = NewMonitor();
        using IPredictor<float[], OnnxPrediction> predictor = OnnxPredictor.Create(_session, monitor, o =>
        {
            o.LabelOutput = "label";
            o.ProbabilitiesOutput = "probabilities";
        });

        float[][] rows = SoftmaxClassifier.DataSet(200);
        foreach (float[] x in rows)
        {
            OnnxPrediction prediction = predictor.Predict(x);
            double[] expected = SoftmaxClassifier.Probabilities(x);
            int expectedClass = SoftmaxClassifier.Predict(x);
            Assert.That(prediction.Probabilities.ToArray(), Is.EqualTo(expected).Within(Tolerance));
            Assert.That(prediction.ClassIndex, Is.EqualTo(expectedClass));
            Assert.That(prediction.Label, Is.EqualTo(Labels[expectedClass]));
            Assert.That(prediction.Score, Is.NaN);
        }

        // Every class occurs in the data set, so a model stuck on one class would fail above.
        Assert.That(rows.Select(SoftmaxClassifier.Predict).Distinct().Count(), Is.EqualTo(Labels.Length));
    }

    [Test]
    public void Predict_ThenGroundTruth_ConfusionMatrixEqualsExpected()
    {
        using ModelMonitor monitor = NewMonitor();
        using IPredictor<float[], OnnxPrediction> predictor = OnnxPredictor.Create(_session, monitor, o => o.ProbabilitiesOutput = "probabilities")
            .AsBuilder().UseMetrics(monitor).Build();

        float[][] rows = SoftmaxClassifier.DataSet(300);
        long[,] expected = new long[Labels.Length, Labels.Length];
        long[] predictedCounts = new long[Labels.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            int actual = SoftmaxClassifier.Actual(rows[i], i);
            OnnxPrediction prediction = predictor.Predict(rows[i]);
            monitor.RecordGroundTruth(prediction.Probabilities.Span, actual);
            expected[SoftmaxClassifier.Predict(rows[i]), actual]++;
            predictedCounts[SoftmaxClassifier.Predict(rows[i])]++;
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Calls, Is.EqualTo(rows.Length));
        Assert.That(snapshot.Succeeded, Is.EqualTo(rows.Length));
        AssertConfusionMatrix(snapshot.Classification!, expected);
        Assert.That(snapshot.Classification!.ScoredCount, Is.EqualTo(rows.Length));

        // Each prediction was counted for drift by the adapter, without mapping code.
        Assert.That(snapshot.Drift!.Predictions, Is.EqualTo(rows.Length));
        Assert.That(snapshot.Drift.ClassShares, Is.EqualTo(predictedCounts.Select(c => (double)c / rows.Length)).Within(1e-12));
        Assert.That(snapshot.Rejected.Values.Sum(), Is.Zero);
    }

    [TestCase(1024)]
    [TestCase(7)]
    [TestCase(1)]
    public async Task PredictBatchAsync_EqualsSingleCalls(int maxBatchSize)
    {
        using ModelMonitor batchMonitor = NewMonitor();
        using ModelMonitor singleMonitor = NewMonitor();
        using IPredictor<float[], OnnxPrediction> batched = OnnxPredictor.Create(_session, batchMonitor, o =>
        {
            o.LabelOutput = "label";
            o.ProbabilitiesOutput = "probabilities";
            o.MaxBatchSize = maxBatchSize;
        }).AsBuilder().UseMetrics(batchMonitor).Build();
        using IPredictor<float[], OnnxPrediction> single = OnnxPredictor.Create(_session, singleMonitor, o =>
        {
            o.LabelOutput = "label";
            o.ProbabilitiesOutput = "probabilities";
        });

        float[][] rows = SoftmaxClassifier.DataSet(50, seed: 7);
        IReadOnlyList<OnnxPrediction> results = await batched.PredictBatchAsync(rows);

        Assert.That(results, Has.Count.EqualTo(rows.Length));
        for (int i = 0; i < rows.Length; i++)
        {
            OnnxPrediction one = single.Predict(rows[i]);
            Assert.That(results[i].ClassIndex, Is.EqualTo(one.ClassIndex), $"row {i}");
            Assert.That(results[i].Label, Is.EqualTo(one.Label));
            Assert.That(results[i].Probabilities.ToArray(), Is.EqualTo(one.Probabilities.ToArray()).Within(1e-6));
            Assert.That(results[i].Probabilities.ToArray(), Is.EqualTo(SoftmaxClassifier.Probabilities(rows[i])).Within(Tolerance));
        }

        ModelMonitorSnapshot batch = batchMonitor.GetSnapshot();
        Assert.That(batch.Calls, Is.EqualTo(1));
        Assert.That(batch.Items, Is.EqualTo(rows.Length));
        Assert.That(batch.Drift!.Predictions, Is.EqualTo(rows.Length));
        Assert.That(batch.Drift.ClassShares, Is.EqualTo(singleMonitor.GetSnapshot().Drift!.ClassShares).Within(1e-12));
    }

    [Test]
    public async Task PredictBatchAsync_WithPredictionIds_DelayedLabelsGiveTheExpectedConfusionMatrix()
    {
        using ModelMonitor monitor = NewMonitor();
        float[][] rows = SoftmaxClassifier.DataSet(120, seed: 11);
        var ids = new Dictionary<float[], long>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < rows.Length; i++)
        {
            ids[rows[i]] = 1000 + i;
        }

        using IPredictor<float[], OnnxPrediction> predictor = OnnxPredictor.Create(_session, monitor, o =>
        {
            o.LabelOutput = "label";
            o.ProbabilitiesOutput = "probabilities";
            o.PredictionId = x => ids[x];
        });

        await predictor.PredictBatchAsync(rows);
        Assert.That(monitor.GetSnapshot().Labels.Pending, Is.EqualTo(rows.Length));

        long[,] expected = new long[Labels.Length, Labels.Length];
        for (int i = rows.Length - 1; i >= 0; i--)
        {
            int actual = SoftmaxClassifier.Actual(rows[i], i);
            Assert.That(monitor.RecordLabel(1000 + i, actual), Is.True);
            expected[SoftmaxClassifier.Predict(rows[i]), actual]++;
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Labels.Joined, Is.EqualTo(rows.Length));
        Assert.That(snapshot.Labels.Pending, Is.Zero);
        AssertConfusionMatrix(snapshot.Classification!, expected);
        Assert.That(snapshot.Classification!.ScoredCount, Is.EqualTo(rows.Length), "the probabilities were kept for log-loss");
    }

    [Test]
    public void Predict_TwoThreads_CountsExact()
    {
        const int CallsPerThread = 400;
        using ModelMonitor monitor = NewMonitor();
        using IPredictor<float[], OnnxPrediction> predictor = OnnxPredictor.Create(_session, monitor, o =>
        {
            o.LabelOutput = "label";
            o.ProbabilitiesOutput = "probabilities";
        }).AsBuilder().UseMetrics(monitor).Build();

        float[][] rows = SoftmaxClassifier.DataSet(CallsPerThread, seed: 3);
        long[] predictedCounts = new long[Labels.Length];
        foreach (float[] x in rows)
        {
            predictedCounts[SoftmaxClassifier.Predict(x)] += 2;
        }

        using var start = new Barrier(2);
        int[] wrong = new int[2];
        Thread[] threads = [.. Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            start.SignalAndWait(TimeSpan.FromSeconds(30));
            foreach (float[] x in rows)
            {
                if (predictor.Predict(x).ClassIndex != SoftmaxClassifier.Predict(x))
                {
                    wrong[t]++;
                }
            }
        }))];
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            Assert.That(thread.Join(TimeSpan.FromSeconds(60)), Is.True);
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(wrong, Is.EqualTo(new[] { 0, 0 }));
        Assert.That(snapshot.Calls, Is.EqualTo(2 * CallsPerThread));
        Assert.That(snapshot.Succeeded, Is.EqualTo(2 * CallsPerThread));
        Assert.That(snapshot.Drift!.Predictions, Is.EqualTo(2 * CallsPerThread));
        Assert.That(snapshot.Drift.ClassShares, Is.EqualTo(predictedCounts.Select(c => (double)c / (2 * CallsPerThread))).Within(1e-12));
    }

    [TestCase("probability_map")]
    [TestCase("probability_map_int")]
    public void Predict_ZipMapOutput_ProbabilitiesInLabelOrder(string output)
    {
        using ModelMonitor monitor = NewMonitor();
        using IPredictor<float[], OnnxPrediction> predictor = OnnxPredictor.Create(_session, monitor, o => o.ProbabilitiesOutput = output);

        float[][] rows = SoftmaxClassifier.DataSet(60, seed: 5);
        foreach (float[] x in rows)
        {
            OnnxPrediction prediction = predictor.Predict(x);
            Assert.That(prediction.Probabilities.ToArray(), Is.EqualTo(SoftmaxClassifier.Probabilities(x)).Within(Tolerance));
            Assert.That(prediction.ClassIndex, Is.EqualTo(SoftmaxClassifier.Predict(x)));
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Drift!.Predictions, Is.EqualTo(rows.Length));
        Assert.That(snapshot.Rejected.Values.Sum(), Is.Zero);
    }

    [TestCase("label")]
    [TestCase("label32")]
    [TestCase("label_name")]
    public async Task Predict_LabelOutputOnly_ClassFromTheLabel(string output)
    {
        using ModelMonitor monitor = NewMonitor();
        using IPredictor<float[], OnnxPrediction> predictor = OnnxPredictor.Create(_session, monitor, o => o.LabelOutput = output);

        float[][] rows = SoftmaxClassifier.DataSet(60, seed: 9);
        IReadOnlyList<OnnxPrediction> results = await predictor.PredictBatchAsync(rows);
        long[] predictedCounts = new long[Labels.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            int expected = SoftmaxClassifier.Predict(rows[i]);
            predictedCounts[expected]++;
            Assert.That(results[i].ClassIndex, Is.EqualTo(expected));
            Assert.That(results[i].Label, Is.EqualTo(Labels[expected]));
            Assert.That(results[i].Probabilities.IsEmpty, Is.True);
        }

        DriftSnapshot drift = monitor.GetSnapshot().Drift!;
        Assert.That(drift.Predictions, Is.EqualTo(rows.Length));
        Assert.That(drift.ClassShares, Is.EqualTo(predictedCounts.Select(c => (double)c / rows.Length)).Within(1e-12));
    }

    [Test]
    public void Predict_LabelsTheMonitorDoesNotDeclare_CountedNotThrown()
    {
        // Same class count, but "high" is not declared: the model's label and ZipMap key for class 2 match nothing.
        using ModelMonitor monitor = NewMonitor(["low", "mid", "top"]);
        using IPredictor<float[], OnnxPrediction> byLabel = OnnxPredictor.Create(_session, monitor, o => o.LabelOutput = "label_name");
        using IPredictor<float[], OnnxPrediction> byMap = OnnxPredictor.Create(_session, monitor, o => o.ProbabilitiesOutput = "probability_map");

        float[] high = SoftmaxClassifier.DataSet(200).First(x => SoftmaxClassifier.Predict(x) == 2);
        OnnxPrediction labelled = byLabel.Predict(high);
        OnnxPrediction mapped = byMap.Predict(high);

        Assert.That(labelled.ClassIndex, Is.EqualTo(-1));
        Assert.That(labelled.Label, Is.Null);
        Assert.That(mapped.Probabilities.Span[2], Is.Zero, "the undeclared key's probability is left out");
        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Rejected["label_out_of_range"], Is.EqualTo(1));
        Assert.That(snapshot.Rejected["invalid_probabilities"], Is.EqualTo(1));
        Assert.That(snapshot.Drift?.Predictions ?? 0, Is.Zero);
    }

    [Test]
    public async Task Predict_ScoreOutput_RegressionWithDelayedActuals()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = UniqueName() });
        using IPredictor<float[], OnnxPrediction> predictor = OnnxPredictor.Create(_session, monitor, o =>
        {
            o.ScoreOutput = "score";
            o.PredictionId = x => $"row-{x[0]:R}-{x[1]:R}";
        });

        float[][] rows = SoftmaxClassifier.DataSet(40, seed: 13);
        IReadOnlyList<OnnxPrediction> results = await predictor.PredictBatchAsync(rows);
        double absoluteErrors = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            double expected = SoftmaxClassifier.Score(rows[i]);
            Assert.That(results[i].Score, Is.EqualTo(expected).Within(Tolerance));
            Assert.That(results[i].ClassIndex, Is.EqualTo(-1));
            double actual = expected + (i % 2 == 0 ? 0.5 : -0.25);
            absoluteErrors += Math.Abs(results[i].Score - actual);
            Assert.That(monitor.RecordRegressionLabel($"row-{rows[i][0]:R}-{rows[i][1]:R}", actual), Is.True);
        }

        RegressionSnapshot regression = monitor.GetSnapshot().Regression!;
        Assert.That(regression.Count, Is.EqualTo(rows.Length));
        Assert.That(regression.MeanAbsoluteError, Is.EqualTo(absoluteErrors / rows.Length).Within(1e-9));
    }

    [Test]
    public async Task PredictBatchAsync_FixedBatchDimensionOfOne_RunsOneInputAtATime()
    {
        using var session = new InferenceSession(SoftmaxClassifier.Build(batch: 1));
        using ModelMonitor monitor = NewMonitor();
        using IPredictor<float[], OnnxPrediction> predictor = OnnxPredictor.Create(session, monitor, o => o.ProbabilitiesOutput = "probabilities");

        float[][] rows = SoftmaxClassifier.DataSet(9, seed: 17);
        IReadOnlyList<OnnxPrediction> results = await predictor.PredictBatchAsync(rows);
        for (int i = 0; i < rows.Length; i++)
        {
            Assert.That(results[i].Probabilities.ToArray(), Is.EqualTo(SoftmaxClassifier.Probabilities(rows[i])).Within(Tolerance));
        }
    }

    [Test]
    public void Create_OwnInputType_WriterFillsTheRow()
    {
        using ModelMonitor monitor = NewMonitor();
        using IPredictor<(float A, float B), OnnxPrediction> predictor = OnnxPredictor.Create<(float A, float B)>(
            _session,
            monitor,
            (input, row) =>
            {
                // Features 2 and 3 are left to the cleared buffer: zero.
                row[0] = input.A;
                row[1] = input.B;
            },
            o => o.ProbabilitiesOutput = "probabilities");

        OnnxPrediction prediction = predictor.Predict((1.5f, -0.5f));
        Assert.That(prediction.Probabilities.ToArray(), Is.EqualTo(SoftmaxClassifier.Probabilities([1.5f, -0.5f, 0f, 0f])).Within(Tolerance));
    }

    [Test]
    public void Predict_WrongFeatureCount_FailsTheCallAndIsCounted()
    {
        using ModelMonitor monitor = NewMonitor();
        using IPredictor<float[], OnnxPrediction> predictor = OnnxPredictor.Create(_session, monitor, o => o.LabelOutput = "label")
            .AsBuilder().UseMetrics(monitor).Build();

        Assert.Throws<ArgumentException>(() => predictor.Predict([1f, 2f]));
        Assert.ThrowsAsync<ArgumentException>(async () => await predictor.PredictAsync([1f, 2f, 3f, 4f, 5f]));
        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Failed, Is.EqualTo(2));
        Assert.That(snapshot.Failures[typeof(ArgumentException).FullName!], Is.EqualTo(2));
        Assert.That(snapshot.Drift?.Predictions ?? 0, Is.Zero);
    }

    [Test]
    public void PredictAsync_CancelledToken_IsCancelledAndRecordsNothing()
    {
        using ModelMonitor monitor = NewMonitor();
        using IPredictor<float[], OnnxPrediction> predictor = OnnxPredictor.Create(_session, monitor, o => o.LabelOutput = "label");
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        Assert.ThrowsAsync<TaskCanceledException>(async () => await predictor.PredictAsync(new float[4], cancellation.Token));
        Assert.ThrowsAsync<TaskCanceledException>(async () => await predictor.PredictBatchAsync([new float[4]], cancellation.Token));
        Assert.That(monitor.GetSnapshot().Drift?.Predictions ?? 0, Is.Zero);
    }

    [Test]
    public async Task PredictAsync_CancellableToken_RunsWithItsOwnRunOptions()
    {
        using ModelMonitor monitor = NewMonitor();
        using IPredictor<float[], OnnxPrediction> predictor = OnnxPredictor.Create(_session, monitor, o => o.ProbabilitiesOutput = "probabilities");
        using var cancellation = new CancellationTokenSource();
        float[] x = SoftmaxClassifier.DataSet(1)[0];

        OnnxPrediction prediction = await predictor.PredictAsync(x, cancellation.Token);
        Assert.That(prediction.Probabilities.ToArray(), Is.EqualTo(SoftmaxClassifier.Probabilities(x)).Within(Tolerance));
    }

    [Test]
    public void PredictBatchAsync_CancelledDuringTheRun_TerminatesTheRun()
    {
        // 2,000 MatMuls of 2,048 × 256 by 256 × 256 on one thread: seconds to minutes uncancelled, so the token (cancelled
        // after 500 ms) fires during the run, and ONNX Runtime stops at the next node when Terminate is set.
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(SlowModel.Build(2000), sessionOptions);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = UniqueName() });
        using IPredictor<float[], OnnxPrediction> predictor = OnnxPredictor.Create(session, monitor, o => o.ScoreOutput = "score")
            .AsBuilder().UseMetrics(monitor).Build();
        float[][] rows = [.. Enumerable.Range(0, 2048).Select(i => Enumerable.Repeat((float)i, SlowModel.Features).ToArray())];
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));

        OperationCanceledException? error = Assert.ThrowsAsync<OperationCanceledException>(async () => await predictor.PredictBatchAsync(rows, cancellation.Token));

        Assert.That(error!.CancellationToken, Is.EqualTo(cancellation.Token));
        Assert.That(error.InnerException, Is.InstanceOf<OnnxRuntimeException>(), "the run itself was terminated");
        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Failures["cancelled"], Is.EqualTo(1));
    }

    [Test]
    public void Predict_PredictionIdSelectorThrows_CallSucceedsAndTheInvalidIdIsCounted()
    {
        using ModelMonitor monitor = NewMonitor();
        using IPredictor<float[], OnnxPrediction> predictor = OnnxPredictor.Create(_session, monitor, o =>
        {
            o.ProbabilitiesOutput = "probabilities";
            o.PredictionId = _ => throw new InvalidOperationException("no id");
        });

        OnnxPrediction prediction = predictor.Predict(new float[4]);
        Assert.That(prediction.ClassIndex, Is.EqualTo(SoftmaxClassifier.Predict(new float[4])));
        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Labels.Pending, Is.Zero);
        Assert.That(snapshot.Labels.InvalidId, Is.EqualTo(1));
        Assert.That(snapshot.Drift!.Predictions, Is.EqualTo(1), "still counted for drift");
    }

    [Test]
    public async Task PredictStreamingAsync_YieldsTheOnePrediction()
    {
        using ModelMonitor monitor = NewMonitor();
        using IPredictor<float[], OnnxPrediction> predictor = OnnxPredictor.Create(_session, monitor, o => o.LabelOutput = "label");
        float[] x = SoftmaxClassifier.DataSet(1, seed: 21)[0];

        List<OnnxPrediction> chunks = [];
        await foreach (OnnxPrediction chunk in predictor.PredictStreamingAsync(x))
        {
            chunks.Add(chunk);
        }

        Assert.That(chunks.Select(c => c.ClassIndex), Is.EqualTo(new[] { SoftmaxClassifier.Predict(x) }));
        Assert.That(monitor.GetSnapshot().Drift!.Predictions, Is.EqualTo(1));
    }

    [Test]
    public void GetService_ReturnsTheSession()
    {
        using ModelMonitor monitor = NewMonitor();
        using IPredictor<float[], OnnxPrediction> predictor = OnnxPredictor.Create(_session, monitor, o => o.LabelOutput = "label")
            .AsBuilder().UseMetrics(monitor).Build();

        Assert.That(predictor.GetService<InferenceSession>(), Is.SameAs(_session));
        Assert.That(predictor.GetService<ModelMonitor>(), Is.SameAs(monitor));
    }

    [Test]
    public void Dispose_Twice_ThenCallsThrowObjectDisposed()
    {
        using ModelMonitor monitor = NewMonitor();
        var session = new InferenceSession(SoftmaxClassifier.Build());
        IPredictor<float[], OnnxPrediction> predictor = OnnxPredictor.Create(session, monitor, o =>
        {
            o.LabelOutput = "label";
            o.DisposeSession = true;
        });

        predictor.Dispose();
        predictor.Dispose();
        Assert.Throws<ObjectDisposedException>(() => predictor.Predict(new float[4]));
    }

    [TestCase("nope", null, null, null, "LabelOutput")]
    [TestCase(null, "nope", null, null, "ProbabilitiesOutput")]
    [TestCase("probabilities", null, null, null, "LabelOutput")]
    [TestCase(null, "label", null, null, "ProbabilitiesOutput")]
    [TestCase(null, null, "label", null, "ScoreOutput")]
    [TestCase("label", null, "score", null, "ScoreOutput")]
    [TestCase(null, null, null, null, "configure")]
    [TestCase("label", null, null, "other", "InputName")]
    public void Create_OptionsThatDoNotFitTheModel_ThrowNamingTheOption(string? label, string? probabilities, string? score, string? input, string option)
    {
        using ModelMonitor monitor = NewMonitor();
        ArgumentException? error = Assert.Throws<ArgumentException>(() => OnnxPredictor.Create(_session, monitor, o =>
        {
            o.LabelOutput = label;
            o.ProbabilitiesOutput = probabilities;
            o.ScoreOutput = score;
            o.InputName = input;
        }));
        Assert.That(error!.ParamName, Is.EqualTo(option));
    }

    [Test]
    public void Create_ClassCountDiffersFromTheMonitorsLabels_Throws()
    {
        using ModelMonitor monitor = NewMonitor(["no", "yes"]);
        ArgumentException? error = Assert.Throws<ArgumentException>(() => OnnxPredictor.Create(_session, monitor, o => o.ProbabilitiesOutput = "probabilities"));
        Assert.That(error!.ParamName, Is.EqualTo("ProbabilitiesOutput"));
        Assert.That(error.Message, Does.Contain("3 classes"));
    }

    [Test]
    public void Create_ClassifierWithoutClassLabels_Throws()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = UniqueName() });
        ArgumentException? error = Assert.Throws<ArgumentException>(() => OnnxPredictor.Create(_session, monitor, o => o.LabelOutput = "label"));
        Assert.That(error!.ParamName, Is.EqualTo("monitor"));
    }

    [Test]
    public void MaxBatchSize_OutOfRange_Throws()
    {
        var options = new OnnxPredictorOptions<float[]>();
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxBatchSize = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxBatchSize = OnnxPredictorOptions<float[]>.MaxMaxBatchSize + 1);
        Assert.That(options.MaxBatchSize, Is.EqualTo(1024));
    }

    /// <summary>A classifier's monitor with a uniform drift reference, so that snapshots show drift (the predicted-class shares).</summary>
    private static ModelMonitor NewMonitor(string[]? labels = null)
    {
        labels ??= Labels;
        var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = UniqueName(), ClassLabels = labels });
        monitor.SetDriftReference([.. labels.Select(_ => 1.0)]);
        return monitor;
    }

    private static string UniqueName() => "onnx-" + Guid.NewGuid().ToString("N")[..12];

    private static void AssertConfusionMatrix(ClassificationSnapshot classification, long[,] expected)
    {
        Assert.That(classification.HasMatrix, Is.True);
        long total = 0;
        for (int predicted = 0; predicted < Labels.Length; predicted++)
        {
            for (int actual = 0; actual < Labels.Length; actual++)
            {
                Assert.That(classification.GetCount(predicted, actual), Is.EqualTo(expected[predicted, actual]), $"predicted {predicted}, actual {actual}");
                total += expected[predicted, actual];
            }
        }

        Assert.That(classification.Total, Is.EqualTo(total));
        Assert.That(expected[0, 1] + expected[1, 2] + expected[2, 0], Is.GreaterThan(0), "the data set has errors to count");
    }
}
