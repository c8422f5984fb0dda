// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;

namespace ModelMetrics.Rules;

/// <summary>The state of one <see cref="ServiceLevelObjective"/> for one monitor: a count history per distinct window.</summary>
internal sealed class ObjectiveTracker
{
    private readonly ServiceLevelObjective _objective;
    private readonly CountHistory[] _histories;
    private RuleSeverity _severity;

    public ObjectiveTracker(ServiceLevelObjective objective)
    {
        _objective = objective;
        List<CountHistory> histories = [];
        foreach (TimeSpan window in Windows(objective))
        {
            if (!histories.Exists(h => h.Window == window))
            {
                histories.Add(new CountHistory(window));
            }
        }

        _histories = [.. histories];
    }

    public RuleSeverity Severity => _severity;

    /// <summary>Reads the objective's cumulative bad and total events from a snapshot.</summary>
    public static (long Bad, long Total) Count(ServiceLevelObjective objective, ModelMonitorSnapshot snapshot)
    {
        switch (objective.Kind)
        {
            case ObjectiveKind.Latency:
                long completed = snapshot.Latency.Count;
                return (completed - snapshot.Latency.CountAtOrBelow(objective.LatencyThreshold.TotalSeconds), completed);
            case ObjectiveKind.Quality:
                return snapshot.Classification is { } quality ? (quality.Total - quality.Correct, quality.Total) : (0, 0);
            default:
                // A caller who cancels did not see the model fail: cancelled calls are neither good nor bad.
                long cancelled = snapshot.Failures.TryGetValue("cancelled", out long c) ? c : 0;
                return (snapshot.Failed - cancelled, snapshot.Calls - cancelled);
        }
    }

    /// <summary>Judges the objective on <paramref name="snapshot"/> and returns its status.</summary>
    public RuleStatus Evaluate(ModelMonitor monitor, ModelMonitorSnapshot snapshot)
    {
        (long bad, long total) = Count(_objective, snapshot);
        long now = snapshot.Timestamp.UtcTicks;
        double budget = _objective.Budget;
        var burn = new Dictionary<TimeSpan, double>(_histories.Length);
        var events = new Dictionary<TimeSpan, long>(_histories.Length);
        foreach (CountHistory history in _histories)
        {
            (long windowBad, long windowTotal) = history.Update(now, bad, total);
            burn[history.Window] = windowTotal == 0 ? 0 : (double)windowBad / windowTotal / budget;
            events[history.Window] = windowTotal;
        }

        // The state is the most severe firing alert; the alert reported is that one, or else the closest to firing.
        BurnRateAlert? reported = null;
        double closest = double.NegativeInfinity;
        RuleSeverity severity = RuleSeverity.Ok;
        foreach (BurnRateAlert alert in _objective.Alerts)
        {
            double rate = Math.Min(burn[alert.LongWindow], burn[alert.ShortWindow]);
            bool firing = rate >= alert.BurnRate;
            double closeness = (firing ? 1_000 * (int)alert.Severity : 0) + (rate / alert.BurnRate);
            if (firing && alert.Severity > severity)
            {
                severity = alert.Severity;
            }

            if (closeness > closest)
            {
                closest = closeness;
                reported = alert;
            }
        }

        _severity = severity;
        double periodBurn = burn[_objective.Period];
        // The budget is the bad share the objective allows over the period; the period's burn rate is the share spent.
        double remaining = 1 - periodBurn;
        string kind = _objective.Kind.ToString().ToLowerInvariant();
        string description = reported is { } a
            ? $"{_objective.Name}: {severity}; {kind} burn rate {RuleTracker.Format(burn[a.LongWindow])}× over {RuleTracker.Format(a.LongWindow)} and {RuleTracker.Format(burn[a.ShortWindow])}× over {RuleTracker.Format(a.ShortWindow)} (alert at {RuleTracker.Format(a.BurnRate)}×); {RuleTracker.Format(remaining * 100)} % of the error budget left."
            : $"{_objective.Name}: {severity}; {RuleTracker.Format(remaining * 100)} % of the {kind} error budget left.";
        return new RuleStatus(
            _objective.Name,
            isObjective: true,
            monitor,
            severity,
            reported is { } r ? burn[r.LongWindow] : periodBurn,
            reported?.BurnRate,
            reported?.LongWindow ?? _objective.Period,
            events[reported?.LongWindow ?? _objective.Period],
            snapshot.Timestamp,
            description)
        {
            ErrorBudgetRemaining = remaining,
            BurnRates = burn,
        };
    }

    private static IEnumerable<TimeSpan> Windows(ServiceLevelObjective objective)
    {
        foreach (BurnRateAlert alert in objective.Alerts)
        {
            yield return alert.ShortWindow;
            yield return alert.LongWindow;
        }

        yield return objective.Period;
    }
}
