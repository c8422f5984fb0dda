// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.CompilerServices;
using ModelMetrics.Diagnostics;
using ModelMetrics.Recording;

namespace ModelMetrics;

/// <summary>
/// Publishes every <see cref="ModelMonitor"/> of one <see cref="Meter"/> as observable instruments.
/// </summary>
/// <remarks>
/// <para>
/// One publisher per meter creates each instrument once; every monitor that uses the meter registers
/// here and each instrument's callback reports all of them, distinguished by <c>model.name</c> and
/// <c>model.version</c>. Nothing here runs on the predict path: callbacks run when a listener or an
/// OpenTelemetry reader collects.
/// </para>
/// <para>
/// System.Diagnostics.Metrics has no observable histogram, so latency is published as quantile gauges
/// over the recent window, cumulative bucket counters (<c>le</c>) computed from the HDR counts, and count
/// and sum counters; a native <see cref="Histogram{T}"/> is created only for monitors that ask for it.
/// </para>
/// </remarks>
internal sealed class MeterPublisher
{
    private static readonly Dictionary<string, MeterPublisher> SharedMeters = new(StringComparer.Ordinal);
    private static readonly ConditionalWeakTable<Meter, MeterPublisher> FactoryMeters = [];
    private static readonly object Gate = new();
    private static readonly string MeterVersion = typeof(MeterPublisher).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private readonly Meter _meter;
    private readonly Lazy<Histogram<double>> _nativeDuration;
    private readonly ConditionalWeakTable<ModelMonitor, MonitorTags> _tags = [];
    private ModelMonitor[] _monitors = [];
    private int _instrumentCount;

    /// <summary>The number of the instrument whose callback runs on this thread (set just before it observes).</summary>
    [ThreadStatic]
    private static int t_instrument;

