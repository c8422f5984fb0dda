// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using ModelMetrics.Recording;
using ModelMetrics.Signals;

namespace ModelMetrics;

/// <summary>
/// Validates <see cref="ModelMonitorOptions"/> in one place; the <see cref="ModelMonitor"/> constructor calls it.
/// Every error is an <see cref="ArgumentException"/> whose message and <see cref="ArgumentException.ParamName"/>
/// name the option.
/// </summary>
// Note: errors name the option the user set (ParamName), a property of the options object rather than a
// parameter of these methods.
#pragma warning disable CA2208
internal static class ModelMonitorOptionsValidator
{
    public const int MaxLabels = 4096;
    private const int MaxNameLength = 255;
    private const int MaxWindows = 8;

    /// <summary>Validates every option; returns the class labels as an array (empty for a model that is not a classifier).</summary>
    public static string[] Validate(ModelMonitorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ValidateName(options.ModelName, required: true, nameof(options.ModelName));
        ValidateName(options.ModelVersion, required: false, nameof(options.ModelVersion));
        string[] labels = ValidateLabels(options.ClassLabels);

        if (options.LatencyLowest <= TimeSpan.Zero)
        {
            throw new ArgumentException("LatencyLowest must be positive.", nameof(options.LatencyLowest));
        }

        if (options.LatencyHighest <= options.LatencyLowest)
        {
            throw new ArgumentException("LatencyHighest must be greater than LatencyLowest.", nameof(options.LatencyHighest));
        }

        if (options.LatencyHighest > TimeSpan.FromDays(1))
        {
            throw new ArgumentException("LatencyHighest must be at most 1 day.", nameof(options.LatencyHighest));
        }

        if (options.LatencyPrecision is < HistogramLayout.MinDigits or > HistogramLayout.MaxDigits)
        {
            throw new ArgumentException($"LatencyPrecision must be from {HistogramLayout.MinDigits} to {HistogramLayout.MaxDigits} significant digits.", nameof(options.LatencyPrecision));
        }

        IReadOnlyList<TimeSpan>? windows = options.Windows;
        if (windows is null || windows.Count is 0 or > MaxWindows || windows.Distinct().Count() != windows.Count
            || windows.Any(w => w < TimeSpan.FromSeconds(1) || w > TimeSpan.FromDays(7)))
        {
            throw new ArgumentException($"Windows must hold 1 to {MaxWindows} distinct lengths from 1 second to 7 days.", nameof(options.Windows));
        }

        if (options.CpuTimeSampling is < 0 or > 1_000_000)
        {
            throw new ArgumentException("CpuTimeSampling must be from 0 (off) to 1,000,000.", nameof(options.CpuTimeSampling));
        }

        if (options.PendingCapacity is < 1 or > PendingPredictions.MaxCapacity)
        {
            throw new ArgumentException($"PendingCapacity must be from 1 to {PendingPredictions.MaxCapacity}.", nameof(options.PendingCapacity));
        }

        if (options.PendingTimeToLive <= TimeSpan.Zero || options.PendingTimeToLive > TimeSpan.FromDays(365))
        {
            throw new ArgumentException("PendingTimeToLive must be positive and at most 365 days.", nameof(options.PendingTimeToLive));
        }

        if (options.ZeroDivision is not (ZeroDivision.Zero or ZeroDivision.One))
        {
            throw new ArgumentException("ZeroDivision must be Zero or One.", nameof(options.ZeroDivision));
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

        if (options.Registry is null)
        {
            throw new ArgumentException("Registry must not be null.", nameof(options.Registry));
        }

        ValidateFeatures(options.Features);

        return labels;
    }

    private static void ValidateName(string? value, bool required, string paramName)
    {
        if (value is null && !required)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"{paramName} must be a non-empty string.", paramName);
        }

        if (value.Length > MaxNameLength)
        {
            throw new ArgumentException($"{paramName} must be at most {MaxNameLength} characters.", paramName);
        }
    }

    private static void ValidateFeatures(IReadOnlyList<FeatureDefinition>? features)
    {
        const string param = nameof(ModelMonitorOptions.Features);
        if (features is null)
        {
            return;
        }

        if (features.Count is 0 or > FeaturesSignal.MaxFeatures)
        {
            throw new ArgumentException($"{param} must declare from 1 to {FeaturesSignal.MaxFeatures} features, or be null; it has {features.Count}.", param);
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (FeatureDefinition feature in features)
        {
            if (feature is null)
            {
                throw new ArgumentException($"{param} must not contain null.", param);
            }

            if (!names.Add(feature.Name))
            {
                throw new ArgumentException($"{param} declares the feature '{feature.Name}' more than once.", param);
            }
        }
    }

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

            // Labels become attribute values on several instruments: as bounded as model names.
            if (label.Length > MaxNameLength)
            {
                throw new ArgumentException($"{param} must hold labels of at most {MaxNameLength} characters.", param);
            }

            // _OTHER is the class that sums the classes past MaxPublishedClasses: a declared one would publish a second
            // series of the same name.
            if (label == ClassificationInstruments.OverflowClass)
            {
                throw new ArgumentException($"{param} must not contain '{ClassificationInstruments.OverflowClass}', the reserved name of the classes past MaxPublishedClasses.", param);
            }

            if (!seen.Add(label))
            {
                throw new ArgumentException($"{param} contains the label '{label}' more than once.", param);
            }
        }

        return [.. labels];
    }
}
#pragma warning restore CA2208
