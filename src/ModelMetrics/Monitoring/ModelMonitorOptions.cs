// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Diagnostics.Metrics;

namespace ModelMetrics;

/// <summary>
/// Configures a <see cref="ModelMonitor"/>. Every option is validated when the monitor is constructed;
/// an invalid value throws <see cref="ArgumentException"/> naming the option.
/// </summary>
public sealed class ModelMonitorOptions
{
    /// <summary>The default name of the <see cref="Meter"/> that publishes the metrics: <c>ModelMetrics</c>.</summary>
    public const string DefaultMeterName = "ModelMetrics";

    /// <summary>
    /// Gets or sets the model's name, published as the <c>model.name</c> attribute. Required.
    /// </summary>
    /// <value>A non-empty string of at most 255 characters. There is no default.</value>
    public string ModelName { get; set; } = string.Empty;

    /// <summary>
    /// Gets or sets the model's version, published as the <c>model.version</c> attribute.
    /// </summary>
    /// <value>At most 255 characters, or <see langword="null"/> to publish no version. The default value is <see langword="null"/>.</value>
    public string? ModelVersion { get; set; }

    /// <summary>
    /// Gets or sets the declared class labels of a classifier, in index order. Ground truth can only be
    /// recorded when labels are declared; labels outside this set are rejected and counted.
    /// </summary>
    /// <value>
    /// At least two distinct, non-empty labels (at most 4096), or <see langword="null"/> for a model that is not a
    /// classifier. Index 0 is the negative class of a binary model (<c>false</c>), index 1 the positive
    /// one (<c>true</c>). The default value is <see langword="null"/>.
    /// </value>
    public IReadOnlyList<string>? ClassLabels { get; set; }

    /// <summary>
    /// Gets or sets the value that a precision, recall, F1 or specificity takes when its denominator is
    /// zero (a class never predicted, never present), as scikit-learn's <c>zero_division</c>. Published
    /// gauges are never NaN.
    /// </summary>
    /// <value><see cref="ZeroDivision.Zero"/> or <see cref="ZeroDivision.One"/>. The default value is <see cref="ZeroDivision.Zero"/>.</value>
    public ZeroDivision ZeroDivision { get; set; }

    /// <summary>
    /// Gets or sets how many predictions recorded with an id (<see cref="ModelMonitor.RecordPrediction(PredictionId, int)"/>)
    /// are kept waiting for their label. When full, the oldest is evicted and counted. Memory is about
    /// 160 bytes per unit of capacity at most (plus string ids and probability arrays).
    /// </summary>
    /// <value>From 1 to 100,000,000. The default value is 100,000.</value>
    public int PendingCapacity { get; set; } = 100_000;

