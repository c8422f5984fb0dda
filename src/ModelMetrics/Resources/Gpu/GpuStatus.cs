// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

namespace ModelMetrics;

/// <summary>Why no GPU figures are reported, or <see cref="Ok"/>.</summary>
/// <remarks>
/// Published as a status attribute value: <c>ok</c>, <c>library_not_found</c>, <c>driver_not_loaded</c>,
/// <c>no_gpu</c>, <c>no_permission</c>, <c>gpu_lost</c>. Each change is also written once to the
/// <c>ModelMetrics</c> event source.
/// </remarks>
public enum GpuStatus
{
    /// <summary>NVML is loaded and initialized, and every device it lists is read.</summary>
    Ok,

    /// <summary>The NVML library (<c>libnvidia-ml.so.1</c>, <c>nvml.dll</c>) was not found, could not be loaded, or lacks the functions every NVML has.</summary>
    LibraryNotFound,

    /// <summary>The NVML library is there but could not be initialized: no NVIDIA driver is loaded, or the driver does not match the library.</summary>
    DriverNotLoaded,

    /// <summary>NVML works but lists no GPU, or none that can be read.</summary>
    NoGpu,

    /// <summary>NVML refused this process access to the driver or to every device.</summary>
    NoPermission,

    /// <summary>A GPU fell off the bus or became inaccessible: its figures stop, the other devices are still read.</summary>
    GpuLost,

    /// <summary>GPU reading is off (<see cref="ResourceMonitorOptions.IncludeGpu"/>): no status is published.</summary>
    Disabled,
}
