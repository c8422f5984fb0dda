// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Globalization;
using ModelMetrics.Diagnostics;
using ModelMetrics.Publishing;

namespace ModelMetrics.Signals;

/// <summary>The instruments of the classification signal: cumulative counters (fleet-mergeable) and gauges per window.</summary>
internal sealed class ClassificationInstruments : SignalInstruments
{
    public const string Class = "model.class";
    public const string ActualClass = "model.class.actual";
    public const string PredictedClass = "model.class.predicted";
    public const string K = "k";

    /// <summary>The <c>model.class</c> value that carries the classes past <see cref="ModelMonitorOptions.MaxPublishedClasses"/>.</summary>
    public const string OverflowClass = "_OTHER";

    private const string Prediction = "{prediction}";

    public static readonly InstrumentInfo Confusion = new("model.classification.confusion", Prediction, "Labelled predictions by actual and predicted class (while the class count is at most MaxMatrixClasses).");
    public static readonly InstrumentInfo TruePositives = new("model.classification.true_positives", Prediction, "Labelled predictions of this class that were right.");
    public static readonly InstrumentInfo FalsePositives = new("model.classification.false_positives", Prediction, "Labelled predictions of this class whose true class was another.");
    public static readonly InstrumentInfo FalseNegatives = new("model.classification.false_negatives", Prediction, "Labelled predictions of another class whose true class was this one.");
    public static readonly InstrumentInfo Scored = new("model.classification.scored", Prediction, "Labelled predictions that came with class probabilities.");
    public static readonly InstrumentInfo LogLossSum = new("model.classification.log_loss.sum", MetricNames.Ratio, "Sum of log-loss (nats) of labelled predictions with probabilities.");
    public static readonly InstrumentInfo TopKHits = new("model.classification.top_k_hits", Prediction, "Labelled predictions with probabilities whose true class was among the k most probable.");

    public static readonly InstrumentInfo Accuracy = new("model.classification.accuracy", MetricNames.Ratio, "Accuracy over each window.");
    public static readonly InstrumentInfo Precision = new("model.classification.precision", MetricNames.Ratio, "Precision of each class over each window.");
    public static readonly InstrumentInfo Recall = new("model.classification.recall", MetricNames.Ratio, "Recall of each class over each window.");
    public static readonly InstrumentInfo F1 = new("model.classification.f1", MetricNames.Ratio, "F1 of each class over each window.");
    public static readonly InstrumentInfo MacroPrecision = new("model.classification.macro_precision", MetricNames.Ratio, "Macro-averaged precision over each window.");
    public static readonly InstrumentInfo MacroRecall = new("model.classification.macro_recall", MetricNames.Ratio, "Macro-averaged recall over each window.");
    public static readonly InstrumentInfo MacroF1 = new("model.classification.macro_f1", MetricNames.Ratio, "Macro-averaged F1 over each window.");
    public static readonly InstrumentInfo WeightedF1 = new("model.classification.weighted_f1", MetricNames.Ratio, "Support-weighted F1 over each window.");
    public static readonly InstrumentInfo BalancedAccuracy = new("model.classification.balanced_accuracy", MetricNames.Ratio, "Balanced accuracy (mean recall) over each window.");
    public static readonly InstrumentInfo MatthewsCorrelation = new("model.classification.mcc", MetricNames.Ratio, "Matthews correlation coefficient over each window.");
    public static readonly InstrumentInfo LogLoss = new("model.classification.log_loss", MetricNames.Ratio, "Mean log-loss (nats) of predictions with probabilities over each window.");
    public static readonly InstrumentInfo TopKAccuracy = new("model.classification.top_k_accuracy", MetricNames.Ratio, "Top-k accuracy of predictions with probabilities over each window.");

    /// <summary>The k of the published top-k accuracies and hits (those up to the class count).</summary>
    public static readonly int[] PublishedTopK = [1, 3, 5];

    public static readonly ClassificationInstruments Instance = new();

    private ClassificationInstruments()
    {
    }

