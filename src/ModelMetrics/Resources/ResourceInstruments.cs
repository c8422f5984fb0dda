// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using ModelMetrics.Publishing;

namespace ModelMetrics.Resources;

/// <summary>
/// The resource instruments, named as OpenTelemetry's semantic conventions name them (process, .NET runtime, system,
/// hardware/GPU metrics; the container ones are ours where the conventions have none for a process inside its cgroup).
/// Created once per meter; each callback reads the meter's live <see cref="ResourceMonitor"/>, if any.
/// </summary>
internal static class ResourceInstruments
{
    public static readonly InstrumentInfo ProcessCpuTime = new("process.cpu.time", MetricNames.Seconds, "CPU time this process used, by cpu.mode (user, system).");
    public static readonly InstrumentInfo ProcessCpuUtilization = new("process.cpu.utilization", MetricNames.Ratio, "CPU time this process used over the last interval, as a share of the CPUs available to it (a container quota counts).");
    public static readonly InstrumentInfo ProcessMemoryUsage = new("process.memory.usage", "By", "Resident memory of this process.");
    public static readonly InstrumentInfo ProcessMemoryVirtual = new("process.memory.virtual", "By", "Virtual memory of this process.");
    public static readonly InstrumentInfo ProcessThreadCount = new("process.thread.count", "{thread}", "Operating-system threads of this process.");

    public static readonly InstrumentInfo GcCollections = new("dotnet.gc.collections", "{collection}", "Garbage collections since the process started, by dotnet.gc.heap.generation.");
    public static readonly InstrumentInfo GcHeapSize = new("dotnet.gc.last_collection.heap.size", "By", "Size of the GC heap after the last collection.");
    public static readonly InstrumentInfo GcAllocated = new("dotnet.gc.heap.total_allocated", "By", "Bytes allocated on the GC heap since the process started.");
    public static readonly InstrumentInfo GcPauseTime = new("dotnet.gc.pause.time", MetricNames.Seconds, "Time the runtime paused threads for garbage collection since the process started.");
    public static readonly InstrumentInfo ThreadPoolThreads = new("dotnet.thread_pool.thread.count", "{thread}", "Thread-pool threads.");
    public static readonly InstrumentInfo ThreadPoolQueueLength = new("dotnet.thread_pool.queue.length", "{work_item}", "Work items queued on the thread pool, waiting for a thread.");
    public static readonly InstrumentInfo ThreadPoolWorkItems = new("dotnet.thread_pool.work_item.count", "{work_item}", "Work items the thread pool completed since the process started.");

    public static readonly InstrumentInfo SystemCpuUtilization = new("system.cpu.utilization", MetricNames.Ratio, "Share of the machine's CPU time over the last interval, by cpu.mode; 1 − idle − iowait is psutil's cpu_percent.");
    public static readonly InstrumentInfo SystemCpuCount = new("system.cpu.logical.count", "{cpu}", "Logical CPUs of the machine available to this process.");
    public static readonly InstrumentInfo SystemMemoryUsage = new("system.memory.usage", "By", "The machine's memory by system.memory.state (used, free, cached, buffers; psutil's definitions, summing to the total).");
    public static readonly InstrumentInfo SystemMemoryLimit = new("system.memory.limit", "By", "The machine's physical memory.");
    public static readonly InstrumentInfo SystemMemoryAvailable = new("system.linux.memory.available", "By", "Memory available to new processes without swapping (MemAvailable).");
    public static readonly InstrumentInfo SystemMemoryUtilization = new("system.memory.utilization", MetricNames.Ratio, "Share of the machine's memory not available: (total − available) / total, psutil's virtual_memory().percent / 100.");

