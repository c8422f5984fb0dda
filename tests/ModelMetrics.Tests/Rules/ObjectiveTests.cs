// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Rules;

/// <summary>
/// Burn-rate alerts of a 99.9 % availability objective with the SRE workbook's table, on scripted timelines of 1,000 calls a
/// minute evaluated every minute (prometheus/modelmetrics.alerts.test.yml runs the same timelines through promtool).
/// </summary>
[TestFixture]
public sealed class ObjectiveTests
{
    private const int CallsPerMinute = 1000;

    private static ModelRuleSetOptions Availability(ModelRuleSetOptions options)
    {
        options.Objectives = [new ServiceLevelObjective { Name = "availability", Objective = 0.999 }];
        return options;
    }

    /// <summary>Runs <paramref name="failuresPerMinute"/> (one entry per minute) and returns each change of severity as (minute, severity).</summary>
    private static List<(int Minute, RuleSeverity Severity)> Run(RuleTestBed bed, IEnumerable<int> failuresPerMinute)
    {
        List<(int, RuleSeverity)> changes = [];
        RuleSeverity current = RuleSeverity.Ok;
        foreach (int failures in failuresPerMinute)
        {
            RuleStatus status = bed.RunMinute(CallsPerMinute, failures);
            if (status.Severity != current)
            {
                changes.Add((bed.Minute, status.Severity));
                current = status.Severity;
            }
        }

        return changes;
    }

    private static IEnumerable<int> Minutes(int count, int failures) => Enumerable.Repeat(failures, count);

    [Test]
    public void Fast_burn_a_ten_minute_outage_pages_at_once_and_steps_down_as_each_short_window_clears()
    {
        using var bed = new RuleTestBed(Availability);

        var changes = Run(bed, Minutes(60, 0).Concat(Minutes(10, CallsPerMinute)).Concat(Minutes(530, 0)));

        TestContext.Out.WriteLine(string.Join(", ", changes));
        Assert.That(changes, Is.EqualTo(new[]
        {
            (61, RuleSeverity.Critical), // 1h burn 1,000/60,000 ÷ 0.001 = 16.7 ≥ 14.4 and 5m burn 200
            (100, RuleSeverity.Warning), // the 30m window's checkpoint at minute 70 leaves the outage behind: the 6× page ends
            (451, RuleSeverity.Ok),      // the 6h window's checkpoint at minute 91 does the same for the 1× ticket
        }));
    }

    [Test]
    public void Slow_burn_five_times_the_budget_opens_a_ticket_and_never_pages()
    {
        using var bed = new RuleTestBed(Availability);

        var changes = Run(bed, Minutes(1440, 0).Concat(Minutes(1440, 5)));

        TestContext.Out.WriteLine(string.Join(", ", changes));
        // The 3d window still holds everything since the start: 5·(t − 1,440) bad of 1,000·t calls burns 1× at t = 1,800,
        // while the 6h window burns 4.6×. The 1d/2h 3× ticket follows later without changing the state; 5× never reaches the 6× page.
        Assert.That(changes, Is.EqualTo(new[] { (1800, RuleSeverity.Warning) }));
    }

    [Test]
    public void A_blip_that_burns_a_hundred_times_over_five_minutes_does_not_alert()
    {
        using var bed = new RuleTestBed(Availability);
        double peak = 0;
        bed.Rules.StatusChanged += (_, _) => Assert.Fail("no alert expected");

        foreach (int failures in Minutes(1440, 0).Concat(Minutes(1, CallsPerMinute / 2)).Concat(Minutes(600, 0)))
        {
            RuleStatus status = bed.RunMinute(CallsPerMinute, failures);
            peak = Math.Max(peak, status.BurnRates[TimeSpan.FromMinutes(5)]);
            Assert.That(status.Severity, Is.EqualTo(RuleSeverity.Ok));
        }

        Assert.That(peak, Is.EqualTo(500.0 / 5000 / 0.001).Within(1e-9), "500 failed of 5,000 calls in 5 minutes: 100×");
    }

