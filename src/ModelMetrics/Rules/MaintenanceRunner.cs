// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using ModelMetrics.Diagnostics;

namespace ModelMetrics.Rules;

/// <summary>
/// Runs the maintenance actions of one rule set on the thread pool: one at a time per model, a cooldown per action and
/// model, a timeout, cancellation on stop; every end counted by model, action and outcome.
/// </summary>
internal sealed class MaintenanceRunner : IDisposable
{
    private readonly TimeProvider _time;
    private readonly Action<MaintenanceActionEventArgs> _completed;
    private readonly CancellationTokenSource _stopping = new();
    private readonly object _gate = new();
    private readonly HashSet<string> _busyModels = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Action, string Model), long> _lastStarts = [];
    private readonly Dictionary<(string Model, string? Version, string Action, MaintenanceOutcome Outcome), long> _outcomes = [];
    private readonly HashSet<Task> _running = [];
    private bool _stopped;

    public MaintenanceRunner(TimeProvider time, Action<MaintenanceActionEventArgs> completed)
    {
        _time = time;
        _completed = completed;
    }

    /// <summary>Returns the count of every (model, version whose rule started it, action, outcome) so far.</summary>
    public KeyValuePair<(string Model, string? Version, string Action, MaintenanceOutcome Outcome), long>[] Outcomes()
    {
        lock (_gate)
        {
            return [.. _outcomes];
        }
    }

    /// <summary>Starts <paramref name="action"/> for the model of <paramref name="status"/>, unless it is cooling down or the model is busy.</summary>
    public void Start(MaintenanceAction action, RuleStatus status)
    {
        var context = new MaintenanceContext(action.Name, status);
        string model = status.ModelName;
        MaintenanceOutcome? skipped = null;
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            long now = _time.GetTimestamp();
            if (_lastStarts.TryGetValue((action.Name, model), out long last) && _time.GetElapsedTime(last, now) < action.Cooldown)
            {
                skipped = MaintenanceOutcome.SkippedCooldown;
            }
            else if (!_busyModels.Add(model))
            {
                skipped = MaintenanceOutcome.SkippedBusy;
            }
            else
            {
                _lastStarts[(action.Name, model)] = now;
            }
        }

        if (skipped is { } outcome)
        {
            End(context, outcome, TimeSpan.Zero, null);
            return;
        }

        // Note: Task.Run, so that not even the synchronous start of a handler runs on the evaluating thread.
        Task run = Task.Run(() => RunAsync(action, context));
        lock (_gate)
        {
            _running.Add(run);
        }

        run.ContinueWith(t => Forget(t), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Cancels running actions and waits for them until <paramref name="cancellationToken"/> is cancelled; starts no more.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task[] running;
        lock (_gate)
        {
            _stopped = true;
            running = [.. _running];
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(running).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host stopped waiting: handlers that ignore their token are left to finish on their own.
        }
    }

    /// <summary>Releases the stop signal; call after <see cref="StopAsync"/>.</summary>
    public void Dispose() => _stopping.Dispose();

    private async Task RunAsync(MaintenanceAction action, MaintenanceContext context)
    {
        long started = _time.GetTimestamp();
        using var timeout = new CancellationTokenSource(action.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token);
        Task handler;
        try
        {
            handler = action.Handler(context, linked.Token) ?? Task.CompletedTask;
        }
#pragma warning disable CA1031 // Note: a handler's fault is counted and reported, never thrown (see MaintenanceAction).
        catch (Exception exception)
#pragma warning restore CA1031
        {
            handler = Task.FromException(exception);
        }

        // Note: the model is free again only when the handler really ends, even one that ignores its token and runs
        // past the timeout: never two actions at once for one model.
        _ = handler.ContinueWith(_ => Release(context.Status.ModelName), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        MaintenanceOutcome outcome;
        Exception? fault = null;
        try
        {
            await handler.WaitAsync(linked.Token).ConfigureAwait(false);
            outcome = MaintenanceOutcome.Succeeded;
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            outcome = _stopping.IsCancellationRequested ? MaintenanceOutcome.Cancelled : MaintenanceOutcome.TimedOut;
        }
#pragma warning disable CA1031 // Note: see above.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            outcome = MaintenanceOutcome.Failed;
            fault = exception;
        }

        End(context, outcome, _time.GetElapsedTime(started), fault);
    }

    private void End(MaintenanceContext context, MaintenanceOutcome outcome, TimeSpan duration, Exception? exception)
    {
        lock (_gate)
        {
            var key = (context.Status.ModelName, context.Status.ModelVersion, context.Action, outcome);
            _outcomes[key] = _outcomes.GetValueOrDefault(key) + 1;
        }

        ModelMetricsEventSource.Log.MaintenanceActionEnded(context.Status.ModelName, context.Action, RuleInstruments.OutcomeName(outcome), duration.TotalSeconds, exception);
        _completed(new MaintenanceActionEventArgs(context, outcome, duration, exception));
    }

    private void Release(string model)
    {
        lock (_gate)
        {
            _busyModels.Remove(model);
        }
    }

    private void Forget(Task run)
    {
        lock (_gate)
        {
            _running.Remove(run);
        }
    }
}
