// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using ModelMetrics.Diagnostics;
using ModelMetrics.Quality;
using ModelMetrics.Recording;

namespace ModelMetrics;

/// <summary>
/// Records the calls and prediction quality of one model (name and version) and publishes them through
/// System.Diagnostics.Metrics. Thread-safe; recording never blocks, allocates or throws.
/// </summary>
/// <remarks>
/// <para>
/// Usually a <see cref="MetricsPredictor{TInput, TOutput}"/> (added with
/// <c>MetricsPredictorBuilderExtensions.UseMetrics</c>) calls <see cref="StartCall"/> and
/// <see cref="EndCall(long, int)"/> for you; call them yourself to instrument code that is not a predictor.
/// Record ground truth with <see cref="RecordGroundTruth(int, int)"/> and its overloads when it is known.
/// </para>
/// <para>
/// Invalid values never throw: they are corrected or dropped and counted by reason
/// (<see cref="ModelMonitorSnapshot.Rejected"/>, the <c>model.metrics.rejected</c> counter).
/// </para>
/// </remarks>
public sealed partial class ModelMonitor : IDisposable
{
    private const int InFlightCell = 0; // +1 when a call starts, -1 when it ends (maybe on another stripe)
    private const int ExtraItemsCell = 1; // items beyond the first of each batch call
    private const int ChunksCell = 2;
    private const double HighestSupportedDays = 1;
    private const int MaxLabels = 4096;
    private const int MaxNameLength = 255;

    private readonly StripedCells _calls = new(3);
    private readonly ShardedHistogram _succeeded;
    private readonly ShardedHistogram _failed;
    private readonly ShardedHistogram _timeToFirstChunk;
    private readonly OutcomeTable _outcomes;
    private readonly Rejections _rejections;
    private readonly ConfusionCounts? _confusion;
    private readonly FrozenDictionary<string, int> _labelIndex;
    private readonly string[] _labels;
    private readonly SnapshotReader _reader;
    private readonly MeterPublisher _publisher;
    private readonly Histogram<double>? _nativeHistogram;
    private EnumLabelMap? _enumMap;
    private ConcurrentDictionary<Type, EnumLabelMap>? _enumMaps;
    private int _changed;
    private int _disposed;

    /// <summary>Initializes a new monitor and starts publishing it.</summary>
    /// <param name="options">The monitor's configuration.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is invalid; the message and parameter name say which.</exception>
    public ModelMonitor(ModelMonitorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ModelName = ValidateName(options.ModelName, required: true, nameof(options.ModelName))!;
        ModelVersion = ValidateName(options.ModelVersion, required: false, nameof(options.ModelVersion));
        _rejections = new Rejections(ModelName);
        _outcomes = new OutcomeTable(ModelName);
        _labels = ValidateLabels(options.ClassLabels);
        _labelIndex = CreateLabelIndex(_labels);
        ValidateTimings(options);

        var layout = new HistogramLayout(ToTicks(options.LatencyLowest), ToTicks(options.LatencyHighest), options.LatencyPrecision);
        _succeeded = new ShardedHistogram(layout, _rejections);
        _failed = new ShardedHistogram(layout, _rejections);
        _timeToFirstChunk = new ShardedHistogram(layout, _rejections);
        if (_labels.Length > 0)
        {
            _confusion = new ConfusionCounts(_labels.Length, fullMatrix: _labels.Length <= options.MaxMatrixClasses);
        }

        InitializeQuality(options);
        QualityWindows = [.. options.QualityWindows.Order()];
        MaxPublishedClasses = options.MaxPublishedClasses;
        _reader = new SnapshotReader(this, options.TimeProvider, options.Window, QualityWindows);
        _publisher = MeterPublisher.For(options.MeterName, options.MeterFactory);
        if (options.EnableNativeHistogram)
        {
            _nativeHistogram = _publisher.NativeDurationHistogram;
        }

        BucketBoundaries = [.. options.BucketBoundaries];
        _publisher.Add(this);
    }

    /// <summary>Gets the model's name (attribute <c>model.name</c>).</summary>
    public string ModelName { get; }

    /// <summary>Gets the model's version (attribute <c>model.version</c>), or <see langword="null"/>.</summary>
    public string? ModelVersion { get; }

    /// <summary>Gets the declared class labels in index order; empty when the model is not a classifier.</summary>
    public IReadOnlyList<string> ClassLabels => _labels;

