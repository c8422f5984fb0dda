// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using ModelMetrics.Publishing;
using ModelMetrics.Recording;
using ModelMetrics.Signals;

namespace ModelMetrics;

/// <summary>
/// Records the calls and prediction quality of one model (name and version) and publishes them through
/// System.Diagnostics.Metrics. Thread-safe; recording never blocks, allocates or throws.
/// </summary>
/// <remarks>
/// <para>
/// A thin facade over signal components (calls, classification, regression, drift, delayed labels; see
/// <c>Signals/</c>): each records its own state, reads its own part of a <see cref="ModelMonitorSnapshot"/> over
/// every window, and declares its own instruments. The methods here validate what they must and forward.
/// </para>
/// <para>
/// Usually a <see cref="MetricsPredictor{TInput, TOutput}"/> (added with <see cref="MetricsPredictorBuilderExtensions.UseMetrics{TInput, TOutput}(PredictorBuilder{TInput, TOutput}, ModelMonitor)"/>) calls
/// <see cref="StartCall"/> and <see cref="EndCall(long)"/> for you; call them yourself (or
/// <see cref="EndBatchCall"/>, <see cref="EndStreamingCall"/>) to instrument code that is not a predictor.
/// Record ground truth with <see cref="RecordGroundTruth(int, int)"/> and its overloads when it is known.
/// Every method that takes a predicted and an actual value takes the predicted one first.
/// </para>
/// <para>
/// Invalid values never throw: they are corrected or dropped and counted by reason
/// (<see cref="ModelMonitorSnapshot.Rejected"/>, the <c>model.metrics.rejected</c> counter).
/// </para>
/// </remarks>
public sealed class ModelMonitor : IDisposable
{
    private readonly SignalContext _context;
    private readonly CallsSignal _calls;
    private readonly ClassificationSignal? _classification;
    private readonly RegressionSignal _regression;
    private readonly DriftSignal? _drift;
    private readonly LabelsSignal _labels;
    private readonly CpuTimeSignal? _cpu;
    private readonly GenAISignal? _genAI;
    private readonly FeaturesSignal? _features;
    private readonly object _signalsGate = new();
    private Signal[] _signals;
    private Signal?[] _byFamily; // the signals by family number, for publishing
    private readonly string[] _labelNames;
    private readonly SnapshotReader _reader;
    private int _disposed;

