// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using ModelMetrics.Publishing;
using ModelMetrics.Recording;

namespace ModelMetrics.Signals;

/// <summary>
/// The input-drift signal: every declared feature's values counted in a sketch (numeric: log-linear buckets over doubles,
/// <see cref="FeatureLayout"/>; categorical: a count per category and <c>_OTHER</c>), with its missing and invalid values,
/// read per window and compared with a reference (<see cref="FeatureDriftSnapshot"/>).
/// </summary>
internal sealed class FeaturesSignal : Signal
{
    /// <summary>The most features a monitor declares.</summary>
    public const int MaxFeatures = 256;

    /// <summary>Cells after a feature's value cells: its missing values, then its invalid ones.</summary>
    private const int TailCells = 2;

    /// <summary>One cache line of longs between features' cells.</summary>
    private const int SkewCells = 8;

    private readonly Slot[] _slots;
    private readonly FeatureCells _cells;
    private readonly WindowedCells<long>[] _windows;
    private FeatureBaseline?[]? _reference;
    private long[] _scratch = [];

    public FeaturesSignal(SignalContext context, FeatureDefinition[] definitions)
        : base(context)
    {
        Definitions = definitions;
        _slots = new Slot[definitions.Length];
        _windows = new WindowedCells<long>[definitions.Length];
        int offset = 0;
        for (int f = 0; f < definitions.Length; f++)
        {
            FeatureDefinition definition = definitions[f];
            int valueCells = definition.Categories is { } categories ? categories.Count + 1 : FeatureLayout.BucketCount;

            // An undeclared range keeps ±∞ out (they are invalid): one compare per value catches NaN, ±∞ and out-of-range.
            _slots[f] = new Slot(offset, valueCells, definition.Categories?.Count ?? 0, Math.Max(definition.Minimum, double.MinValue), Math.Min(definition.Maximum, double.MaxValue));
            _windows[f] = context.CreateWindows<long>(valueCells + TailCells);
            // Note: a numeric feature's cells span 32 KB; packed back to back, every feature's hot bucket would fall in
            // the same L1 cache set (addresses about a multiple of 4 KB apart) and 20 features would evict each other.
            // A skew of one cache line per feature spreads them over the sets.
            offset += valueCells + TailCells + SkewCells;
        }

        _cells = new FeatureCells(offset);
        FeatureTags = Array.ConvertAll(definitions, d => Tags.With(context.ModelTags, FeaturesInstruments.Feature, d.Name));
        WindowFeatureTags = Array.ConvertAll(context.WindowTags, w => Array.ConvertAll(definitions, d => Tags.With(w, FeaturesInstruments.Feature, d.Name)));
    }

    public override SignalInstruments Instruments => FeaturesInstruments.Instance;

    /// <inheritdoc/>
    /// <remarks>Every record and every new reference marks the signal changed.</remarks>
    public override bool IsPolled => false;

    /// <summary>Gets the declared features, in the order values are recorded.</summary>
    public FeatureDefinition[] Definitions { get; }

    /// <summary>Gets each feature's attribute set: the model's plus <c>model.feature</c>.</summary>
    public KeyValuePair<string, object?>[][] FeatureTags { get; }

    /// <summary>Gets, per window then feature, the attribute set: the window's plus <c>model.feature</c>.</summary>
    public KeyValuePair<string, object?>[][][] WindowFeatureTags { get; }

    /// <summary>Gets a value indicating whether a reference is set.</summary>
    public bool HasReference => Volatile.Read(ref _reference) is not null;

    /// <summary>Records one input's feature values, in declaration order. Never throws; bad values are counted.</summary>
    public void Record(ReadOnlySpan<double> values)
    {
        Slot[] slots = _slots;
        if (values.Length != slots.Length)
        {
            Context.Reject(RejectionReason.FeatureCountMismatch);
            return;
        }

        int invalid = 0, unknown = 0;
        long[] stripe = _cells.Acquire(out bool owned);
        for (int f = 0; f < slots.Length; f++)
        {
            ref readonly Slot slot = ref slots[f];
            double value = values[f];
            int cell;
            if (slot.Categories == 0)
            {
                // Note: one compare catches NaN, ±∞ and values outside the declared range; the rest is bit arithmetic.
                cell = value >= slot.Minimum && value <= slot.Maximum ? FeatureLayout.IndexOf(value)
                    : double.IsNaN(value) ? slot.ValueCells : Count(ref invalid, slot.ValueCells + 1);
            }
            else
            {
                int category = (int)value;
                cell = (uint)category < (uint)slot.Categories && category == value ? category
                    : double.IsNaN(value) ? slot.ValueCells : Count(ref unknown, slot.Categories);
            }

            FeatureCells.Increment(stripe, slot.Offset + cell, owned);
        }

        FeatureCells.Release(stripe, owned);
        MarkChanged();
        if ((invalid | unknown) != 0)
        {
            Reject(invalid, unknown);
        }
    }

