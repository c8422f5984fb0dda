// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using ModelMetrics.Diagnostics;
using ModelMetrics.Publishing;
using ModelMetrics.Rules;

namespace ModelMetrics;

/// <summary>
/// Judges the monitors of a registry against threshold rules and service-level objectives, off the predict path: on
/// its own timer (<see cref="ModelRuleSetOptions.EvaluationInterval"/>) or when <see cref="Evaluate"/> is called. Each
/// change of state is raised as <see cref="StatusChanged"/>, written to the <c>ModelMetrics</c> EventSource and published
/// (<c>model.rule.status</c>, <c>model.slo.burn_rate</c>, <c>model.slo.error_budget.remaining</c>); a rise starts the
/// matching maintenance actions in the background.
/// </summary>
/// <remarks>
/// <para>
/// Every evaluation reads one snapshot per monitor (rules read its windows; objectives keep a compact history of its
/// cumulative counts, so their windows can be days long). A monitor that joins the registry is judged from the next
/// evaluation; one that leaves is forgotten. Evaluations are serialized; handlers of <see cref="StatusChanged"/> and
/// <see cref="ActionCompleted"/> run on the evaluating (or action's) thread, and what they throw is swallowed and
/// reported on the EventSource.
/// </para>
/// </remarks>
public sealed class ModelRuleSet : IDisposable
{
    private readonly ModelRule[] _rules;
    private readonly ServiceLevelObjective[] _objectives;
    private readonly MaintenanceAction[] _actions;
    private readonly ModelMonitorRegistry _registry;
    private readonly Dictionary<ModelMonitor, MonitorState> _states = [];
    private readonly object _gate = new();
    private readonly MaintenanceRunner _runner;
    private readonly MeterPublisher _publisher;
    private readonly ITimer? _timer;
    private RuleStatus[] _statuses = [];
    private int _timerBusy;
    private int _disposed;

    /// <summary>Initializes a rule set, starts its timer and publishes its states.</summary>
    /// <param name="options">The rules, objectives and actions.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is invalid; the message and parameter name say which.</exception>
    public ModelRuleSet(ModelRuleSetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _rules = [.. options.Rules];
        _objectives = [.. options.Objectives];
        _actions = [.. options.Actions];
        _registry = options.Registry;
        _runner = new MaintenanceRunner(options.TimeProvider, RaiseActionCompleted);
        _publisher = MeterPublisher.For(options.MeterName, options.MeterFactory);
        _publisher.JoinRules(this);
        if (options.EvaluationInterval > TimeSpan.Zero)
        {
            _timer = options.TimeProvider.CreateTimer(static state => ((ModelRuleSet)state!).EvaluateOnTimer(), this, options.EvaluationInterval, options.EvaluationInterval);
        }
    }

    /// <summary>Raised after an evaluation for each rule or objective whose severity changed for a monitor.</summary>
    public event EventHandler<RuleStatusChangedEventArgs>? StatusChanged;

    /// <summary>Raised when a maintenance action ended or was skipped.</summary>
    public event EventHandler<MaintenanceActionEventArgs>? ActionCompleted;

    /// <summary>Gets the status of every rule and objective for every monitor it applies to, after the last evaluation.</summary>
    public IReadOnlyList<RuleStatus> Statuses => Volatile.Read(ref _statuses);

    /// <summary>Gets the worst severity of <see cref="Statuses"/> (<see cref="RuleSeverity.Ok"/> before the first evaluation).</summary>
    public RuleSeverity Severity
    {
        get
        {
            RuleSeverity worst = RuleSeverity.Ok;
            foreach (RuleStatus status in Volatile.Read(ref _statuses))
            {
                worst = status.Severity > worst ? status.Severity : worst;
            }

            return worst;
        }
    }

    /// <summary>
    /// Evaluates every rule and objective for every monitor of the registry now, raises the changes and starts the actions
    /// they trigger. Never throws for a monitor or a signal that fails: that monitor's previous statuses are kept.
    /// </summary>
    /// <returns>The statuses after the evaluation (as <see cref="Statuses"/>).</returns>
    public IReadOnlyList<RuleStatus> Evaluate()
    {
        List<(RuleSeverity Previous, RuleStatus Status)> changes = [];
        RuleStatus[] statuses;
        lock (_gate)
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return _statuses;
            }

            IReadOnlyList<ModelMonitor> monitors = _registry.Monitors;
            Forget(monitors);
            List<RuleStatus> list = [];
            foreach (ModelMonitor monitor in monitors)
            {
                if (!_states.TryGetValue(monitor, out MonitorState? state))
                {
                    state = new MonitorState(monitor, _rules, _objectives);
                    if (state.IsEmpty)
                    {
                        continue;
                    }

                    _states.Add(monitor, state);
                }

                state.Evaluate(list, changes);
            }

            statuses = [.. list];
            Volatile.Write(ref _statuses, statuses);
        }

        foreach ((RuleSeverity previous, RuleStatus status) in changes)
        {
            ModelMetricsEventSource.Log.RuleStatusChanged(status, previous);
            Raise(StatusChanged, new RuleStatusChangedEventArgs(previous, status), status.ModelName);
            foreach (MaintenanceAction action in _actions)
            {
                if ((action.Rule is null || action.Rule == status.Rule) && previous < action.Severity && status.Severity >= action.Severity)
                {
                    _runner.Start(action, status);
                }
            }
        }

        return statuses;
    }

    /// <summary>Stops evaluating, cancels running maintenance actions and waits for them until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="cancellationToken">Stops the wait (a hosted service passes the host's shutdown token).</param>
    /// <returns>A task that completes when the actions ended or the wait was cancelled.</returns>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }

        await _runner.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the timer and publishing, cancels running actions and waits for them at most 5 seconds.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _timer?.Dispose();
        _publisher.LeaveRules(this);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            _runner.StopAsync(wait.Token).GetAwaiter().GetResult();
        }