    /// <summary>Initializes a new monitor, registers it in its registry and starts publishing it.</summary>
    /// <param name="options">The monitor's configuration.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// An option is invalid; the message and parameter name say which. Also when a live monitor of the same
    /// <see cref="ModelMonitorOptions.ModelName"/> and <see cref="ModelMonitorOptions.ModelVersion"/> already publishes on the
    /// same meter (<c>ParamName</c> <c>ModelName</c>): dispose it first, share it, or use another version or meter name.
    /// </exception>
    public ModelMonitor(ModelMonitorOptions options)
    {
        _labelNames = ModelMonitorOptionsValidator.Validate(options);
        ModelName = options.ModelName;
        ModelVersion = options.ModelVersion;
        Windows = [.. System.Linq.Enumerable.Order(options.Windows)];
        Registry = options.Registry;
        _context = new SignalContext(ModelName, ModelVersion, Windows, options.TimeProvider);
        Publisher = MeterPublisher.For(options.MeterName, options.MeterFactory);

        var layout = HistogramLayout.ForDurations(options.LatencyLowest, options.LatencyHighest, options.LatencyPrecision);
        var native = options.EnableNativeHistogram ? Publisher.NativeDurationHistogram(options.BucketBoundaries) : null;
        _calls = new CallsSignal(_context, layout, [.. options.BucketBoundaries], native);
        if (_labelNames.Length > 0)
        {
            _classification = new ClassificationSignal(_context, _labelNames, options.MaxMatrixClasses, options.ZeroDivision, options.MaxPublishedClasses);
            _drift = new DriftSignal(_context, _labelNames.Length);
        }

        _regression = new RegressionSignal(_context);
        _labels = new LabelsSignal(_context, options.PendingCapacity, options.PendingTimeToLive, _classification, _regression);
        _cpu = options.CpuTimeSampling > 0 ? new CpuTimeSignal(_context, options.CpuTimeSampling) : null;

        // Read order: quality before calls, the reverse of the order one prediction's records are written, so a
        // snapshot never shows a label ahead of its call; delayed labels last (their joins feed quality).
        List<Signal> signals = [];
        if (_classification is not null)
        {
            signals.Add(_classification);
        }

        signals.Add(_regression);
        if (_drift is not null)
        {
            signals.Add(_drift);
        }

        signals.Add(_calls);
        if (_cpu is not null)
        {
            signals.Add(_cpu);
        }

        signals.Add(_labels);
        if (options.GenAI is { } genAI)
        {
            genAI.Validate();
            _genAI = new GenAISignal(_context, layout, genAI, Publisher.Meter, options.PendingCapacity, options.PendingTimeToLive);
            GenAI = new GenAIRecorder(_genAI);
            signals.Add(_genAI);
        }

        // Features are recorded before their call starts, so they are read after it.
        if (options.Features is { } features)
        {
            _features = new FeaturesSignal(_context, [.. features]);
            Features = new FeatureRecorder(_features);
            signals.Add(_features);
        }

        _signals = [.. signals];
        _byFamily = IndexByFamily(_signals);

        _reader = new SnapshotReader(this, options.TimeProvider);
        Publisher.Join(this);
        Registry.Announce(this);
    }

    /// <summary>Gets the model's name (attribute <c>model.name</c>).</summary>
    public string ModelName { get; }

    /// <summary>Gets the model's version (attribute <c>model.version</c>), or <see langword="null"/>.</summary>
    public string? ModelVersion { get; }

    /// <summary>Gets the declared class labels in index order; empty when the model is not a classifier.</summary>
    public IReadOnlyList<string> ClassLabels => _labelNames;

    /// <summary>Gets the recorder of generative calls, or <see langword="null"/> when <see cref="ModelMonitorOptions.GenAI"/> is not set.</summary>
    public GenAIRecorder? GenAI { get; }

    /// <summary>Gets the recorder of input features and their reference, or <see langword="null"/> when <see cref="ModelMonitorOptions.Features"/> is not set.</summary>
    public FeatureRecorder? Features { get; }

    /// <summary>Gets the windows of every signal, shortest first.</summary>
    internal TimeSpan[] Windows { get; }

    internal ModelMonitorRegistry Registry { get; }

    internal MeterPublisher Publisher { get; }

    internal SignalContext Context => _context;

    /// <summary>Gets the signals, in read order.</summary>
    internal Signal[] Signals => Volatile.Read(ref _signals);

    internal CallsSignal Calls => _calls;

    internal LabelsSignal Labels => _labels;

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// Marks the start of a call: counts it as in flight and returns the start timestamp to pass to
    /// <see cref="EndCall(long)"/>, <see cref="EndCall(long, Exception, CancellationToken)"/>,
    /// <see cref="EndBatchCall"/> or <see cref="EndStreamingCall"/>.
    /// </summary>
    /// <returns>A <see cref="Stopwatch.GetTimestamp"/> value.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long StartCall()
    {
        long start = _calls.StartCall();
        _cpu?.Start(start);
        return start;
    }

    /// <summary>Records a successful call of one item that started at <paramref name="startTimestamp"/>.</summary>
    /// <param name="startTimestamp">The value <see cref="StartCall"/> returned.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EndCall(long startTimestamp)
    {
        _cpu?.End(startTimestamp);
        _calls.EndCall(startTimestamp);
    }

