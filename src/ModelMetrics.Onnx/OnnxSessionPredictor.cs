// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Buffers;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace ModelMetrics.Onnx;

/// <summary>
/// The adapter behind <see cref="OnnxPredictor"/>: writes inputs into a pooled float tensor, runs the session, reads the
/// outputs named in the options per row and records each prediction through the monitor's public API.
/// </summary>
/// <typeparam name="TInput">The model's input.</typeparam>
// Note: errors name the option the user set (ParamName), a property of the options object rather than a parameter here.
#pragma warning disable CA2208
internal sealed class OnnxSessionPredictor<TInput> : IPredictor<TInput, OnnxPrediction>
{
    private readonly InferenceSession _session;
    private readonly ModelMonitor _monitor;
    private readonly OnnxInputWriter<TInput> _writeInput;
    private readonly Func<TInput, PredictionId>? _predictionId;
    private readonly bool _disposeSession;
    private readonly string[] _labels;
    private readonly byte[][] _utf8Labels;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly int _features;
    private readonly int _maxBatchSize;
    private readonly long[] _singleRowShape;
    private readonly int _labelSlot = -1;
    private readonly LabelKind _labelKind;
    private readonly int _probabilitiesSlot = -1;
    private readonly bool _probabilitiesAreMaps;
    private readonly int _scoreSlot = -1;
    private readonly RunOptions _runOptions = new();

    // Read with Volatile.Read so a call after Dispose on another thread fails cleanly instead of using released handles;
    // set with Interlocked.Exchange so the handles are released once. A call already running when Dispose starts is the
    // caller's race, as with InferenceSession itself.
    private int _disposed;

    public OnnxSessionPredictor(InferenceSession session, ModelMonitor monitor, OnnxInputWriter<TInput> writeInput, OnnxPredictorOptions<TInput> options)
    {
        try
        {
            _session = session;
            _monitor = monitor;
            _writeInput = writeInput;
            _predictionId = options.PredictionId;
            _disposeSession = options.DisposeSession;
            _labels = [.. monitor.ClassLabels];
            _utf8Labels = [.. _labels.Select(System.Text.Encoding.UTF8.GetBytes)];

            (string inputName, _features, bool batches) = ValidateInput(session, options.InputName);
            _inputNames = [inputName];
            _singleRowShape = [1, _features];
            _maxBatchSize = batches ? options.MaxBatchSize : 1;

            if (options.LabelOutput is null && options.ProbabilitiesOutput is null && options.ScoreOutput is null)
            {
                throw new ArgumentException("Name the model's outputs to read: LabelOutput and/or ProbabilitiesOutput for a classifier, ScoreOutput for a regression model.", "configure");
            }

            if (options.ScoreOutput is not null && (options.LabelOutput is not null || options.ProbabilitiesOutput is not null))
            {
                throw new ArgumentException("ScoreOutput is a regression model's output; it cannot be combined with LabelOutput or ProbabilitiesOutput.", nameof(options.ScoreOutput));
            }

            bool classifier = options.ScoreOutput is null;
            if (classifier && _labels.Length == 0)
            {
                throw new ArgumentException($"The monitor '{monitor.ModelName}' declares no ClassLabels: a classifier's outputs are recorded against them.", nameof(monitor));
            }

            if (!classifier && _predictionId is not null && _labels.Length > 0)
            {
                throw new ArgumentException($"The monitor '{monitor.ModelName}' declares ClassLabels, so it takes class predictions only; record a regression model's scores into a monitor without them.", nameof(monitor));
            }

            List<string> outputs = [];
            if (options.LabelOutput is { } label)
            {
                NodeMetadata meta = OutputMetadata(session, label, nameof(options.LabelOutput));
                _labelKind = meta.IsTensor && IsColumn(meta.Dimensions) ? meta.ElementDataType switch
                {
                    TensorElementType.Int64 => LabelKind.Int64,
                    TensorElementType.Int32 => LabelKind.Int32,
                    TensorElementType.String => LabelKind.String,
                    _ => LabelKind.None,
                }
                : LabelKind.None;
                if (_labelKind == LabelKind.None)
                {
                    throw new ArgumentException($"The output '{label}' must be an int64, int32 or string tensor of shape [batch] or [batch, 1].", nameof(options.LabelOutput));
                }

                _labelSlot = Slot(outputs, label);
            }

            if (options.ProbabilitiesOutput is { } probabilities)
            {
                NodeMetadata meta = OutputMetadata(session, probabilities, nameof(options.ProbabilitiesOutput));
                if (meta.IsTensor && meta.ElementDataType == TensorElementType.Float && meta.Dimensions.Length == 2)
                {
                    int classes = meta.Dimensions[1];
                    if (classes > 0 && classes != _labels.Length)
                    {
                        throw new ArgumentException($"The output '{probabilities}' has {classes} classes; the monitor '{monitor.ModelName}' declares {_labels.Length} ClassLabels.", nameof(options.ProbabilitiesOutput));
                    }
                }
                else if (IsZipMap(meta))
                {
                    _probabilitiesAreMaps = true;
                }
                else
                {
                    throw new ArgumentException($"The output '{probabilities}' must be a float tensor [batch, classes] or a ZipMap sequence of maps from int64 or string to float.", nameof(options.ProbabilitiesOutput));
                }

                _probabilitiesSlot = Slot(outputs, probabilities);
            }

            if (options.ScoreOutput is { } score)
            {
                NodeMetadata meta = OutputMetadata(session, score, nameof(options.ScoreOutput));
                if (!meta.IsTensor || meta.ElementDataType != TensorElementType.Float || !IsColumn(meta.Dimensions))
                {
                    throw new ArgumentException($"The output '{score}' must be a float tensor of shape [batch] or [batch, 1].", nameof(options.ScoreOutput));
                }

                _scoreSlot = Slot(outputs, score);
            }

            _outputNames = [.. outputs];
        }
        catch
        {
            _runOptions.Dispose();
            throw;
        }
    }

