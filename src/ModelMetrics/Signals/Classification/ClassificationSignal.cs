// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading;
using ModelMetrics.Publishing;
using ModelMetrics.Recording;

namespace ModelMetrics.Signals;

/// <summary>
/// The classification signal: the confusion matrix (or per-class TP/FP/FN above <see cref="ModelMonitorOptions.MaxMatrixClasses"/>)
/// and, for pairs recorded with probabilities, the summed log-loss and the rank of the true class (top-k).
/// Exists only for a monitor with declared <see cref="ModelMonitorOptions.ClassLabels"/>.
/// </summary>
internal sealed class ClassificationSignal : Signal
{
    /// <summary>
    /// The smallest probability a log-loss takes: the double's machine epsilon, as current scikit-learn clips
    /// (a certain wrong answer costs 36.04 nats, not infinity).
    /// </summary>
    public const double MinProbability = 2.220446049250313e-16;

    /// <summary>The largest accepted probability: 1, plus rounding slack for outputs normalized in single precision.</summary>
    private const double MaxProbability = 1.0001;

    /// <summary>
    /// How far from 1 the sum of a probability vector may be: rounding of a softmax in single precision is far below
    /// it; all ones or all zeros (scores, not probabilities) are far above. Log-loss and top-k mean nothing otherwise.
    /// </summary>
    private const double SumTolerance = 1e-3;

    private readonly string[] _labels;
    private readonly FrozenDictionary<string, int> _labelIndex;
    private readonly ConfusionCounts _confusion;
    private readonly StripedCells _probabilities;
    private readonly WindowedCells<long> _confusionWindows;
    private readonly WindowedCells<long> _probabilityWindows;
    private readonly int _maxPublishedClasses;
    private ClassificationTags? _tags;
    private EnumLabelMap? _enumMap;
    private ConcurrentDictionary<Type, EnumLabelMap>? _enumMaps;
    private Reused? _reused; // what publishing readings refill (readers are serialized)

    public ClassificationSignal(SignalContext context, string[] labels, int maxMatrixClasses, ZeroDivision zeroDivision, int maxPublishedClasses)
        : base(context)
    {
        _labels = labels;
        var index = new Dictionary<string, int>(labels.Length, StringComparer.Ordinal);
        for (int i = 0; i < labels.Length; i++)
        {
            index[labels[i]] = i;
        }

        _labelIndex = index.ToFrozenDictionary(StringComparer.Ordinal);
        _confusion = new ConfusionCounts(labels.Length, fullMatrix: labels.Length <= maxMatrixClasses);
        _probabilities = new StripedCells(ProbabilityCells.Length(labels.Length));
        _confusionWindows = context.CreateWindows<long>(_confusion.CellCount);
        _probabilityWindows = context.CreateWindows<long>(_probabilities.Length);
        ZeroDivision = zeroDivision;
        _maxPublishedClasses = maxPublishedClasses;
    }

    public override SignalInstruments Instruments => ClassificationInstruments.Instance;

    /// <inheritdoc/>
    /// <remarks>Every record marks the signal changed.</remarks>
    public override bool IsPolled => false;

    public IReadOnlyList<string> Labels => _labels;

    public int ClassCount => _labels.Length;

    public ZeroDivision ZeroDivision { get; }

    /// <summary>Gets the attribute sets of the instruments, built when first published (a race builds equal sets).</summary>
    public ClassificationTags Tags => _tags ??= new ClassificationTags(Context, _labels, _maxPublishedClasses, _confusion.IsFullMatrix);

    public int GetLabelIndex(string? label) =>
        label is not null && _labelIndex.TryGetValue(label, out int index) ? index : -1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Record(int predicted, int actual)
    {
        if ((uint)predicted < (uint)_labels.Length && (uint)actual < (uint)_labels.Length)
        {
            _confusion.Record(actual, predicted);
            MarkChanged();
        }
        else
        {
            Context.Reject(RejectionReason.LabelOutOfRange);
        }
    }

    public void Record(string predicted, string actual)
    {
        int p = GetLabelIndex(predicted);
        int a = GetLabelIndex(actual);
        if (p < 0 || a < 0)
        {
            Context.Reject(RejectionReason.UnknownLabel);
            return;
        }

        Record(p, a);
    }

    public void Record<TLabel>(TLabel predicted, TLabel actual)
        where TLabel : struct, Enum
    {
        EnumLabelMap map = _enumMap is { } cached && cached.EnumType == typeof(TLabel) ? cached : CreateEnumMap<TLabel>();
        int p = map.IndexOf(EnumLabelMap.ToInt64(predicted));
        int a = map.IndexOf(EnumLabelMap.ToInt64(actual));
        if (p < 0 || a < 0)
        {
            Context.Reject(Math.Min(p, a) == EnumLabelMap.Undefined ? RejectionReason.LabelOutOfRange : RejectionReason.UnknownLabel);
            return;
        }

        Record(p, a);
    }

    /// <summary>Records a pair given as probabilities: the predicted class is the first most probable one.</summary>
    public void Record<T>(ReadOnlySpan<T> probabilities, int actual)
        where T : unmanaged, INumberBase<T>
    {
        if (IsClassIndex(actual) && TryReadProbabilities(probabilities, out int predicted))
        {
            RecordProbabilities(probabilities, actual);
            Record(predicted, actual);
        }
    }