    /// <summary>
    /// Records a call that threw <paramref name="exception"/>, as <c>cancelled</c>, <c>timeout</c> or an error
    /// named by the exception's type (see <see cref="ModelMonitorSnapshot.Failures"/>).
    /// </summary>
    /// <param name="startTimestamp">The value <see cref="StartCall"/> returned.</param>
    /// <param name="exception">The exception the call threw. A <see langword="null"/> counts as an error of type <c>_OTHER</c>.</param>
    /// <param name="cancellationToken">The caller's token: cancellation is told from a timeout by whether it was cancelled.</param>
    public void EndCall(long startTimestamp, Exception exception, CancellationToken cancellationToken = default)
    {
        _cpu?.End(startTimestamp);
        _calls.EndCall(startTimestamp, exception ?? OutcomeTable.UnknownFailure, itemCount: 1, cancellationToken);
    }

    /// <summary>
    /// Records a batch call of <paramref name="itemCount"/> items: one call, <paramref name="itemCount"/> items
    /// (<c>model.inference.items</c>). An empty batch is not counted as a call (rejected as <c>empty_batch</c>);
    /// a negative count is recorded as one item (rejected as <c>invalid_item_count</c>).
    /// </summary>
    /// <param name="startTimestamp">The value <see cref="StartCall"/> returned.</param>
    /// <param name="itemCount">The number of items in the batch.</param>
    /// <param name="exception">The exception the call threw, or <see langword="null"/> for a successful call.</param>
    /// <param name="cancellationToken">The caller's token (see <see cref="EndCall(long, Exception, CancellationToken)"/>).</param>
    public void EndBatchCall(long startTimestamp, int itemCount, Exception? exception = null, CancellationToken cancellationToken = default)
    {
        _cpu?.End(startTimestamp);
        _calls.EndCall(startTimestamp, exception, itemCount, cancellationToken);
    }

    /// <summary>
    /// Records a streamed call: its duration, the time to its first chunk (when one arrived) and its chunk count,
    /// for decorators that stream (an <c>IChatClient</c>, a token generator).
    /// </summary>
    /// <param name="startTimestamp">The value <see cref="StartCall"/> returned.</param>
    /// <param name="firstChunkTimestamp">The <see cref="Stopwatch.GetTimestamp"/> when the first chunk arrived, or 0 when none did.</param>
    /// <param name="chunkCount">The number of chunks produced.</param>
    /// <param name="exception">The exception the stream threw, or <see langword="null"/> when it completed (or the consumer stopped early).</param>
    /// <param name="cancellationToken">The caller's token (see <see cref="EndCall(long, Exception, CancellationToken)"/>).</param>
    public void EndStreamingCall(long startTimestamp, long firstChunkTimestamp, long chunkCount, Exception? exception = null, CancellationToken cancellationToken = default)
    {
        _cpu?.End(startTimestamp);
        _calls.EndStreamingCall(startTimestamp, firstChunkTimestamp, chunkCount, exception, cancellationToken);
    }

    /// <summary>
    /// Records a call timed elsewhere (not counted as in flight). NaN is rejected; negative durations
    /// record as zero and durations above the histogram's range as its highest value, each counted.
    /// </summary>
    /// <param name="durationSeconds">The call's duration in seconds.</param>
    /// <param name="exception">The exception the call threw, or <see langword="null"/> for a successful call.</param>
    public void RecordCall(double durationSeconds, Exception? exception = null) => _calls.RecordCall(durationSeconds, exception);

    /// <summary>Returns the index of a declared class label, or -1 when it is not declared.</summary>
    /// <param name="label">The label.</param>
    /// <returns>Its index in <see cref="ClassLabels"/>, or -1.</returns>
    public int GetLabelIndex(string label) => _classification?.GetLabelIndex(label) ?? -1;

    /// <summary>Records that a prediction of class index <paramref name="predicted"/> had the true class <paramref name="actual"/>.</summary>
    /// <param name="predicted">The predicted class index in <see cref="ClassLabels"/>.</param>
    /// <param name="actual">The true class index in <see cref="ClassLabels"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void RecordGroundTruth(int predicted, int actual)
    {
        if (_classification is { } classification)
        {
            classification.Record(predicted, actual);
        }
        else
        {
            NoLabels();
        }
    }

