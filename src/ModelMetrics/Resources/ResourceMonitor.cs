// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using ModelMetrics.Diagnostics;
using ModelMetrics.Publishing;
using ModelMetrics.Resources;

namespace ModelMetrics;

/// <summary>
/// Reads the resources this process uses — CPU, memory, threads, the .NET runtime's GC and thread pool — and those
/// of the machine, the container (cgroup) and the NVIDIA GPUs it runs on, and publishes them as observable
/// instruments named by OpenTelemetry's semantic conventions (<c>process.*</c>, <c>dotnet.*</c>, <c>system.*</c>,
/// <c>container.*</c>, <c>hw.*</c>).
/// </summary>
/// <remarks>
/// <para>
/// Nothing runs in the background: resources are read when a collector asks or <see cref="GetSnapshot"/> is called,
/// at most once per <see cref="ResourceMonitorOptions.Interval"/>; every other ask in between gets the last reading.
/// A figure that cannot be read (another OS, no cgroup, no GPU) is left out, never an exception.
/// </para>
/// <para>
/// Resources belong to the process, not to a model, so one resource monitor publishes per meter: a second live one
/// on the same meter is refused. The CPU each model costs is a model signal: <c>ModelMonitorOptions.CpuTimeSampling</c>.
/// </para>
/// </remarks>
public sealed class ResourceMonitor : IDisposable
{
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly ProcessReader _process;
    private readonly SystemReader _system;
    private readonly CgroupReader _cgroup;
    private readonly NvmlReader? _gpu;
    private readonly MeterPublisher _publisher;
    private Reading _previous;
    private readonly Dictionary<string, KeyValuePair<string, object?>[]> _gpuTags = new(StringComparer.Ordinal);
    private ResourceSnapshot? _latest;
    private int _disposed;

    /// <summary>Initializes a resource monitor with the default options and starts publishing on the <c>ModelMetrics</c> meter.</summary>
    public ResourceMonitor()
        : this(new ResourceMonitorOptions())
    {
    }

    /// <summary>Initializes a resource monitor and starts publishing on its meter.</summary>
    /// <param name="options">The monitor's configuration.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is invalid, or a live resource monitor already publishes on the same meter (<c>ParamName</c> <c>MeterName</c>).</exception>
    public ResourceMonitor(ResourceMonitorOptions options)
        : this(options, ProcFiles.Real)
    {
    }

