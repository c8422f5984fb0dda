// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics.Tracing;
using System.Threading;

namespace ModelMetrics.Diagnostics;

/// <summary>
/// The library's own diagnostics, as an <see cref="EventSource"/> named <c>ModelMetrics</c>: rejected values,
/// attribute overflows, swallowed faults, changes of the GPU readings' status, rule state changes and maintenance actions. Watch it with <c>dotnet-trace</c>, <c>dotnet-monitor</c> or an
/// in-process <see cref="EventListener"/>.
/// </summary>
/// <remarks>
/// Each event kind is rate-limited to <see cref="EventsPerSecond"/> events a second, so a flood of bad
/// input cannot flood a trace; every event says how many of its kind were suppressed before it. Counts
/// are never limited: they are published as <c>model.metrics.rejected</c> whatever the event rate.
/// </remarks>
[EventSource(Name = "ModelMetrics")]
internal sealed class ModelMetricsEventSource : EventSource
{
    public const int EventsPerSecond = 10;

    public static readonly ModelMetricsEventSource Log = new();

    private readonly RateLimit _rejected = new();
    private readonly RateLimit _overflow = new();
    private readonly RateLimit _faults = new();
    private readonly RateLimit _shadowDrops = new();

    private ModelMetricsEventSource()
    {
    }

    [NonEvent]
    public void Rejected(string modelName, string reason)
    {
        if (IsEnabled(EventLevel.Warning, EventKeywords.All) && _rejected.TryEnter(out long suppressed))
        {
            ValueRejected(modelName, reason, suppressed);
        }
    }

    [NonEvent]
    public void Overflowed(string modelName, string attribute)
    {
        if (IsEnabled(EventLevel.Warning, EventKeywords.All) && _overflow.TryEnter(out long suppressed))
        {
            AttributeOverflowed(modelName, attribute, suppressed);
        }
    }

    [NonEvent]
    public void Swallowed(string modelName, string source, Exception exception)
    {
        if (IsEnabled(EventLevel.Error, EventKeywords.All) && _faults.TryEnter(out long suppressed))
        {
            FaultSwallowed(modelName, source, exception.GetType().FullName ?? exception.GetType().Name, exception.Message, suppressed);
        }
    }

    /// <summary>Reports a change of the status of the GPU readings (<see cref="ModelMetrics.Resources.NvmlReader"/>).</summary>
    /// <param name="status">The new status, as its attribute value (<c>ok</c>, <c>library_not_found</c>, <c>gpu_lost</c>, …).</param>
    /// <param name="detail">What caused it: the NVML function and error code, the device, the library path.</param>
    /// <remarks>
    /// Note: not rate-limited, unlike the other kinds: a reader writes one event when it opens and at most one
    /// more per device it loses, so these are rare by construction, and dropping the one that says a GPU was lost
    /// would hide the very thing the event is for.
    /// </remarks>
    [NonEvent]
    public void GpuStatusChanged(string status, string detail)
    {
        if (status == "ok")
        {
            if (IsEnabled(EventLevel.Informational, EventKeywords.All))
            {
                GpuStatusOk(status, detail);
            }
        }
        else if (IsEnabled(EventLevel.Warning, EventKeywords.All))
        {
            GpuStatusDegraded(status, detail);
        }
    }

    /// <summary>Reports a rule or objective of a <see cref="ModelRuleSet"/> changing severity for one model.</summary>
    /// <remarks>Note: not rate-limited: a rule changes state at most once per evaluation, and each change is what an operator looks for.</remarks>
    [NonEvent]
    public void RuleStatusChanged(RuleStatus status, RuleSeverity previous)
    {
        EventLevel level = status.Severity == RuleSeverity.Critical ? EventLevel.Error : status.Severity == RuleSeverity.Warning ? EventLevel.Warning : EventLevel.Informational;
        if (IsEnabled(level, EventKeywords.All))
        {
            string model = status.ModelName + (status.ModelVersion is { } version ? "@" + version : string.Empty);
            switch (level)
            {
                case EventLevel.Error:
                    RuleCritical(model, status.Rule, previous.ToString(), status.Description);
                    break;
                case EventLevel.Warning:
                    RuleWarning(model, status.Rule, previous.ToString(), status.Description);
                    break;
                default:
                    RuleOk(model, status.Rule, previous.ToString(), status.Description);
                    break;
            }
        }
    }

    /// <summary>Reports how a maintenance action ended (or why it did not start).</summary>
    [NonEvent]
    public void MaintenanceActionEnded(string modelName, string action, string outcome, double seconds, Exception? exception)
    {
        if (exception is not null)
        {
            if (IsEnabled(EventLevel.Error, EventKeywords.All))
            {
                MaintenanceActionFailed(modelName, action, outcome, seconds, exception.GetType().FullName ?? exception.GetType().Name, exception.Message);
            }
        }
        else if (IsEnabled(EventLevel.Informational, EventKeywords.All))
        {
            MaintenanceActionCompleted(modelName, action, outcome, seconds);
        }
    }