    public override void Create(MeterPublisher publisher)
    {
        publisher.Counter<ClassificationSignal, long>(Confusion, static (signal, s, list) =>
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
                    list.Add(matrix.GetCount(predicted: p, actual: a), signal.Tags.Cells![(a * k) + p]);
                }
            }
        });
        ClassCounter(publisher, TruePositives, static c => c.TruePositives);
        ClassCounter(publisher, FalsePositives, static c => c.FalsePositives);
        ClassCounter(publisher, FalseNegatives, static c => c.FalseNegatives);

        // Raw counts and sums, published as read: never rebuilt from a ratio, so they only grow.
        publisher.Counter<ClassificationSignal, long>(Scored, static (signal, s, list) => list.AddIf(s.Classification!.ScoredCount > 0, s.Classification.ScoredCount, signal.Context.ModelTags));
        publisher.Counter<ClassificationSignal, double>(LogLossSum, static (signal, s, list) => list.AddIf(s.Classification!.ScoredCount > 0, s.Classification.LogLossSum, signal.Context.ModelTags));
        publisher.Counter<ClassificationSignal, long>(TopKHits, static (signal, s, list) =>
        {
            ClassificationSnapshot quality = s.Classification!;
            if (quality.ScoredCount > 0)
            {
                for (int i = 0; i < signal.Tags.TopK.Length; i++)
                {
                    list.Add(quality.GetTopKHits(PublishedTopK[i]), signal.Tags.TopK[i]);
                }
            }
        });

        WindowGauge(publisher, Accuracy, static c => c.Accuracy);
        WindowGauge(publisher, MacroPrecision, static c => c.MacroPrecision);
        WindowGauge(publisher, MacroRecall, static c => c.MacroRecall);
        WindowGauge(publisher, MacroF1, static c => c.MacroF1);
        ClassGauge(publisher, Precision, static c => c.Precision);
        ClassGauge(publisher, Recall, static c => c.Recall);
        ClassGauge(publisher, F1, static c => c.F1);
        WindowGauge(publisher, WeightedF1, static c => c.WeightedF1);
        WindowGauge(publisher, BalancedAccuracy, static c => c.BalancedAccuracy);
        WindowGauge(publisher, MatthewsCorrelation, static c => c.MatthewsCorrelation);
        publisher.Gauge<ClassificationSignal, double>(LogLoss, static (signal, s, list) =>
        {
            for (int w = 0; w < s.Windows.Count; w++)
            {
                list.AddIf(s.Windows[w].Classification is { ScoredCount: > 0 }, s.Windows[w].Classification?.LogLoss ?? 0, signal.Context.WindowTags[w]);
            }
        });
        publisher.Gauge<ClassificationSignal, double>(TopKAccuracy, static (signal, s, list) =>
        {
            for (int w = 0; w < s.Windows.Count; w++)
            {
                if (s.Windows[w].Classification is { ScoredCount: > 0 } quality)
                {
                    for (int i = 0; i < signal.Tags.WindowTopK[w].Length; i++)
                    {
                        list.Add(quality.GetTopKAccuracy(PublishedTopK[i]), signal.Tags.WindowTopK[w][i]);
                    }
                }
            }
        });
    }

    /// <summary>
    /// Returns how many attribute sets the classes fill: one per class, or, when the model has more classes than
    /// attribute sets (<see cref="ModelMonitorOptions.MaxPublishedClasses"/>), all of them, the last being <c>_OTHER</c>.
    /// </summary>
    private static int PublishedCount(ClassificationSnapshot quality, int tagCount) => Math.Min(quality.Classes.Count, tagCount);

    /// <summary>
    /// Returns the metrics published with attribute set <paramref name="tag"/>: its class's, or for <c>_OTHER</c> the summed
    /// counts of every class past the cap, so counters still add up. No iterator: a collection pass allocates nothing.
    /// </summary>
    private static ClassMetrics PublishedClass(ClassificationSnapshot quality, int tagCount, int tag)
    {
        int k = quality.Classes.Count;
        if (k <= tagCount || tag < tagCount - 1)
        {
            return quality.Classes[tag];
        }

        long tp = 0, fp = 0, fn = 0;
        for (int i = tag; i < k; i++)
        {
            tp += quality.Classes[i].TruePositives;
            fp += quality.Classes[i].FalsePositives;
            fn += quality.Classes[i].FalseNegatives;
        }

        return new ClassMetrics(OverflowClass, tp, fp, fn) { ZeroDivision = quality.ZeroDivision };
    }

    private static void ClassCounter(MeterPublisher publisher, InstrumentInfo info, Func<ClassMetrics, long> select) =>
        publisher.Counter<ClassificationSignal, long>(info, (signal, s, list) =>
        {
            ClassificationSnapshot quality = s.Classification!;
            int tags = signal.Tags.Classes.Length;
            for (int tag = 0; tag < PublishedCount(quality, tags); tag++)
            {
                list.Add(select(PublishedClass(quality, tags, tag)), signal.Tags.Classes[tag]);
            }
        });

    private static void WindowGauge(MeterPublisher publisher, InstrumentInfo info, Func<ClassificationSnapshot, double> select) =>
        publisher.Gauge<ClassificationSignal, double>(info, (signal, s, list) =>
        {
            for (int w = 0; w < s.Windows.Count; w++)
            {
                // Note: an empty window has no accuracy; reporting 0 would look like a broken model.
                if (s.Windows[w].Classification is { Total: > 0 } quality)
                {
                    list.Add(select(quality), signal.Context.WindowTags[w]);
                }
            }
        });

    private static void ClassGauge(MeterPublisher publisher, InstrumentInfo info, Func<ClassMetrics, double> select) =>
        publisher.Gauge<ClassificationSignal, double>(info, (signal, s, list) =>
        {
            for (int w = 0; w < s.Windows.Count; w++)
            {
                if (s.Windows[w].Classification is not { Total: > 0 } quality)
                {
                    continue;
                }

                int tags = signal.Tags.WindowClasses[w].Length;
                for (int tag = 0; tag < PublishedCount(quality, tags); tag++)
                {
                    ClassMetrics c = PublishedClass(quality, tags, tag);
                    if (c.Support > 0 || c.FalsePositives > 0)
                    {
                        list.Add(select(c), signal.Tags.WindowClasses[w][tag]);
                    }
                }
            }
        });
}

