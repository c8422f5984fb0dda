// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;

namespace ModelMetrics;

/// <summary>
/// One reading of the resources this process uses and the machine, container and GPUs it runs on, with psutil's
/// definitions. Utilisations cover <see cref="Elapsed"/>, the time since the previous reading.
/// </summary>
/// <remarks>
/// A figure this platform does not expose is <see langword="null"/> (the system figures come from <c>/proc</c> and
/// exist on Linux only; <see cref="Container"/> exists where the process is in a mounted cgroup).
/// </remarks>
public sealed class ResourceSnapshot
{
    internal ResourceSnapshot()
    {
    }

    /// <summary>Gets when the reading was taken.</summary>
    public DateTimeOffset Timestamp { get; internal init; }

    /// <summary>Gets the time since the previous reading (or since the monitor was created): what every utilisation covers.</summary>
    public TimeSpan Elapsed { get; internal init; }

    /// <summary>
    /// Gets the process's CPU time over <see cref="Elapsed"/> as a share of the CPUs available to it
    /// (<see cref="AvailableCpus"/>): 1 is every available CPU busy with this process. <see langword="null"/> when nothing elapsed.
    /// </summary>
    public double? ProcessCpuUtilization { get; internal init; }

    /// <summary>Gets the CPU time the process spent in user mode since it started.</summary>
    public TimeSpan ProcessCpuUserTime { get; internal init; }

    /// <summary>Gets the CPU time the process spent in the kernel since it started.</summary>
    public TimeSpan ProcessCpuSystemTime { get; internal init; }

    /// <summary>
    /// Gets the CPUs the process may use: <see cref="Environment.ProcessorCount"/> (which honours affinity), or a
    /// container's CPU quota when that is smaller (fractional, as <c>cpu.max</c> allows).
    /// </summary>
    public double AvailableCpus { get; internal init; }

    /// <summary>Gets the process's resident memory (RSS, the working set on Windows), in bytes.</summary>
    public long ProcessResidentMemoryBytes { get; internal init; }

    /// <summary>Gets the process's virtual memory size, in bytes.</summary>
    public long ProcessVirtualMemoryBytes { get; internal init; }

    /// <summary>Gets the process's operating-system threads.</summary>
    public int ProcessThreads { get; internal init; }

    /// <summary>Gets the size of the GC heap after the last collection, in bytes (0 before the first; <see cref="GC.GetGCMemoryInfo()"/>).</summary>
    public long GcHeapSizeBytes { get; internal init; }

    /// <summary>Gets the bytes allocated on the GC heap since the process started.</summary>
    public long GcAllocatedBytes { get; internal init; }

    /// <summary>Gets the garbage collections of generations 0, 1 and 2 since the process started, by generation.</summary>
    public IReadOnlyList<long> GcCollections { get; internal init; } = [];

    /// <summary>Gets the total time the runtime paused threads for garbage collection since the process started.</summary>
    public TimeSpan GcPauseTime { get; internal init; }

    /// <summary>Gets the thread-pool threads.</summary>
    public int ThreadPoolThreads { get; internal init; }

    /// <summary>Gets the work items queued on the thread pool, waiting for a thread.</summary>
    public long ThreadPoolQueueLength { get; internal init; }

    /// <summary>Gets the work items the thread pool has completed since the process started.</summary>
    public long ThreadPoolCompletedWorkItems { get; internal init; }

    /// <summary>Gets the machine's logical CPUs.</summary>
    public int LogicalCpus { get; internal init; }

    /// <summary>
    /// Gets the machine's CPU busy share over <see cref="Elapsed"/>, as psutil's <c>cpu_percent()</c> / 100: all CPU
    /// time but idle and iowait, over all CPU time. <see langword="null"/> where <c>/proc/stat</c> is not available.
    /// </summary>
    public double? SystemCpuUtilization { get; internal init; }

    /// <summary>Gets the machine's physical memory, in bytes (psutil's <c>virtual_memory().total</c>).</summary>
    public long? SystemMemoryTotalBytes { get; internal init; }

    /// <summary>Gets the memory available to new processes without swapping, in bytes (the kernel's <c>MemAvailable</c>; psutil's <c>available</c>).</summary>
    public long? SystemMemoryAvailableBytes { get; internal init; }

    /// <summary>Gets psutil's <c>used</c> memory: total − free − buffers − cached, in bytes.</summary>
    public long? SystemMemoryUsedBytes { get; internal init; }

    /// <summary>Gets unused memory, in bytes (psutil's <c>free</c>).</summary>
    public long? SystemMemoryFreeBytes { get; internal init; }

    /// <summary>Gets the page cache plus reclaimable slab, in bytes (psutil's <c>cached</c>).</summary>
    public long? SystemMemoryCachedBytes { get; internal init; }

    /// <summary>Gets the kernel's buffers, in bytes (psutil's <c>buffers</c>).</summary>
    public long? SystemMemoryBuffersBytes { get; internal init; }

    /// <summary>Gets the share of memory not available: (total − available) / total, as psutil's <c>virtual_memory().percent</c> / 100.</summary>
    public double? SystemMemoryUtilization => SystemMemoryTotalBytes is > 0 and long total && SystemMemoryAvailableBytes is long available
        ? (double)(total - available) / total
        : null;

    /// <summary>Gets the process's control group (container) limits and usage, or <see langword="null"/> outside any.</summary>
    public ContainerSnapshot? Container { get; internal init; }

    /// <summary>Gets whether GPU figures could be read and, if not, why.</summary>
    public GpuStatus GpuStatus { get; internal init; }

    /// <summary>Gets one reading per GPU (empty unless <see cref="GpuStatus"/> is <see cref="GpuStatus.Ok"/> or some devices were lost).</summary>
    public IReadOnlyList<GpuSnapshot> Gpus { get; internal init; } = [];

    /// <summary>Gets the machine's CPU share by mode over <see cref="Elapsed"/> (user, nice, system, idle, iowait, interrupt, steal), for <c>system.cpu.utilization</c>.</summary>
    internal double[]? SystemCpuByMode { get; init; }
}
