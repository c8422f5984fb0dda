// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Runtime.InteropServices;

namespace ModelMetrics.Resources;

/// <summary>The NVML return codes the reader tells apart (<c>nvmlReturn_t</c> in nvml.h).</summary>
internal static class NvmlReturn
{
    public const int Success = 0;
    public const int Uninitialized = 1;
    public const int NotSupported = 3;
    public const int NoPermission = 4;
    public const int InsufficientSize = 7;
    public const int DriverNotLoaded = 9;
    public const int LibraryNotFound = 12;
    public const int FunctionNotFound = 13;
    public const int GpuIsLost = 15;

    /// <summary>Returns the code with its nvml.h name, for event details: <c>9 (NVML_ERROR_DRIVER_NOT_LOADED)</c>.</summary>
    public static string Describe(int code) => code switch
    {
        Success => "0 (NVML_SUCCESS)",
        Uninitialized => "1 (NVML_ERROR_UNINITIALIZED)",
        2 => "2 (NVML_ERROR_INVALID_ARGUMENT)",
        NotSupported => "3 (NVML_ERROR_NOT_SUPPORTED)",
        NoPermission => "4 (NVML_ERROR_NO_PERMISSION)",
        6 => "6 (NVML_ERROR_NOT_FOUND)",
        InsufficientSize => "7 (NVML_ERROR_INSUFFICIENT_SIZE)",
        DriverNotLoaded => "9 (NVML_ERROR_DRIVER_NOT_LOADED)",
        LibraryNotFound => "12 (NVML_ERROR_LIBRARY_NOT_FOUND)",
        FunctionNotFound => "13 (NVML_ERROR_FUNCTION_NOT_FOUND)",
        GpuIsLost => "15 (NVML_ERROR_GPU_IS_LOST)",
        18 => "18 (NVML_ERROR_LIB_RM_VERSION_MISMATCH)",
        999 => "999 (NVML_ERROR_UNKNOWN)",
        _ => code.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}

/// <summary>Constants of nvml.h the reader passes or checks.</summary>
internal static class NvmlConstants
{
    /// <summary><c>NVML_DEVICE_UUID_V2_BUFFER_SIZE</c>: large enough for any UUID, NUL included.</summary>
    public const int UuidBufferSize = 96;

    /// <summary><c>NVML_DEVICE_NAME_V2_BUFFER_SIZE</c>: large enough for any product name, NUL included.</summary>
    public const int NameBufferSize = 96;

    /// <summary><c>NVML_TEMPERATURE_GPU</c>, the GPU die sensor of <c>nvmlTemperatureSensors_t</c>.</summary>
    public const int TemperatureGpu = 0;

    /// <summary><c>NVML_VALUE_NOT_AVAILABLE</c> ((unsigned long long)-1) in <c>nvmlProcessInfo_t.usedGpuMemory</c>.</summary>
    public const ulong ValueNotAvailable = ulong.MaxValue;
}

/// <summary><c>nvmlUtilization_t</c>: percentages over the last sample period. 8 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NvmlUtilization
{
    /// <summary>Percent of time one or more kernels ran on the GPU.</summary>
    public uint Gpu;

    /// <summary>Percent of time device memory was read or written (not how full it is).</summary>
    public uint Memory;
}

/// <summary><c>nvmlMemory_t</c> (version 1, what <c>nvmlDeviceGetMemoryInfo</c> fills), in bytes. 24 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NvmlMemory
{
    /// <summary>Installed device memory.</summary>
    public ulong Total;

    /// <summary>Unallocated device memory.</summary>
    public ulong Free;

    /// <summary>Allocated device memory, including what the driver sets aside for its own bookkeeping.</summary>
    public ulong Used;
}

/// <summary>
/// <c>nvmlProcessInfo_t</c> as the <c>_v3</c> process queries fill it (the <c>nvmlProcessInfo_v2_t</c> layout):
/// 4 bytes of pid, 4 of padding, then <see cref="UsedGpuMemory"/> at offset 8; 24 bytes in all.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NvmlProcessInfo
{
    /// <summary>The process id, as the driver sees it (the host's pid namespace).</summary>
    public uint Pid;

    /// <summary>Bytes, or <see cref="NvmlConstants.ValueNotAvailable"/> (always so under Windows WDDM).</summary>
    public ulong UsedGpuMemory;

    /// <summary>The MIG GPU instance, or 0xFFFFFFFF without MIG.</summary>
    public uint GpuInstanceId;

    /// <summary>The MIG compute instance, or 0xFFFFFFFF without MIG.</summary>
    public uint ComputeInstanceId;
}