    private MeterPublisher(Meter meter)
    {
        _meter = meter;
        _nativeDuration = new(() => CreateNativeDuration(meter));

        Counter(MetricNames.Calls, ObserveCalls, MetricNames.CallUnit, "Completed inference calls; failed ones carry error.type.");
        Counter(MetricNames.Items, () => Observe<long>(static (s, t, list) => list.Add(new(s.Items, t.Model))), MetricNames.ItemUnit, "Items predicted: one per call, n per batch call.");
        UpDownCounter(MetricNames.ActiveCalls, () => Observe<long>(static (s, t, list) => list.Add(new(s.InFlight, t.Model))), MetricNames.CallUnit, "Inference calls in flight.");
        Counter(MetricNames.Chunks, () => Observe<long>(static (s, t, list) => AddIf(list, s.Chunks, s.Chunks > 0, t.Model)), MetricNames.ChunkUnit, "Chunks produced by streamed calls.");

        CreateLatencyInstruments(MetricNames.Duration, static s => s.Latency, static s => s.RecentLatency, "inference call", static t => t.Duration, MetricNames.CallUnit);
        CreateLatencyInstruments(MetricNames.TimeToFirstChunk, static s => s.TimeToFirstChunk, static s => s.RecentTimeToFirstChunk, "time to the first chunk of a streamed call", static t => t.Duration, MetricNames.CallUnit);
        CreateLatencyInstruments(MetricNames.LabelDelay, static s => s.Labels.Delay, static s => s.Labels.RecentDelay, "delay from prediction to label", static t => t.Delay, MetricNames.LabelUnit);

        Counter(MetricNames.Labels, ObserveLabels, MetricNames.LabelUnit, "Labels recorded for predictions with an id, by model.label.result.");
        UpDownCounter(MetricNames.PendingPredictions, () => Observe<long>(static (s, t, list) => list.Add(new(s.Labels.Pending, t.Model))), MetricNames.PredictionUnit, "Predictions with an id waiting for their label.");
        Counter(MetricNames.DroppedPredictions, ObserveDropped, MetricNames.PredictionUnit, "Predictions with an id dropped before their label arrived, by reason: expired, evicted, replaced.");

        Counter(MetricNames.Confusion, ObserveConfusion, MetricNames.PredictionUnit, "Labelled predictions by actual and predicted class (while the class count is at most MaxMatrixClasses).");
        Counter(MetricNames.TruePositives, () => ObserveClasses(static c => c.TruePositives), MetricNames.PredictionUnit, "Labelled predictions of this class that were right.");
        Counter(MetricNames.FalsePositives, () => ObserveClasses(static c => c.FalsePositives), MetricNames.PredictionUnit, "Labelled predictions of this class whose true class was another.");
        Counter(MetricNames.FalseNegatives, () => ObserveClasses(static c => c.FalseNegatives), MetricNames.PredictionUnit, "Labelled predictions of another class whose true class was this one.");

        Gauge(MetricNames.Accuracy, () => ObserveQuality(static c => c.Accuracy), MetricNames.Ratio, "Accuracy over the recent window.");
        Gauge(MetricNames.MacroPrecision, () => ObserveQuality(static c => c.MacroPrecision), MetricNames.Ratio, "Macro-averaged precision over the recent window.");
        Gauge(MetricNames.MacroRecall, () => ObserveQuality(static c => c.MacroRecall), MetricNames.Ratio, "Macro-averaged recall over the recent window.");
        Gauge(MetricNames.MacroF1, () => ObserveQuality(static c => c.MacroF1), MetricNames.Ratio, "Macro-averaged F1 over the recent window.");
        Gauge(MetricNames.Precision, () => ObserveClassQuality(static c => c.Precision), MetricNames.Ratio, "Precision of each class over the recent window.");
        Gauge(MetricNames.Recall, () => ObserveClassQuality(static c => c.Recall), MetricNames.Ratio, "Recall of each class over the recent window.");
        Gauge(MetricNames.F1, () => ObserveClassQuality(static c => c.F1), MetricNames.Ratio, "F1 of each class over the recent window.");

        Gauge(MetricNames.WeightedF1, () => ObserveQuality(static c => c.WeightedF1), MetricNames.Ratio, "Support-weighted F1 over the recent window.");
        Gauge(MetricNames.BalancedAccuracy, () => ObserveQuality(static c => c.BalancedAccuracy), MetricNames.Ratio, "Balanced accuracy (mean recall) over the recent window.");
        Gauge(MetricNames.MatthewsCorrelation, () => ObserveQuality(static c => c.MatthewsCorrelation), MetricNames.Ratio, "Matthews correlation coefficient over the recent window.");
        Gauge(MetricNames.LogLoss, ObserveLogLoss, MetricNames.Ratio, "Mean log-loss (nats) of predictions with probabilities over the recent window.");
        Gauge(MetricNames.TopKAccuracy, ObserveTopKAccuracy, MetricNames.Ratio, "Top-k accuracy of predictions with probabilities over the recent window.");
        Counter(MetricNames.Scored, () => Observe<long>(static (s, t, list) => AddIf(list, s.Classification?.ScoredCount ?? 0, s.Classification is { ScoredCount: > 0 }, t.Model)), MetricNames.PredictionUnit, "Labelled predictions that came with class probabilities.");
        Counter(MetricNames.LogLossSum, () => Observe<double>(static (s, t, list) => AddIf(list, (s.Classification?.LogLoss ?? 0) * (s.Classification?.ScoredCount ?? 0), s.Classification is { ScoredCount: > 0 }, t.Model)), MetricNames.Ratio, "Sum of log-loss (nats) of labelled predictions with probabilities.");
        Counter(MetricNames.TopKHits, ObserveTopKHits, MetricNames.PredictionUnit, "Labelled predictions with probabilities whose true class was among the k most probable.");

        Counter(MetricNames.RegressionPairs, () => ObserveRegression(static r => r.Count), MetricNames.PairUnit, "Regression (predicted, actual) pairs recorded.");
        Counter(MetricNames.AbsoluteErrorSum, () => ObserveRegression(static r => r.MeanAbsoluteError * r.Count), null, "Sum of absolute errors of regression pairs, in the target's unit.");
        Counter(MetricNames.SquaredErrorSum, () => ObserveRegression(static r => r.MeanSquaredError * r.Count), null, "Sum of squared errors of regression pairs, in the target's unit squared.");
        Gauge(MetricNames.MeanAbsoluteError, () => ObserveRecentRegression(static r => r.MeanAbsoluteError), null, "Mean absolute error over the recent window, in the target's unit.");
        Gauge(MetricNames.RootMeanSquaredError, () => ObserveRecentRegression(static r => r.RootMeanSquaredError), null, "Root mean squared error over the recent window, in the target's unit.");
        Gauge(MetricNames.RSquared, () => ObserveRecentRegression(static r => r.RSquared), MetricNames.Ratio, "Coefficient of determination over the recent window.");
        Gauge(MetricNames.MeanAbsolutePercentageError, () => ObserveRecentRegression(static r => r.MeanAbsolutePercentageError), MetricNames.Ratio, "Mean absolute percentage error (a fraction) over the recent window, zero actuals excluded.");

        Gauge(MetricNames.Psi, ObservePsi, MetricNames.Ratio, "Population stability index of predicted classes (and top-class probability bins) over the recent window against the drift reference.");

        Counter(MetricNames.Rejected, ObserveRejected, MetricNames.ValueUnit, "Values ModelMetrics rejected or corrected, by reason.");
    }