/// <summary>A classifier's attribute sets, built once so that collection does not rebuild them.</summary>
internal sealed class ClassificationTags
{
    public ClassificationTags(SignalContext context, IReadOnlyList<string> labels, int maxClasses, bool fullMatrix)
    {
        Classes = ClassTags(context.ModelTags, labels, maxClasses);
        WindowClasses = Array.ConvertAll(context.WindowTags, window => ClassTags(window, labels, maxClasses));
        TopK = TopKTags(context.ModelTags, labels.Count);
        WindowTopK = Array.ConvertAll(context.WindowTags, window => TopKTags(window, labels.Count));
        if (labels.Count > maxClasses)
        {
            ModelMetricsEventSource.Log.Overflowed(context.ModelName, ClassificationInstruments.Class);
        }

        if (fullMatrix)
        {
            Cells = new KeyValuePair<string, object?>[labels.Count * labels.Count][];
            for (int a = 0; a < labels.Count; a++)
            {
                for (int p = 0; p < labels.Count; p++)
                {
                    Cells[(a * labels.Count) + p] = Tags.With(context.ModelTags, ClassificationInstruments.ActualClass, labels[a], ClassificationInstruments.PredictedClass, labels[p]);
                }
            }
        }
    }

    /// <summary>Gets one set per published class (the last is <c>_OTHER</c> past the cap).</summary>
    public KeyValuePair<string, object?>[][] Classes { get; }

    /// <summary>Gets, per window, one set per published class with <c>window</c>.</summary>
    public KeyValuePair<string, object?>[][][] WindowClasses { get; }

    /// <summary>Gets one set per published k that the class count allows.</summary>
    public KeyValuePair<string, object?>[][] TopK { get; }

    /// <summary>Gets, per window, one set per published k with <c>window</c>.</summary>
    public KeyValuePair<string, object?>[][][] WindowTopK { get; }

    /// <summary>Gets one set per (actual, predicted) cell, actual-major, while the full matrix is kept.</summary>
    public KeyValuePair<string, object?>[][]? Cells { get; }

    private static KeyValuePair<string, object?>[][] TopKTags(KeyValuePair<string, object?>[] tags, int classCount)
    {
        int[] ks = Array.FindAll(ClassificationInstruments.PublishedTopK, k => k <= Math.Min(classCount, ProbabilityCells.MaxRanks));
        return Array.ConvertAll(ks, k => Tags.With(tags, ClassificationInstruments.K, k.ToString(CultureInfo.InvariantCulture)));
    }

    private static KeyValuePair<string, object?>[][] ClassTags(KeyValuePair<string, object?>[] tags, IReadOnlyList<string> labels, int cap)
    {
        int count = Math.Min(labels.Count, cap);
        var result = new KeyValuePair<string, object?>[count][];
        for (int i = 0; i < count; i++)
        {
            result[i] = Tags.With(tags, ClassificationInstruments.Class, labels.Count > cap && i == count - 1 ? ClassificationInstruments.OverflowClass : labels[i]);
        }

        return result;
    }
}