    public static readonly InstrumentInfo ContainerCpuLimit = new("container.cpu.limit", "{cpu}", "CPU quota of the process's cgroup, in CPUs (absent when unlimited).");
    public static readonly InstrumentInfo ContainerCpuTime = new("container.cpu.time", MetricNames.Seconds, "CPU time every process of the cgroup used.");
    public static readonly InstrumentInfo ContainerCpuUtilization = new("container.cpu.utilization", MetricNames.Ratio, "The cgroup's CPU time over the last interval as a share of its quota.");
    public static readonly InstrumentInfo ContainerThrottledPeriods = new("container.cpu.throttled.periods", "{period}", "Enforcement periods in which the cgroup was throttled.");
    public static readonly InstrumentInfo ContainerThrottledTime = new("container.cpu.throttled.time", MetricNames.Seconds, "Time the cgroup's tasks were throttled.");
    public static readonly InstrumentInfo ContainerMemoryLimit = new("container.memory.limit", "By", "Memory limit of the process's cgroup (absent when unlimited).");
    public static readonly InstrumentInfo ContainerMemoryUsage = new("container.memory.usage", "By", "Memory the process's cgroup uses, page cache included.");
    public static readonly InstrumentInfo ContainerMemoryUtilization = new("container.memory.utilization", MetricNames.Ratio, "The cgroup's memory usage as a share of its limit.");

    public static readonly InstrumentInfo GpuUtilization = new("hw.gpu.utilization", MetricNames.Ratio, "Share of time the GPU was busy over the driver's last sample period.");
    public static readonly InstrumentInfo GpuMemoryUsage = new("hw.gpu.memory.usage", "By", "GPU memory in use.");
    public static readonly InstrumentInfo GpuMemoryLimit = new("hw.gpu.memory.limit", "By", "GPU memory in total.");
    public static readonly InstrumentInfo GpuMemoryUtilization = new("hw.gpu.memory.utilization", MetricNames.Ratio, "GPU memory in use as a share of the total.");
    public static readonly InstrumentInfo GpuPower = new("hw.power", "W", "Power the GPU draws.");
    public static readonly InstrumentInfo GpuEnergy = new("hw.energy", "J", "Energy the GPU consumed since the driver was loaded.");
    public static readonly InstrumentInfo GpuTemperature = new("hw.temperature", "Cel", "GPU core temperature.");
    public static readonly InstrumentInfo GpuProcessMemory = new("process.gpu.memory.usage", "By", "GPU memory this process uses, by device.");
    public static readonly InstrumentInfo GpuStatus = new("model.metrics.gpu.status", MetricNames.Ratio, "1 for the GPU reader's current status (attribute status: ok, library_not_found, driver_not_loaded, no_gpu, no_permission, gpu_lost).");

    private static readonly KeyValuePair<string, object?>[] User = [new("cpu.mode", "user")];
    private static readonly KeyValuePair<string, object?>[] System = [new("cpu.mode", "system")];
    private static readonly KeyValuePair<string, object?>[][] Modes = Array.ConvertAll(
        ["user", "nice", "system", "idle", "iowait", "interrupt", "steal"], static mode => new KeyValuePair<string, object?>[] { new("cpu.mode", mode) });

    private static readonly KeyValuePair<string, object?>[][] Generations = Array.ConvertAll(
        ["gen0", "gen1", "gen2"], static generation => new KeyValuePair<string, object?>[] { new("dotnet.gc.heap.generation", generation) });

    private static readonly KeyValuePair<string, object?>[][] MemoryStates = Array.ConvertAll(
        ["used", "free", "cached", "buffers"], static state => new KeyValuePair<string, object?>[] { new("system.memory.state", state) });

    private static readonly KeyValuePair<string, object?>[][] Statuses = Array.ConvertAll(
        Enum.GetValues<GpuStatus>(), static status => new KeyValuePair<string, object?>[] { new("status", GpuStatusNames.Get(status)) });

