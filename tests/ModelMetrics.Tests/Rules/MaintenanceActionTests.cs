// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Rules;

[TestFixture]
public sealed class MaintenanceActionTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    private static RuleTestBed Bed(params MaintenanceAction[] actions) => new(o =>
    {
        o.Rules =
        [
            new ModelRule { Name = "errors", Signal = ModelSignal.ErrorRatio, Critical = 0.5, MinSamples = 0, BreachesToFire = 1, ClearsToResolve = 1 },
            new ModelRule { Name = "slow", Signal = ModelSignal.LatencyP99, Critical = 1, MinSamples = 0, BreachesToFire = 1, ClearsToResolve = 1 },
        ];
        o.Actions = actions;
        return o;
    });

    private static BlockingCollection<MaintenanceActionEventArgs> Ends(RuleTestBed bed)
    {
        var ends = new BlockingCollection<MaintenanceActionEventArgs>();
        bed.Rules.ActionCompleted += (_, e) => ends.Add(e);
        return ends;
    }

    private static MaintenanceActionEventArgs Next(BlockingCollection<MaintenanceActionEventArgs> ends)
    {
        Assert.That(ends.TryTake(out MaintenanceActionEventArgs? end, Wait), Is.True, "an action ended within the wait");
        return end!;
    }

    [Test]
    public void An_action_runs_off_the_evaluating_thread_with_the_status_that_started_it()
    {
        int handlerThread = 0;
        using var bed = Bed(new MaintenanceAction
        {
            Name = "retrain",
            Rule = "errors",
            Handler = (context, _) =>
            {
                handlerThread = Environment.CurrentManagedThreadId;
                Assert.That(context.Status.Rule, Is.EqualTo("errors"));
                return Task.CompletedTask;
            },
        });
        var ends = Ends(bed);

        bed.RunMinute(10, 10, "errors");
        MaintenanceActionEventArgs end = Next(ends);

        Assert.That(end.Outcome, Is.EqualTo(MaintenanceOutcome.Succeeded));
        Assert.That(end.Context.Action, Is.EqualTo("retrain"));
        Assert.That(end.Context.Monitor, Is.SameAs(bed.Monitor));
        Assert.That(handlerThread, Is.Not.EqualTo(Environment.CurrentManagedThreadId));
    }

    [Test]
    public void A_handler_that_throws_is_counted_and_reported_never_thrown()
    {
        using var bed = Bed(new MaintenanceAction { Name = "notify", Handler = (_, _) => throw new InvalidOperationException("mail server down"), Cooldown = TimeSpan.Zero });
        using var collector = new MeasurementCollector(ModelMonitorOptions.DefaultMeterName);
        var ends = Ends(bed);

        Assert.DoesNotThrow(() => bed.RunMinute(10, 10, "errors"));
        MaintenanceActionEventArgs end = Next(ends);

        Assert.That(end.Outcome, Is.EqualTo(MaintenanceOutcome.Failed));
        Assert.That(end.Exception, Is.TypeOf<InvalidOperationException>().With.Message.EqualTo("mail server down"));
        Observed counted = collector.Collect(bed.ModelName).Single(o => o.Instrument == "model.maintenance.actions");
        Assert.That(counted.Value, Is.EqualTo(1));
        Assert.That(counted.Tag("model.maintenance.action"), Is.EqualTo("notify"));
        Assert.That(counted.Tag("outcome"), Is.EqualTo("failed"));
    }

    [Test]
    public void A_handler_that_hangs_past_its_timeout_counts_as_timed_out_and_keeps_the_model_busy_until_it_ends()
    {
        var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int quickRuns = 0;
        using var bed = Bed(
            new MaintenanceAction { Name = "stuck", Rule = "errors", Timeout = TimeSpan.FromMilliseconds(50), Handler = (_, _) => hang.Task },
            new MaintenanceAction { Name = "quick", Rule = "slow", Cooldown = TimeSpan.Zero, Handler = (_, _) => { Interlocked.Increment(ref quickRuns); return Task.CompletedTask; } });
        var ends = Ends(bed);

        bed.RunMinute(10, 10, "errors");
        Assert.That(Next(ends).Outcome, Is.EqualTo(MaintenanceOutcome.TimedOut));

        // The stuck handler ignores its token: the model stays busy, so another rule's action is skipped.
        bed.Monitor.RecordCall(5.0);
        bed.Step("slow");
        MaintenanceActionEventArgs skipped = Next(ends);
        Assert.That((skipped.Context.Action, skipped.Outcome), Is.EqualTo(("quick", MaintenanceOutcome.SkippedBusy)));
        Assert.That(quickRuns, Is.Zero);

        // Once it really ends, the model is free again.
        hang.SetResult();
        SpinWait.SpinUntil(() => TryRise(bed, ends, out MaintenanceActionEventArgs? e) && e!.Outcome == MaintenanceOutcome.Succeeded, Wait);
        Assert.That(quickRuns, Is.EqualTo(1));
    }

    [Test]
    public void A_second_rise_within_the_cooldown_is_skipped_and_counted()
    {
        int runs = 0;
        using var bed = Bed(new MaintenanceAction { Name = "rollback", Rule = "errors", Cooldown = TimeSpan.FromHours(1), Handler = (_, _) => { Interlocked.Increment(ref runs); return Task.CompletedTask; } });
        var ends = Ends(bed);

        bed.RunMinute(10, 10, "errors");
        Assert.That(Next(ends).Outcome, Is.EqualTo(MaintenanceOutcome.Succeeded));
        Assert.That(bed.RunMinute(10, 0, "errors").Severity, Is.EqualTo(RuleSeverity.Ok));
        bed.RunMinute(10, 10, "errors");
        Assert.That(Next(ends).Outcome, Is.EqualTo(MaintenanceOutcome.SkippedCooldown));

        bed.Time.Advance(TimeSpan.FromHours(1));
        bed.RunMinute(10, 0, "errors");
        bed.RunMinute(10, 10, "errors");
        Assert.That(Next(ends).Outcome, Is.EqualTo(MaintenanceOutcome.Succeeded), "after the cooldown");
        Assert.That(runs, Is.EqualTo(2));
    }

    [Test]
    public void Disposing_the_rule_set_cancels_a_running_action()
    {
        var started = new ManualResetEventSlim();
        var bed = Bed(new MaintenanceAction
        {
            Name = "retrain",
            Handler = async (_, token) =>
            {
                started.Set();
                await Task.Delay(Timeout.Infinite, token);
            },
        });
        var ends = Ends(bed);

        bed.RunMinute(10, 10, "errors");
        Assert.That(started.Wait(Wait), Is.True);
        bed.Dispose();

        Assert.That(Next(ends).Outcome, Is.EqualTo(MaintenanceOutcome.Cancelled));
        Assert.DoesNotThrow(() => bed.Rules.Evaluate(), "evaluating a disposed rule set");
    }

    private static bool TryRise(RuleTestBed bed, BlockingCollection<MaintenanceActionEventArgs> ends, out MaintenanceActionEventArgs? end)
    {
        bed.Monitor.RecordCall(0.001);
        for (int i = 0; i < 200; i++)
        {
            bed.Monitor.RecordCall(0.001);
        }

        bed.Step("slow");                   // p99 back under 1 s: ok
        bed.Monitor.RecordCall(5.0);
        bed.Monitor.RecordCall(5.0);
        bed.Step("slow");                   // critical again
        return ends.TryTake(out end, TimeSpan.FromSeconds(5));
    }
}
