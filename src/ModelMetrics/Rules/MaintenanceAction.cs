// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;

namespace ModelMetrics;

/// <summary>
/// Work a <see cref="ModelRuleSet"/> starts when a rule or objective rises to <see cref="Severity"/> for a model:
/// retrain, roll back, notify. Runs on the thread pool, never on a caller's thread; at most one action at a time
/// per model; a cooldown between two starts; a timeout; cancelled when the rule set stops. What it throws is
/// swallowed, counted (<c>model.maintenance.actions</c>) and reported (<see cref="ModelRuleSet.ActionCompleted"/>,
/// the <c>ModelMetrics</c> EventSource).
/// </summary>
public sealed class MaintenanceAction
{
    /// <summary>Gets the action's name (attribute <c>model.maintenance.action</c>): short, fixed, low-cardinality.</summary>
    public required string Name { get; init; }

    /// <summary>Gets the work. Observe the token: it is cancelled at the timeout and when the rule set stops.</summary>
    public required Func<MaintenanceContext, CancellationToken, Task> Handler { get; init; }

    /// <summary>Gets the rule or objective whose rise starts the action, or <see langword="null"/> for any of the rule set.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? Rule { get; init; }

    /// <summary>Gets the severity the rule must rise to (from below it) to start the action.</summary>
    /// <value>The default value is <see cref="RuleSeverity.Critical"/>.</value>
    public RuleSeverity Severity { get; init; } = RuleSeverity.Critical;

    /// <summary>Gets the shortest time between two starts of this action for one model (a rise within it is skipped and counted).</summary>
    /// <value>The default value is 10 minutes. From zero to 7 days.</value>
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets how long the action may run before its token is cancelled and it counts as timed out.</summary>
    /// <value>The default value is 10 minutes. From 1 millisecond to 1 day.</value>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Throws when the action cannot run; <paramref name="parameter"/> names the collection it came from.</summary>
    internal void Validate(string parameter)
    {
        string Where(string property) => $"{parameter}: action '{Name}': {property}";

        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException($"{parameter}: every action needs a Name.", parameter);
        }

        if (Handler is null)
        {
            throw new ArgumentException(Where("Handler is required."), parameter);
        }

        if (Severity is not (RuleSeverity.Warning or RuleSeverity.Critical))
        {
            throw new ArgumentException(Where($"Severity must be Warning or Critical, not {Severity}."), parameter);
        }

        if (Cooldown < TimeSpan.Zero || Cooldown > TimeSpan.FromDays(7))
        {
            throw new ArgumentException(Where($"Cooldown ({Cooldown}) must be from zero to 7 days."), parameter);
        }

        if (Timeout < TimeSpan.FromMilliseconds(1) || Timeout > TimeSpan.FromDays(1))
        {
            throw new ArgumentException(Where($"Timeout ({Timeout}) must be from 1 millisecond to 1 day."), parameter);
        }
    }
}

/// <summary>What a <see cref="MaintenanceAction"/>'s handler is told: which model, and the status that started it.</summary>
public sealed class MaintenanceContext
{
    internal MaintenanceContext(string action, RuleStatus status)
    {
        Action = action;
        Status = status;
    }

    /// <summary>Gets the action's name.</summary>
    public string Action { get; }

    /// <summary>Gets the status whose rise started the action.</summary>
    public RuleStatus Status { get; }

    /// <summary>Gets the monitor of the model concerned.</summary>
    public ModelMonitor Monitor => Status.Monitor;
}

/// <summary>How a maintenance action ended, or why it did not start (attribute <c>outcome</c>).</summary>
public enum MaintenanceOutcome
{
    /// <summary>The handler completed.</summary>
    Succeeded = 0,

    /// <summary>The handler threw.</summary>
    Failed = 1,

    /// <summary>The handler ran past its <see cref="MaintenanceAction.Timeout"/>.</summary>
    TimedOut = 2,

    /// <summary>The rule set stopped while the handler ran.</summary>
    Cancelled = 3,

    /// <summary>Not started: the action started for this model within its <see cref="MaintenanceAction.Cooldown"/>.</summary>
    SkippedCooldown = 4,

    /// <summary>Not started: another action was running for this model.</summary>
    SkippedBusy = 5,
}

/// <summary>A maintenance action ended or was skipped.</summary>
public sealed class MaintenanceActionEventArgs : EventArgs
{
    internal MaintenanceActionEventArgs(MaintenanceContext context, MaintenanceOutcome outcome, TimeSpan duration, Exception? exception)
    {
        Context = context;
        Outcome = outcome;
        Duration = duration;
        Exception = exception;
    }

    /// <summary>Gets the action's name, the model and the status that started it.</summary>
    public MaintenanceContext Context { get; }

    /// <summary>Gets how it ended.</summary>
    public MaintenanceOutcome Outcome { get; }

    /// <summary>Gets how long it ran (zero when skipped; up to the timeout when it timed out).</summary>
    public TimeSpan Duration { get; }

    /// <summary>Gets what the handler threw, or <see langword="null"/>.</summary>
    public Exception? Exception { get; }
}
