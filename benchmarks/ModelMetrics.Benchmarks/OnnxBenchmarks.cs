// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using ModelMetrics.Onnx;
using ModelMetrics.Onnx.Tests;

namespace ModelMetrics.Benchmarks;

/// <summary>
/// What the ONNX Runtime adapter adds to a run of a small model (the tests' softmax classifier, 4 features, 3 classes):
/// a raw <see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string})"/>
/// over an input tensor created once, its outputs read into a new array (the baseline), beside <c>OnnxPredictor</c>'s
/// <c>Predict</c> (pooled input, output read per row, prediction recorded for drift), the same through <c>UseMetrics</c>,
/// and a batch of 32 inputs, raw and through <c>PredictBatchAsync</c>.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class OnnxBenchmarks
{
    private const int BatchSize = 32;
    private static readonly string[] InputNames = ["features"];
    private static readonly string[] OutputNames = ["probabilities", "label"];

    private InferenceSession _session = null!;
    private RunOptions _runOptions = null!;
    private OrtValue _single = null!;
    private OrtValue _batch = null!;
    private ModelMonitor _monitor = null!;
    private ModelMonitor _measuredMonitor = null!;
    private IPredictor<float[], OnnxPrediction> _adapter = null!;
    private IPredictor<float[], OnnxPrediction> _measured = null!;
    private float[] _input = null!;
    private float[][] _inputs = null!;

    [GlobalSetup]
    public void Setup()
    {
        // One intra-op thread: a model this small runs fastest on the caller's thread, and spinning pool threads would add
        // noise on a 2-core VM.
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        _session = new InferenceSession(SoftmaxClassifier.Build(), sessionOptions);
        _runOptions = new RunOptions();
        _inputs = SoftmaxClassifier.DataSet(BatchSize);
        _input = _inputs[0];
        _single = OrtValue.CreateTensorValueFromMemory([.. _input], [1, SoftmaxClassifier.Features]);
        _batch = OrtValue.CreateTensorValueFromMemory([.. _inputs.SelectMany(x => x)], [BatchSize, SoftmaxClassifier.Features]);
        _monitor = NewMonitor("onnx-bench");
        _measuredMonitor = NewMonitor("onnx-bench-measured");
        _adapter = OnnxPredictor.Create(_session, _monitor, Configure);
        _measured = OnnxPredictor.Create(_session, _measuredMonitor, Configure).AsBuilder().UseMetrics(_measuredMonitor).Build();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _adapter.Dispose();
        _measured.Dispose();
        _monitor.Dispose();
        _measuredMonitor.Dispose();
        _single.Dispose();
        _batch.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }

    [Benchmark(Baseline = true, Description = "session.Run, 1 input (raw)")]
    public float RawSingle() => RawRun(_single, 1);

    [Benchmark(Description = "OnnxPredictor.Predict")]
    public float Adapter() => _adapter.Predict(_input).Probabilities.Span[0];

    [Benchmark(Description = "OnnxPredictor.Predict + UseMetrics")]
    public float AdapterMeasured() => _measured.Predict(_input).Probabilities.Span[0];

    [Benchmark(Description = "session.Run, 32 inputs (raw)")]
    public float RawBatch() => RawRun(_batch, BatchSize);

    [Benchmark(Description = "OnnxPredictor.PredictBatchAsync, 32 inputs")]
    public float AdapterBatch()
    {
        ValueTask<IReadOnlyList<OnnxPrediction>> pending = _adapter.PredictBatchAsync(_inputs);
        return pending.IsCompletedSuccessfully
            ? pending.Result[BatchSize - 1].Probabilities.Span[0]
            : throw new InvalidOperationException("The adapter completes synchronously.");
    }

    private static void Configure(OnnxPredictorOptions<float[]> options)
    {
        options.LabelOutput = "label";
        options.ProbabilitiesOutput = "probabilities";
    }

    private static ModelMonitor NewMonitor(string name)
    {
        var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = name, ClassLabels = SoftmaxClassifier.Labels });
        monitor.SetDriftReference([1.0, 1.0, 1.0]);
        return monitor;
    }

    /// <summary>A raw run that reads what the adapter reads: the probabilities (copied per row) and the labels.</summary>
    private float RawRun(OrtValue input, int rows)
    {
        using IDisposableReadOnlyCollection<OrtValue> outputs = _session.Run(_runOptions, InputNames, [input], OutputNames);
        OrtValue probabilities = outputs[0];
        ReadOnlySpan<float> all = probabilities.GetTensorDataAsSpan<float>();
        int classes = SoftmaxClassifier.Labels.Length;
        float sum = 0;
        for (int i = 0; i < rows; i++)
        {
            sum += all.Slice(i * classes, classes).ToArray()[0];
        }

        return sum + outputs[1].GetTensorDataAsSpan<long>()[rows - 1];
    }
}