    /// <summary>Initializes a resource monitor that reads <c>/proc</c> and cgroup files through <paramref name="files"/> (tests give a fake tree).</summary>
    internal ResourceMonitor(ResourceMonitorOptions options, FileReader files)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.MeterName, nameof(options.MeterName));
        ArgumentNullException.ThrowIfNull(options.TimeProvider, nameof(options.TimeProvider));
        if (options.Interval < TimeSpan.Zero || options.Interval > TimeSpan.FromHours(1))
        {
#pragma warning disable CA2208 // Note: the error names the option the user set.
            throw new ArgumentOutOfRangeException(nameof(options.Interval), options.Interval, "Interval must be from zero to one hour.");
#pragma warning restore CA2208
        }

        _time = options.TimeProvider;
        _interval = options.Interval;
        IncludeRuntime = options.IncludeRuntime;
        _process = new ProcessReader(files);
        _system = new SystemReader(files);
        _cgroup = CgroupReader.Open(files);
        _gpu = options.IncludeGpu ? NvmlReader.Open(options.NvmlLibraryPath) : null;

        // The first reading's utilisations cover the time since construction, like psutil's first cpu_percent().
        _previous = Sample(out _, out _, out _);
        _publisher = MeterPublisher.For(options.MeterName, options.MeterFactory);
        try
        {
            _publisher.JoinResources(this);
        }
        catch
        {
            _gpu?.Dispose();
            _process.Dispose();
            throw;
        }
    }

    /// <summary>Gets whether the runtime's instruments are published (<see cref="ResourceMonitorOptions.IncludeRuntime"/>).</summary>
    internal bool IncludeRuntime { get; }

    /// <summary>
    /// Returns the latest reading: a new one when <see cref="ResourceMonitorOptions.Interval"/> has passed since the
    /// last, else the last (so that every exporter of one collection sees the same figures). Never throws.
    /// </summary>
    /// <returns>An immutable snapshot.</returns>
    public ResourceSnapshot GetSnapshot()
    {
        lock (_gate)
        {
            // The last reading's own timestamp says how old it is (the baseline's, before the first).
            if (_latest is null || _time.GetElapsedTime(_previous.Timestamp) >= _interval)
            {
                _latest = Read();
            }

            return _latest;
        }
    }

    /// <summary>Stops publishing and releases the GPU library. Further <see cref="GetSnapshot"/> calls still read.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _publisher.LeaveResources(this);
            lock (_gate)
            {
                _gpu?.Dispose();
                _process.Dispose();
            }
        }
    }

    /// <summary>Returns a GPU's attribute set (<c>hw.id</c>, <c>hw.name</c>, <c>hw.vendor</c>, <c>hw.type</c>), built once per device.</summary>
    internal KeyValuePair<string, object?>[] GpuTags(GpuSnapshot gpu)
    {
        lock (_gpuTags)
        {
            if (!_gpuTags.TryGetValue(gpu.Id, out KeyValuePair<string, object?>[]? tags))
            {
                tags = [new("hw.id", gpu.Id), new("hw.name", gpu.Name), new("hw.vendor", gpu.Vendor), new("hw.type", "gpu")];
                _gpuTags.Add(gpu.Id, tags);
            }

            return tags;
        }
    }

    private ResourceSnapshot Read()
    {
        Reading previous = _previous;
        Reading current = Sample(out SystemMemory? memory, out CgroupReading? cgroup, out IReadOnlyList<GpuSnapshot> gpus);
        _previous = current;

        double wallSeconds = _time.GetElapsedTime(previous.Timestamp, current.Timestamp).TotalSeconds;
        double cpus = Environment.ProcessorCount;
        if (cgroup?.CpuLimit is double limit && limit > 0 && limit < cpus)
        {
            cpus = limit;
        }

        ProcessReading process = current.Process ?? default;
        double? processCpu = wallSeconds > 0 && current.Process is { } now && previous.Process is { } then
            ? ((now.UserTime + now.SystemTime) - (then.UserTime + then.SystemTime)).TotalSeconds / (wallSeconds * cpus)
            : null;

        double[]? byMode = null;
        double? systemCpu = null;
        if (current.Cpu is { } cpuNow && previous.Cpu is { } cpuThen && cpuNow.Total - cpuThen.Total is > 0 and long total)
        {
            systemCpu = (double)(cpuNow.Busy - cpuThen.Busy) / total;
            byMode =
            [
                (double)(cpuNow.User - cpuThen.User) / total, (double)(cpuNow.Nice - cpuThen.Nice) / total,
                (double)(cpuNow.System - cpuThen.System) / total, (double)(cpuNow.Idle - cpuThen.Idle) / total,
                (double)(cpuNow.IoWait - cpuThen.IoWait) / total, (double)(cpuNow.Interrupt - cpuThen.Interrupt) / total,
                (double)(cpuNow.Steal - cpuThen.Steal) / total,
            ];
        }

        ContainerSnapshot? container = null;
        if (cgroup is { } group)
        {
            container = new ContainerSnapshot
            {
                CgroupVersion = group.Version,
                CpuLimit = group.CpuLimit,
                CpuTime = group.CpuUsageMicroseconds is long usage ? TimeSpan.FromTicks(usage * 10) : null,
                CpuUtilization = wallSeconds > 0 && group.CpuLimit is > 0 and double quota && current.CgroupCpu is long usageNow && previous.CgroupCpu is long usageThen
                    ? (usageNow - usageThen) / 1e6 / (wallSeconds * quota)
                    : null,
                Periods = group.Periods,
                ThrottledPeriods = group.ThrottledPeriods,
                ThrottledTime = group.ThrottledMicroseconds is long throttled ? TimeSpan.FromTicks(throttled * 10) : null,
                MemoryLimitBytes = group.MemoryLimitBytes,
                MemoryUsageBytes = group.MemoryUsageBytes,
            };
        }

        GCMemoryInfo gc = GC.GetGCMemoryInfo();
        return new ResourceSnapshot
        {
            Timestamp = _time.GetUtcNow(),
            Elapsed = TimeSpan.FromSeconds(wallSeconds),
            ProcessCpuUtilization = processCpu,
            ProcessCpuUserTime = process.UserTime,
            ProcessCpuSystemTime = process.SystemTime,
            AvailableCpus = cpus,
            ProcessResidentMemoryBytes = process.ResidentBytes,
            ProcessVirtualMemoryBytes = process.VirtualBytes,
            ProcessThreads = process.Threads,
            GcHeapSizeBytes = gc.HeapSizeBytes,
            GcAllocatedBytes = GC.GetTotalAllocatedBytes(),
            GcCollections = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)],
            GcPauseTime = GC.GetTotalPauseDuration(),
            ThreadPoolThreads = ThreadPool.ThreadCount,
            ThreadPoolQueueLength = ThreadPool.PendingWorkItemCount,
            ThreadPoolCompletedWorkItems = ThreadPool.CompletedWorkItemCount,
            LogicalCpus = Environment.ProcessorCount,
            SystemCpuUtilization = systemCpu,
            SystemCpuByMode = byMode,
            SystemMemoryTotalBytes = memory?.Total,
            SystemMemoryAvailableBytes = memory?.Available,
            SystemMemoryUsedBytes = memory?.Used,
            SystemMemoryFreeBytes = memory?.Free,
            SystemMemoryCachedBytes = memory?.Cached,
            SystemMemoryBuffersBytes = memory?.Buffers,
            Container = container,
            GpuStatus = _gpu?.Status ?? GpuStatus.Disabled,
            Gpus = gpus,
        };
    }

    /// <summary>Reads every source once; a source that fails is left out and its fault reported, never thrown.</summary>
    private Reading Sample(out SystemMemory? memory, out CgroupReading? cgroup, out IReadOnlyList<GpuSnapshot> gpus)
    {
        long timestamp = _time.GetTimestamp();
        ProcessReading? process = Guard("process", _process.Read);
        SystemCpuTimes? cpu = Guard("system cpu", _system.ReadCpu);
        memory = Guard("system memory", _system.ReadMemory);
        cgroup = Guard("cgroup", _cgroup.Read);
        gpus = (_gpu is { } gpu ? Guard("gpu", () => gpu.Read(Environment.ProcessId)) : null) ?? [];
        return new Reading(timestamp, process, cpu, cgroup?.CpuUsageMicroseconds);
    }

    private static T? Guard<T>(string source, Func<T?> read)
    {
        try
        {
            return read();
        }
        catch (Exception e)
        {
            // Note: a reader bug must cost a figure, not the collector's thread (or the predict path of a sync exporter).
            ModelMetricsEventSource.Log.Swallowed("resources", source, e);
            return default;
        }
    }

    /// <summary>The cumulative figures a utilisation is a difference of, and when they were read.</summary>
    private readonly record struct Reading(long Timestamp, ProcessReading? Process, SystemCpuTimes? Cpu, long? CgroupCpu);
}
