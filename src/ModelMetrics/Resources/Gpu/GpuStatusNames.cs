// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

namespace ModelMetrics.Resources;

/// <summary>The attribute and event values of <see cref="GpuStatus"/>: snake_case, as OpenTelemetry attribute values are.</summary>
internal static class GpuStatusNames
{
    /// <summary>Returns the value that stands for <paramref name="status"/>: <c>ok</c>, <c>library_not_found</c>, …</summary>
    public static string Get(GpuStatus status) => status switch
    {
        GpuStatus.Ok => "ok",
        GpuStatus.LibraryNotFound => "library_not_found",
        GpuStatus.DriverNotLoaded => "driver_not_loaded",
        GpuStatus.NoGpu => "no_gpu",
        GpuStatus.NoPermission => "no_permission",
        GpuStatus.GpuLost => "gpu_lost",
        GpuStatus.Disabled => "disabled",
        _ => "unknown",
    };
}