    /// <summary>Gets the native duration histogram, created on first use.</summary>
    public Histogram<double> NativeDurationHistogram => _nativeDuration.Value;

    private static Histogram<double> CreateNativeDuration(Meter meter)
    {
        const string Description = "Duration of model inference calls.";
#if NET9_0_OR_GREATER
        // Advice gives the histogram the default le boundaries in every SDK that honours it, not only through the
        // view of AddModelMetrics (the SDK's own defaults, 0 to 10,000, suit milliseconds, not seconds).
        return meter.CreateHistogram<double>(MetricNames.Duration, MetricNames.Seconds, Description, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = ModelMonitorOptions.DefaultBucketBoundaries });
#else
        return meter.CreateHistogram<double>(MetricNames.Duration, MetricNames.Seconds, Description);
#endif
    }

    /// <summary>Returns the publisher of the meter with this name, from the factory or process-wide.</summary>
    public static MeterPublisher For(string meterName, IMeterFactory? factory)
    {
        lock (Gate)
        {
            if (factory is null)
            {
                if (!SharedMeters.TryGetValue(meterName, out MeterPublisher? shared))
                {
                    // Note: a process-wide meter lives as long as the process, like a static Meter field.
                    shared = new MeterPublisher(new Meter(meterName, MeterVersion));
                    SharedMeters.Add(meterName, shared);
                }

                return shared;
            }

            // The factory caches meters by name, so every monitor of one factory shares one meter.
            Meter meter = factory.Create(new MeterOptions(meterName) { Version = MeterVersion });
            if (!FactoryMeters.TryGetValue(meter, out MeterPublisher? publisher))
            {
                publisher = new MeterPublisher(meter);
                FactoryMeters.Add(meter, publisher);
            }

            return publisher;
        }
    }

    public void Add(ModelMonitor monitor)
    {
        lock (Gate)
        {
            _tags.AddOrUpdate(monitor, new MonitorTags(monitor));
            _monitors = [.. _monitors, monitor];
        }
    }

    public void Remove(ModelMonitor monitor)
    {
        lock (Gate)
        {
            _monitors = Array.FindAll(_monitors, m => !ReferenceEquals(m, monitor));
        }
    }

    private static void AddIf<T>(List<Measurement<T>> list, T value, bool condition, KeyValuePair<string, object?>[] tags)
        where T : struct
    {
        if (condition)
        {
            list.Add(new(value, tags));
        }
    }

    /// <summary>
    /// Yields each class's metrics with the index of its attribute set; when the model has more classes than
    /// attribute sets (<see cref="ModelMonitorOptions.MaxPublishedClasses"/>), the last set is <c>_OTHER</c>
    /// and carries the summed counts of every class past the cap, so counters still add up.
    /// </summary>
    private static IEnumerable<(int Tag, ClassMetrics Metrics)> PublishedClasses(ClassificationSnapshot quality, int tagCount)
    {
        int k = quality.Classes.Count;
        int individual = k <= tagCount ? k : tagCount - 1;
        for (int i = 0; i < individual; i++)
        {
            yield return (i, quality.Classes[i]);
        }

        if (individual < k)
        {
            long tp = 0, fp = 0, fn = 0;
            for (int i = individual; i < k; i++)
            {
                tp += quality.Classes[i].TruePositives;
                fp += quality.Classes[i].FalsePositives;
                fn += quality.Classes[i].FalseNegatives;
            }

            yield return (individual, new ClassMetrics(MetricNames.OverflowClass, tp, fp, fn) { ZeroDivision = quality.ZeroDivision });
        }
    }

    /// <summary>One attribute set per published k that the class count allows (k up to min(K, 10)).</summary>
    private static KeyValuePair<string, object?>[][] TopKTags(KeyValuePair<string, object?>[] model, int classCount)
    {
        int count = Array.FindAll(MetricNames.PublishedTopK, k => k <= Math.Min(classCount, ProbabilityCells.MaxRanks)).Length;
        var tags = new KeyValuePair<string, object?>[count][];
        for (int i = 0; i < count; i++)
        {
            tags[i] = With(model, MetricNames.K, MetricNames.PublishedTopK[i].ToString(CultureInfo.InvariantCulture));
        }

        return tags;
    }

    private static KeyValuePair<string, object?>[][] ClassTags(KeyValuePair<string, object?>[] model, IReadOnlyList<string> labels, int cap)
    {
        int count = Math.Min(labels.Count, cap);
        var tags = new KeyValuePair<string, object?>[count][];
        for (int i = 0; i < count; i++)
        {
            tags[i] = With(model, MetricNames.Class, labels.Count > cap && i == count - 1 ? MetricNames.OverflowClass : labels[i]);
        }

        return tags;
    }

    private static KeyValuePair<string, object?>[] With(KeyValuePair<string, object?>[] model, string key, object? value)
    {
        var tags = new KeyValuePair<string, object?>[model.Length + 1];
        model.CopyTo(tags, 0);
        tags[^1] = new(key, value);
        return tags;
    }

    private static KeyValuePair<string, object?>[] With(KeyValuePair<string, object?>[] model, string key1, object? value1, string key2, object? value2)
    {
        var tags = new KeyValuePair<string, object?>[model.Length + 2];
        model.CopyTo(tags, 0);
        tags[^2] = new(key1, value1);
        tags[^1] = new(key2, value2);
        return tags;
    }

    private void CreateLatencyInstruments(string name, Func<ModelMonitorSnapshot, LatencySnapshot> cumulative, Func<ModelMonitorSnapshot, LatencySnapshot> recent, string what, Func<MonitorTags, HistogramTags> tagsOf, string countUnit)
    {
        // Instruments of a histogram nobody fed (a model never streamed) report nothing rather than zeros.
        Gauge(
            name + MetricNames.QuantileSuffix,
            () => Observe<double>((s, t, list) =>
            {
                LatencySnapshot window = recent(s);
                if (window.Count == 0)
                {
                    return;
                }

                for (int i = 0; i < MetricNames.PublishedQuantiles.Length; i++)
                {
                    list.Add(new(window.GetQuantile(MetricNames.PublishedQuantiles[i]), t.Quantiles[i]));
                }
            }),
            MetricNames.Seconds,
            $"Quantiles of the {what} duration over the recent window (quantile 1 is the maximum).");

        Counter(
            name + MetricNames.BucketSuffix,
            () => ObserveBuckets(cumulative, tagsOf),
            countUnit,
            $"Cumulative count of {what} durations at or below le seconds (within the histogram precision).");

        Counter(
            name + MetricNames.SumSuffix,
            () => Observe<double>((s, t, list) => AddIf(list, cumulative(s).Sum, cumulative(s).Count > 0, t.Model)),
            MetricNames.Seconds,
            $"Sum of {what} durations.");

        Counter(
            name + MetricNames.CountSuffix,
            () => Observe<long>((s, t, list) => AddIf(list, cumulative(s).Count, cumulative(s).Count > 0, t.Model)),
            countUnit,
            $"Count of {what} durations.");
    }

    private void Counter<T>(string name, Func<List<Measurement<T>>> observe, string? unit, string description)
        where T : struct => _meter.CreateObservableCounter(name, Numbered(observe), unit, description);

    private void UpDownCounter<T>(string name, Func<List<Measurement<T>>> observe, string? unit, string description)
        where T : struct => _meter.CreateObservableUpDownCounter(name, Numbered(observe), unit, description);

    private void Gauge<T>(string name, Func<List<Measurement<T>>> observe, string? unit, string description)
        where T : struct => _meter.CreateObservableGauge(name, Numbered(observe), unit, description);

    /// <summary>
    /// Gives the callback of one instrument its number, which <see cref="Observe{T}"/> passes to the monitors:
    /// a monitor reads one snapshot per collection pass and tells a new pass by an instrument asking again.
    /// </summary>
    private Func<IEnumerable<Measurement<T>>> Numbered<T>(Func<List<Measurement<T>>> observe)
        where T : struct
    {
        int instrument = _instrumentCount++;
        return () =>
        {
            t_instrument = instrument;
            return observe();
        };
    }

    private List<Measurement<T>> Observe<T>(Action<ModelMonitorSnapshot, MonitorTags, List<Measurement<T>>> observe)
        where T : struct
    {
        var list = new List<Measurement<T>>();
        foreach (ModelMonitor monitor in _monitors)
        {
            if (_tags.TryGetValue(monitor, out MonitorTags? tags))
            {
                observe(monitor.ReadForPublishing(t_instrument), tags, list);
            }
        }

        return list;
    }

    private List<Measurement<long>> ObserveCalls() => Observe<long>(static (s, t, list) =>
    {
        list.Add(new(s.Succeeded, t.Model));
        foreach ((string errorType, long count) in s.Failures)
        {
            list.Add(new(count, With(t.Model, MetricNames.ErrorType, errorType)));
        }
    });

    private List<Measurement<long>> ObserveRejected() => Observe<long>(static (s, t, list) =>
    {
        foreach ((string reason, long count) in s.Rejected)
        {
            list.Add(new(count, With(t.Model, MetricNames.Reason, reason)));
        }
    });

    private List<Measurement<long>> ObserveBuckets(Func<ModelMonitorSnapshot, LatencySnapshot> select, Func<MonitorTags, HistogramTags> tagsOf) => Observe<long>((s, t, list) =>
    {
        LatencySnapshot latency = select(s);
        if (latency.Count == 0)
        {
            return;
        }

        HistogramTags tags = tagsOf(t);
        ReadOnlySpan<long> counts = latency.Counts;
        long cumulative = 0;
        int next = 0;
        for (int b = 0; b < tags.Cuts.Length; b++)
        {
            for (; next <= tags.Cuts[b]; next++)
            {
                cumulative += counts[next];
            }

            list.Add(new(cumulative, tags.Buckets[b]));
        }

        list.Add(new(latency.Count, tags.Buckets[^1]));
    });

    private List<Measurement<long>> ObserveLabels() => Observe<long>(static (s, t, list) =>
    {
        LabelSnapshot labels = s.Labels;
        (string Result, long Count)[] results =
        [
            ("joined", labels.Joined), ("unknown_id", labels.UnknownId), ("duplicate_label", labels.DuplicateLabel),
            ("late_label", labels.LateLabel), ("invalid_id", labels.InvalidId),
        ];
        foreach ((string result, long count) in results)
        {
            if (count > 0)
            {
                list.Add(new(count, With(t.Model, MetricNames.LabelResult, result)));
            }
        }
    });

    private List<Measurement<long>> ObserveDropped() => Observe<long>(static (s, t, list) =>
    {
        LabelSnapshot labels = s.Labels;
        (string Reason, long Count)[] reasons = [("expired", labels.Expired), ("evicted", labels.Evicted), ("replaced", labels.Replaced)];
        foreach ((string reason, long count) in reasons)
        {
            if (count > 0)
            {
                list.Add(new(count, With(t.Model, MetricNames.Reason, reason)));
            }
        }
    });

    private List<Measurement<long>> ObserveConfusion() => Observe<long>(static (s, t, list) =>
    {
        if (s.Classification is not { HasMatrix: true } matrix)
        {
            return;
        }

        int k = matrix.Labels.Count;
        for (int a = 0; a < k; a++)
        {
            for (int p = 0; p < k; p++)
            {
                list.Add(new(matrix.GetCount(a, p), t.Cells![(a * k) + p]));
            }
        }
    });

    private List<Measurement<long>> ObserveClasses(Func<ClassMetrics, long> select) => Observe<long>((s, t, list) =>
    {
        if (s.Classification is not { } quality)
        {
            return;
        }

        foreach ((int tag, ClassMetrics c) in PublishedClasses(quality, t.Classes!.Length))
        {
            list.Add(new(select(c), t.Classes[tag]));
        }
    });

    private List<Measurement<double>> ObserveQuality(Func<ClassificationSnapshot, double> select) => Observe<double>((s, t, list) =>
    {
        for (int w = 0; w < s.QualityWindows.Count; w++)
        {
            // Note: an empty window has no accuracy; reporting 0 would look like a broken model.
            if (s.QualityWindows[w].Classification is { Total: > 0 } quality)
            {
                list.Add(new(select(quality), t.Windows[w].Model));
            }
        }
    });

    private List<Measurement<double>> ObserveClassQuality(Func<ClassMetrics, double> select) => Observe<double>((s, t, list) =>
    {
        for (int w = 0; w < s.QualityWindows.Count; w++)
        {
            if (s.QualityWindows[w].Classification is not { Total: > 0 } quality)
            {
                continue;
            }

            foreach ((int tag, ClassMetrics c) in PublishedClasses(quality, t.Windows[w].Classes!.Length))
            {
                if (c.Support > 0 || c.FalsePositives > 0)
                {
                    list.Add(new(select(c), t.Windows[w].Classes![tag]));
                }
            }
        }
    });

    private List<Measurement<double>> ObserveLogLoss() => Observe<double>(static (s, t, list) =>
    {
        for (int w = 0; w < s.QualityWindows.Count; w++)
        {
            if (s.QualityWindows[w].Classification is { ScoredCount: > 0 } quality)
            {
                list.Add(new(quality.LogLoss, t.Windows[w].Model));
            }
        }
    });

    private List<Measurement<double>> ObserveTopKAccuracy() => Observe<double>(static (s, t, list) =>
    {
        for (int w = 0; w < s.QualityWindows.Count; w++)
        {
            if (s.QualityWindows[w].Classification is { ScoredCount: > 0 } quality)
            {
                for (int i = 0; i < t.Windows[w].TopK.Length; i++)
                {
                    list.Add(new(quality.GetTopKAccuracy(MetricNames.PublishedTopK[i]), t.Windows[w].TopK[i]));
                }
            }
        }
    });

    private List<Measurement<long>> ObserveTopKHits() => Observe<long>(static (s, t, list) =>
    {
        if (s.Classification is { ScoredCount: > 0 } quality)
        {
            for (int i = 0; i < t.TopK.Length; i++)
            {
                list.Add(new((long)Math.Round(quality.GetTopKAccuracy(MetricNames.PublishedTopK[i]) * quality.ScoredCount), t.TopK[i]));
            }
        }
    });

    private List<Measurement<double>> ObserveRegression(Func<RegressionSnapshot, double> select) => Observe<double>((s, t, list) =>
    {
        if (s.Regression is { } regression)
        {
            list.Add(new(select(regression), t.Model));
        }
    });

    private List<Measurement<double>> ObserveRecentRegression(Func<RegressionSnapshot, double> select) => Observe<double>((s, t, list) =>
    {
        for (int w = 0; w < s.QualityWindows.Count; w++)
        {
            if (s.QualityWindows[w].Regression is { Count: > 0 } regression)
            {
                list.Add(new(select(regression), t.Windows[w].Model));
            }
        }
    });

    private List<Measurement<double>> ObservePsi() => Observe<double>(static (s, t, list) =>
    {
        for (int w = 0; w < s.QualityWindows.Count; w++)
        {
            if (s.QualityWindows[w].Drift is { } drift)
            {
                list.Add(new(drift.ClassPsi, t.Windows[w].ClassDrift));
                if (drift.ScorePsi is { } scorePsi)
                {
                    list.Add(new(scorePsi, t.Windows[w].ScoreDrift));
                }
            }
        }
    });

    /// <summary>The <c>le</c> attribute sets of one histogram and the HDR bucket each boundary cuts at.</summary>
    private sealed class HistogramTags
    {
        public HistogramTags(KeyValuePair<string, object?>[] model, HistogramLayout layout, IReadOnlyList<double> bounds)
        {
            Cuts = new int[bounds.Count];
            Buckets = new KeyValuePair<string, object?>[bounds.Count + 1][];
            for (int b = 0; b < bounds.Count; b++)
            {
                // A boundary counts every value in the HDR bucket it falls in: exact to the histogram's precision.
                double ticks = bounds[b] * Stopwatch.Frequency;
                Cuts[b] = ticks >= layout.Highest ? layout.BucketCount - 1 : layout.IndexOf((long)ticks);
                Buckets[b] = With(model, MetricNames.LessOrEqual, bounds[b].ToString(CultureInfo.InvariantCulture));
            }

            Buckets[^1] = With(model, MetricNames.LessOrEqual, "+Inf");
        }

        public int[] Cuts { get; }

        public KeyValuePair<string, object?>[][] Buckets { get; }
    }

    /// <summary>The attribute sets of the gauges of one quality window: the model's plus <c>window</c> (seconds).</summary>
    private sealed class WindowTags
    {
        public WindowTags(KeyValuePair<string, object?>[] model, TimeSpan window, IReadOnlyList<string> labels, int maxClasses)
        {
            Model = With(model, MetricNames.Window, window.TotalSeconds.ToString(CultureInfo.InvariantCulture));
            ClassDrift = With(Model, MetricNames.DriftSignal, "predicted_class");
            ScoreDrift = With(Model, MetricNames.DriftSignal, "score");
            TopK = TopKTags(Model, labels.Count);

            if (labels.Count > 0)
            {
                Classes = ClassTags(Model, labels, maxClasses);
            }
        }

        public KeyValuePair<string, object?>[] Model { get; }

        public KeyValuePair<string, object?>[] ClassDrift { get; }

        public KeyValuePair<string, object?>[] ScoreDrift { get; }

        public KeyValuePair<string, object?>[][] TopK { get; }

        public KeyValuePair<string, object?>[][]? Classes { get; }
    }

    /// <summary>A monitor's attribute sets, built once so that collection does not rebuild them.</summary>
    private sealed class MonitorTags
    {
        public MonitorTags(ModelMonitor monitor)
        {
            Model =
            [
                new(MetricNames.ModelName, monitor.ModelName),
                new(MetricNames.ModelVersion, monitor.ModelVersion),
            ];
            Quantiles = Array.ConvertAll(MetricNames.PublishedQuantiles, q => With(Model, MetricNames.Quantile, q.ToString(CultureInfo.InvariantCulture)));

            Duration = new HistogramTags(Model, monitor.Succeeded.Layout, monitor.BucketBoundaries);
            Windows = Array.ConvertAll(monitor.QualityWindows, window => new WindowTags(Model, window, monitor.ClassLabels, monitor.MaxPublishedClasses));
            Delay = new HistogramTags(Model, monitor.LabelDelay.Layout, MetricNames.LabelDelayBoundaries);

            IReadOnlyList<string> labels = monitor.ClassLabels;
            TopK = TopKTags(Model, labels.Count);

            if (labels.Count > 0)
            {
                Classes = ClassTags(Model, labels, monitor.MaxPublishedClasses);
                if (labels.Count > monitor.MaxPublishedClasses)
                {
                    ModelMetricsEventSource.Log.Overflowed(monitor.ModelName, MetricNames.Class);
                }

                if (monitor.Confusion is { IsFullMatrix: true })
                {
                    Cells = new KeyValuePair<string, object?>[labels.Count * labels.Count][];
                    for (int a = 0; a < labels.Count; a++)
                    {
                        for (int p = 0; p < labels.Count; p++)
                        {
                            Cells[(a * labels.Count) + p] = With(Model, MetricNames.ActualClass, labels[a], MetricNames.PredictedClass, labels[p]);
                        }
                    }
                }
            }
        }

        public KeyValuePair<string, object?>[] Model { get; }

        public KeyValuePair<string, object?>[][] Quantiles { get; }

        public HistogramTags Duration { get; }

        /// <summary>Gets the attribute sets of each quality window, in the order of the snapshot's windows.</summary>
        public WindowTags[] Windows { get; }

        public HistogramTags Delay { get; }

        public KeyValuePair<string, object?>[][]? Classes { get; }

        public KeyValuePair<string, object?>[][]? Cells { get; }

        public KeyValuePair<string, object?>[][] TopK { get; }
    }
}
