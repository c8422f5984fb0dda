// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Linq;
using NUnit.Framework;

namespace ModelMetrics.Tests.Rules;

[TestFixture]
public sealed class ModelRuleTests
{
    private static ModelRuleSetOptions ErrorRule(ModelRuleSetOptions options, int breaches = 3, int clears = 2, long minSamples = 100) =>
        With(options, new ModelRule
        {
            Name = "errors",
            Signal = ModelSignal.ErrorRatio,
            Window = TimeSpan.FromMinutes(1),
            Warning = 0.05,
            Critical = 0.20,
            MinSamples = minSamples,
            BreachesToFire = breaches,
            ClearsToResolve = clears,
        });

    private static ModelRuleSetOptions With(ModelRuleSetOptions options, params ModelRule[] rules)
    {
        options.Rules = rules;
        return options;
    }

    [Test]
    public void Fires_after_N_consecutive_breaches_and_resolves_after_M_clear_evaluations()
    {
        using var bed = new RuleTestBed(o => ErrorRule(o));

        Assert.That(bed.RunMinute(200, 0).Severity, Is.EqualTo(RuleSeverity.Ok));
        Assert.That(bed.RunMinute(200, 60).Severity, Is.EqualTo(RuleSeverity.Ok), "first breach (30 %)");
        Assert.That(bed.RunMinute(200, 60).Severity, Is.EqualTo(RuleSeverity.Ok), "second breach");
        RuleStatus fired = bed.RunMinute(200, 60);
        Assert.That(fired.Severity, Is.EqualTo(RuleSeverity.Critical), "third breach fires");
        Assert.That(fired.Value, Is.EqualTo(0.30).Within(1e-12));
        Assert.That(fired.Threshold, Is.EqualTo(0.20));
        Assert.That(fired.Samples, Is.EqualTo(200));
        Assert.That(fired.Window, Is.EqualTo(TimeSpan.FromMinutes(1)));

        Assert.That(bed.RunMinute(200, 0).Severity, Is.EqualTo(RuleSeverity.Critical), "one clear evaluation is not enough");
        Assert.That(bed.RunMinute(200, 0).Severity, Is.EqualTo(RuleSeverity.Ok), "second clear evaluation resolves");

        Assert.That(bed.Changes.Select(c => (c.Minute, c.Previous, c.Status.Severity)), Is.EqualTo(new[]
        {
            (4, RuleSeverity.Ok, RuleSeverity.Critical),
            (6, RuleSeverity.Critical, RuleSeverity.Ok),
        }));
    }

    [Test]
    public void A_breach_streak_broken_by_a_clear_evaluation_starts_again()
    {
        using var bed = new RuleTestBed(o => ErrorRule(o));

        bed.RunMinute(200, 60);
        bed.RunMinute(200, 60);
        bed.RunMinute(200, 0);
        bed.RunMinute(200, 60);
        Assert.That(bed.RunMinute(200, 60).Severity, Is.EqualTo(RuleSeverity.Ok), "only two consecutive breaches");
        Assert.That(bed.RunMinute(200, 60).Severity, Is.EqualTo(RuleSeverity.Critical));
    }

    [Test]
    public void Mixed_breaches_fire_at_the_least_severe_of_the_streak_then_rise_after_a_new_streak()
    {
        using var bed = new RuleTestBed(o => ErrorRule(o, breaches: 2, clears: 2));

        bed.RunMinute(200, 60);                                                              // critical
        Assert.That(bed.RunMinute(200, 20).Severity, Is.EqualTo(RuleSeverity.Warning));     // 10 %: warning
        bed.RunMinute(200, 60);
        Assert.That(bed.RunMinute(200, 60).Severity, Is.EqualTo(RuleSeverity.Critical));
        bed.RunMinute(200, 20);
        Assert.That(bed.RunMinute(200, 20).Severity, Is.EqualTo(RuleSeverity.Warning), "two evaluations at warning lower critical to warning");
    }