    internal double[] BucketBoundaries { get; }

    internal int MaxPublishedClasses { get; }

    /// <summary>Gets the quality windows, shortest first.</summary>
    internal TimeSpan[] QualityWindows { get; }

    internal ShardedHistogram Succeeded => _succeeded;

    internal ShardedHistogram Failed => _failed;

    internal ShardedHistogram TimeToFirstChunk => _timeToFirstChunk;

    internal ConfusionCounts? Confusion => _confusion;

    internal OutcomeTable Outcomes => _outcomes;

    internal Rejections Rejections => _rejections;

    internal StripedCells CallCells => _calls;

    internal bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>
    /// Marks the start of a call: counts it as in flight and returns the start timestamp to pass to
    /// <see cref="EndCall(long, int)"/> or <see cref="EndCall(long, Exception, CancellationToken)"/>.
    /// </summary>
    /// <returns>A <see cref="Stopwatch.GetTimestamp"/> value.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long StartCall()
    {
        _calls.Increment(InFlightCell);
        MarkChanged();
        return Stopwatch.GetTimestamp();
    }

    /// <summary>Records a successful call of one item that started at <paramref name="startTimestamp"/>.</summary>
    /// <param name="startTimestamp">The value <see cref="StartCall"/> returned.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void EndCall(long startTimestamp)
    {
        long duration = Stopwatch.GetTimestamp() - startTimestamp;
        _succeeded.Record(duration);
        _calls.Add(InFlightCell, -1);
        MarkChanged();
        if (_nativeHistogram is not null)
        {
            RecordNative(duration, errorType: null);
        }
    }

    /// <summary>Records a successful batch call of <paramref name="itemCount"/> items.</summary>
    /// <param name="startTimestamp">The value <see cref="StartCall"/> returned.</param>
    /// <param name="itemCount">The number of items predicted. An empty batch is not counted as a call.</param>
    public void EndCall(long startTimestamp, int itemCount)
    {
        if (CountItems(itemCount))
        {
            EndCall(startTimestamp);
        }
        else
        {
            EndCallNotCounted();
        }
    }

    /// <summary>
    /// Records a call that threw <paramref name="exception"/>, as <c>cancelled</c>, <c>timeout</c> or an error
    /// named by the exception's type (see <see cref="ModelMonitorSnapshot.Failures"/>).
    /// </summary>
    /// <param name="startTimestamp">The value <see cref="StartCall"/> returned.</param>
    /// <param name="exception">The exception the call threw. A <see langword="null"/> counts as an error of type <c>_OTHER</c>.</param>
    /// <param name="cancellationToken">The caller's token: cancellation is told from a timeout by whether it was cancelled.</param>
    public void EndCall(long startTimestamp, Exception exception, CancellationToken cancellationToken = default) =>
        EndFailedCall(startTimestamp, exception, itemCount: 1, cancellationToken);

    /// <summary>
    /// Records a call timed elsewhere (not counted as in flight). NaN is rejected; negative durations
    /// record as zero and durations above the histogram's range as its highest value, each counted.
    /// </summary>
    /// <param name="durationSeconds">The call's duration in seconds.</param>
    /// <param name="exception">The exception the call threw, or <see langword="null"/> for a successful call.</param>
    public void RecordCall(double durationSeconds, Exception? exception = null)
    {
        if (double.IsNaN(durationSeconds))
        {
            _rejections.Count(RejectionReason.NanDuration);
            return;
        }

        // Note: clamp in double space first, a cast of an out-of-range double to long is undefined.
        double ticks = durationSeconds * Stopwatch.Frequency;
        long duration = ticks >= long.MaxValue ? long.MaxValue : ticks <= long.MinValue ? long.MinValue : (long)Math.Round(ticks);

        if (exception is null)
        {
            _succeeded.Record(duration);
            if (_nativeHistogram is not null)
            {
                RecordNative(duration, errorType: null);
            }
        }
        else
        {
            RecordFailure(duration, _outcomes.Classify(exception, default));
        }

        MarkChanged();
    }

    /// <summary>Returns the index of a declared class label, or -1 when it is not declared.</summary>
    /// <param name="label">The label.</param>
    /// <returns>Its index in <see cref="ClassLabels"/>, or -1.</returns>
    public int GetLabelIndex(string label) =>
        label is not null && _labelIndex.TryGetValue(label, out int index) ? index : -1;

