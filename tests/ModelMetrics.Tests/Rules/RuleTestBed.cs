// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;

namespace ModelMetrics.Tests.Rules;

/// <summary>A monitor on a fake clock in its own registry, and a rule set over that registry evaluated by hand.</summary>
internal sealed class RuleTestBed : IDisposable
{
    private static readonly InvalidOperationException Failure = new("model failed");

    public RuleTestBed(Func<ModelRuleSetOptions, ModelRuleSetOptions>? configure = null, IReadOnlyList<string>? classLabels = null, string? modelName = null)
    {
        ModelName = modelName ?? "rules-" + Guid.NewGuid().ToString("N");
        Monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = ModelName,
            ModelVersion = "1",
            ClassLabels = classLabels,
            Registry = Registry,
            TimeProvider = Time,
            Windows = [TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5), TimeSpan.FromHours(1)],
        });
        var options = new ModelRuleSetOptions { Registry = Registry, TimeProvider = Time, EvaluationInterval = TimeSpan.Zero };
        Rules = new ModelRuleSet(configure is null ? options : configure(options));
        Rules.StatusChanged += (_, e) => Changes.Add((Minute, e.PreviousSeverity, e.Status));
    }

    public string ModelName { get; }

    public ModelMonitorRegistry Registry { get; } = new();

    public FakeTimeProvider Time { get; } = new();

    public ModelMonitor Monitor { get; }

    public ModelRuleSet Rules { get; }

    /// <summary>Gets the minutes the clock moved since the start.</summary>
    public int Minute { get; private set; }

    /// <summary>Gets every change raised: the minute of the evaluation, the previous severity and the new status.</summary>
    public List<(int Minute, RuleSeverity Previous, RuleStatus Status)> Changes { get; } = [];

    /// <summary>Records <paramref name="calls"/> calls of 10 ms, <paramref name="failures"/> of them failed, during one minute; then evaluates.</summary>
    public RuleStatus RunMinute(int calls, int failures, string? rule = null)
    {
        for (int i = 0; i < calls; i++)
        {
            Monitor.RecordCall(0.010, i < failures ? Failure : null);
        }

        return Step(rule);
    }

    /// <summary>Advances the clock one minute and evaluates; returns the status of <paramref name="rule"/> (or the only one).</summary>
    public RuleStatus Step(string? rule = null)
    {
        Time.Advance(TimeSpan.FromMinutes(1));
        Minute++;
        IReadOnlyList<RuleStatus> statuses = Rules.Evaluate();
        return rule is null ? statuses.Single() : statuses.Single(s => s.Rule == rule);
    }

    public void Dispose()
    {
        Rules.Dispose();
        Monitor.Dispose();
    }
}
