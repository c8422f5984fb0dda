// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using ModelMetrics.Publishing;

namespace ModelMetrics.Signals;

/// <summary>The instruments of the regression signal: raw sums and the pair count (fleet-mergeable), gauges per window.</summary>
internal sealed class RegressionInstruments : SignalInstruments
{
    public static readonly InstrumentInfo Pairs = new("model.regression.pairs", "{pair}", "Regression (predicted, actual) pairs recorded.");
    public static readonly InstrumentInfo AbsoluteErrorSum = new("model.regression.absolute_error.sum", null, "Sum of absolute errors of regression pairs, in the target's unit.");
    public static readonly InstrumentInfo SquaredErrorSum = new("model.regression.squared_error.sum", null, "Sum of squared errors of regression pairs, in the target's unit squared.");
    public static readonly InstrumentInfo MeanAbsoluteError = new("model.regression.mean_absolute_error", null, "Mean absolute error over each window, in the target's unit.");
    public static readonly InstrumentInfo RootMeanSquaredError = new("model.regression.root_mean_squared_error", null, "Root mean squared error over each window, in the target's unit.");
    public static readonly InstrumentInfo RSquared = new("model.regression.r2", MetricNames.Ratio, "Coefficient of determination over each window.");
    public static readonly InstrumentInfo MeanAbsolutePercentageError = new("model.regression.mean_absolute_percentage_error", MetricNames.Ratio, "Mean absolute percentage error (a fraction) over each window, zero actuals excluded.");

    public static readonly RegressionInstruments Instance = new();

    private RegressionInstruments()
    {
    }

    public override void Create(MeterPublisher publisher)
    {
        // Raw sums, published as read: never rebuilt from a mean, so they only grow.
        publisher.Counter<RegressionSignal, long>(Pairs, static (signal, s, list) => list.AddIf(s.Regression is not null, s.Regression?.Count ?? 0, signal.Context.ModelTags));
        publisher.Counter<RegressionSignal, double>(AbsoluteErrorSum, static (signal, s, list) => list.AddIf(s.Regression is not null, s.Regression?.AbsoluteErrorSum ?? 0, signal.Context.ModelTags));
        publisher.Counter<RegressionSignal, double>(SquaredErrorSum, static (signal, s, list) => list.AddIf(s.Regression is not null, s.Regression?.SquaredErrorSum ?? 0, signal.Context.ModelTags));
        WindowGauge(publisher, MeanAbsoluteError, static r => r.MeanAbsoluteError);
        WindowGauge(publisher, RootMeanSquaredError, static r => r.RootMeanSquaredError);
        WindowGauge(publisher, RSquared, static r => r.RSquared);
        WindowGauge(publisher, MeanAbsolutePercentageError, static r => r.MeanAbsolutePercentageError);
    }

    private static void WindowGauge(MeterPublisher publisher, InstrumentInfo info, Func<RegressionSnapshot, double> select) =>
        publisher.Gauge<RegressionSignal, double>(info, (signal, s, list) =>
        {
            for (int w = 0; w < s.Windows.Count; w++)
            {
                if (s.Windows[w].Regression is { Count: > 0 } regression)
                {
                    list.Add(select(regression), signal.Context.WindowTags[w]);
                }
            }
        });
}
