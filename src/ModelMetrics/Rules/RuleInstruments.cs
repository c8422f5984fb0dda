// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Collections.Generic;
using System.Diagnostics.Metrics;
using ModelMetrics.Publishing;

namespace ModelMetrics.Rules;

/// <summary>The instruments of rule sets: rule states, burn rates, error budgets and maintenance actions, created once per meter.</summary>
internal static class RuleInstruments
{
    public const string Rule = "model.rule";
    public const string Severity = "model.rule.severity";
    public const string Objective = "model.slo";
    public const string Action = "model.maintenance.action";
    public const string Outcome = "outcome";

    public static readonly InstrumentInfo Status = new("model.rule.status", MetricNames.Ratio, "1 for the severity a rule or objective is in (ok, warning, critical), 0 for the other two.");
    public static readonly InstrumentInfo BurnRate = new("model.slo.burn_rate", MetricNames.Ratio, "How many times faster than its objective allows a service-level objective's error budget burns, over each of its windows.");
    public static readonly InstrumentInfo BudgetRemaining = new("model.slo.error_budget.remaining", MetricNames.Ratio, "Share of a service-level objective's error budget left over its period (below 0: overspent).");
    public static readonly InstrumentInfo Actions = new("model.maintenance.actions", "{action}", "Maintenance actions ended or skipped, by action and outcome.");

    private static readonly string[] SeverityNames = ["ok", "warning", "critical"];

    public static string OutcomeName(MaintenanceOutcome outcome) => outcome switch
    {
        MaintenanceOutcome.Succeeded => "succeeded",
        MaintenanceOutcome.Failed => "failed",
        MaintenanceOutcome.TimedOut => "timed_out",
        MaintenanceOutcome.Cancelled => "cancelled",
        MaintenanceOutcome.SkippedCooldown => "skipped_cooldown",
        _ => "skipped_busy",
    };

    public static void Create(MeterPublisher publisher)
    {
        Meter meter = publisher.Meter;
        meter.CreateObservableGauge(Status.Name, () => Observe<long>(publisher, static (status, list) =>
        {
            for (int s = 0; s < SeverityNames.Length; s++)
            {
                list.Add((int)status.Severity == s ? 1L : 0L, Tags(status, Rule, status.Rule, Severity, SeverityNames[s]));
            }
        }), Status.Unit, Status.Description);

        meter.CreateObservableGauge(BurnRate.Name, () => Observe<double>(publisher, static (status, list) =>
        {
            foreach ((System.TimeSpan window, double rate) in status.BurnRates)
            {
                list.Add(rate, Tags(status, Objective, status.Rule, MetricNames.Window, Publishing.Tags.Seconds(window)));
            }
        }), BurnRate.Unit, BurnRate.Description);

        meter.CreateObservableGauge(BudgetRemaining.Name, () => Observe<double>(publisher, static (status, list) =>
        {
            if (status.ErrorBudgetRemaining is { } remaining)
            {
                list.Add(remaining, [new(MetricNames.ModelName, status.ModelName), new(MetricNames.ModelVersion, status.ModelVersion), new(Objective, status.Rule)]);
            }
        }), BudgetRemaining.Unit, BudgetRemaining.Description);

        meter.CreateObservableCounter(Actions.Name, () =>
        {
            List<Measurement<long>> list = [];
            foreach (ModelRuleSet rules in publisher.RuleSets)
            {
                foreach (((string model, string? version, string action, MaintenanceOutcome outcome), long count) in rules.ActionOutcomes())
                {
                    list.Add(count, [new(MetricNames.ModelName, model), new(MetricNames.ModelVersion, version), new(Action, action), new(Outcome, OutcomeName(outcome))]);
                }
            }

            return list;
        }, Actions.Unit, Actions.Description);
    }

    private static List<Measurement<T>> Observe<T>(MeterPublisher publisher, System.Action<RuleStatus, List<Measurement<T>>> observe)
        where T : struct
    {
        List<Measurement<T>> list = [];
        foreach (ModelRuleSet rules in publisher.RuleSets)
        {
            foreach (RuleStatus status in rules.Statuses)
            {
                observe(status, list);
            }
        }

        return list;
    }

    private static KeyValuePair<string, object?>[] Tags(RuleStatus status, string key1, object? value1, string key2, object? value2) =>
        [new(MetricNames.ModelName, status.ModelName), new(MetricNames.ModelVersion, status.ModelVersion), new(key1, value1), new(key2, value2)];
}