    /// <summary>Creates every resource instrument on <paramref name="publisher"/>'s meter.</summary>
    public static void Create(MeterPublisher publisher)
    {
        Meter meter = publisher.Meter;

        Counter<double>(meter, publisher, ProcessCpuTime, static (s, list) =>
        {
            list.Add(s.ProcessCpuUserTime.TotalSeconds, User);
            list.Add(s.ProcessCpuSystemTime.TotalSeconds, System);
        });
        Gauge<double>(meter, publisher, ProcessCpuUtilization, static (s, list) => AddIf(list, s.ProcessCpuUtilization));
        UpDown<long>(meter, publisher, ProcessMemoryUsage, static (s, list) => list.Add(new(s.ProcessResidentMemoryBytes)));
        UpDown<long>(meter, publisher, ProcessMemoryVirtual, static (s, list) => list.Add(new(s.ProcessVirtualMemoryBytes)));
        UpDown<long>(meter, publisher, ProcessThreadCount, static (s, list) => list.Add(new(s.ProcessThreads)));

        RuntimeCounter<long>(meter, publisher, GcCollections, static (s, list) =>
        {
            for (int g = 0; g < Generations.Length; g++)
            {
                list.Add(s.GcCollections[g], Generations[g]);
            }
        });
        RuntimeUpDown<long>(meter, publisher, GcHeapSize, static (s, list) => list.Add(new(s.GcHeapSizeBytes)));
        RuntimeCounter<long>(meter, publisher, GcAllocated, static (s, list) => list.Add(new(s.GcAllocatedBytes)));
        RuntimeCounter<double>(meter, publisher, GcPauseTime, static (s, list) => list.Add(new(s.GcPauseTime.TotalSeconds)));
        RuntimeUpDown<long>(meter, publisher, ThreadPoolThreads, static (s, list) => list.Add(new(s.ThreadPoolThreads)));
        RuntimeUpDown<long>(meter, publisher, ThreadPoolQueueLength, static (s, list) => list.Add(new(s.ThreadPoolQueueLength)));
        RuntimeCounter<long>(meter, publisher, ThreadPoolWorkItems, static (s, list) => list.Add(new(s.ThreadPoolCompletedWorkItems)));

        Gauge<double>(meter, publisher, SystemCpuUtilization, static (s, list) =>
        {
            if (s.SystemCpuByMode is { } modes)
            {
                for (int m = 0; m < modes.Length; m++)
                {
                    list.Add(modes[m], Modes[m]);
                }
            }
        });
        UpDown<long>(meter, publisher, SystemCpuCount, static (s, list) => list.Add(new(s.LogicalCpus)));
        UpDown<long>(meter, publisher, SystemMemoryUsage, static (s, list) =>
        {
            if (s.SystemMemoryTotalBytes is not null)
            {
                list.Add(s.SystemMemoryUsedBytes!.Value, MemoryStates[0]);
                list.Add(s.SystemMemoryFreeBytes!.Value, MemoryStates[1]);
                list.Add(s.SystemMemoryCachedBytes!.Value, MemoryStates[2]);
                list.Add(s.SystemMemoryBuffersBytes!.Value, MemoryStates[3]);
            }
        });
        UpDown<long>(meter, publisher, SystemMemoryLimit, static (s, list) => AddIf(list, s.SystemMemoryTotalBytes));
        UpDown<long>(meter, publisher, SystemMemoryAvailable, static (s, list) => AddIf(list, s.SystemMemoryAvailableBytes));
        Gauge<double>(meter, publisher, SystemMemoryUtilization, static (s, list) => AddIf(list, s.SystemMemoryUtilization));

        UpDown<double>(meter, publisher, ContainerCpuLimit, static (s, list) => AddIf(list, s.Container?.CpuLimit));
        Counter<double>(meter, publisher, ContainerCpuTime, static (s, list) => AddIf(list, s.Container?.CpuTime?.TotalSeconds));
        Gauge<double>(meter, publisher, ContainerCpuUtilization, static (s, list) => AddIf(list, s.Container?.CpuUtilization));
        Counter<long>(meter, publisher, ContainerThrottledPeriods, static (s, list) => AddIf(list, s.Container?.ThrottledPeriods));
        Counter<double>(meter, publisher, ContainerThrottledTime, static (s, list) => AddIf(list, s.Container?.ThrottledTime?.TotalSeconds));
        UpDown<long>(meter, publisher, ContainerMemoryLimit, static (s, list) => AddIf(list, s.Container?.MemoryLimitBytes));
        UpDown<long>(meter, publisher, ContainerMemoryUsage, static (s, list) => AddIf(list, s.Container?.MemoryUsageBytes));
        Gauge<double>(meter, publisher, ContainerMemoryUtilization, static (s, list) => AddIf(list, s.Container?.MemoryUtilization));

        GpuGauge(meter, publisher, GpuUtilization, static g => g.Utilization);
        GpuUpDown(meter, publisher, GpuMemoryUsage, static g => g.MemoryUsedBytes);
        GpuUpDown(meter, publisher, GpuMemoryLimit, static g => g.MemoryTotalBytes);
        GpuGauge(meter, publisher, GpuMemoryUtilization, static g => g.MemoryUtilization);
        GpuGauge(meter, publisher, GpuPower, static g => g.PowerWatts);
        meter.CreateObservableCounter(GpuEnergy.Name, Observe<double>(publisher, static (monitor, s, list) => EachGpu(monitor, s, list, static g => g.EnergyJoules)), GpuEnergy.Unit, GpuEnergy.Description);
        GpuGauge(meter, publisher, GpuTemperature, static g => g.TemperatureCelsius);
        GpuUpDown(meter, publisher, GpuProcessMemory, static g => g.ProcessMemoryBytes);
        meter.CreateObservableGauge(
            GpuStatus.Name,
            Observe<long>(publisher, static (monitor, s, list) =>
            {
                if (s.GpuStatus != ModelMetrics.GpuStatus.Disabled)
                {
                    list.Add(1L, Statuses[(int)s.GpuStatus]);
                }
            }),
            GpuStatus.Unit,
            GpuStatus.Description);
    }