    private enum LabelKind
    {
        None,
        Int64,
        Int32,
        String,
    }

    public OnnxPrediction Predict(TInput input)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        OnnxPrediction result = null!;
        RunRows(null, input, 0, 1, new Span<OnnxPrediction>(ref result), CancellationToken.None);
        return result;
    }

    public ValueTask<OnnxPrediction> PredictAsync(TInput input, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<OnnxPrediction>(cancellationToken);
        }

        // Note: InferenceSession.Run is synchronous; the call completes before it returns, without an async state machine.
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            OnnxPrediction result = null!;
            RunRows(null, input, 0, 1, new Span<OnnxPrediction>(ref result), cancellationToken);
            return new ValueTask<OnnxPrediction>(result);
        }
        catch (Exception exception)
        {
            return ValueTask.FromException<OnnxPrediction>(exception);
        }
    }

    public ValueTask<IReadOnlyList<OnnxPrediction>> PredictBatchAsync(IReadOnlyList<TInput> inputs, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<IReadOnlyList<OnnxPrediction>>(cancellationToken);
        }

        try
        {
            ArgumentNullException.ThrowIfNull(inputs);
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            OnnxPrediction[] results = new OnnxPrediction[inputs.Count];
            for (int start = 0; start < results.Length; start += _maxBatchSize)
            {
                int count = Math.Min(_maxBatchSize, results.Length - start);
                RunRows(inputs, default!, start, count, results.AsSpan(start, count), cancellationToken);
            }

            return new ValueTask<IReadOnlyList<OnnxPrediction>>(results);
        }
        catch (Exception exception)
        {
            return ValueTask.FromException<IReadOnlyList<OnnxPrediction>>(exception);
        }
    }

    public async IAsyncEnumerable<OnnxPrediction> PredictStreamingAsync(TInput input, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        yield return await PredictAsync(input, cancellationToken).ConfigureAwait(false);
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        return serviceType == typeof(InferenceSession) ? _session
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _runOptions.Dispose();
        if (_disposeSession)
        {
            _session.Dispose();
        }
    }

    private static (string Name, int Features, bool Batches) ValidateInput(InferenceSession session, string? inputName)
    {
        IReadOnlyDictionary<string, NodeMetadata> inputs = session.InputMetadata;
        if (inputName is null)
        {
            if (inputs.Count != 1)
            {
                throw new ArgumentException($"The model has {inputs.Count} inputs ({string.Join(", ", inputs.Keys)}); set InputName.", nameof(OnnxPredictorOptions<TInput>.InputName));
            }

            inputName = inputs.Keys.First();
        }

        if (!inputs.TryGetValue(inputName, out NodeMetadata? meta))
        {
            throw new ArgumentException($"The model has no input '{inputName}'; its inputs are: {string.Join(", ", inputs.Keys)}.", nameof(OnnxPredictorOptions<TInput>.InputName));
        }

        if (inputs.Count != 1)
        {
            throw new ArgumentException($"The model has other inputs than '{inputName}' ({string.Join(", ", inputs.Keys)}); the adapter feeds one float input.", nameof(OnnxPredictorOptions<TInput>.InputName));
        }

        int[] dimensions = meta.Dimensions;
        if (!meta.IsTensor || meta.ElementDataType != TensorElementType.Float || dimensions.Length != 2 || dimensions[1] <= 0 || dimensions[0] is 0 or < -1 or > 1)
        {
            throw new ArgumentException(
                $"The input '{inputName}' must be a float tensor [batch, features] with a fixed feature count and a symbolic (or 1) batch dimension; it is {meta.ElementDataType} [{string.Join(", ", dimensions)}].",
                nameof(OnnxPredictorOptions<TInput>.InputName));
        }

        return (inputName, dimensions[1], dimensions[0] == -1);
    }

    private static NodeMetadata OutputMetadata(InferenceSession session, string name, string option) =>
        session.OutputMetadata.TryGetValue(name, out NodeMetadata? meta)
            ? meta
            : throw new ArgumentException($"The model has no output '{name}'; its outputs are: {string.Join(", ", session.OutputMetadata.Keys)}.", option);

    /// <summary>Whether a shape is [batch] or [batch, 1]: one value per input.</summary>
    private static bool IsColumn(int[] dimensions) => dimensions.Length == 1 || (dimensions.Length == 2 && dimensions[1] is 1 or -1);

    private static bool IsZipMap(NodeMetadata meta)
    {
        if (meta.OnnxValueType != OnnxValueType.ONNX_TYPE_SEQUENCE)
        {
            return false;
        }

        NodeMetadata element = meta.AsSequenceMetadata().ElementMeta;
        if (element.OnnxValueType != OnnxValueType.ONNX_TYPE_MAP)
        {
            return false;
        }

        MapMetadata map = element.AsMapMetadata();
        return map.KeyDataType is TensorElementType.Int64 or TensorElementType.String
            && map.ValueMetadata.IsTensor && map.ValueMetadata.ElementDataType == TensorElementType.Float;
    }

    private static int Slot(List<string> outputs, string name)
    {
        int slot = outputs.IndexOf(name);
        if (slot < 0)
        {
            slot = outputs.Count;
            outputs.Add(name);
        }

        return slot;
    }

    /// <summary>Runs <paramref name="count"/> inputs (the list's from <paramref name="start"/>, or <paramref name="single"/>) in one run.</summary>
    private void RunRows(IReadOnlyList<TInput>? list, TInput single, int start, int count, Span<OnnxPrediction> results, CancellationToken cancellationToken)
    {
        int length = count * _features;
        float[] buffer = ArrayPool<float>.Shared.Rent(length);
        try
        {
            Span<float> rows = buffer.AsSpan(0, length);
            rows.Clear();
            for (int i = 0; i < count; i++)
            {
                _writeInput(list is null ? single : list[start + i], rows.Slice(i * _features, _features));
            }

            // Note: the tensor is a view over the pooled array (pinned until the OrtValue is disposed), so the features are
            // never copied into native memory; a single row reuses its shape array.
            long[] shape = count == 1 ? _singleRowShape : [count, _features];
            using OrtValue input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, buffer.AsMemory(0, length), shape);
            using IDisposableReadOnlyCollection<OrtValue> outputs = Run(input, cancellationToken);
            ReadRows(outputs, list, single, start, count, results);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(buffer);
        }
    }

    private IDisposableReadOnlyCollection<OrtValue> Run(OrtValue input, CancellationToken cancellationToken)
    {
        OrtValue[] inputs = [input];
        if (!cancellationToken.CanBeCanceled)
        {
            // A RunOptions is only read by a run, so one instance serves concurrent runs.
            return _session.Run(_runOptions, _inputNames, inputs, _outputNames);
        }

        cancellationToken.ThrowIfCancellationRequested();
        using var runOptions = new RunOptions();

        // Disposed before runOptions (reverse order), and Dispose waits for a callback in progress: Terminate is never set on a released handle.
        using CancellationTokenRegistration registration = cancellationToken.Register(static state => ((RunOptions)state!).Terminate = true, runOptions);
        try
        {
            return _session.Run(runOptions, _inputNames, inputs, _outputNames);
        }
        catch (OnnxRuntimeException exception) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("The ONNX Runtime run was terminated because the call was cancelled.", exception, cancellationToken);
        }
    }

    private void ReadRows(IDisposableReadOnlyCollection<OrtValue> outputs, IReadOnlyList<TInput>? list, TInput single, int start, int count, Span<OnnxPrediction> results)
    {
        int classes = _labels.Length;
        ReadOnlySpan<float> probabilityRows = default;
        OrtValue? maps = null;
        if (_probabilitiesSlot >= 0)
        {
            OrtValue value = outputs[_probabilitiesSlot];
            if (_probabilitiesAreMaps)
            {
                maps = value;
                Expect(value.GetValueCount() == count, _outputNames[_probabilitiesSlot], count);
            }
            else
            {
                OrtTensorTypeAndShapeInfo info = value.GetTensorTypeAndShape();
                Expect(info.ElementCount == (long)count * classes, _outputNames[_probabilitiesSlot], count);
                probabilityRows = value.GetTensorDataAsSpan<float>();
            }
        }

        // Note: each GetTensorDataAsSpan is a few native calls (data pointer, type and shape); read every output's span
        // once per run, not once per row.
        OrtValue? labels = _labelSlot >= 0 ? outputs[_labelSlot] : null;
        ReadOnlySpan<long> labels64 = default;
        ReadOnlySpan<int> labels32 = default;
        if (labels is not null)
        {
            Expect(labels.GetTensorTypeAndShape().ElementCount == count, _outputNames[_labelSlot], count);
            labels64 = _labelKind == LabelKind.Int64 ? labels.GetTensorDataAsSpan<long>() : default;
            labels32 = _labelKind == LabelKind.Int32 ? labels.GetTensorDataAsSpan<int>() : default;
        }

        ReadOnlySpan<float> scores = default;
        if (_scoreSlot >= 0)
        {
            OrtValue value = outputs[_scoreSlot];
            Expect(value.GetTensorTypeAndShape().ElementCount == count, _outputNames[_scoreSlot], count);
            scores = value.GetTensorDataAsSpan<float>();
        }

        for (int i = 0; i < count; i++)
        {
            float[]? probabilities = maps is not null ? ReadMap(maps, i)
                : _probabilitiesSlot >= 0 ? probabilityRows.Slice(i * classes, classes).ToArray()
                : null;
            int predicted = labels is null ? (probabilities is not null ? ArgMax(probabilities) : -1)
                : _labelKind == LabelKind.Int64 ? (labels64[i] is >= 0 and <= int.MaxValue ? (int)labels64[i] : -1)
                : _labelKind == LabelKind.Int32 ? labels32[i]
                : IndexOfLabel(labels.GetStringElementAsSpan(i));
            int classIndex = (uint)predicted < (uint)classes ? predicted : -1;
            float score = _scoreSlot >= 0 ? scores[i] : float.NaN;
            var prediction = new OnnxPrediction(classIndex, classIndex >= 0 ? _labels[classIndex] : null, probabilities, score);
            results[i] = prediction;
            Record(list is null ? single : list[start + i], predicted, probabilities, score);
        }
    }

    /// <summary>Records one prediction through the monitor's public API; the monitor counts what it rejects and never throws.</summary>
    private void Record(TInput input, int predicted, float[]? probabilities, float score)
    {
        if (_scoreSlot >= 0)
        {
            // A regression model has no drift signal: its scores are recorded only to be joined with later labels.
            if (_predictionId is not null)
            {
                _monitor.RecordRegressionPrediction(IdOf(input), score);
            }

            return;
        }

        // Probabilities when read (drift of classes and scores, log-loss and top-k when joined), else the class.
        if (probabilities is not null)
        {
            if (_predictionId is null)
            {
                _monitor.RecordPrediction(probabilities);
            }
            else
            {
                _monitor.RecordPrediction(IdOf(input), probabilities);
            }
        }
        else if (_predictionId is null)
        {
            _monitor.RecordPrediction(predicted);
        }
        else
        {
            _monitor.RecordPrediction(IdOf(input), predicted);
        }
    }

    private PredictionId IdOf(TInput input)
    {
        try
        {
            return _predictionId!(input);
        }
#pragma warning disable CA1031 // Note: a faulty id selector must not fail the call; the invalid id is counted by the monitor.
        catch (Exception)
#pragma warning restore CA1031
        {
            return default;
        }
    }

    /// <summary>Reads row <paramref name="row"/> of a ZipMap output into one probability per declared class, in label order.</summary>
    private float[] ReadMap(OrtValue maps, int row)
    {
        float[] probabilities = new float[_labels.Length];
        OrtAllocator allocator = OrtAllocator.DefaultInstance;
        using OrtValue map = maps.GetValue(row, allocator);
        using OrtValue keys = map.GetValue(0, allocator);
        using OrtValue values = map.GetValue(1, allocator);
        ReadOnlySpan<float> mapped = values.GetTensorDataAsSpan<float>();
        bool integerKeys = keys.GetTensorTypeAndShape().ElementDataType == TensorElementType.Int64;
        ReadOnlySpan<long> integers = integerKeys ? keys.GetTensorDataAsSpan<long>() : default;
        for (int j = 0; j < mapped.Length; j++)
        {
            // A key that is not a declared class leaves its probability out: the vector no longer sums to 1, and the
            // monitor rejects and counts it (invalid_probabilities) instead of scoring a wrong distribution.
            long index = integerKeys ? integers[j] : IndexOfLabel(keys.GetStringElementAsSpan(j));
            if ((ulong)index < (ulong)probabilities.Length)
            {
                probabilities[index] = mapped[j];
            }
        }

        return probabilities;
    }

    /// <summary>The index of a declared label given as ONNX Runtime's UTF-8 bytes, or -1.</summary>
    private int IndexOfLabel(ReadOnlySpan<byte> label)
    {
        // Note: a linear scan of the declared labels, pre-encoded as UTF-8, compares bytes without decoding a string per
        // row; class counts are small.
        for (int k = 0; k < _utf8Labels.Length; k++)
        {
            if (label.SequenceEqual(_utf8Labels[k]))
            {
                return k;
            }
        }

        return -1;
    }

    /// <summary>The first most probable class, as numpy's argmax and the monitor's own reading of probabilities.</summary>
    private static int ArgMax(ReadOnlySpan<float> probabilities)
    {
        int best = 0;
        for (int k = 1; k < probabilities.Length; k++)
        {
            if (probabilities[k] > probabilities[best])
            {
                best = k;
            }
        }

        return probabilities.IsEmpty ? -1 : best;
    }

    private static void Expect(bool condition, string output, int count)
    {
        if (!condition)
        {
            throw new InvalidOperationException($"The model's output '{output}' does not hold one value (or one row of class probabilities) per input for {count} inputs.");
        }
    }
}