    /// <summary>Records ground truth for a binary classifier: <see langword="false"/> is label 0, <see langword="true"/> label 1.</summary>
    /// <param name="predicted">The predicted class.</param>
    /// <param name="actual">The true class.</param>
    public void RecordGroundTruth(bool predicted, bool actual)
    {
        if (_labelNames.Length is 2 or 0)
        {
            RecordGroundTruth(predicted ? 1 : 0, actual ? 1 : 0);
        }
        else
        {
            _context.Reject(RejectionReason.LabelOutOfRange);
        }
    }

    /// <summary>Records ground truth by label text (one dictionary lookup each; resolve hot labels once with <see cref="GetLabelIndex"/>).</summary>
    /// <param name="predicted">The predicted label.</param>
    /// <param name="actual">The true label.</param>
    public void RecordGroundTruth(string predicted, string actual)
    {
        if (_classification is { } classification)
        {
            classification.Record(predicted, actual);
        }
        else
        {
            NoLabels();
        }
    }

    /// <summary>
    /// Records ground truth by enum value. Each enum member maps, once per enum type, to the declared
    /// label with the same name (ignoring case); members without a label are counted as unknown.
    /// </summary>
    /// <typeparam name="TLabel">The enum type of the model's classes.</typeparam>
    /// <param name="predicted">The predicted class.</param>
    /// <param name="actual">The true class.</param>
    public void RecordGroundTruth<TLabel>(TLabel predicted, TLabel actual)
        where TLabel : struct, Enum
    {
        if (_classification is { } classification)
        {
            classification.Record(predicted, actual);
        }
        else
        {
            NoLabels();
        }
    }

    /// <summary>
    /// Records ground truth for a prediction given as class probabilities: the predicted class is the most
    /// probable one (the first on ties, as numpy's <c>argmax</c>), and the probabilities feed log-loss and top-k accuracy.
    /// </summary>
    /// <param name="probabilities">One probability per declared class, in label order, each from 0 to 1 (not renormalized).</param>
    /// <param name="actual">The true class index.</param>
    public void RecordGroundTruth(ReadOnlySpan<float> probabilities, int actual) => RecordScored(probabilities, actual);

    /// <summary>Records ground truth for double-precision class probabilities; see <see cref="RecordGroundTruth(ReadOnlySpan{float}, int)"/>.</summary>
    /// <param name="probabilities">One probability per declared class, in label order.</param>
    /// <param name="actual">The true class index.</param>
    public void RecordGroundTruth(ReadOnlySpan<double> probabilities, int actual) => RecordScored(probabilities, actual);

    /// <summary>Records ground truth for class probabilities with the true label as text; see <see cref="RecordGroundTruth(ReadOnlySpan{float}, int)"/>.</summary>
    /// <param name="probabilities">One probability per declared class, in label order.</param>
    /// <param name="actual">The true label.</param>
    public void RecordGroundTruth(ReadOnlySpan<float> probabilities, string actual)
    {
        if (LabelIndexOrReject(actual) is int index and >= 0)
        {
            RecordScored(probabilities, index);
        }
    }

    /// <summary>Records ground truth for double-precision class probabilities with the true label as text.</summary>
    /// <param name="probabilities">One probability per declared class, in label order.</param>
    /// <param name="actual">The true label.</param>
    public void RecordGroundTruth(ReadOnlySpan<double> probabilities, string actual)
    {
        if (LabelIndexOrReject(actual) is int index and >= 0)
        {
            RecordScored(probabilities, index);
        }
    }

