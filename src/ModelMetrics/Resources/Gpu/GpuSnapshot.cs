// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

namespace ModelMetrics;

/// <summary>
/// One GPU's figures at one reading, as NVML gives them. A figure that the device or its driver does not support
/// (or that NVML could not give at that reading) is <see langword="null"/>. Immutable.
/// </summary>
public sealed class GpuSnapshot
{
    internal GpuSnapshot(
        int index,
        string id,
        string name,
        double? utilization,
        long? memoryUsedBytes,
        long? memoryTotalBytes,
        double? powerWatts,
        double? energyJoules,
        double? temperatureCelsius,
        long? processMemoryBytes)
    {
        Index = index;
        Id = id;
        Name = name;
        Utilization = utilization;
        MemoryUsedBytes = memoryUsedBytes;
        MemoryTotalBytes = memoryTotalBytes;

        // Note: derived here rather than read from nvmlUtilization_t.memory, which is the share of time the memory
        // was being read or written, not how full it is.
        MemoryUtilization = memoryUsedBytes is long used && memoryTotalBytes is long total && total > 0 ? (double)used / total : null;
        PowerWatts = powerWatts;
        EnergyJoules = energyJoules;
        TemperatureCelsius = temperatureCelsius;
        ProcessMemoryBytes = processMemoryBytes;
    }

    /// <summary>Gets the device's NVML index (the order <c>nvidia-smi</c> lists devices in).</summary>
    public int Index { get; }

    /// <summary>
    /// Gets the device's UUID (<c>GPU-8c3d…</c>), stable across reboots and index changes: the <c>hw.id</c>
    /// attribute. When the driver does not give it, the device index as text.
    /// </summary>
    public string Id { get; }

    /// <summary>Gets the product name (<c>NVIDIA H200</c>): the <c>hw.name</c> attribute; empty when the driver does not give it.</summary>
    public string Name { get; }

    /// <summary>Gets the vendor, <c>NVIDIA</c>: the <c>hw.vendor</c> attribute.</summary>
    public string Vendor { get; } = "NVIDIA";

    /// <summary>
    /// Gets the fraction of the last sample period (between 1/6 s and 1 s, depending on the product) during which
    /// one or more kernels ran on the GPU, from 0 to 1.
    /// </summary>
    public double? Utilization { get; }

    /// <summary>Gets the device memory in use, in bytes, including what the driver sets aside for its own bookkeeping.</summary>
    /// <remarks>
    /// From <c>nvmlDeviceGetMemoryInfo</c>. Recent <c>nvidia-smi</c> versions count the driver's reserved memory
    /// apart (<c>nvmlDeviceGetMemoryInfo_v2</c>), so their <c>memory.used</c> can be lower by that amount.
    /// </remarks>
    public long? MemoryUsedBytes { get; }

    /// <summary>Gets the device memory installed, in bytes.</summary>
    public long? MemoryTotalBytes { get; }

    /// <summary>Gets <see cref="MemoryUsedBytes"/> / <see cref="MemoryTotalBytes"/>, from 0 to 1.</summary>
    public double? MemoryUtilization { get; }

    /// <summary>Gets the power the whole board draws, in watts (NVML reports milliwatts).</summary>
    public double? PowerWatts { get; }

    /// <summary>Gets the energy the device used since the driver was loaded, in joules (NVML reports millijoules).</summary>
    public double? EnergyJoules { get; }

    /// <summary>Gets the temperature of the GPU die, in degrees Celsius.</summary>
    public double? TemperatureCelsius { get; }

    /// <summary>
    /// Gets the device memory used by the process that was read (normally this one), in bytes: 0 when it holds none;
    /// <see langword="null"/> when NVML cannot tell, as under Windows WDDM or when the device's list of compute
    /// processes cannot be read.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The sum of the process's entries in the device's compute and graphics process lists, where an entry in both
    /// (a process with both kinds of context, of the same MIG instance) counts once.
    /// </para>
    /// <para>
    /// NVML lists processes by their process id as the driver sees it, in the host's pid namespace: inside a container
    /// with a pid namespace of its own, the process may not be found, and this then reads 0.
    /// </para>
    /// </remarks>
    public long? ProcessMemoryBytes { get; }
}
