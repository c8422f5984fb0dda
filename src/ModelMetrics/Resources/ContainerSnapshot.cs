// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

namespace ModelMetrics;

/// <summary>
/// The limits and usage of the control group (cgroup v2, or v1) the process runs in: what a pod's or container's
/// owner compares with its limits. A figure the kernel does not expose, or a limit that is not set, is <see langword="null"/>.
/// </summary>
public sealed class ContainerSnapshot
{
    internal ContainerSnapshot()
    {
    }

    /// <summary>Gets the cgroup version read: 1 or 2.</summary>
    public int CgroupVersion { get; internal init; }

    /// <summary>Gets the CPU quota in CPUs (quota / period; 1.5 is one and a half CPUs), or <see langword="null"/> when unlimited.</summary>
    public double? CpuLimit { get; internal init; }

    /// <summary>Gets the CPU time every process of the group used since it was created.</summary>
    public TimeSpan? CpuTime { get; internal init; }

    /// <summary>Gets the group's CPU time over the snapshot's interval as a share of <see cref="CpuLimit"/>; <see langword="null"/> without a limit.</summary>
    public double? CpuUtilization { get; internal init; }

    /// <summary>Gets the enforcement periods that had runnable tasks.</summary>
    public long? Periods { get; internal init; }

    /// <summary>Gets the periods in which the group was throttled (had used its quota).</summary>
    public long? ThrottledPeriods { get; internal init; }

    /// <summary>Gets the total time the group's tasks were throttled.</summary>
    public TimeSpan? ThrottledTime { get; internal init; }

    /// <summary>Gets the memory limit, in bytes, or <see langword="null"/> when unlimited.</summary>
    public long? MemoryLimitBytes { get; internal init; }

    /// <summary>Gets the memory the group uses (including its page cache), in bytes.</summary>
    public long? MemoryUsageBytes { get; internal init; }

    /// <summary>Gets <see cref="MemoryUsageBytes"/> / <see cref="MemoryLimitBytes"/>, or <see langword="null"/> without a limit.</summary>
    public double? MemoryUtilization => MemoryLimitBytes is > 0 and long limit && MemoryUsageBytes is long usage ? (double)usage / limit : null;
}
