// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using ModelMetrics.Publishing;
using ModelMetrics.Recording;

namespace ModelMetrics.Signals;

/// <summary>
/// The regression signal: lock-free shifted sums of (predicted, actual) pairs (<see cref="RegressionCounts"/>),
/// cumulative and per window.
/// </summary>
internal sealed class RegressionSignal : Signal
{
    private readonly RegressionCounts _counts = new();
    private readonly WindowedCells<double> _windows;
    private double[]? _reusedCells; // what publishing readings refill (readers are serialized): the cells, each window's, the parts
    private double[][]? _reusedWindows;
    private RegressionSnapshot?[]? _reusedParts;

    public RegressionSignal(SignalContext context)
        : base(context) => _windows = context.CreateWindows<double>(RegressionCounts.CellCount);

    public override SignalInstruments Instruments => RegressionInstruments.Instance;

    /// <inheritdoc/>
    /// <remarks>Every record marks the signal changed.</remarks>
    public override bool IsPolled => false;

    public RegressionCounts Counts => _counts;

    /// <summary>Records one pair; non-finite values are rejected and counted.</summary>
    public void Record(double predicted, double actual)
    {
        if (!double.IsFinite(predicted) || !double.IsFinite(actual))
        {
            Context.Reject(RejectionReason.InvalidValue);
            return;
        }

        _counts.Record(predicted, actual);
        MarkChanged();
    }

    /// <inheritdoc/>
    protected override bool ReusesParts => true;

    public override void Read(SnapshotBuilder snapshot)
    {
        // A publishing reading refills the arrays and snapshots of the last one; any other builds new ones a user may keep.
        bool reuse = snapshot.Reuses;
        double[] cumulative = reuse ? _reusedCells ??= new double[RegressionCounts.CellCount] : new double[RegressionCounts.CellCount];
        Array.Clear(cumulative);
        _counts.AddTo(cumulative);
        double[][] windows = _windows.Read(snapshot.Now, cumulative, reuse ? _reusedWindows ??= Array.ConvertAll(Context.Windows, _ => new double[RegressionCounts.CellCount]) : null);

        // A monitor that never saw a pair has no regression part (a classifier, usually).
        if (cumulative[RegressionCounts.PairCountCell] == 0)
        {
            return;
        }

        RegressionSnapshot?[]? parts = reuse ? _reusedParts ??= new RegressionSnapshot?[1 + windows.Length] : null;
        snapshot.Cumulative.Add(Keep(parts, 0, RegressionCounts.CreateSnapshot(cumulative, Refilled(parts, 0))));
        for (int w = 0; w < windows.Length; w++)
        {
            snapshot.Windows[w].Add(Keep(parts, 1 + w, RegressionCounts.CreateWindowSnapshot(windows[w], cumulative, Refilled(parts, 1 + w))));
        }
    }

    /// <summary>Returns the refilled snapshot of part <paramref name="slot"/>, unless it is the shared empty one (never changed).</summary>
    private static RegressionSnapshot? Refilled(RegressionSnapshot?[]? parts, int slot) =>
        parts?[slot] is { } part && !ReferenceEquals(part, RegressionSnapshot.Empty) ? part : null;

    private static RegressionSnapshot Keep(RegressionSnapshot?[]? parts, int slot, RegressionSnapshot part)
    {
        if (parts is not null && !ReferenceEquals(part, RegressionSnapshot.Empty))
        {
            parts[slot] = part;
        }

        return part;
    }
}