#pragma warning disable CA1031 // Note: disposal never throws for a handler that misbehaves.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            ModelMetricsEventSource.Log.Swallowed(string.Empty, "ModelRuleSet.Dispose", exception);
        }

        _runner.Dispose();
    }

    /// <summary>Returns how often each maintenance action ended each way, per model.</summary>
    internal KeyValuePair<(string Model, string? Version, string Action, MaintenanceOutcome Outcome), long>[] ActionOutcomes() => _runner.Outcomes();

    private void EvaluateOnTimer()
    {
        // Note: a tick that comes while the previous evaluation still runs is skipped, not queued behind it.
        if (Interlocked.Exchange(ref _timerBusy, 1) != 0)
        {
            return;
        }

        try
        {
            Evaluate();
        }
#pragma warning disable CA1031 // Note: a timer callback that throws would crash the process.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            ModelMetricsEventSource.Log.Swallowed(string.Empty, "ModelRuleSet evaluation", exception);
        }
        finally
        {
            Volatile.Write(ref _timerBusy, 0);
        }
    }

    private void Forget(IReadOnlyList<ModelMonitor> monitors)
    {
        if (_states.Count == 0)
        {
            return;
        }

        HashSet<ModelMonitor> live = [.. monitors];
        List<ModelMonitor> gone = [];
        foreach (ModelMonitor monitor in _states.Keys)
        {
            if (!live.Contains(monitor))
            {
                gone.Add(monitor);
            }
        }

        foreach (ModelMonitor monitor in gone)
        {
            _states.Remove(monitor);
        }
    }

    private void RaiseActionCompleted(MaintenanceActionEventArgs args) => Raise(ActionCompleted, args, args.Context.Status.ModelName);

    private void Raise<TArgs>(EventHandler<TArgs>? handlers, TArgs args, string modelName)
    {
        if (handlers is null)
        {
            return;
        }

        foreach (EventHandler<TArgs> handler in handlers.GetInvocationList())
        {
            try
            {
                handler(this, args);
            }
#pragma warning disable CA1031 // Note: a faulty handler must not stop the evaluation or the other handlers.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                ModelMetricsEventSource.Log.Swallowed(modelName, "a handler of ModelRuleSet", exception);
            }
        }
    }

    /// <summary>The trackers of one monitor: one per rule and objective that applies to it (null where one does not).</summary>
    private sealed class MonitorState
    {
        private readonly ModelMonitor _monitor;
        private readonly RuleTracker?[] _rules;
        private readonly ObjectiveTracker?[] _objectives;
        private readonly RuleStatus?[] _last;

        public MonitorState(ModelMonitor monitor, ModelRule[] rules, ServiceLevelObjective[] objectives)
        {
            _monitor = monitor;
            _rules = Array.ConvertAll(rules, r => r.ModelName is null || r.ModelName == monitor.ModelName ? new RuleTracker(r) : null);
            _objectives = Array.ConvertAll(objectives, o => o.ModelName is null || o.ModelName == monitor.ModelName ? new ObjectiveTracker(o) : null);
            _last = new RuleStatus?[rules.Length + objectives.Length];
            IsEmpty = Array.TrueForAll(_rules, r => r is null) && Array.TrueForAll(_objectives, o => o is null);
        }

        public bool IsEmpty { get; }

        public void Evaluate(List<RuleStatus> statuses, List<(RuleSeverity, RuleStatus)> changes)
        {
            ModelMonitorSnapshot snapshot;
            try
            {
                snapshot = _monitor.GetSnapshot();
            }
#pragma warning disable CA1031 // Note: one failing monitor keeps its previous statuses; the others are judged.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                ModelMetricsEventSource.Log.Swallowed(_monitor.ModelName, "ModelRuleSet reading a snapshot", exception);
                Keep(statuses);
                return;
            }

            for (int i = 0; i < _rules.Length + _objectives.Length; i++)
            {
                RuleTracker? rule = i < _rules.Length ? _rules[i] : null;
                ObjectiveTracker? objective = i >= _rules.Length ? _objectives[i - _rules.Length] : null;
                if (rule is null && objective is null)
                {
                    continue;
                }

                RuleSeverity previous = rule?.Severity ?? objective!.Severity;
                try
                {
                    _last[i] = rule is not null ? rule.Evaluate(_monitor, snapshot) : objective!.Evaluate(_monitor, snapshot);
                }
#pragma warning disable CA1031 // Note: a custom signal that throws leaves its rule as it was.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    ModelMetricsEventSource.Log.Swallowed(_monitor.ModelName, "a signal of ModelRuleSet", exception);
                }

                if (_last[i] is { } status)
                {
                    statuses.Add(status);
                    if (status.Severity != previous)
                    {
                        changes.Add((previous, status));
                    }
                }
            }
        }

        private void Keep(List<RuleStatus> statuses)
        {
            foreach (RuleStatus? status in _last)
            {
                if (status is not null)
                {
                    statuses.Add(status);
                }
            }
        }
    }
}