    /// <summary>
    /// Records ground truth for a binary classifier that outputs one score, the probability of the positive class
    /// (label 1): the prediction is positive when the score is above 0.5; the score feeds log-loss and top-k.
    /// </summary>
    /// <param name="positiveProbability">The probability of the positive class, from 0 to 1.</param>
    /// <param name="actual">The true class (<see langword="true"/> is label 1).</param>
    public void RecordBinaryGroundTruth(double positiveProbability, bool actual)
    {
        if (BinaryProbabilities(positiveProbability, out double negative))
        {
            RecordScored([negative, positiveProbability], actual ? 1 : 0);
        }
    }

    /// <summary>
    /// Records ground truth for a regression model: the error of <paramref name="predicted"/> against
    /// <paramref name="actual"/> feeds MAE, MSE, RMSE, R² and MAPE. Non-finite values are rejected and counted.
    /// </summary>
    /// <param name="predicted">The model's prediction.</param>
    /// <param name="actual">The true value.</param>
    public void RecordRegression(double predicted, double actual) => _regression.Record(predicted, actual);

    /// <summary>
    /// Records one input's feature values for input drift (<see cref="ModelMonitorOptions.Features"/>): one value per
    /// declared feature, in declaration order; see <see cref="FeatureRecorder.Record"/>. Allocation-free, never throws;
    /// without declared features the call is counted (<c>no_features_declared</c>).
    /// </summary>
    /// <param name="values">The values: numeric ones as they are, categories as <see cref="FeatureDefinition.ValueOf"/> gives them, NaN for missing.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void RecordFeatures(ReadOnlySpan<double> values)
    {
        if (_features is { } features)
        {
            features.Record(values);
        }
        else
        {
            _context.Reject(RejectionReason.NoFeaturesDeclared);
        }
    }

    /// <summary>
    /// Counts a prediction of class <paramref name="predictedClass"/> for drift: the shares of predicted
    /// classes in each window are compared with the drift reference.
    /// </summary>
    /// <param name="predictedClass">The predicted class index.</param>
    public void RecordPrediction(int predictedClass)
    {
        if (IsClassIndex(predictedClass))
        {
            _drift!.Count(predictedClass);
        }
    }

    /// <summary>
    /// Counts a prediction given as class probabilities for drift: its most probable class, and the
    /// probability of that class in one of ten bins (score drift).
    /// </summary>
    /// <param name="probabilities">One probability per declared class, in label order.</param>
    public void RecordPrediction(ReadOnlySpan<float> probabilities) => CountScored(probabilities);

    /// <summary>Counts a prediction given as double-precision class probabilities for drift; see <see cref="RecordPrediction(ReadOnlySpan{float})"/>.</summary>
    /// <param name="probabilities">One probability per declared class, in label order.</param>
    public void RecordPrediction(ReadOnlySpan<double> probabilities) => CountScored(probabilities);

    /// <summary>
    /// Makes the predictions counted so far (<see cref="RecordPrediction(int)"/>) the drift reference: later
    /// windows are compared with these shares. Call it after a baseline period you trust.
    /// </summary>
    /// <exception cref="InvalidOperationException">No class labels are declared, or no prediction was counted yet.</exception>
    public void CaptureDriftReference() =>
        (_drift ?? throw new InvalidOperationException("Drift needs declared ClassLabels.")).CaptureReference();

    /// <summary>Sets the drift reference to known shares of the predicted classes (for example from training data).</summary>
    /// <param name="classShares">One non-negative weight per declared class, in label order; normalized to sum to 1.</param>
    /// <exception cref="ArgumentException">The weights are not one per class, or are negative, not finite, or all zero.</exception>
    public void SetDriftReference(IReadOnlyList<double> classShares)
    {
        ArgumentNullException.ThrowIfNull(classShares);
        if (_drift is null)
        {
            throw new ArgumentException("classShares must hold one weight per declared class (0).", nameof(classShares));
        }

        _drift.SetReference(classShares);
    }

