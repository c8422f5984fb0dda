// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

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

    public override void Read(SnapshotBuilder snapshot)
    {
        double[] cumulative = new double[RegressionCounts.CellCount];
        _counts.AddTo(cumulative);
        double[][] windows = _windows.Read(snapshot.Now, cumulative);

        // A monitor that never saw a pair has no regression part (a classifier, usually).
        if (cumulative[RegressionCounts.PairCountCell] == 0)
        {
            return;
        }

        snapshot.Cumulative.Add(RegressionCounts.CreateSnapshot(cumulative));
        for (int w = 0; w < windows.Length; w++)
        {
            snapshot.Windows[w].Add(RegressionCounts.CreateWindowSnapshot(windows[w], cumulative));
        }
    }
}