    /// <summary>
    /// Gets or sets how long a prediction recorded with an id waits for its label before it expires (counted).
    /// </summary>
    /// <value>Positive, at most 365 days. The default value is 7 days.</value>
    public TimeSpan PendingTimeToLive { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Gets or sets the smallest duration that the latency histogram resolves within its precision.
    /// </summary>
    /// <value>Positive and less than <see cref="LatencyHighest"/>. The default value is 1 microsecond.</value>
    public TimeSpan LatencyLowest { get; set; } = TimeSpan.FromMicroseconds(1);

    /// <summary>
    /// Gets or sets the largest duration the latency histogram holds. Longer calls are recorded as this
    /// value and counted under the rejection reason <c>over_range_duration</c>.
    /// </summary>
    /// <value>Greater than <see cref="LatencyLowest"/>, at most 1 day. The default value is 1 hour.</value>
    public TimeSpan LatencyHighest { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Gets or sets the latency precision in significant decimal digits: every reported quantile of a
    /// duration in [<see cref="LatencyLowest"/>, <see cref="LatencyHighest"/>] is within a relative
    /// error of 10^-digits of the exact quantile. Each extra digit multiplies memory by about 8.
    /// </summary>
    /// <value>From 1 to 5. The default value is 2 (1% relative error).</value>
    public int LatencyPrecision { get; set; } = 2;

    /// <summary>
    /// Gets or sets the windows over which every signal is also read: calls and failures by type (so the error
    /// ratio), latency and time-to-first-chunk quantiles, quality, drift and label delay. Snapshots hold one
    /// <see cref="WindowSnapshot"/> per window (shortest first; <c>Recent…</c> members read the shortest), and the
    /// published gauges carry the attribute <c>window</c> (in seconds). Cumulative values are always kept as well.
    /// </summary>
    /// <value>
    /// 1 to 8 distinct lengths from 1 second to 7 days. The default value is 1 minute, 5 minutes and 1 hour.
    /// A window covers at least its length and at most its length plus a quarter of it (or plus the interval between
    /// readings, when readings are further apart); until one window has passed since the monitor started, it covers
    /// everything.
    /// </value>
    public IReadOnlyList<TimeSpan> Windows { get; set; } = DefaultWindows;

    /// <summary>
    /// Gets or sets the upper bounds, in seconds, of the cumulative bucket counters published with the
    /// attribute <c>le</c> (a <c>+Inf</c> bucket is always added). Backends merge them across replicas.
    /// </summary>
    /// <value>
    /// 1 to 64 finite, positive, strictly increasing values. The default value is 0.0001, 0.00025, 0.0005,
    /// 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30 and 60.
    /// </value>
    public IReadOnlyList<double> BucketBoundaries { get; set; } = DefaultBucketBoundaries;

    /// <summary>Gets the default <see cref="Windows"/>: 1 minute, 5 minutes and 1 hour.</summary>
    public static IReadOnlyList<TimeSpan> DefaultWindows { get; } =
        Array.AsReadOnly(new[] { TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromHours(1) });

    /// <summary>Gets the default <see cref="BucketBoundaries"/>, in seconds: 100 µs to 60 s, about 2.5× apart.</summary>
    public static IReadOnlyList<double> DefaultBucketBoundaries { get; } =
        Array.AsReadOnly(new double[] { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60 });

    /// <summary>
    /// Gets or sets the largest number of classes for which the full actual × predicted confusion matrix is
    /// kept and published. Above it only per-class true positives, false positives and false negatives are.
    /// </summary>
    /// <value>From 2 to 256. The default value is 32.</value>
    public int MaxMatrixClasses { get; set; } = 32;

    /// <summary>
    /// Gets or sets the largest number of <c>model.class</c> values published per instrument. With more
    /// declared classes, the first ones keep their own series and the rest are published summed as one
    /// <c>_OTHER</c> class (and reported once through the EventSource); snapshots always hold every class.
    /// </summary>
    /// <value>From 2 to 1024. The default value is 64.</value>
    public int MaxPublishedClasses { get; set; } = 64;

    /// <summary>
    /// Gets or sets a value indicating whether calls are also recorded into a native
    /// <see cref="Histogram{T}"/> named <c>model.inference.duration</c>, for exporters that want to
    /// aggregate themselves. It costs a synchronous instrument record per call. Its bucket boundaries are
    /// <see cref="BucketBoundaries"/>; every monitor of one meter shares the instrument, so monitors of one
    /// meter that enable it must declare the same boundaries.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool EnableNativeHistogram { get; set; }

    /// <summary>
    /// Gets or sets how often a call's thread CPU time is measured: one call in this many (per thread), or 0 for never.
    /// Measured calls give the model's CPU per call and its share of the process's CPU
    /// (<see cref="ModelMonitorSnapshot.CpuTime"/>, <c>model.inference.cpu.*</c>). A measured call costs three readings
    /// of the thread's CPU clock, a system call (about 0.1–0.5 µs on bare metal, several µs in some VMs); where a
    /// sample measures slow, calls are measured less often than asked so that the clock adds at most about 3 ns per call on
    /// average. Only calls that end on the thread they started on are measured (see <see cref="CpuTimeSnapshot"/>).
    /// </summary>
    /// <value>From 0 to 1,000,000. The default value is 0 (off); 100 is a good start.</value>
    public int CpuTimeSampling { get; set; }

    /// <summary>Gets or sets the name of the <see cref="Meter"/> that publishes this monitor.</summary>
    /// <value>A non-empty string. The default value is <see cref="DefaultMeterName"/>.</value>
    public string MeterName { get; set; } = DefaultMeterName;

    /// <summary>
    /// Gets or sets the factory that creates the <see cref="Meter"/> (from dependency injection). When
    /// <see langword="null"/>, a process-wide meter of the given name is used.
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>
    /// Gets or sets the registry the monitor joins while it lives; publishing, and anything that reads every
    /// monitor, enumerates it.
    /// </summary>
    /// <value>The default value is <see cref="ModelMonitorRegistry.Default"/>.</value>
    [Experimental(Diagnostics.Experiments.Registry)]
    public ModelMonitorRegistry Registry { get; set; } = ModelMonitorRegistry.Default;

    /// <summary>
    /// Gets or sets the generative-AI signal's options: when set, the monitor records LLM calls (tokens, time to first
    /// token, time per output token, finish reasons, feedback, cost; <see cref="ModelMonitor.GenAI"/>) and publishes
    /// the <c>model.genai.*</c> and OpenTelemetry <c>gen_ai.*</c> instruments.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (no generative-AI signal).</value>
    public GenAIOptions? GenAI { get; set; }

    /// <summary>
    /// Gets or sets the model's declared input features: when set, the monitor records each input's feature values
    /// (<see cref="ModelMonitor.RecordFeatures"/>, or a <see cref="FeatureExtractor{TInput}"/> given to the decorator) into
    /// per-feature sketches, and publishes per window their missing share and drift from a reference (PSI,
    /// Kolmogorov–Smirnov, Jensen–Shannon, Wasserstein-1, chi-square) with the attribute <c>model.feature</c>
    /// (<see cref="ModelMonitor.Features"/>, <see cref="WindowSnapshot.Features"/>).
    /// </summary>
    /// <value>
    /// 1 to 256 features of distinct names, or <see langword="null"/> for no feature signal. The default value is
    /// <see langword="null"/>.
    /// </value>
    public IReadOnlyList<FeatureDefinition>? Features { get; set; }

    /// <summary>Gets or sets the clock that drives the windows and label delays (tests use a fake one).</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