    [Test]
    public void Too_few_samples_are_not_judged_and_keep_the_state()
    {
        using var bed = new RuleTestBed(o => ErrorRule(o, breaches: 1, clears: 1));

        RuleStatus quiet = bed.RunMinute(50, 50);
        Assert.That(quiet.Severity, Is.EqualTo(RuleSeverity.Ok), "50 failed calls, fewer than MinSamples 100");
        Assert.That(quiet.Value, Is.Null);
        Assert.That(quiet.Description, Does.Contain("50 samples, fewer than 100"));

        Assert.That(bed.RunMinute(100, 100).Severity, Is.EqualTo(RuleSeverity.Critical));
        Assert.That(bed.RunMinute(10, 0).Severity, Is.EqualTo(RuleSeverity.Critical), "10 good calls are no evidence of recovery");
        Assert.That(bed.RunMinute(100, 0).Severity, Is.EqualTo(RuleSeverity.Ok));
    }

    [Test]
    public void Below_rules_watch_accuracy_and_class_recall()
    {
        string[] labels = ["cat", "dog"];
        using var bed = new RuleTestBed(
            o => With(
                o,
                new ModelRule { Name = "accuracy", Signal = ModelSignal.Accuracy, Direction = RuleDirection.Below, Warning = 0.9, Critical = 0.7, BreachesToFire = 1, ClearsToResolve = 1 },
                new ModelRule { Name = "dog-recall", Signal = ModelSignal.Recall("dog"), Direction = RuleDirection.Below, Critical = 0.5, MinSamples = 10, BreachesToFire = 1, ClearsToResolve = 1 }),
            labels);

        // 100 cats all right, 20 dogs of which 8 seen as cats: accuracy 112/120 = 0.933, dog recall 12/20 = 0.6.
        for (int i = 0; i < 100; i++)
        {
            bed.Monitor.RecordGroundTruth("cat", "cat");
        }

        for (int i = 0; i < 20; i++)
        {
            bed.Monitor.RecordGroundTruth(i < 8 ? "cat" : "dog", "dog");
        }

        bed.Step("accuracy");
        RuleStatus accuracy = bed.Rules.Statuses.Single(s => s.Rule == "accuracy");
        RuleStatus recall = bed.Rules.Statuses.Single(s => s.Rule == "dog-recall");
        Assert.That(accuracy.Value, Is.EqualTo(112.0 / 120).Within(1e-12));
        Assert.That(accuracy.Severity, Is.EqualTo(RuleSeverity.Ok));
        Assert.That(recall.Value, Is.EqualTo(0.6).Within(1e-12));
        Assert.That(recall.Samples, Is.EqualTo(20));
        Assert.That(recall.Severity, Is.EqualTo(RuleSeverity.Ok));

        // Next minute: 20 dogs, 15 seen as cats: accuracy 5/20 = 0.25, dog recall 0.25.
        for (int i = 0; i < 20; i++)
        {
            bed.Monitor.RecordGroundTruth(i < 15 ? "cat" : "dog", "dog");
        }

        bed.Step("accuracy");
        Assert.That(bed.Rules.Statuses.Single(s => s.Rule == "dog-recall").Severity, Is.EqualTo(RuleSeverity.Critical));
        Assert.That(bed.Rules.Statuses.Single(s => s.Rule == "accuracy").Severity, Is.EqualTo(RuleSeverity.Ok), "20 labelled predictions < MinSamples 100");
        Assert.That(bed.Rules.Severity, Is.EqualTo(RuleSeverity.Critical));
    }

    [Test]
    public void A_baseline_window_makes_thresholds_relative()
    {
        // p99 over the last minute compared with p99 over the hour.
        using var bed = new RuleTestBed(o => With(o, new ModelRule
        {
            Name = "latency-regression",
            Signal = ModelSignal.LatencyP99,
            Window = TimeSpan.FromMinutes(1),
            BaselineWindow = TimeSpan.FromHours(1),
            Warning = 2,
            MinSamples = 10,
            BreachesToFire = 1,
            ClearsToResolve = 1,
        }));

        for (int minute = 0; minute < 10; minute++)
        {
            for (int i = 0; i < 100; i++)
            {
                bed.Monitor.RecordCall(0.010);
            }

            RuleStatus steady = bed.Step();
            Assert.That(steady.Value, Is.EqualTo(1.0).Within(0.02), "the same latency as the hour's");
        }

        // 5 calls of 100 take 50 ms: the minute's p99 is 50 ms; in the hour they are 5 of 1,100, so its p99 stays 10 ms.
        for (int i = 0; i < 100; i++)
        {
            bed.Monitor.RecordCall(i < 5 ? 0.050 : 0.010);
        }

        RuleStatus slow = bed.Step();
        Assert.That(slow.Severity, Is.EqualTo(RuleSeverity.Warning));
        Assert.That(slow.Value, Is.EqualTo(5.0).Within(0.1), "50 ms ÷ 10 ms, each quantile within the histogram's 1 %");
        Assert.That(slow.Description, Does.Contain("latency_p99 over 1m ÷ over 1h"));
    }

