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
        snapshot.Cumulative.Add(RegressionCounts.CreateSnapshot(cumulative, Part(parts, 0)));
        for (int w = 0; w < windows.Length; w++)
        {
            snapshot.Windows[w].Add(RegressionCounts.CreateWindowSnapshot(windows[w], cumulative, Part(parts, 1 + w)));
        }
    }

    /// <summary>Returns the snapshot to fill for part <paramref name="slot"/>: the refilled one of a publishing reading, else a new one.</summary>
    private static RegressionSnapshot Part(RegressionSnapshot?[]? parts, int slot) => parts is null ? new() : parts[slot] ??= new();
}