    [Test]
    public void Latency_and_quality_objectives_count_from_the_le_counters_and_the_labelled_predictions()
    {
        using var bed = new RuleTestBed(
            o =>
            {
                o.Objectives =
                [
                    new ServiceLevelObjective { Name = "fast", Kind = ObjectiveKind.Latency, LatencyThreshold = TimeSpan.FromMilliseconds(100), Objective = 0.99 },
                    new ServiceLevelObjective { Name = "right", Kind = ObjectiveKind.Quality, Objective = 0.9 },
                ];
                return o;
            },
            classLabels: ["no", "yes"]);

        // 1,000 calls, 30 of them slower than 100 ms (one exactly at it: good, as le counts it); 200 labels, 40 wrong.
        for (int i = 0; i < 1000; i++)
        {
            bed.Monitor.RecordCall(i < 30 ? 0.25 : i == 30 ? 0.1 : 0.02);
        }

        for (int i = 0; i < 200; i++)
        {
            bed.Monitor.RecordGroundTruth(i < 40 ? "no" : "yes", "yes");
        }

        bed.Step("fast");
        RuleStatus fast = bed.Rules.Statuses.Single(s => s.Rule == "fast");
        RuleStatus right = bed.Rules.Statuses.Single(s => s.Rule == "right");

        Assert.That(fast.BurnRates[TimeSpan.FromMinutes(5)], Is.EqualTo(30.0 / 1000 / 0.01).Within(1e-9));
        Assert.That(fast.ErrorBudgetRemaining, Is.EqualTo(1 - 3.0).Within(1e-9), "3 % slow against a 1 % budget: overspent twice over");
        Assert.That(fast.Severity, Is.EqualTo(RuleSeverity.Warning), "3× everywhere: below both pages (14.4×, 6×), at the 3× and 1× tickets");
        Assert.That(right.BurnRates[TimeSpan.FromHours(1)], Is.EqualTo(40.0 / 200 / 0.1).Within(1e-9));
        Assert.That(right.ErrorBudgetRemaining, Is.EqualTo(1 - 2.0).Within(1e-9));
        Assert.That(right.IsObjective, Is.True);
        Assert.That(right.Samples, Is.EqualTo(200));
    }

    [Test]
    public void Cancelled_calls_count_neither_good_nor_bad_and_an_idle_model_burns_nothing()
    {
        using var bed = new RuleTestBed(Availability);

        RuleStatus idle = bed.Step();
        Assert.That(idle.BurnRates.Values, Is.All.EqualTo(0));
        Assert.That(idle.ErrorBudgetRemaining, Is.EqualTo(1));

        for (int i = 0; i < 1000; i++)
        {
            bed.Monitor.EndCall(bed.Monitor.StartCall(), new OperationCanceledException(), new System.Threading.CancellationToken(canceled: true));
        }

        for (int i = 0; i < 1000; i++)
        {
            bed.Monitor.RecordCall(0.01, i == 0 ? new InvalidOperationException() : null);
        }

        RuleStatus status = bed.Step();
        Assert.That(status.BurnRates[TimeSpan.FromMinutes(5)], Is.EqualTo(1.0 / 1000 / 0.001).Within(1e-9), "1 failed of 1,000 uncancelled calls");
    }

    [Test]
    public void States_burn_rates_and_budgets_are_published()
    {
        using var collector = new MeasurementCollector(ModelMonitorOptions.DefaultMeterName);
        using var bed = new RuleTestBed(o =>
        {
            o.Rules = [new ModelRule { Name = "errors", Signal = ModelSignal.ErrorRatio, Warning = 0.01, MinSamples = 0, BreachesToFire = 1 }];
            return Availability(o);
        });

        bed.RunMinute(CallsPerMinute, 20, "errors");
        var observed = collector.Collect(bed.ModelName);

        var states = observed.Where(o => o.Instrument == "model.rule.status").ToDictionary(o => (o.Tag("model.rule"), o.Tag("model.rule.severity")), o => o.Value);
        Assert.That(states[("errors", "warning")], Is.EqualTo(1));
        Assert.That(states[("errors", "ok")], Is.EqualTo(0));
        Assert.That(states[("errors", "critical")], Is.EqualTo(0));
        Assert.That(states[("availability", "critical")], Is.EqualTo(1), "20× over every window: past the 14.4× page");
        Assert.That(states, Has.Count.EqualTo(6));

        Observed burn5m = observed.Single(o => o.Instrument == "model.slo.burn_rate" && o.Tag("window") == "300");
        Assert.That(burn5m.Value, Is.EqualTo(20).Within(1e-9));
        Assert.That(burn5m.Tag("model.slo"), Is.EqualTo("availability"));
        Assert.That(observed.Count(o => o.Instrument == "model.slo.burn_rate"), Is.EqualTo(8), "the distinct windows 5m, 1h, 30m, 6h, 2h, 1d, 3d and the 30d period");
        Assert.That(observed.Single(o => o.Instrument == "model.slo.error_budget.remaining").Value, Is.EqualTo(1 - 20.0).Within(1e-9));
    }

    [Test]
    public void An_objective_with_the_default_alerts_costs_under_5_KB_per_monitor()
    {
        var objective = new ServiceLevelObjective { Name = "availability", Objective = 0.999 };
        _ = new ModelMetrics.Rules.ObjectiveTracker(objective);

        long before = GC.GetAllocatedBytesForCurrentThread();
        var tracker = new ModelMetrics.Rules.ObjectiveTracker(objective);
        long bytes = GC.GetAllocatedBytesForCurrentThread() - before;

        TestContext.Out.WriteLine($"{bytes} bytes for 8 windows");
        Assert.That(bytes, Is.LessThan(5 * 1024), "README: about 4.5 KB");
        GC.KeepAlive(tracker);
    }
}
