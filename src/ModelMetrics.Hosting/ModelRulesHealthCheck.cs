// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace ModelMetrics.Hosting;

/// <summary>The worst state of a rule set's rules and objectives (optionally of one model) as a health status.</summary>
internal sealed class ModelRulesHealthCheck : IHealthCheck
{
    private readonly ModelRuleSet _rules;
    private readonly string? _modelName;

    public ModelRulesHealthCheck(ModelRuleSet rules, string? modelName)
    {
        _rules = rules;
        _modelName = modelName;
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        // Note: reads the statuses of the last evaluation; a health probe never evaluates (that is the rule set's timer's job).
        RuleStatus? worst = null;
        var data = new Dictionary<string, object>();
        foreach (RuleStatus status in _rules.Statuses)
        {
            if (_modelName is not null && status.ModelName != _modelName)
            {
                continue;
            }

            if (status.Severity != RuleSeverity.Ok)
            {
                data[$"{status.Rule} {status.ModelName}@{status.ModelVersion}"] = status.Description;
            }

            if (worst is null || status.Severity > worst.Severity)
            {
                worst = status;
            }
        }

        if (worst is null || worst.Severity == RuleSeverity.Ok)
        {
            return Task.FromResult(HealthCheckResult.Healthy(worst is null ? "No rule evaluated yet." : "Every rule and objective is ok.", data));
        }

        data["rule"] = worst.Rule;
        data["model"] = worst.ModelName;
        data["severity"] = worst.Severity.ToString();
        data["window"] = worst.Window.ToString();
        if (worst.Value is { } value)
        {
            data["value"] = value;
        }

        if (worst.Threshold is { } threshold)
        {
            data["threshold"] = threshold;
        }

        return Task.FromResult(worst.Severity == RuleSeverity.Critical
            ? HealthCheckResult.Unhealthy(worst.Description, data: data)
            : HealthCheckResult.Degraded(worst.Description, data: data));
    }
}
