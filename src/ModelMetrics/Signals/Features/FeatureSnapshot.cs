// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using ModelMetrics.Signals;

namespace ModelMetrics;

/// <summary>
/// One declared feature's values over a window (<see cref="WindowSnapshot.Features"/>) or since the monitor started
/// (<see cref="ModelMonitorSnapshot.Features"/>): how many were recorded, missing and invalid, and in a window its drift
/// from the feature reference. Immutable.
/// </summary>
public sealed class FeatureSnapshot
{
    private readonly long[] _cells;
    private readonly int _length;

    /// <param name="definition">The feature.</param>
    /// <param name="cells">The value cells from <paramref name="first"/> (<paramref name="length"/> of them), then the missing and invalid cells.</param>
    /// <param name="first">The first value cell in <paramref name="cells"/>.</param>
    /// <param name="length">The number of value cells in <paramref name="cells"/>.</param>
    /// <param name="valueCells">The feature's number of value cells.</param>
    /// <param name="drift">The drift, or null.</param>
    /// <param name="keepCells">Whether to keep <paramref name="cells"/> (a window's, for a reference); otherwise only counts are kept and the array may be reused.</param>
    internal FeatureSnapshot(FeatureDefinition definition, long[] cells, int first, int length, int valueCells, FeatureDriftSnapshot? drift, bool keepCells = true)
    {
        Definition = definition;
        _cells = keepCells ? cells : [];
        First = keepCells ? first : 0;
        _length = keepCells ? length : 0;
        Missing = cells[length];
        Invalid = cells[length + 1];
        Drift = drift;
        long count = 0;
        for (int i = 0; i < length; i++)
        {
            count += cells[i];
        }

        Count = count;
        if (definition.IsCategorical)
        {
            long[] categories = new long[valueCells];
            Array.Copy(cells, 0, categories, first, length);
            CategoryCounts = categories;
        }
    }

    /// <summary>Gets the feature's name (attribute <c>model.feature</c>).</summary>
    public string Name => Definition.Name;

    /// <summary>Gets the feature's declaration.</summary>
    public FeatureDefinition Definition { get; }

    /// <summary>Gets the number of valid values recorded (missing and invalid ones excluded; <c>_OTHER</c> included).</summary>
    public long Count { get; }

    /// <summary>Gets the number of missing values (NaN, or a <see langword="null"/> category).</summary>
    public long Missing { get; }

    /// <summary>Gets the number of invalid numeric values: ±∞, or outside the declared range (not recorded in the sketch).</summary>
    public long Invalid { get; }

    /// <summary>Gets the share of the feature's inputs that were missing: <see cref="Missing"/> / (<see cref="Count"/> + <see cref="Missing"/> + <see cref="Invalid"/>), or 0 without inputs.</summary>
    public double MissingShare => Count + Missing + Invalid == 0 ? 0 : (double)Missing / (Count + Missing + Invalid);

    /// <summary>Gets, for a categorical feature, the count of each declared category then of <c>_OTHER</c>; <see langword="null"/> for a numeric one.</summary>
    public IReadOnlyList<long>? CategoryCounts { get; }

    /// <summary>
    /// Gets the drift of the window from the feature reference, or <see langword="null"/> for the cumulative reading, when
    /// no reference is set for the feature, or when the window has no valid value.
    /// </summary>
    public FeatureDriftSnapshot? Drift { get; }

    /// <summary>Gets the first value cell that <see cref="Cells"/> holds.</summary>
    internal int First { get; }

    /// <summary>Gets the value cells (buckets or categories) from <see cref="First"/> to the last that ever counted.</summary>
    internal ReadOnlySpan<long> Cells => _cells.AsSpan(0, _length);
}