    /// <summary>
    /// Records a classifier's prediction whose label will arrive later with <see cref="RecordLabel(PredictionId, int)"/>.
    /// It is counted for drift at once and kept in a bounded store until its label arrives or it expires.
    /// </summary>
    /// <param name="id">The prediction's id (a string, <see cref="Guid"/> or <see cref="long"/>); never published.</param>
    /// <param name="predictedClass">The predicted class index.</param>
    public void RecordPrediction(PredictionId id, int predictedClass)
    {
        if (IsClassIndex(predictedClass))
        {
            _drift!.Count(predictedClass);
            _labels.AddClass(id, predictedClass, null);
        }
    }

    /// <summary>
    /// Records a classifier's prediction given as class probabilities, whose label will arrive later; the
    /// probabilities are copied (one allocation) so that the label can score log-loss and top-k accuracy.
    /// </summary>
    /// <param name="id">The prediction's id; never published.</param>
    /// <param name="probabilities">One probability per declared class, in label order.</param>
    public void RecordPrediction(PredictionId id, ReadOnlySpan<float> probabilities) => AddScored(id, probabilities);

    /// <summary>Records a classifier's prediction given as double-precision probabilities, whose label will arrive later (kept in single precision).</summary>
    /// <param name="id">The prediction's id; never published.</param>
    /// <param name="probabilities">One probability per declared class, in label order.</param>
    public void RecordPrediction(PredictionId id, ReadOnlySpan<double> probabilities) => AddScored(id, probabilities);

    /// <summary>Records a binary classifier's prediction given as the probability of the positive class, whose label will arrive later.</summary>
    /// <param name="id">The prediction's id; never published.</param>
    /// <param name="positiveProbability">The probability of the positive class (label 1), from 0 to 1.</param>
    public void RecordBinaryPrediction(PredictionId id, double positiveProbability)
    {
        if (BinaryProbabilities(positiveProbability, out double negative))
        {
            AddScored(id, [negative, positiveProbability]);
        }
    }

    /// <summary>
    /// Records a regression model's prediction whose actual value will arrive later with
    /// <see cref="RecordRegressionLabel"/>. (A separate name from the classifier's <c>RecordPrediction</c>, so that
    /// a value can never be taken for a class index or a class score for a value.)
    /// </summary>
    /// <param name="id">The prediction's id; never published.</param>
    /// <param name="predictedValue">The predicted value.</param>
    public void RecordRegressionPrediction(PredictionId id, double predictedValue) => _labels.AddValue(id, predictedValue);

    /// <summary>
    /// Records the true class of the prediction with this id: joined with it, counted in the confusion
    /// matrix (and log-loss, top-k) and in the label delay. A label for an unknown, expired, evicted or
    /// already labelled id is counted by kind and otherwise ignored (the first label wins).
    /// </summary>
    /// <param name="id">The id the prediction was recorded with.</param>
    /// <param name="actualClass">The true class index.</param>
    /// <returns><see langword="true"/> when the label was joined with its prediction.</returns>
    public bool RecordLabel(PredictionId id, int actualClass) => IsClassIndex(actualClass) && _labels.JoinClass(id, actualClass);

    /// <summary>Records the true class of the prediction with this id by label text; see <see cref="RecordLabel(PredictionId, int)"/>.</summary>
    /// <param name="id">The id the prediction was recorded with.</param>
    /// <param name="actualLabel">The true label.</param>
    /// <returns><see langword="true"/> when the label was joined with its prediction.</returns>
    public bool RecordLabel(PredictionId id, string actualLabel) => LabelIndexOrReject(actualLabel) is int actual and >= 0 && RecordLabel(id, actual);

    /// <summary>Records the true class of a binary classifier's prediction with this id (<see langword="true"/> is label 1).</summary>
    /// <param name="id">The id the prediction was recorded with.</param>
    /// <param name="actual">The true class.</param>
    /// <returns><see langword="true"/> when the label was joined with its prediction.</returns>
    public bool RecordLabel(PredictionId id, bool actual) => RecordLabel(id, actual ? 1 : 0);

