// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;

namespace ModelMetrics;

/// <summary>
/// The state of one rule or service-level objective for one monitor after an evaluation of a <see cref="ModelRuleSet"/>. Immutable.
/// </summary>
public sealed class RuleStatus
{
    internal RuleStatus(string rule, bool isObjective, ModelMonitor monitor, RuleSeverity severity, double? value, double? threshold, TimeSpan window, long samples, DateTimeOffset timestamp, string description)
    {
        Rule = rule;
        IsObjective = isObjective;
        Monitor = monitor;
        Severity = severity;
        Value = value;
        Threshold = threshold;
        Window = window;
        Samples = samples;
        Timestamp = timestamp;
        Description = description;
    }

    /// <summary>Gets the name of the rule (<see cref="ModelRule.Name"/>) or objective (<see cref="ServiceLevelObjective.Name"/>).</summary>
    public string Rule { get; }

    /// <summary>Gets whether this is the status of a service-level objective rather than of a rule.</summary>
    public bool IsObjective { get; }

    /// <summary>Gets the monitor judged.</summary>
    public ModelMonitor Monitor { get; }

    /// <summary>Gets the model's name.</summary>
    public string ModelName => Monitor.ModelName;

    /// <summary>Gets the model's version, or <see langword="null"/>.</summary>
    public string? ModelVersion => Monitor.ModelVersion;

    /// <summary>Gets the state: the severity the rule or objective is in after this evaluation.</summary>
    public RuleSeverity Severity { get; }

    /// <summary>
    /// Gets the value last judged: the signal's value (a ratio with <see cref="ModelRule.BaselineWindow"/>), or for an
    /// objective the burn rate over the long window of its most severe alert; <see langword="null"/> when never judged.
    /// </summary>
    public double? Value { get; }

    /// <summary>
    /// Gets the threshold that goes with <see cref="Severity"/> (the warning one while <see cref="RuleSeverity.Ok"/>), or for
    /// an objective the burn rate of the alert <see cref="Value"/> belongs to.
    /// </summary>
    public double? Threshold { get; }

    /// <summary>Gets the window the value was read over (for an objective, the alert's long window).</summary>
    public TimeSpan Window { get; }

    /// <summary>Gets what the value rests on: samples in the window for a rule, events in the long window for an objective.</summary>
    public long Samples { get; }

    /// <summary>Gets when the monitor was read for this evaluation, by its <see cref="ModelMonitorOptions.TimeProvider"/>.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>Gets the state in one sentence, for logs and health checks.</summary>
    public string Description { get; }

    /// <summary>Gets the share of the error budget left over the objective's period (1 untouched, 0 spent, below 0 overspent); <see langword="null"/> for a rule.</summary>
    public double? ErrorBudgetRemaining { get; internal init; }

    /// <summary>Gets an objective's burn rate over each of its windows (bad share ÷ budget share); empty for a rule.</summary>
    public IReadOnlyDictionary<TimeSpan, double> BurnRates { get; internal init; } = EmptyBurnRates;

    private static IReadOnlyDictionary<TimeSpan, double> EmptyBurnRates { get; } = new Dictionary<TimeSpan, double>();

    /// <inheritdoc/>
    public override string ToString() => Description;
}

/// <summary>A rule or objective of a <see cref="ModelRuleSet"/> changed severity for one monitor.</summary>
public sealed class RuleStatusChangedEventArgs : EventArgs
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="previousSeverity">The severity before the change.</param>
    /// <param name="status">The status after the change.</param>
    public RuleStatusChangedEventArgs(RuleSeverity previousSeverity, RuleStatus status)
    {
        PreviousSeverity = previousSeverity;
        Status = status;
    }

    /// <summary>Gets the severity before the change.</summary>
    public RuleSeverity PreviousSeverity { get; }

    /// <summary>Gets the status after the change.</summary>
    public RuleStatus Status { get; }
}