    /// <summary>Records that a prediction of class index <paramref name="predicted"/> had the true class <paramref name="actual"/>.</summary>
    /// <param name="predicted">The predicted class index in <see cref="ClassLabels"/>.</param>
    /// <param name="actual">The true class index in <see cref="ClassLabels"/>.</param>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void RecordGroundTruth(int predicted, int actual)
    {
        ConfusionCounts? confusion = _confusion;
        if (confusion is not null && (uint)predicted < (uint)confusion.ClassCount && (uint)actual < (uint)confusion.ClassCount)
        {
            confusion.Record(actual, predicted);
            MarkChanged();
        }
        else
        {
            Reject(confusion is null ? RejectionReason.NoLabelsDeclared : RejectionReason.LabelOutOfRange);
        }
    }

    /// <summary>Records ground truth for a binary classifier: <see langword="false"/> is label 0, <see langword="true"/> label 1.</summary>
    /// <param name="predicted">The predicted class.</param>
    /// <param name="actual">The true class.</param>
    public void RecordGroundTruth(bool predicted, bool actual)
    {
        if (_labels.Length == 2 || _labels.Length == 0)
        {
            RecordGroundTruth(predicted ? 1 : 0, actual ? 1 : 0);
        }
        else
        {
            Reject(RejectionReason.LabelOutOfRange);
        }
    }

    /// <summary>Records ground truth by label text (one dictionary lookup each; resolve hot labels once with <see cref="GetLabelIndex"/>).</summary>
    /// <param name="predicted">The predicted label.</param>
    /// <param name="actual">The true label.</param>
    public void RecordGroundTruth(string predicted, string actual)
    {
        int p = GetLabelIndex(predicted);
        int a = GetLabelIndex(actual);
        if (p < 0 || a < 0)
        {
            Reject(_confusion is null ? RejectionReason.NoLabelsDeclared : RejectionReason.UnknownLabel);
            return;
        }

        RecordGroundTruth(p, a);
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
        EnumLabelMap map = _enumMap is { } cached && cached.EnumType == typeof(TLabel) ? cached : CreateEnumMap<TLabel>();
        int p = map.IndexOf(EnumLabelMap.ToInt64(predicted));
        int a = map.IndexOf(EnumLabelMap.ToInt64(actual));
        if (p < 0 || a < 0)
        {
            Reject(_confusion is null ? RejectionReason.NoLabelsDeclared : Math.Min(p, a) == EnumLabelMap.Undefined ? RejectionReason.LabelOutOfRange : RejectionReason.UnknownLabel);
            return;
        }

        RecordGroundTruth(p, a);
    }

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
    /// Reads everything recorded so far: counts, cumulative and recent latency, quality. Readers never
    /// block writers; a snapshot is internally consistent (its latency count equals the sum of its buckets).
    /// </summary>
    /// <returns>An immutable snapshot.</returns>
    public ModelMonitorSnapshot GetSnapshot() => _reader.Read();

    /// <summary>Stops publishing this monitor. Recording after disposal is harmless and still counted in snapshots.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _publisher.Remove(this);
        }
    }

    /// <summary>Returns the snapshot for one publishing pass, reusing it across the pass's instruments.</summary>
    internal ModelMonitorSnapshot ReadForPublishing(int instrument) => _reader.ReadForPublishing(instrument);

    /// <summary>Returns and clears the flag that says something was recorded since the last read.</summary>
    internal bool TakeChanged() => Interlocked.Exchange(ref _changed, 0) != 0;

    internal void EndFailedCall(long startTimestamp, Exception? exception, int itemCount, CancellationToken cancellationToken)
    {
        long duration = Stopwatch.GetTimestamp() - startTimestamp;
        if (!CountItems(itemCount))
        {
            EndCallNotCounted();
            return;
        }

        RecordFailure(duration, exception is null ? OutcomeTable.Other : _outcomes.Classify(exception, cancellationToken));
        _calls.Add(InFlightCell, -1);
        MarkChanged();
    }

    /// <summary>Records a streamed call: total duration, time to first chunk (when one arrived) and chunk count.</summary>
    internal void EndStreamingCall(long startTimestamp, long firstChunkTimestamp, long chunkCount, Exception? exception, CancellationToken cancellationToken)
    {
        if (firstChunkTimestamp != 0)
        {
            _timeToFirstChunk.Record(firstChunkTimestamp - startTimestamp);
        }

        if (chunkCount > 0)
        {
            _calls.Add(ChunksCell, chunkCount);
        }

        if (exception is null)
        {
            EndCall(startTimestamp);
        }
        else
        {
            EndFailedCall(startTimestamp, exception, itemCount: 1, cancellationToken);
        }
    }

    internal static long ReadInFlight(StripedCells cells) => cells.Sum(InFlightCell);

    internal static long ReadExtraItems(StripedCells cells) => cells.Sum(ExtraItemsCell);

    internal static long ReadChunks(StripedCells cells) => cells.Sum(ChunksCell);

    private static long ToTicks(TimeSpan value) =>
        Math.Max(1, (long)Math.Round(value.Ticks * (double)Stopwatch.Frequency / TimeSpan.TicksPerSecond));

    private static string? ValidateName(string? value, bool required, string paramName)
    {
        if (value is null && !required)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"{paramName} must be a non-empty string.", paramName);
        }

        if (value.Length > MaxNameLength)
        {
            throw new ArgumentException($"{paramName} must be at most {MaxNameLength} characters.", paramName);
        }

        return value;
    }

    // Note: validation errors name the option the user set (ArgumentException.ParamName), which is a
    // property of the options object rather than a parameter of these methods.