    /// <summary>Records the actual value of the regression prediction with this id; see <see cref="RecordLabel(PredictionId, int)"/>.</summary>
    /// <param name="id">The id the prediction was recorded with (<see cref="RecordRegressionPrediction"/>).</param>
    /// <param name="actualValue">The true value.</param>
    /// <returns><see langword="true"/> when the value was joined with its prediction.</returns>
    public bool RecordRegressionLabel(PredictionId id, double actualValue) => _labels.JoinValue(id, actualValue);

    /// <summary>
    /// Wraps a synchronous model in one line: the returned delegate calls <paramref name="predict"/> and
    /// records each call here, exactly like <see cref="MetricsPredictor{TInput, TOutput}"/>.
    /// </summary>
    /// <typeparam name="TInput">The model's input.</typeparam>
    /// <typeparam name="TOutput">The model's output.</typeparam>
    /// <param name="predict">The model.</param>
    /// <returns>A delegate with the same signature that records its calls.</returns>
    public Func<TInput, TOutput> Wrap<TInput, TOutput>(Func<TInput, TOutput> predict) =>
        new MetricsPredictor<TInput, TOutput>(Predictor.Create(predict), this).Predict;

    /// <summary>Wraps an asynchronous model in one line; see <see cref="Wrap{TInput, TOutput}(Func{TInput, TOutput})"/>.</summary>
    /// <typeparam name="TInput">The model's input.</typeparam>
    /// <typeparam name="TOutput">The model's output.</typeparam>
    /// <param name="predictAsync">The model.</param>
    /// <returns>A delegate with the same signature that records its calls.</returns>
    public Func<TInput, CancellationToken, ValueTask<TOutput>> Wrap<TInput, TOutput>(Func<TInput, CancellationToken, ValueTask<TOutput>> predictAsync) =>
        new MetricsPredictor<TInput, TOutput>(Predictor.CreateFromValueTask(predictAsync), this).PredictAsync;

    /// <summary>
    /// Reads everything recorded so far: cumulative values and each window. Readers never block writers; a
    /// snapshot is internally consistent (its latency count equals the sum of its buckets).
    /// </summary>
    /// <returns>An immutable snapshot.</returns>
    public ModelMonitorSnapshot GetSnapshot() => _reader.Read();

