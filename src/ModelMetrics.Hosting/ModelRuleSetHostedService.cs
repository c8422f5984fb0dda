// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ModelMetrics.Hosting;

/// <summary>Starts the rule set with the host, logs what it does, and stops it (cancelling running actions) with the host.</summary>
internal sealed partial class ModelRuleSetHostedService : IHostedService
{
    private readonly ModelRuleSet _rules;
    private readonly ILogger<ModelRuleSet> _logger;

    public ModelRuleSetHostedService(ModelRuleSet rules, ILogger<ModelRuleSet> logger)
    {
        _rules = rules;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _rules.StatusChanged += OnStatusChanged;
        _rules.ActionCompleted += OnActionCompleted;
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _rules.StopAsync(cancellationToken).ConfigureAwait(false);
        _rules.StatusChanged -= OnStatusChanged;
        _rules.ActionCompleted -= OnActionCompleted;
    }

    private void OnStatusChanged(object? sender, RuleStatusChangedEventArgs e)
    {
        LogLevel level = e.Status.Severity switch
        {
            RuleSeverity.Critical => LogLevel.Error,
            RuleSeverity.Warning => LogLevel.Warning,
            _ => LogLevel.Information,
        };
        StatusChanged(_logger, level, e.Status.ModelName, e.Status.Rule, e.PreviousSeverity, e.Status.Severity, e.Status.Description);
    }

    private void OnActionCompleted(object? sender, MaintenanceActionEventArgs e)
    {
        LogLevel level = e.Outcome is MaintenanceOutcome.Failed or MaintenanceOutcome.TimedOut ? LogLevel.Error : LogLevel.Information;
        ActionEnded(_logger, level, e.Exception, e.Context.Status.ModelName, e.Context.Action, e.Outcome, e.Duration.TotalSeconds);
    }

    [LoggerMessage(EventId = 1, Message = "Model {ModelName}: rule {Rule} went from {Previous} to {Severity}: {Description}")]
    private static partial void StatusChanged(ILogger logger, LogLevel level, string modelName, string rule, RuleSeverity previous, RuleSeverity severity, string description);

    [LoggerMessage(EventId = 2, Message = "Model {ModelName}: maintenance action {Action}: {Outcome} after {Seconds} s")]
    private static partial void ActionEnded(ILogger logger, LogLevel level, Exception? exception, string modelName, string action, MaintenanceOutcome outcome, double seconds);
}