    private static void AddIf<T>(List<Measurement<T>> list, T? value)
        where T : struct
    {
        if (value is T v)
        {
            list.Add(new(v));
        }
    }

    private static void EachGpu<T>(ResourceMonitor monitor, ResourceSnapshot s, List<Measurement<T>> list, Func<GpuSnapshot, T?> select)
        where T : struct
    {
        foreach (GpuSnapshot gpu in s.Gpus)
        {
            if (select(gpu) is T value)
            {
                list.Add(new(value, monitor.GpuTags(gpu)));
            }
        }
    }

    private static void Counter<T>(Meter meter, MeterPublisher publisher, InstrumentInfo info, Action<ResourceSnapshot, List<Measurement<T>>> observe)
        where T : struct => meter.CreateObservableCounter(info.Name, Observe<T>(publisher, (_, s, list) => observe(s, list)), info.Unit, info.Description);

    private static void UpDown<T>(Meter meter, MeterPublisher publisher, InstrumentInfo info, Action<ResourceSnapshot, List<Measurement<T>>> observe)
        where T : struct => meter.CreateObservableUpDownCounter(info.Name, Observe<T>(publisher, (_, s, list) => observe(s, list)), info.Unit, info.Description);

    private static void Gauge<T>(Meter meter, MeterPublisher publisher, InstrumentInfo info, Action<ResourceSnapshot, List<Measurement<T>>> observe)
        where T : struct => meter.CreateObservableGauge(info.Name, Observe<T>(publisher, (_, s, list) => observe(s, list)), info.Unit, info.Description);

    private static void RuntimeCounter<T>(Meter meter, MeterPublisher publisher, InstrumentInfo info, Action<ResourceSnapshot, List<Measurement<T>>> observe)
        where T : struct => meter.CreateObservableCounter(info.Name, Observe<T>(publisher, (monitor, s, list) => { if (monitor.IncludeRuntime) { observe(s, list); } }), info.Unit, info.Description);

    private static void RuntimeUpDown<T>(Meter meter, MeterPublisher publisher, InstrumentInfo info, Action<ResourceSnapshot, List<Measurement<T>>> observe)
        where T : struct => meter.CreateObservableUpDownCounter(info.Name, Observe<T>(publisher, (monitor, s, list) => { if (monitor.IncludeRuntime) { observe(s, list); } }), info.Unit, info.Description);

    private static void GpuGauge<T>(Meter meter, MeterPublisher publisher, InstrumentInfo info, Func<GpuSnapshot, T?> select)
        where T : struct => meter.CreateObservableGauge(info.Name, Observe<T>(publisher, (monitor, s, list) => EachGpu(monitor, s, list, select)), info.Unit, info.Description);

    private static void GpuUpDown<T>(Meter meter, MeterPublisher publisher, InstrumentInfo info, Func<GpuSnapshot, T?> select)
        where T : struct => meter.CreateObservableUpDownCounter(info.Name, Observe<T>(publisher, (monitor, s, list) => EachGpu(monitor, s, list, select)), info.Unit, info.Description);

    /// <summary>A callback over the meter's live resource monitor (none: no measurement), reading its cached snapshot.</summary>
    private static Func<IEnumerable<Measurement<T>>> Observe<T>(MeterPublisher publisher, Action<ResourceMonitor, ResourceSnapshot, List<Measurement<T>>> observe)
        where T : struct => () =>
        {
            var list = new List<Measurement<T>>();
            if (publisher.Resources is { } monitor)
            {
                observe(monitor, monitor.GetSnapshot(), list);
            }

            return list;
        };
}
