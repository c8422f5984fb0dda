// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Collections.Generic;
using System.Threading;
using ModelMetrics.Diagnostics;

namespace ModelMetrics.Recording;

/// <summary>Why a recorded value was rejected or corrected. Published as the <c>reason</c> attribute.</summary>
internal enum RejectionReason
{
    /// <summary>A duration was NaN; the call was not recorded.</summary>
    NanDuration,

    /// <summary>A duration was negative (a clock went backwards); recorded as zero.</summary>
    NegativeDuration,

    /// <summary>A duration exceeded the histogram's highest value; recorded as the highest value.</summary>
    OverRangeDuration,

    /// <summary>An integer or enum label was outside the declared label set; the pair was not recorded.</summary>
    LabelOutOfRange,

    /// <summary>A string label was not in the declared label set; the pair was not recorded.</summary>
    UnknownLabel,

    /// <summary>Ground truth was recorded for a model without declared class labels; not recorded.</summary>
    NoLabelsDeclared,

    /// <summary>A batch call had no items; the model was called but nothing was recorded.</summary>
    EmptyBatch,

    /// <summary>A batch item count was negative; the call was recorded with one item.</summary>
    InvalidItemCount,

    /// <summary>A listener of the native histogram threw while a call was recorded; the exception was swallowed.</summary>
    ListenerFault,

    /// <summary>Class probabilities had the wrong length, a value outside [0, 1] (or NaN), or did not sum to 1 (within 0.001); not recorded.</summary>
    InvalidProbabilities,

    /// <summary>A regression prediction or actual value was NaN or infinite; the pair was not recorded.</summary>
    InvalidValue,

    /// <summary>
    /// A regression prediction or value label on a model with class labels, or a label of the other kind than its
    /// pending prediction; not recorded, and a pending prediction stays pending.
    /// </summary>
    KindMismatch,

    /// <summary>A token count was negative, above <see cref="GenAIUsage.MaxTokens"/>, or a part above its whole (cached above input, reasoning above output); counted as unknown.</summary>
    InvalidTokenCount,

    /// <summary>A numeric feature value was ±∞ or outside its declared range; counted per feature as invalid, not in the sketch.</summary>
    InvalidFeature,

    /// <summary>A categorical feature value was not a declared category's index; counted as <c>_OTHER</c>.</summary>
    UnknownCategory,

    /// <summary>Feature values did not hold one value per declared feature; the input's features were not recorded.</summary>
    FeatureCountMismatch,

    /// <summary>Features were recorded on a monitor without declared features; not recorded.</summary>
    NoFeaturesDeclared,

    /// <summary>A feature extractor threw; the input's features were not recorded and the call went on.</summary>
    FeatureExtractorFault,
}

/// <summary>
/// Counts rejections by reason and reports them through <see cref="ModelMetricsEventSource"/>.
/// Rare path: plain interlocked counters, no striping.
/// </summary>
internal sealed class Rejections
{
    private static readonly string[] Names =
    [
        "nan_duration",
        "negative_duration",
        "over_range_duration",
        "label_out_of_range",
        "unknown_label",
        "no_labels_declared",
        "empty_batch",
        "invalid_item_count",
        "listener_fault",
        "invalid_probabilities",
        "invalid_value",
        "kind_mismatch",
        "invalid_token_count",
        "invalid_feature",
        "unknown_category",
        "feature_count_mismatch",
        "no_features_declared",
        "feature_extractor_fault",
    ];

    private readonly long[] _counts = new long[Names.Length];
    private readonly string _modelName;

    public Rejections(string modelName = "") => _modelName = modelName;

    public void Count(RejectionReason reason)
    {
        Interlocked.Increment(ref _counts[(int)reason]);
        ModelMetricsEventSource.Log.Rejected(_modelName, Names[(int)reason]);
    }

    public long this[RejectionReason reason] => Volatile.Read(ref _counts[(int)reason]);

    /// <summary>Returns (reason, count) for every reason counted at least once.</summary>
    public IEnumerable<KeyValuePair<string, long>> NonZero()
    {
        for (int i = 0; i < _counts.Length; i++)
        {
            long count = Volatile.Read(ref _counts[i]);
            if (count != 0)
            {
                yield return new KeyValuePair<string, long>(Names[i], count);
            }
        }
    }
}
