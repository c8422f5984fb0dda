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

    /// <summary>The quantiles published by the quantile gauges; 1 is the maximum.</summary>
    public static readonly double[] PublishedQuantiles = [0.5, 0.9, 0.95, 0.99, 0.999, 1];
}
