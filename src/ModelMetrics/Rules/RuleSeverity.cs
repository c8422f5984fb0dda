// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

namespace ModelMetrics;

/// <summary>How bad a rule's or an objective's state is, in increasing order.</summary>
public enum RuleSeverity
{
    /// <summary>Within its thresholds (or not judged yet).</summary>
    Ok = 0,

    /// <summary>Past the warning threshold: worth a ticket (a health check reports Degraded).</summary>
    Warning = 1,

    /// <summary>Past the critical threshold: worth a page (a health check reports Unhealthy).</summary>
    Critical = 2,
}

/// <summary>Which side of a threshold is a breach.</summary>
public enum RuleDirection
{
    /// <summary>A value above the threshold breaches it (latency, error ratio, PSI).</summary>
    Above = 0,

    /// <summary>A value below the threshold breaches it (accuracy, F1, recall).</summary>
    Below = 1,
}

/// <summary>What a service-level objective counts as a good event.</summary>
public enum ObjectiveKind
{
    /// <summary>Calls without error among calls (cancelled calls count as neither).</summary>
    Availability = 0,

    /// <summary>Calls that completed within <see cref="ServiceLevelObjective.LatencyThreshold"/> among completed calls.</summary>
    Latency = 1,

    /// <summary>Correct predictions among labelled predictions (the classification signal's accuracy).</summary>
    Quality = 2,
}
