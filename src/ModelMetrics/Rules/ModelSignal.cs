// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Globalization;

namespace ModelMetrics;

/// <summary>
/// One number a rule watches, read from a window of a monitor's snapshot, with the count it rests on (a rule does
/// not judge a window with fewer than <see cref="ModelRule.MinSamples"/>). Built-in signals cover the
/// monitor's families; <see cref="ModelSignal(string, Func{WindowSnapshot, double?}, Func{WindowSnapshot, long})"/>
/// reads anything else (a resource, a feature, a custom ratio).
/// </summary>
public sealed class ModelSignal
{
    private readonly Func<WindowSnapshot, double?> _read;
    private readonly Func<WindowSnapshot, long> _samples;

    /// <summary>Initializes a signal read by <paramref name="read"/>.</summary>
    /// <param name="name">A short name for messages and health-check data (for example <c>accuracy</c>).</param>
    /// <param name="read">Reads the value from a window; <see langword="null"/> or NaN when the window has none.</param>
    /// <param name="samples">Counts what the value rests on in the window (calls, labelled predictions…).</param>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public ModelSignal(string name, Func<WindowSnapshot, double?> read, Func<WindowSnapshot, long> samples)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(samples);
        Name = name;
        _read = read;
        _samples = samples;
    }

    /// <summary>Gets the share of calls that failed (errors, timeouts, cancellations); rests on the calls.</summary>
    public static ModelSignal ErrorRatio { get; } = new("error_ratio", w => w.FailureRate, w => w.Calls);

    /// <summary>Gets the calls completed in the window; rests on the calls.</summary>
    public static ModelSignal Calls { get; } = new("calls", w => w.Calls, w => w.Calls);

    /// <summary>Gets the 99th percentile of call duration, in seconds; rests on the calls.</summary>
    public static ModelSignal LatencyP99 { get; } = LatencyQuantile(0.99);

    /// <summary>Gets the accuracy over the labelled predictions; rests on them.</summary>
    public static ModelSignal Accuracy { get; } = new("accuracy", w => w.Classification?.Accuracy, w => w.Classification?.Total ?? 0);

    /// <summary>Gets the macro-averaged F1 over the labelled predictions; rests on them.</summary>
    public static ModelSignal MacroF1 { get; } = new("macro_f1", w => w.Classification?.MacroF1, w => w.Classification?.Total ?? 0);

    /// <summary>Gets the population stability index of predicted classes against the drift reference; rests on the predictions.</summary>
    public static ModelSignal ClassPsi { get; } = new("class_psi", w => w.Drift?.ClassPsi, w => w.Drift?.Predictions ?? 0);

    /// <summary>Gets the population stability index of top-class probabilities against the drift reference; rests on the predictions.</summary>
    public static ModelSignal ScorePsi { get; } = new("score_psi", w => w.Drift?.ScorePsi, w => w.Drift?.Predictions ?? 0);

    /// <summary>Gets the mean absolute error of regression pairs; rests on the pairs.</summary>
    public static ModelSignal MeanAbsoluteError { get; } = new("mean_absolute_error", w => w.Regression?.MeanAbsoluteError, w => w.Regression?.Count ?? 0);

    /// <summary>Gets the 99th percentile of a generative model's time to first token, in seconds; rests on its calls.</summary>
    public static ModelSignal TimeToFirstTokenP99 { get; } = new("time_to_first_token_p99", w => w.GenAI?.TimeToFirstToken.P99, w => w.GenAI?.TimeToFirstToken.Count ?? 0);

    /// <summary>Gets the model's CPU seconds per call from sampled calls; rests on the samples.</summary>
    public static ModelSignal CpuSecondsPerCall { get; } = new("cpu_seconds_per_call", w => w.CpuTime?.CpuSecondsPerCall, w => w.CpuTime?.Samples ?? 0);

    /// <summary>Gets the signal's name.</summary>
    public string Name { get; }

    /// <summary>Returns a quantile of call duration, in seconds; rests on the calls.</summary>
    /// <param name="quantile">The quantile, in [0, 1].</param>
    /// <returns>The signal.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="quantile"/> is outside [0, 1].</exception>
    public static ModelSignal LatencyQuantile(double quantile)
    {
        if (!(quantile is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(quantile), quantile, "A quantile is between 0 and 1.");
        }

        string name = "latency_p" + (quantile * 100).ToString(CultureInfo.InvariantCulture);
        return new(name, w => w.Latency.Count == 0 ? null : w.Latency.GetQuantile(quantile), w => w.Latency.Count);
    }

    /// <summary>Returns the recall of one declared class; rests on that class's labelled predictions (its support).</summary>
    /// <param name="label">The class label, as declared in <see cref="ModelMonitorOptions.ClassLabels"/>.</param>
    /// <returns>The signal.</returns>
    public static ModelSignal Recall(string label)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        return new("recall:" + label, w => Find(w, label)?.Recall, w => Find(w, label)?.Support ?? 0);
    }

    /// <summary>Returns the precision of one declared class; rests on the predictions of that class that were labelled.</summary>
    /// <param name="label">The class label, as declared in <see cref="ModelMonitorOptions.ClassLabels"/>.</param>
    /// <returns>The signal.</returns>
    public static ModelSignal Precision(string label)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        return new("precision:" + label, w => Find(w, label)?.Precision, w => Find(w, label) is { } c ? c.TruePositives + c.FalsePositives : 0);
    }

    /// <summary>Returns the population stability index of a declared feature against the feature reference; rests on the feature's values in the window.</summary>
    /// <param name="feature">The feature's name, as declared in <see cref="ModelMonitorOptions.Features"/>.</param>
    /// <returns>The signal.</returns>
    public static ModelSignal FeaturePsi(string feature) => FeatureDrift(feature, "psi", drift => drift.Psi);

    /// <summary>Returns the share of a declared feature's inputs that were missing (NaN or null); rests on the feature's inputs in the window.</summary>
    /// <param name="feature">The feature's name, as declared in <see cref="ModelMonitorOptions.Features"/>.</param>
    /// <returns>The signal.</returns>
    public static ModelSignal FeatureMissingShare(string feature)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(feature);
        return new("missing_share:" + feature, w => FindFeature(w, feature)?.MissingShare, w => FindFeature(w, feature) is { } f ? f.Count + f.Missing + f.Invalid : 0);
    }

    /// <summary>Returns a drift measure of a declared feature (Kolmogorov–Smirnov, Jensen–Shannon, Wasserstein, chi-square, out-of-range share…); rests on the feature's values in the window.</summary>
    /// <param name="feature">The feature's name, as declared in <see cref="ModelMonitorOptions.Features"/>.</param>
    /// <param name="measureName">A short name of the measure, for messages (for example <c>ks</c>).</param>
    /// <param name="measure">Reads the measure from the feature's drift; <see langword="null"/> when it does not apply.</param>
    /// <returns>The signal.</returns>
    public static ModelSignal FeatureDrift(string feature, string measureName, Func<FeatureDriftSnapshot, double?> measure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(feature);
        ArgumentException.ThrowIfNullOrWhiteSpace(measureName);
        ArgumentNullException.ThrowIfNull(measure);
        return new(measureName + ":" + feature, w => FindFeature(w, feature)?.Drift is { } drift ? measure(drift) : null, w => FindFeature(w, feature)?.Count ?? 0);
    }

    /// <summary>Returns a resource figure (process CPU, GPU memory…) read from <paramref name="resources"/> at evaluation time; rests on one reading.</summary>
    /// <param name="name">A short name for the figure.</param>
    /// <param name="resources">The resource monitor to read.</param>
    /// <param name="read">Reads the figure from a resource snapshot; <see langword="null"/> when unknown.</param>
    /// <returns>The signal.</returns>
    public static ModelSignal Resource(string name, ResourceMonitor resources, Func<ResourceSnapshot, double?> read)
    {
        ArgumentNullException.ThrowIfNull(resources);
        ArgumentNullException.ThrowIfNull(read);
        return new(name, _ => read(resources.GetSnapshot()), _ => 1);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;

    /// <summary>Reads the value and its sample count from <paramref name="window"/> (the caller guards against a reader that throws).</summary>
    internal (double? Value, long Samples) Read(WindowSnapshot window) => (_read(window), _samples(window));

    private static FeatureSnapshot? FindFeature(WindowSnapshot window, string name)
    {
        if (window.Features is { } features)
        {
            foreach (FeatureSnapshot feature in features)
            {
                if (feature.Name == name)
                {
                    return feature;
                }
            }
        }

        return null;
    }

    private static ClassMetrics? Find(WindowSnapshot window, string label)
    {
        if (window.Classification is { } classification)
        {
            foreach (ClassMetrics c in classification.Classes)
            {
                if (c.Label == label)
                {
                    return c;
                }
            }
        }

        return null;
    }
}
