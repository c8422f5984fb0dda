// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

namespace ModelMetrics;

/// <summary>
/// Instrument names, units and attribute names, in one place. They follow the OpenTelemetry naming
/// rules: lower case, dot-separated, UCUM units, durations in seconds. The README's instrument table
/// lists the same names.
/// </summary>
internal static class MetricNames
{
    // Attributes.
    public const string ModelName = "model.name";
    public const string ModelVersion = "model.version";
    public const string ErrorType = "error.type";
    public const string Quantile = "quantile";
    public const string LessOrEqual = "le";
    public const string Class = "model.class";
    public const string ActualClass = "model.class.actual";
    public const string PredictedClass = "model.class.predicted";
    public const string Reason = "reason";
    public const string K = "k";
    public const string Window = "window";

    /// <summary>The <c>model.class</c> value that carries the classes past <see cref="ModelMonitorOptions.MaxPublishedClasses"/>.</summary>
    public const string OverflowClass = "_OTHER";

    // Calls.
    public const string Calls = "model.inference.calls";
    public const string Items = "model.inference.items";
    public const string ActiveCalls = "model.inference.active_calls";
    public const string Chunks = "model.inference.chunks";

    // Latency, published pre-aggregated from the HDR histogram (and optionally natively).
    public const string Duration = "model.inference.duration";
    public const string TimeToFirstChunk = "model.inference.time_to_first_chunk";
    public const string QuantileSuffix = ".quantile";
    public const string BucketSuffix = ".bucket";
    public const string SumSuffix = ".sum";
    public const string CountSuffix = ".count";

    // Quality.
    public const string Confusion = "model.classification.confusion";
    public const string TruePositives = "model.classification.true_positives";
    public const string FalsePositives = "model.classification.false_positives";
    public const string FalseNegatives = "model.classification.false_negatives";
    public const string Accuracy = "model.classification.accuracy";
    public const string Precision = "model.classification.precision";
    public const string Recall = "model.classification.recall";
    public const string F1 = "model.classification.f1";
    public const string MacroPrecision = "model.classification.macro_precision";
    public const string MacroRecall = "model.classification.macro_recall";
    public const string MacroF1 = "model.classification.macro_f1";

    public const string WeightedF1 = "model.classification.weighted_f1";
    public const string BalancedAccuracy = "model.classification.balanced_accuracy";
    public const string MatthewsCorrelation = "model.classification.mcc";
    public const string LogLoss = "model.classification.log_loss";
    public const string TopKAccuracy = "model.classification.top_k_accuracy";
    public const string Scored = "model.classification.scored";
    public const string LogLossSum = "model.classification.log_loss.sum";
    public const string TopKHits = "model.classification.top_k_hits";

    public const string RegressionPairs = "model.regression.pairs";
    public const string AbsoluteErrorSum = "model.regression.absolute_error.sum";
    public const string SquaredErrorSum = "model.regression.squared_error.sum";
    public const string MeanAbsoluteError = "model.regression.mean_absolute_error";
    public const string RootMeanSquaredError = "model.regression.root_mean_squared_error";
    public const string RSquared = "model.regression.r2";
    public const string MeanAbsolutePercentageError = "model.regression.mean_absolute_percentage_error";

    public const string Labels = "model.labels";
    public const string LabelResult = "model.label.result";
    public const string PendingPredictions = "model.predictions.pending";
    public const string DroppedPredictions = "model.predictions.dropped";
    public const string LabelDelay = "model.label.delay";

    public const string Psi = "model.drift.psi";
    public const string DriftSignal = "model.drift.signal";

    // The library's own health.
    public const string Rejected = "model.metrics.rejected";

    // Units (UCUM; curly braces are annotations for counts).
    public const string Seconds = "s";
    public const string Ratio = "1";
    public const string CallUnit = "{call}";
    public const string ItemUnit = "{item}";
    public const string ChunkUnit = "{chunk}";
    public const string PredictionUnit = "{prediction}";
    public const string ValueUnit = "{value}";
    public const string PairUnit = "{pair}";
    public const string LabelUnit = "{label}";

    /// <summary>The <c>le</c> boundaries of the label delay, in seconds: 1 s to 30 days.</summary>
    public static readonly double[] LabelDelayBoundaries = [1, 10, 60, 600, 3600, 21600, 86400, 604800, 2592000];

    /// <summary>The k of the published top-k accuracies (those up to the class count).</summary>
    public static readonly int[] PublishedTopK = [1, 3, 5];

    /// <summary>The quantiles published by the quantile gauges; 1 is the maximum.</summary>
    public static readonly double[] PublishedQuantiles = [0.5, 0.9, 0.95, 0.99, 0.999, 1];
}
