// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;

namespace ModelMetrics;

/// <summary>
/// A service-level objective with an error budget: the share of good events (<see cref="Kind"/>) a model must
/// keep over <see cref="Period"/>, watched with multiwindow, multi-burn-rate alerts (<see cref="Alerts"/>).
/// </summary>
/// <remarks>
/// <para>
/// The burn rate over a window is the window's bad share divided by the budget share, 1 − <see cref="Objective"/>:
/// at 1 the budget lasts exactly the period, at 14.4 a 30-day budget is spent in about two days. An alert fires
/// while both its long and its short window burn at least at its rate (the short one makes it resolve soon after
/// the burning stops) — the Google SRE workbook's "multiwindow, multi-burn-rate alerts".
/// </para>
/// <para>
/// Each window is kept as at most 14 checkpoints of two cumulative counts, so an objective costs about 4.5 KB per
/// monitor however long its windows are. A window covers its length and at most a twelfth more (the spacing of its
/// checkpoints, or the evaluation interval when that is longer); until it has passed since the first evaluation, it
/// covers everything since the monitor started.
/// </para>
/// </remarks>
public sealed class ServiceLevelObjective
{
    /// <summary>Gets the objective's name (attribute <c>model.slo</c>): short, fixed, low-cardinality.</summary>
    public required string Name { get; init; }

    /// <summary>Gets what counts as a good event.</summary>
    /// <value>The default value is <see cref="ObjectiveKind.Availability"/>.</value>
    public ObjectiveKind Kind { get; init; }

    /// <summary>Gets the share of good events to keep over the period, for example 0.999.</summary>
    /// <value>Required; greater than 0 and less than 1.</value>
    public required double Objective { get; init; }

    /// <summary>
    /// Gets the duration within which a call is good, for <see cref="ObjectiveKind.Latency"/>. Exact (as the <c>le</c>
    /// counters) when it is one of the monitor's <see cref="ModelMonitorOptions.BucketBoundaries"/>, otherwise within
    /// the latency histogram's precision.
    /// </summary>
    /// <value>The default value is zero; required (positive) for a latency objective.</value>
    public TimeSpan LatencyThreshold { get; init; }

    /// <summary>Gets the period the error budget covers.</summary>
    /// <value>The default value is 30 days. From 1 minute to 400 days.</value>
    public TimeSpan Period { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Gets the burn-rate alerts (see <see cref="DefaultAlerts"/>).</summary>
    /// <value>The default value is <see cref="DefaultAlerts"/>.</value>
    public IReadOnlyList<BurnRateAlert> Alerts { get; init; } = DefaultAlerts;

    /// <summary>Gets the model the objective applies to (<see cref="ModelMonitor.ModelName"/>, every version), or <see langword="null"/> for every monitor.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? ModelName { get; init; }

    /// <summary>
    /// Gets the SRE workbook's table for a 30-day period: critical (page) at 14.4× over 1 hour and 5 minutes and at 6×
    /// over 6 hours and 30 minutes; warning (ticket) at 3× over 1 day and 2 hours and at 1× over 3 days and 6 hours.
    /// </summary>
    public static IReadOnlyList<BurnRateAlert> DefaultAlerts { get; } =
    [
        new(RuleSeverity.Critical, 14.4, TimeSpan.FromHours(1), TimeSpan.FromMinutes(5)),
        new(RuleSeverity.Critical, 6, TimeSpan.FromHours(6), TimeSpan.FromMinutes(30)),
        new(RuleSeverity.Warning, 3, TimeSpan.FromDays(1), TimeSpan.FromHours(2)),
        new(RuleSeverity.Warning, 1, TimeSpan.FromDays(3), TimeSpan.FromHours(6)),
    ];

    /// <summary>
    /// Gets the error budget as a share of events, 1 − <see cref="Objective"/>, rounded to 15 decimals: 1 − 0.999 is
    /// 0.0010000000000000009 in binary, and a burn of exactly 1× must read 1, not 0.9999999999999991.
    /// </summary>
    internal double Budget => Math.Round(1 - Objective, 15);

    /// <summary>Throws when the objective cannot be evaluated; <paramref name="parameter"/> names the collection it came from.</summary>
    internal void Validate(string parameter)
    {
        string Where(string property) => $"{parameter}: objective '{Name}': {property}";

        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException($"{parameter}: every objective needs a Name.", parameter);
        }

        if (!(Objective is > 0 and < 1))
        {
            throw new ArgumentException(Where($"Objective ({Objective}) must be greater than 0 and less than 1 (for example 0.999)."), parameter);
        }

        if (Kind == ObjectiveKind.Latency && LatencyThreshold <= TimeSpan.Zero)
        {
            throw new ArgumentException(Where("a latency objective needs a positive LatencyThreshold."), parameter);
        }

        if (!Enum.IsDefined(Kind))
        {
            throw new ArgumentException(Where($"Kind ({Kind}) is not an ObjectiveKind."), parameter);
        }

        if (Period < TimeSpan.FromMinutes(1) || Period > TimeSpan.FromDays(400))
        {
            throw new ArgumentException(Where($"Period ({Period}) must be from 1 minute to 400 days."), parameter);
        }

        if (Alerts is null)
        {
            throw new ArgumentException(Where("Alerts must not be null (an empty list tracks the budget without alerting)."), parameter);
        }

        foreach (BurnRateAlert alert in Alerts)
        {
            if (alert.Severity is not (RuleSeverity.Warning or RuleSeverity.Critical))
            {
                throw new ArgumentException(Where($"an alert's Severity must be Warning or Critical, not {alert.Severity}."), parameter);
            }

            if (!(alert.BurnRate > 0 && double.IsFinite(alert.BurnRate)))
            {
                throw new ArgumentException(Where($"an alert's BurnRate ({alert.BurnRate}) must be positive."), parameter);
            }

            if (alert.ShortWindow <= TimeSpan.Zero || alert.LongWindow < alert.ShortWindow || alert.LongWindow > Period)
            {
                throw new ArgumentException(Where($"an alert's windows ({alert.LongWindow}, {alert.ShortWindow}) must be positive, the short one no longer than the long one, the long one no longer than the Period."), parameter);
            }
        }
    }
}

/// <summary>One burn-rate alert of a <see cref="ServiceLevelObjective"/>: it fires while both windows burn at least at <paramref name="BurnRate"/>.</summary>
/// <param name="Severity">The severity while it fires: <see cref="RuleSeverity.Critical"/> (page) or <see cref="RuleSeverity.Warning"/> (ticket).</param>
/// <param name="BurnRate">How many times faster than the budget allows the budget burns: bad share ÷ (1 − objective).</param>
/// <param name="LongWindow">The window that says the budget is really burning.</param>
/// <param name="ShortWindow">The window that says it is still burning now (usually a twelfth of the long one).</param>
public sealed record BurnRateAlert(RuleSeverity Severity, double BurnRate, TimeSpan LongWindow, TimeSpan ShortWindow);