    /// <summary>Reports a sampled call that a shadow stage dropped because its challenger's queue was full (rate-limited).</summary>
    /// <param name="championName">The champion's model name (its monitor's), or <c>champion</c>.</param>
    /// <param name="challengerName">The challenger's model name (its monitor's), or <c>challenger</c>.</param>
    [NonEvent]
    public void ShadowSampleDropped(string championName, string challengerName)
    {
        if (IsEnabled(EventLevel.Warning, EventKeywords.All) && _shadowDrops.TryEnter(out long suppressed))
        {
            ShadowDropped(championName, challengerName, suppressed);
        }
    }

    /// <summary>Reports that a hot-swap predictor replaced its live model (rare: not rate-limited).</summary>
    /// <param name="replacedModel">The replaced model's name (its monitor's) and version.</param>
    /// <param name="newModel">The new live model's name and version.</param>
    [NonEvent]
    public void Swapped(string replacedModel, string newModel)
    {
        if (IsEnabled(EventLevel.Informational, EventKeywords.All))
        {
            ModelSwapped(replacedModel, newModel);
        }
    }

    [Event(1, Level = EventLevel.Warning, Message = "Model {0}: a value was rejected or corrected ({1}); {2} such events suppressed before this one.")]
    private void ValueRejected(string modelName, string reason, long suppressedBefore) => WriteEvent(1, modelName, reason, suppressedBefore);

    [Event(2, Level = EventLevel.Warning, Message = "Model {0}: attribute {1} reached its cap; further values go to the overflow value; {2} such events suppressed before this one.")]
    private void AttributeOverflowed(string modelName, string attribute, long suppressedBefore) => WriteEvent(2, modelName, attribute, suppressedBefore);

    [Event(3, Level = EventLevel.Error, Message = "Model {0}: a fault in {1} was swallowed: {2}: {3}; {4} such events suppressed before this one.")]
    private void FaultSwallowed(string modelName, string source, string exceptionType, string message, long suppressedBefore) =>
        WriteEvent(3, modelName, source, exceptionType, message, suppressedBefore);

    // Note: two event ids for one change because an event's level is fixed per id: a GPU that reads fine is
    // news (Informational), one that cannot be read is a problem (Warning), and a listener filters by level.
    [Event(4, Level = EventLevel.Warning, Message = "GPU readings: status {0}: {1}")]
    private void GpuStatusDegraded(string status, string detail) => WriteEvent(4, status, detail);

    [Event(5, Level = EventLevel.Informational, Message = "GPU readings: status {0}: {1}")]
    private void GpuStatusOk(string status, string detail) => WriteEvent(5, status, detail);

    // Note: one event id per severity, because an event's level is fixed per id and listeners filter by level.
    [Event(40, Level = EventLevel.Error, Message = "Model {0}: rule {1} is critical (was {2}): {3}")]
    private void RuleCritical(string model, string rule, string previous, string description) => WriteEvent(40, model, rule, previous, description);

    [Event(41, Level = EventLevel.Warning, Message = "Model {0}: rule {1} is a warning (was {2}): {3}")]
    private void RuleWarning(string model, string rule, string previous, string description) => WriteEvent(41, model, rule, previous, description);

    [Event(42, Level = EventLevel.Informational, Message = "Model {0}: rule {1} is ok (was {2}): {3}")]
    private void RuleOk(string model, string rule, string previous, string description) => WriteEvent(42, model, rule, previous, description);

    [Event(43, Level = EventLevel.Informational, Message = "Model {0}: maintenance action {1}: {2} after {3} s")]
    private void MaintenanceActionCompleted(string model, string action, string outcome, double seconds) => WriteEvent(43, model, action, outcome, seconds);

    [Event(44, Level = EventLevel.Error, Message = "Model {0}: maintenance action {1}: {2} after {3} s: {4}: {5}")]
    private void MaintenanceActionFailed(string model, string action, string outcome, double seconds, string exceptionType, string message) =>
        WriteEvent(44, model, action, outcome, seconds, exceptionType, message);

    // Event ids 60–69: champion / challenger.
    [Event(60, Level = EventLevel.Warning, Message = "Shadow of model {0}: a sampled call was dropped, the queue of challenger {1} is full; {2} such events suppressed before this one.")]
    private void ShadowDropped(string championName, string challengerName, long suppressedBefore) => WriteEvent(60, championName, challengerName, suppressedBefore);

    [Event(61, Level = EventLevel.Informational, Message = "Hot swap: {1} replaced {0}; calls in flight finish on {0}.")]
    private void ModelSwapped(string replacedModel, string newModel) => WriteEvent(61, replacedModel, newModel);

    /// <summary>Lets <see cref="EventsPerSecond"/> events a second through, lock-free, and counts the rest.</summary>
    private sealed class RateLimit
    {
        private long _windowStart = Environment.TickCount64;
        private int _inWindow;
        private long _suppressed;

        public bool TryEnter(out long suppressedBefore)
        {
            long now = Environment.TickCount64;
            long start = Volatile.Read(ref _windowStart);
            if (now - start >= 1000 && Interlocked.CompareExchange(ref _windowStart, now, start) == start)
            {
                // Only the thread that moved the window resets it; the others see the new window next time.
                Volatile.Write(ref _inWindow, 0);
            }

            if (Interlocked.Increment(ref _inWindow) <= EventsPerSecond)
            {
                suppressedBefore = Interlocked.Exchange(ref _suppressed, 0);
                return true;
            }

            Interlocked.Increment(ref _suppressed);
            suppressedBefore = 0;
            return false;
        }
    }
}