    /// <summary>Sums everything recorded so far into one baseline per feature.</summary>
    public FeatureBaseline?[] ReadBaselines()
    {
        var baselines = new FeatureBaseline?[_slots.Length];
        for (int f = 0; f < _slots.Length; f++)
        {
            long[] counts = new long[_slots[f].ValueCells];
            _cells.AddTo(counts, _slots[f].Offset);
            baselines[f] = new FeatureBaseline(counts, Definitions[f].IsCategorical);
        }

        return baselines;
    }

    /// <summary>Makes <paramref name="baselines"/> (one per feature, null for none) the reference.</summary>
    public void SetReference(FeatureBaseline?[] baselines)
    {
        Volatile.Write(ref _reference, baselines); // release: a reader that sees the reference sees it fully built
        MarkChanged();
    }

    /// <summary>Gets the reference, or <see langword="null"/>.</summary>
    public FeatureBaseline?[]? Reference => Volatile.Read(ref _reference);

    /// <summary>Returns the value cell of a value (as recording counts it), or -1 for a missing or invalid value.</summary>
    public int ValueCell(int feature, double value)
    {
        Slot slot = _slots[feature];
        if (slot.Categories == 0)
        {
            return value >= slot.Minimum && value <= slot.Maximum ? FeatureLayout.IndexOf(value) : -1;
        }

        int category = (int)value;
        return (uint)category < (uint)slot.Categories && category == value ? category : double.IsNaN(value) ? -1 : slot.Categories;
    }

    public override void Read(SnapshotBuilder snapshot)
    {
        FeatureBaseline?[]? reference = Volatile.Read(ref _reference); // acquire: pairs with SetReference's release
        var cumulative = new FeatureSnapshot[_slots.Length];
        var windows = new FeatureSnapshot[Context.Windows.Length][];
        for (int w = 0; w < windows.Length; w++)
        {
            windows[w] = new FeatureSnapshot[_slots.Length];
        }

        for (int f = 0; f < _slots.Length; f++)
        {
            Slot slot = _slots[f];
            FeatureDefinition definition = Definitions[f];
            // Note: one scratch array for every feature's cumulative cells (32 KB for a numeric one): readers are
            // serialized, windows copy what they keep, and the cumulative snapshot keeps counts only.
            long[] counts = _scratch.Length >= slot.ValueCells + TailCells ? _scratch : (_scratch = new long[slot.ValueCells + TailCells]);
            Array.Clear(counts);
            _cells.AddTo(counts.AsSpan(0, slot.ValueCells + TailCells), slot.Offset);

            // Windows keep only the cells from the first to the last that ever counted (a few hundred buckets of a
            // numeric feature's thousands), then the missing and invalid cells.
            ReadOnlySpan<long> values = counts.AsSpan(0, slot.ValueCells);
            int first = values.IndexOfAnyExcept(0L);
            int length = first < 0 ? 0 : values.LastIndexOfAnyExcept(0L) - first + 1;
            first = Math.Max(first, 0);
            long[][] windowCells = _windows[f].Read(snapshot.Now, counts, first, length, slot.ValueCells, TailCells);

            // The cumulative reading keeps counts only: its value cells move to the front of the scratch array.
            counts.AsSpan(first, length).CopyTo(counts);
            counts[length] = counts[slot.ValueCells];
            counts[length + 1] = counts[slot.ValueCells + 1];
            cumulative[f] = new FeatureSnapshot(definition, counts, first, length, slot.ValueCells, null, keepCells: false);
            FeatureBaseline? baseline = reference?[f];
            for (int w = 0; w < windowCells.Length; w++)
            {
                long[] cells = windowCells[w];
                FeatureDriftSnapshot? drift = baseline is null ? null : FeatureDriftSnapshot.Compare(baseline, cells.AsSpan(0, length), first, definition.IsCategorical);
                windows[w][f] = new FeatureSnapshot(definition, cells, first, length, slot.ValueCells, drift);
            }
        }

        snapshot.Cumulative.Add(new FeaturesPart(cumulative));
        for (int w = 0; w < windows.Length; w++)
        {
            snapshot.Windows[w].Add(new FeaturesPart(windows[w]));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Count(ref int counter, int cell)
    {
        counter++;
        return cell;
    }

    // Note: counted after the stripe is released, so that nothing that could take time (an EventSource listener) runs while it is held.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Reject(int invalid, int unknown)
    {
        for (int i = 0; i < invalid; i++)
        {
            Context.Reject(RejectionReason.InvalidFeature);
        }

        for (int i = 0; i < unknown; i++)
        {
            Context.Reject(RejectionReason.UnknownCategory);
        }
    }

    /// <summary>Where one feature's cells live and how its values are checked.</summary>
    private readonly record struct Slot(int Offset, int ValueCells, int Categories, double Minimum, double Maximum);
}

/// <summary>The features part of a snapshot (cumulative or one window): one snapshot per declared feature.</summary>
internal sealed class FeaturesPart(FeatureSnapshot[] features)
{
    public FeatureSnapshot[] Features { get; } = features;
}
