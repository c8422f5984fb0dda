// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using ModelMetrics.Quality;
using ModelMetrics.Recording;

namespace ModelMetrics;

/// <summary>
/// One rolling window of quality (<see cref="ModelMonitorOptions.QualityWindows"/>): confusion matrix,
/// probabilities, predicted-class and score counts and regression sums, each a <see cref="RollingWindow{T}"/>
/// over the monitor's cumulative arrays. Owned by <see cref="SnapshotReader"/>, which serializes readers.
/// </summary>
internal sealed class QualityWindow
{
    private readonly ModelMonitor _monitor;
    private readonly RollingWindow? _confusion;
    private readonly RollingWindow? _probabilities;
    private readonly RollingWindow? _predicted;
    private readonly RollingWindow? _scores;
    private readonly RollingWindow<double> _regression;

    public QualityWindow(ModelMonitor monitor, TimeSpan length)
    {
        _monitor = monitor;
        Length = length;
        _regression = new RollingWindow<double>(RegressionCounts.CellCount, length, 0);
        if (monitor.Confusion is { } confusion)
        {
            _confusion = new RollingWindow(confusion.CellCount, length, 0);
            _probabilities = new RollingWindow(monitor.Probabilities!.Length, length, 0);
            _predicted = new RollingWindow(monitor.PredictedClasses!.Length, length, 0);
            _scores = new RollingWindow(ModelMonitor.ScoreBins, length, 0);
        }
    }

    public TimeSpan Length { get; }

    /// <summary>Advances the window to <paramref name="nowTicks"/> and returns its quality.</summary>
    public QualityWindowSnapshot Read(long nowTicks, QualityReading cumulative)
    {
        ClassificationSnapshot? classification = null;
        DriftSnapshot? drift = null;
        if (_confusion is not null && _monitor.Confusion is { } confusion)
        {
            long[] cells = Window(_confusion, nowTicks, cumulative.Cells!);
            long[] scored = Window(_probabilities!, nowTicks, cumulative.Scored!);
            classification = new ClassificationSnapshot(_monitor.ClassLabels, cells, confusion.IsFullMatrix, _monitor.ZeroDivision, scored);

            // The windows advance on every read, whether or not a drift reference is set yet.
            long[] predicted = Window(_predicted!, nowTicks, cumulative.Predicted!);
            long[] scores = Window(_scores!, nowTicks, cumulative.Scores!);
            if (_monitor.CurrentDriftReference is { } reference && DriftReference.ToShares(predicted) is { } shares)
            {
                long predictions = 0;
                foreach (long count in predicted)
                {
                    predictions += count;
                }

                drift = new DriftSnapshot(predictions, shares, reference, DriftReference.ToShares(scores));
            }
        }

        double[] regressionCells = new double[RegressionCounts.CellCount];
        _regression.Update(nowTicks, cumulative.Regression, regressionCells);
        RegressionSnapshot? regression = cumulative.Regression[RegressionCounts.PairCountCell] > 0
            ? RegressionCounts.CreateWindowSnapshot(regressionCells, cumulative.Regression)
            : null;
        return new QualityWindowSnapshot(Length, classification, regression, drift);
    }

    private static long[] Window(RollingWindow window, long nowTicks, long[] cumulative)
    {
        long[] recent = new long[cumulative.Length];
        window.Update(nowTicks, cumulative, recent);
        return recent;
    }
}

/// <summary>The cumulative arrays that every quality window subtracts its checkpoints from, read once per snapshot.</summary>
internal sealed record QualityReading(long[]? Cells, long[]? Scored, long[]? Predicted, long[]? Scores, double[] Regression);