    [Test]
    public void A_monitor_without_the_window_is_not_judged()
    {
        using var bed = new RuleTestBed(o => With(o, new ModelRule { Name = "errors-10m", Signal = ModelSignal.ErrorRatio, Window = TimeSpan.FromMinutes(10), Critical = 0.1, MinSamples = 0, BreachesToFire = 1 }));

        RuleStatus status = bed.RunMinute(100, 100);
        Assert.That(status.Severity, Is.EqualTo(RuleSeverity.Ok));
        Assert.That(status.Description, Does.Contain("the monitor has no 10m window"));
    }

    [Test]
    public void A_rule_for_another_model_does_not_apply_and_a_throwing_signal_keeps_the_state()
    {
        bool fail = false;
        var throwing = new ModelSignal("flaky", w => fail ? throw new InvalidOperationException("broken signal") : w.FailureRate, w => w.Calls);
        using var bed = new RuleTestBed(o => With(
            o,
            new ModelRule { Name = "other-model", Signal = ModelSignal.ErrorRatio, Critical = 0.1, ModelName = "someone-else" },
            new ModelRule { Name = "flaky", Signal = throwing, Critical = 0.1, MinSamples = 0, BreachesToFire = 1, ClearsToResolve = 1 }));

        Assert.That(bed.RunMinute(10, 10).Severity, Is.EqualTo(RuleSeverity.Critical));
        fail = true;
        RuleStatus kept = bed.RunMinute(10, 0);
        Assert.That(kept.Severity, Is.EqualTo(RuleSeverity.Critical), "the previous status is kept");
        Assert.That(bed.Rules.Statuses.Select(s => s.Rule), Is.EqualTo(new[] { "flaky" }));
    }