#pragma warning disable CA2208
    private static string[] ValidateLabels(IReadOnlyList<string>? labels)
    {
        const string param = nameof(ModelMonitorOptions.ClassLabels);
        if (labels is null)
        {
            return [];
        }

        if (labels.Count < 2 || labels.Count > MaxLabels)
        {
            throw new ArgumentException($"{param} must declare from 2 to {MaxLabels} labels, or be null for a model that is not a classifier; it has {labels.Count}.", param);
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string label in labels)
        {
            if (string.IsNullOrEmpty(label))
            {
                throw new ArgumentException($"{param} must not contain null or empty labels.", param);
            }

            if (!seen.Add(label))
            {
                throw new ArgumentException($"{param} contains the label '{label}' more than once.", param);
            }
        }

        return [.. labels];
    }

    private static FrozenDictionary<string, int> CreateLabelIndex(string[] labels)
    {
        var index = new Dictionary<string, int>(labels.Length, StringComparer.Ordinal);
        for (int i = 0; i < labels.Length; i++)
        {
            index[labels[i]] = i;
        }

        return index.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static void ValidateTimings(ModelMonitorOptions options)
    {
        if (options.LatencyLowest <= TimeSpan.Zero)
        {
            throw new ArgumentException("LatencyLowest must be positive.", nameof(options.LatencyLowest));
        }

        if (options.LatencyHighest <= options.LatencyLowest)
        {
            throw new ArgumentException("LatencyHighest must be greater than LatencyLowest.", nameof(options.LatencyHighest));
        }

        if (options.LatencyHighest > TimeSpan.FromDays(HighestSupportedDays))
        {
            throw new ArgumentException("LatencyHighest must be at most 1 day.", nameof(options.LatencyHighest));
        }

        if (options.LatencyPrecision is < HistogramLayout.MinDigits or > HistogramLayout.MaxDigits)
        {
            throw new ArgumentException($"LatencyPrecision must be from {HistogramLayout.MinDigits} to {HistogramLayout.MaxDigits} significant digits.", nameof(options.LatencyPrecision));
        }

        if (options.Window < TimeSpan.FromSeconds(1) || options.Window > TimeSpan.FromDays(1))
        {
            throw new ArgumentException("Window must be from 1 second to 1 day.", nameof(options.Window));
        }

        if (options.PendingCapacity is < 1 or > PendingPredictions.MaxCapacity)
        {
            throw new ArgumentException($"PendingCapacity must be from 1 to {PendingPredictions.MaxCapacity}.", nameof(options.PendingCapacity));
        }

        if (options.PendingTimeToLive <= TimeSpan.Zero || options.PendingTimeToLive > TimeSpan.FromDays(365))
        {
            throw new ArgumentException("PendingTimeToLive must be positive and at most 365 days.", nameof(options.PendingTimeToLive));
        }

        if (options.ZeroDivision is not (0 or 1))
        {
            throw new ArgumentException("ZeroDivision must be 0 or 1.", nameof(options.ZeroDivision));
        }

        IReadOnlyList<TimeSpan>? windows = options.QualityWindows;
        if (windows is null || windows.Count is 0 or > 8 || windows.Distinct().Count() != windows.Count
            || windows.Any(w => w < TimeSpan.FromSeconds(1) || w > TimeSpan.FromDays(7)))
        {
            throw new ArgumentException("QualityWindows must hold 1 to 8 distinct lengths from 1 second to 7 days.", nameof(options.QualityWindows));
        }

        if (options.MaxPublishedClasses is < 2 or > 1024)
        {
            throw new ArgumentException("MaxPublishedClasses must be from 2 to 1024.", nameof(options.MaxPublishedClasses));
        }

        if (options.MaxMatrixClasses is < 2 or > 256)
        {
            throw new ArgumentException("MaxMatrixClasses must be from 2 to 256.", nameof(options.MaxMatrixClasses));
        }

        IReadOnlyList<double>? bounds = options.BucketBoundaries;
        if (bounds is null || bounds.Count is 0 or > 64)
        {
            throw new ArgumentException("BucketBoundaries must hold 1 to 64 values.", nameof(options.BucketBoundaries));
        }

        for (int i = 0; i < bounds.Count; i++)
        {
            if (!double.IsFinite(bounds[i]) || bounds[i] <= 0 || (i > 0 && bounds[i] <= bounds[i - 1]))
            {
                throw new ArgumentException("BucketBoundaries must be finite, positive and strictly increasing.", nameof(options.BucketBoundaries));
            }
        }

        if (string.IsNullOrWhiteSpace(options.MeterName))
        {
            throw new ArgumentException("MeterName must be a non-empty string.", nameof(options.MeterName));
        }

        if (options.TimeProvider is null)
        {
            throw new ArgumentException("TimeProvider must not be null.", nameof(options.TimeProvider));
        }
    }
#pragma warning restore CA2208

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void MarkChanged()
    {
        // Note: read before write, so the flag's cache line is written once per collection, not once per
        // call; otherwise every core would fight over it.
        if (Volatile.Read(ref _changed) == 0)
        {
            Volatile.Write(ref _changed, 1);
        }
    }

    private bool CountItems(int itemCount)
    {
        if (itemCount == 1)
        {
            return true;
        }

        if (itemCount == 0)
        {
            Reject(RejectionReason.EmptyBatch);
            return false;
        }

        if (itemCount < 0)
        {
            Reject(RejectionReason.InvalidItemCount);
            return true;
        }

        // Written before the call is counted: readers read calls first, so items never lag behind calls.
        _calls.Add(ExtraItemsCell, itemCount - 1L);
        return true;
    }

    // The call was started (counted in flight) but is not recorded: it still ends.
    private void EndCallNotCounted()
    {
        _calls.Add(InFlightCell, -1);
        MarkChanged();
    }

    private void RecordFailure(long duration, int outcome)
    {
        _outcomes.Count(outcome);
        _failed.Record(duration);
        if (_nativeHistogram is not null)
        {
            RecordNative(duration, _outcomes.NameOf(outcome));
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RecordNative(long durationTicks, string? errorType)
    {
        if (!_nativeHistogram!.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { MetricNames.ModelName, ModelName },
            { MetricNames.ModelVersion, ModelVersion },
        };
        if (errorType is not null)
        {
            tags.Add(MetricNames.ErrorType, errorType);
        }

        try
        {
            _nativeHistogram.Record(Math.Max(0, durationTicks) / (double)Stopwatch.Frequency, tags);
        }
#pragma warning disable CA1031 // Note: listeners run inside Record; a faulty one must not throw into the predict path.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            _rejections.Count(RejectionReason.ListenerFault);
            ModelMetricsEventSource.Log.Swallowed(ModelName, "a listener of " + MetricNames.Duration, exception);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Reject(RejectionReason reason)
    {
        _rejections.Count(reason);
        MarkChanged();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private EnumLabelMap CreateEnumMap<TLabel>()
        where TLabel : struct, Enum
    {
        // The last enum type used is the fast path; others are built once each and kept here.
        EnumLabelMap map = LazyInitializer.EnsureInitialized(ref _enumMaps).GetOrAdd(typeof(TLabel), static (_, labels) => EnumLabelMap.Create<TLabel>(labels), _labelIndex);
        _enumMap = map;
        return map;
    }
}
