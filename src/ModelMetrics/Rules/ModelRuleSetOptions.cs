// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;

namespace ModelMetrics;

/// <summary>The rules, objectives and actions of a <see cref="ModelRuleSet"/>, and where and how often it evaluates them.</summary>
public sealed class ModelRuleSetOptions
{
    /// <summary>Gets or sets the threshold rules.</summary>
    /// <value>The default value is empty. Names are unique across rules and objectives.</value>
    public IReadOnlyList<ModelRule> Rules { get; set; } = [];

    /// <summary>Gets or sets the service-level objectives.</summary>
    /// <value>The default value is empty.</value>
    public IReadOnlyList<ServiceLevelObjective> Objectives { get; set; } = [];

    /// <summary>Gets or sets the maintenance actions; each names a rule or objective of this set, or none (any).</summary>
    /// <value>The default value is empty.</value>
    public IReadOnlyList<MaintenanceAction> Actions { get; set; } = [];

    /// <summary>Gets or sets the registry whose monitors are judged.</summary>
    /// <value>The default value is <see cref="ModelMonitorRegistry.Default"/>.</value>
    public ModelMonitorRegistry Registry { get; set; } = ModelMonitorRegistry.Default;

    /// <summary>Gets or sets how often the rule set evaluates on its own timer; <see cref="TimeSpan.Zero"/> for never (call <see cref="ModelRuleSet.Evaluate"/>).</summary>
    /// <value>The default value is 1 minute. Zero, or from 10 milliseconds to 1 hour.</value>
    public TimeSpan EvaluationInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets or sets the clock of the evaluation timer and of action cooldowns and timeouts (windows use each monitor's own clock).</summary>
    /// <value>The default value is <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Gets or sets the name of the meter the rule states are published on.</summary>
    /// <value>The default value is <see cref="ModelMonitorOptions.DefaultMeterName"/>.</value>
    public string MeterName { get; set; } = ModelMonitorOptions.DefaultMeterName;

    /// <summary>Gets or sets the factory that creates the meter (dependency injection), or <see langword="null"/> for a process-wide meter.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    internal void Validate()
    {
        if (Rules is null || Objectives is null || Actions is null)
        {
            throw new ArgumentException("Rules, Objectives and Actions must not be null.", Rules is null ? nameof(Rules) : Objectives is null ? nameof(Objectives) : nameof(Actions));
        }

        HashSet<string> names = new(StringComparer.Ordinal);
        foreach (ModelRule rule in Rules)
        {
            if (rule is null)
            {
                throw new ArgumentException("Rules must not hold null.", nameof(Rules));
            }

            rule.Validate(nameof(Rules));
            if (!names.Add(rule.Name))
            {
                throw new ArgumentException($"Rules: the name '{rule.Name}' is used twice; rule and objective names are unique in a rule set.", nameof(Rules));
            }
        }

        foreach (ServiceLevelObjective objective in Objectives)
        {
            if (objective is null)
            {
                throw new ArgumentException("Objectives must not hold null.", nameof(Objectives));
            }

            objective.Validate(nameof(Objectives));
            if (!names.Add(objective.Name))
            {
                throw new ArgumentException($"Objectives: the name '{objective.Name}' is used twice; rule and objective names are unique in a rule set.", nameof(Objectives));
            }
        }

        foreach (MaintenanceAction action in Actions)
        {
            if (action is null)
            {
                throw new ArgumentException("Actions must not hold null.", nameof(Actions));
            }

            action.Validate(nameof(Actions));
            if (action.Rule is { } rule && !names.Contains(rule))
            {
                throw new ArgumentException($"Actions: action '{action.Name}' names rule '{rule}', which is neither a rule nor an objective of this set.", nameof(Actions));
            }
        }

        if (Registry is null)
        {
            throw new ArgumentException("Registry must not be null.", nameof(Registry));
        }

        if (EvaluationInterval != TimeSpan.Zero && (EvaluationInterval < TimeSpan.FromMilliseconds(10) || EvaluationInterval > TimeSpan.FromHours(1)))
        {
            throw new ArgumentException($"EvaluationInterval ({EvaluationInterval}) must be zero (no timer) or from 10 milliseconds to 1 hour.", nameof(EvaluationInterval));
        }

        if (TimeProvider is null)
        {
            throw new ArgumentException("TimeProvider must not be null.", nameof(TimeProvider));
        }

        if (string.IsNullOrWhiteSpace(MeterName))
        {
            throw new ArgumentException("MeterName must be a non-empty string.", nameof(MeterName));
        }
    }
}