    [Test]
    public void Invalid_options_name_the_option()
    {
        var registry = new ModelMonitorRegistry();
        ArgumentException Fails(ModelRuleSetOptions options) => Assert.Throws<ArgumentException>(() => new ModelRuleSet(options))!;
        ModelRule Rule(string name = "r") => new() { Name = name, Signal = ModelSignal.ErrorRatio, Critical = 0.1 };

        Assert.That(Fails(new() { Registry = registry, Rules = [new ModelRule { Name = "r", Signal = ModelSignal.ErrorRatio }] }).Message, Does.Contain("set Warning, Critical or both"));
        Assert.That(Fails(new() { Registry = registry, Rules = [new ModelRule { Name = "r", Signal = ModelSignal.ErrorRatio, Warning = 0.5, Critical = 0.1 }] }).ParamName, Is.EqualTo("Rules"));
        Assert.That(Fails(new() { Registry = registry, Rules = [new ModelRule { Name = "r", Signal = ModelSignal.Accuracy, Direction = RuleDirection.Below, Warning = 0.5, Critical = 0.9 }] }).Message, Does.Contain("Critical (0.9)"));
        Assert.That(Fails(new() { Registry = registry, Rules = [Rule(), Rule()] }).Message, Does.Contain("used twice"));
        Assert.That(Fails(new() { Registry = registry, Rules = [new ModelRule { Name = "r", Signal = ModelSignal.ErrorRatio, Critical = 0.1, BreachesToFire = 0 }] }).Message, Does.Contain("BreachesToFire (0)"));
        Assert.That(Fails(new() { Registry = registry, Rules = [new ModelRule { Name = "r", Signal = ModelSignal.ErrorRatio, Critical = double.NaN }] }).Message, Does.Contain("finite"));
        Assert.That(Fails(new() { Registry = registry, EvaluationInterval = TimeSpan.FromMilliseconds(1) }).ParamName, Is.EqualTo("EvaluationInterval"));
        Assert.That(Fails(new() { Registry = registry, Objectives = [new ServiceLevelObjective { Name = "slo", Objective = 1 }] }).ParamName, Is.EqualTo("Objectives"));
        Assert.That(Fails(new() { Registry = registry, Objectives = [new ServiceLevelObjective { Name = "slo", Objective = 0.99, Kind = ObjectiveKind.Latency }] }).Message, Does.Contain("LatencyThreshold"));
        Assert.That(Fails(new() { Registry = registry, Objectives = [new ServiceLevelObjective { Name = "slo", Objective = 0.99, Alerts = [new BurnRateAlert(RuleSeverity.Critical, 2, TimeSpan.FromMinutes(5), TimeSpan.FromHours(1))] }] }).Message, Does.Contain("short one no longer than the long one"));
        Assert.That(Fails(new() { Registry = registry, Actions = [new MaintenanceAction { Name = "a", Rule = "missing", Handler = (_, _) => System.Threading.Tasks.Task.CompletedTask }] }).Message, Does.Contain("names rule 'missing'"));
        Assert.That(Fails(new() { Registry = registry, Rules = [Rule()], Actions = [new MaintenanceAction { Name = "a", Rule = "r", Handler = (_, _) => System.Threading.Tasks.Task.CompletedTask, Timeout = TimeSpan.Zero }] }).Message, Does.Contain("Timeout"));
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelSignal.LatencyQuantile(1.5));
    }

    [Test]
    public void Feature_signals_watch_input_drift_and_missing_values()
    {
        var registry = new ModelMonitorRegistry();
        var time = new FakeTimeProvider();
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "features-" + Guid.NewGuid().ToString("N"),
            Registry = registry,
            TimeProvider = time,
            Windows = [TimeSpan.FromMinutes(1)],
            Features = [FeatureDefinition.Numeric("amount")],
        });
        using var rules = new ModelRuleSet(new ModelRuleSetOptions
        {
            Registry = registry,
            EvaluationInterval = TimeSpan.Zero,
            Rules =
            [
                new ModelRule { Name = "amount-drift", Signal = ModelSignal.FeaturePsi("amount"), Warning = 0.1, Critical = 0.25, MinSamples = 1000, BreachesToFire = 1, ClearsToResolve = 1 },
                new ModelRule { Name = "amount-missing", Signal = ModelSignal.FeatureMissingShare("amount"), Warning = 0.05, MinSamples = 1000, BreachesToFire = 1, ClearsToResolve = 1 },
                new ModelRule { Name = "amount-ks", Signal = ModelSignal.FeatureDrift("amount", "ks", d => d.KolmogorovSmirnov), Warning = 0.1, MinSamples = 1000, BreachesToFire = 1, ClearsToResolve = 1 },
            ],
        });
        var random = new Random(17);
        double Normal(double mean) => mean + (Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));

        for (int i = 0; i < 5000; i++)
        {
            monitor.RecordFeatures([Normal(0)]);
        }

        monitor.Features!.CaptureReference();
        time.Advance(TimeSpan.FromMinutes(1));
        for (int i = 0; i < 5000; i++)
        {
            monitor.RecordFeatures([Normal(0)]);
        }

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.That(rules.Evaluate().Select(r => r.Severity), Is.All.EqualTo(RuleSeverity.Ok), "the same distribution");

        // The next minute: the mean moves by two standard deviations and one value in ten is missing.
        for (int i = 0; i < 5000; i++)
        {
            monitor.RecordFeatures([i % 10 == 0 ? double.NaN : Normal(2)]);
        }

        time.Advance(TimeSpan.FromMinutes(1));
        var statuses = rules.Evaluate().ToDictionary(r => r.Rule);
        Assert.That(statuses["amount-drift"].Severity, Is.EqualTo(RuleSeverity.Critical));
        Assert.That(statuses["amount-drift"].Value, Is.GreaterThan(1), "PSI of a 2-sigma shift");
        Assert.That(statuses["amount-missing"].Value, Is.EqualTo(0.1).Within(1e-12));
        Assert.That(statuses["amount-missing"].Severity, Is.EqualTo(RuleSeverity.Warning));
        Assert.That(statuses["amount-ks"].Value, Is.EqualTo(0.68).Within(0.05), "KS of N(0,1) against N(2,1) is 2Φ(1) - 1 = 0.683");
        Assert.That(statuses["amount-ks"].Samples, Is.EqualTo(4500));
    }
}