    /// <summary>Returns whether <paramref name="index"/> is a declared class; if not, counts why.</summary>
    public bool IsClassIndex(int index)
    {
        if ((uint)index >= (uint)_labels.Length)
        {
            Context.Reject(RejectionReason.LabelOutOfRange);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Checks that <paramref name="probabilities"/> has one value in [0, 1] per class, summing to 1 (within 0.001),
    /// and returns the predicted
    /// class: the first most probable one (as numpy's argmax), so that top-1 accuracy equals accuracy.
    /// </summary>
    public bool TryReadProbabilities<T>(ReadOnlySpan<T> probabilities, out int predicted)
        where T : unmanaged, INumberBase<T>
    {
        predicted = 0;
        if (probabilities.Length != _labels.Length)
        {
            Context.Reject(RejectionReason.InvalidProbabilities);
            return false;
        }

        double best = double.NegativeInfinity;
        double sum = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            // Note: a little above 1 is allowed for rounding in normalized outputs; more is not a probability.
            double p = double.CreateTruncating(probabilities[i]);
            if (!(p >= 0 && p <= MaxProbability))
            {
                Context.Reject(RejectionReason.InvalidProbabilities);
                return false;
            }

            sum += p;
            if (p > best)
            {
                best = p;
                predicted = i;
            }
        }

        if (Math.Abs(sum - 1) > SumTolerance)
        {
            Context.Reject(RejectionReason.InvalidProbabilities);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Counts the log-loss and the rank of the true class of a validated probability vector; the caller then records the
    /// pair (<see cref="Record(int, int)"/>), which marks the signal changed.
    /// </summary>
    public void RecordProbabilities<T>(ReadOnlySpan<T> probabilities, int actual)
        where T : unmanaged, INumberBase<T>
    {
        // The true class's rank: classes more probable, and equally probable ones before it (the argmax rule),
        // so the true class is in the top 1 exactly when it is the predicted class.
        double pActual = double.CreateTruncating(probabilities[actual]);
        int rank = 0;
        for (int i = 0; i < probabilities.Length; i++)
        {
            double p = double.CreateTruncating(probabilities[i]);
            if (p > pActual || (p == pActual && i < actual))
            {
                rank++;
            }
        }

        // Summed in micro-nats: an exact integer counter, 5e-7 nats of rounding per pair at most.
        long lossMicroNats = (long)Math.Round(-Math.Log(Math.Clamp(pActual, MinProbability, 1)) * 1e6);
        _probabilities.Add(ProbabilityCells.LossMicroNats, lossMicroNats);
        if (rank < ProbabilityCells.MaxRanks)
        {
            _probabilities.Increment(ProbabilityCells.FirstRank + rank);
        }

        // Note: the count last; readers read it first, so the loss and ranks cover at least the count read.
        _probabilities.Increment(ProbabilityCells.Count);
    }

    /// <inheritdoc/>
    protected override bool ReusesParts => true;

    public override void Read(SnapshotBuilder snapshot)
    {
        // A publishing reading refills the snapshots (and arrays) of the last one; any other builds new ones a user may keep.
        Reused? reused = snapshot.Reuses ? _reused ??= new Reused(this) : null;
        long[] cells = reused?.Cells ?? new long[_confusion.CellCount];
        long[] scored = reused?.Scored ?? new long[_probabilities.Length];
        if (reused is not null)
        {
            Array.Clear(cells);
            Array.Clear(scored);
        }

        _confusion.AddTo(cells);
        _probabilities.AddTo(scored);
        long[][] cellWindows = _confusionWindows.Read(snapshot.Now, cells, reused?.CellWindows);
        long[][] scoredWindows = _probabilityWindows.Read(snapshot.Now, scored, reused?.ScoredWindows);

        snapshot.Cumulative.Add(Part(reused, 0, cells, scored));
        for (int w = 0; w < cellWindows.Length; w++)
        {
            snapshot.Windows[w].Add(Part(reused, 1 + w, cellWindows[w], scoredWindows[w]));
        }
    }

    private ClassificationSnapshot Part(Reused? reused, int slot, long[] cells, long[] scored)
    {
        if (reused?.Parts[slot] is { } part)
        {
            part.Fill(cells, _confusion.IsFullMatrix, scored);
            return part;
        }

        part = new ClassificationSnapshot(_labels, cells, _confusion.IsFullMatrix, ZeroDivision, scored);
        if (reused is not null)
        {
            reused.Parts[slot] = part;
        }

        return part;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private EnumLabelMap CreateEnumMap<TLabel>()
        where TLabel : struct, Enum
    {
        // The last enum type used is the fast path; others are built once each and kept here.
        EnumLabelMap map = LazyInitializer.EnsureInitialized(ref _enumMaps).GetOrAdd(typeof(TLabel), static (_, labels) => EnumLabelMap.Create<TLabel>(labels), _labelIndex);
        _enumMap = map;
        return map;
    }

    /// <summary>What publishing readings refill: the cells read, each window's, and the snapshots (cumulative, then each window's).</summary>
    private sealed class Reused(ClassificationSignal signal)
    {
        public long[] Cells { get; } = new long[signal._confusion.CellCount];

        public long[] Scored { get; } = new long[signal._probabilities.Length];

        public long[][] CellWindows { get; } = Array.ConvertAll(signal.Context.Windows, _ => new long[signal._confusion.CellCount]);

        public long[][] ScoredWindows { get; } = Array.ConvertAll(signal.Context.Windows, _ => new long[signal._probabilities.Length]);

        public ClassificationSnapshot?[] Parts { get; } = new ClassificationSnapshot?[1 + signal.Context.Windows.Length];
    }
}

/// <summary>The cell layout of the probability counters: count, summed log-loss, then counts by rank of the true class.</summary>
internal static class ProbabilityCells
{
    public const int Count = 0;
    public const int LossMicroNats = 1;
    public const int FirstRank = 2;
    public const int MaxRanks = 10;

    public static int Length(int classCount) => FirstRank + Math.Min(classCount, MaxRanks);
}
