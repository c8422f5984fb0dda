// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.IO;
using ModelMetrics.Signals;

namespace ModelMetrics;

/// <summary>
/// Records the declared input features of a monitor (<see cref="ModelMonitor.Features"/>, present when
/// <see cref="ModelMonitorOptions.Features"/> is set) and holds the reference their windows are compared with: captured
/// from what was recorded, computed from training data, or loaded from a file saved earlier. Recording is thread-safe,
/// allocation-free and never throws.
/// </summary>
public sealed class FeatureRecorder
{
    private readonly FeaturesSignal _signal;

    internal FeatureRecorder(FeaturesSignal signal) => _signal = signal;

    /// <summary>Gets the declared features, in the order their values are recorded.</summary>
    public IReadOnlyList<FeatureDefinition> Features => _signal.Definitions;

    /// <summary>Gets a value indicating whether a reference is set.</summary>
    public bool HasReference => _signal.HasReference;

    internal FeaturesSignal Signal => _signal;

    /// <summary>Returns the index of the feature named <paramref name="name"/> in <see cref="Features"/>, or -1.</summary>
    /// <param name="name">The feature's name.</param>
    /// <returns>Its index, or -1 when no feature has that name.</returns>
    public int IndexOf(string name) => Array.FindIndex(_signal.Definitions, d => d.Name == name);

    /// <summary>
    /// Records one input's feature values, one per declared feature in declaration order: a numeric value as itself, a
    /// categorical one as its category's index (<see cref="FeatureDefinition.ValueOf"/>), NaN for a missing value.
    /// Bad values are counted, never thrown: a span of the wrong length (<c>feature_count_mismatch</c>, nothing
    /// recorded), ±∞ or a value outside a declared range (<c>invalid_feature</c>), an undeclared category
    /// (<c>unknown_category</c>, recorded as <c>_OTHER</c>).
    /// </summary>
    /// <param name="values">The values.</param>
    public void Record(ReadOnlySpan<double> values) => _signal.Record(values);

    /// <summary>Makes every value recorded so far the reference (call it after a baseline period you trust).</summary>
    /// <exception cref="InvalidOperationException">No valid value was recorded yet.</exception>
    public void CaptureReference()
    {
        FeatureBaseline?[] baselines = _signal.ReadBaselines();
        if (Array.TrueForAll(baselines, b => b!.Total == 0))
        {
            throw new InvalidOperationException("No feature value was recorded yet; record features with ModelMonitor.RecordFeatures first.");
        }

        _signal.SetReference(baselines);
    }

    /// <summary>Makes the values of one window of a snapshot of this monitor the reference (for example <c>monitor.GetSnapshot().Windows[^1]</c>).</summary>
    /// <param name="window">A window of a snapshot of this monitor.</param>
    /// <exception cref="ArgumentException">The window is not from this monitor, or holds no valid value.</exception>
    public void CaptureReference(WindowSnapshot window)
    {
        ArgumentNullException.ThrowIfNull(window);
        IReadOnlyList<FeatureSnapshot>? features = window.Features;
        if (features is null || features.Count != _signal.Definitions.Length || !IsSameFeatures(features))
        {
            throw new ArgumentException("window must come from a snapshot of this monitor.", nameof(window));
        }

        var baselines = new FeatureBaseline?[features.Count];
        bool any = false;
        for (int f = 0; f < baselines.Length; f++)
        {
            FeatureSnapshot feature = features[f];
            long[] counts = new long[CellCount(f)];
            feature.Cells.CopyTo(counts.AsSpan(feature.First));
            baselines[f] = new FeatureBaseline(counts, feature.Definition.IsCategorical);
            any |= baselines[f]!.Total > 0;
        }

        if (!any)
        {
            throw new ArgumentException("window holds no feature value.", nameof(window));
        }

        _signal.SetReference(baselines);
    }

    /// <summary>
    /// Makes the distribution of training data the reference: each row holds one value per declared feature, as
    /// <see cref="Record"/> takes them (missing and invalid values are left out of the reference).
    /// </summary>
    /// <param name="rows">The rows; read once.</param>
    /// <exception cref="ArgumentException">A row is null or does not hold one value per feature, or no row holds a valid value.</exception>
    public void SetReference(IEnumerable<double[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        FeatureDefinition[] definitions = _signal.Definitions;
        long[][] counts = new long[definitions.Length][];
        for (int f = 0; f < counts.Length; f++)
        {
            counts[f] = new long[CellCount(f)];
        }

        bool any = false;
        foreach (double[] row in rows)
        {
            if (row is null || row.Length != definitions.Length)
            {
                throw new ArgumentException($"Every row must hold one value per declared feature ({definitions.Length}).", nameof(rows));
            }

            for (int f = 0; f < row.Length; f++)
            {
                int cell = _signal.ValueCell(f, row[f]);
                if (cell >= 0)
                {
                    counts[f][cell]++;
                    any = true;
                }
            }
        }

        if (!any)
        {
            throw new ArgumentException("rows hold no valid feature value.", nameof(rows));
        }

        FeatureBaseline?[] baselines = new FeatureBaseline?[definitions.Length];
        for (int f = 0; f < baselines.Length; f++)
        {
            baselines[f] = new FeatureBaseline(counts[f], definitions[f].IsCategorical);
        }

        _signal.SetReference(baselines);
    }

    /// <summary>
    /// Writes the reference to <paramref name="stream"/> as a small JSON document (format <c>ModelMetrics.FeatureReference</c>,
    /// version 1, described in the README), so that a restarted service can <see cref="LoadReference"/> it.
    /// </summary>
    /// <param name="stream">A writable stream; left open.</param>
    /// <exception cref="InvalidOperationException">No reference is set.</exception>
    public void SaveReference(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        FeatureBaseline?[] reference = _signal.Reference ?? throw new InvalidOperationException("No feature reference is set.");
        FeatureReferenceFile.Write(stream, _signal.Definitions, reference);
    }

    /// <summary>
    /// Reads a reference written by <see cref="SaveReference"/> and makes it the reference. Features are matched by name:
    /// a declared feature the file lacks has no reference; a feature of the file that is not declared is ignored.
    /// </summary>
    /// <param name="stream">A readable stream; left open.</param>
    /// <exception cref="InvalidDataException">The content is not a feature reference of a supported version, or a feature's kind or categories differ from its declaration.</exception>
    public void LoadReference(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _signal.SetReference(FeatureReferenceFile.Read(stream, _signal.Definitions));
    }

    private int CellCount(int feature) =>
        _signal.Definitions[feature].Categories is { } categories ? categories.Count + 1 : FeatureLayout.BucketCount;

    private bool IsSameFeatures(IReadOnlyList<FeatureSnapshot> features)
    {
        for (int f = 0; f < features.Count; f++)
        {
            if (!ReferenceEquals(features[f].Definition, _signal.Definitions[f]))
            {
                return false;
            }
        }

        return true;
    }
}