    /// <summary>Leaves the registry, which stops publishing this monitor. Recording after disposal is harmless and still counted in snapshots.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Registry.Remove(this);
        }
    }

    /// <summary>Returns the monitor's signal of type <typeparamref name="TSignal"/>, or <see langword="null"/> when it has none.</summary>
    internal TSignal? GetSignal<TSignal>()
        where TSignal : Signal
    {
        foreach (Signal signal in Volatile.Read(ref _signals))
        {
            if (signal is TSignal match)
            {
                return match;
            }
        }

        return null;
    }

    /// <summary>
    /// Returns the monitor's signal of type <typeparamref name="TSignal"/>, adding the one <paramref name="create"/> builds when
    /// the monitor has none: for signals that a pipeline stage brings after the monitor was built (an output cache). The
    /// signal is read after the others, and its instruments are created on the meter when the first such signal joins it.
    /// </summary>
    internal TSignal GetOrAddSignal<TSignal>(Func<SignalContext, TSignal> create)
        where TSignal : Signal
    {
        lock (_signalsGate)
        {
            if (GetSignal<TSignal>() is { } existing)
            {
                return existing;
            }

            TSignal signal = create(_context);

            // Copy on write: readers take the array once per reading, so a reading sees the signal whole or not at all.
            Volatile.Write(ref _byFamily, IndexByFamily([.. _signals, signal]));
            Volatile.Write(ref _signals, [.. _signals, signal]);
            Publisher.Adopt(signal.Instruments);
            return signal;
        }
    }

    /// <summary>Returns the snapshot for publishing pass <paramref name="pass"/>, reusing it across the pass's instruments observed alone.</summary>
    internal ModelMonitorSnapshot ReadForPublishing(long pass) => _reader.ReadForPublishing(pass);

    /// <summary>Hands <paramref name="observer"/> the snapshot of a prepared publishing pass, under the reader lock (see <see cref="SnapshotReader.Publish"/>).</summary>
    internal void Publish<TObserver>(in TObserver observer)
        where TObserver : struct, ISnapshotObserver => _reader.Publish(observer);

    /// <summary>Gets the number of family numbers the monitor's signals index (the largest <see cref="SignalInstruments.Id"/> + 1).</summary>
    internal int FamilyCount => Volatile.Read(ref _byFamily).Length;

    /// <summary>Returns the signal whose instruments are <paramref name="family"/>, or <see langword="null"/>: an array index.</summary>
    internal Signal? FindSignal(SignalInstruments family)
    {
        Signal?[] byFamily = Volatile.Read(ref _byFamily);
        return (uint)family.Id < (uint)byFamily.Length ? byFamily[family.Id] : null;
    }

    /// <summary>Indexes <paramref name="signals"/> by family number (<see cref="SignalInstruments.Id"/>).</summary>
    private static Signal?[] IndexByFamily(Signal[] signals)
    {
        int length = 0;
        foreach (Signal signal in signals)
        {
            length = Math.Max(length, signal.Family.Id + 1);
        }

        var byFamily = new Signal?[length];
        foreach (Signal signal in signals)
        {
            byFamily[signal.Family.Id] = signal;
        }

        return byFamily;
    }

    private void RecordScored<T>(ReadOnlySpan<T> probabilities, int actual)
        where T : unmanaged, System.Numerics.INumberBase<T>
    {
        if (_classification is { } classification)
        {
            classification.Record(probabilities, actual);
        }
        else
        {
            NoLabels();
        }
    }

    private void CountScored<T>(ReadOnlySpan<T> probabilities)
        where T : unmanaged, System.Numerics.INumberBase<T>
    {
        if (_classification is not { } classification)
        {
            NoLabels();
            return;
        }

        if (classification.TryReadProbabilities(probabilities, out int predicted))
        {
            _drift!.Count(predicted, double.CreateTruncating(probabilities[predicted]));
        }
    }

    private void AddScored<T>(PredictionId id, ReadOnlySpan<T> probabilities)
        where T : unmanaged, System.Numerics.INumberBase<T>
    {
        if (_classification is not { } classification)
        {
            NoLabels();
            return;
        }

        if (classification.TryReadProbabilities(probabilities, out int predicted))
        {
            float[] copy = new float[probabilities.Length];
            for (int i = 0; i < copy.Length; i++)
            {
                copy[i] = float.CreateTruncating(probabilities[i]);
            }

            _labels.AddClass(id, predicted, copy);
            _drift!.Count(predicted, copy[predicted]);
        }
    }

    /// <summary>Checks a binary score: a two-class model and a probability in [0, 1]; else counts why.</summary>
    private bool BinaryProbabilities(double positive, out double negative)
    {
        negative = 1 - positive;
        if (_labelNames.Length == 0)
        {
            NoLabels();
            return false;
        }

        if (_labelNames.Length != 2 || !(positive >= 0 && positive <= 1))
        {
            _context.Reject(RejectionReason.InvalidProbabilities);
            return false;
        }

        return true;
    }

    /// <summary>Returns whether <paramref name="index"/> is a declared class; if not, counts why.</summary>
    private bool IsClassIndex(int index)
    {
        if (_classification is null)
        {
            NoLabels();
            return false;
        }

        return _classification.IsClassIndex(index);
    }

    /// <summary>Returns the index of a label, or -1 after counting why it is not one.</summary>
    private int LabelIndexOrReject(string label)
    {
        int index = GetLabelIndex(label);
        if (index < 0)
        {
            _context.Reject(_classification is null ? RejectionReason.NoLabelsDeclared : RejectionReason.UnknownLabel);
        }

        return index;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void NoLabels() => _context.Reject(RejectionReason.NoLabelsDeclared);
}
