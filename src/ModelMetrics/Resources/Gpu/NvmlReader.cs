// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using ModelMetrics.Diagnostics;

namespace ModelMetrics.Resources;

/// <summary>
/// Reads every NVIDIA GPU's figures through NVML (the library behind <c>nvidia-smi</c>), loaded at run time with
/// <see cref="NativeLibrary"/> and called through unmanaged function pointers, so that nothing is needed at build
/// time and a machine without a GPU costs one failed library load.
/// </summary>
/// <remarks>
/// <para>
/// Never throws and never loops unbounded: a missing library, driver, device or permission gives a
/// <see cref="Status"/> and no readings; a function an old driver lacks, or one that returns
/// <c>NVML_ERROR_NOT_SUPPORTED</c>, gives a <see langword="null"/> figure; a device that returns
/// <c>NVML_ERROR_GPU_IS_LOST</c> is not read again while the other devices go on. Each change of status is written
/// once to <see cref="ModelMetricsEventSource"/>. What it cannot promise is that NVML itself returns: a call into a
/// wedged driver blocks like <c>nvidia-smi</c> would.
/// </para>
/// <para>
/// <see cref="Read"/> and <see cref="Dispose"/> are serialized by a lock (the process-list buffer is reused between
/// readings); <see cref="Status"/> can be read from any thread. Dispose calls <c>nvmlShutdown</c>; a reader that is
/// never disposed only leaves NVML's initialization count one higher.
/// </para>
/// </remarks>
internal sealed unsafe class NvmlReader : IDisposable
{
    /// <summary>How many times a process list is asked for when NVML answers that the buffer was too small.</summary>
    public const int MaxProcessQueries = 4;

    /// <summary>The most devices read; NVML itself supports far fewer on one machine.</summary>
    public const int MaxDevices = 256;

    /// <summary>The largest process list accepted (24 bytes an entry): beyond it the answer cannot be a real one.</summary>
    private const int MaxProcessEntries = 1 << 16;

    /// <summary>
    /// Entries added beyond the count NVML asks for. Note: processes can start between the call that says how many
    /// there are and the call that fills the buffer, so a buffer of exactly that size would often be short again.
    /// </summary>
    private const int ProcessSlack = 8;

    private readonly object _gate = new();
    private readonly List<NvmlProcessInfo> _ownEntries = [];
    private Device[] _devices = [];
    private NvmlProcessInfo[] _processes = [];
    private string _library = string.Empty;
    private volatile GpuStatus _status = GpuStatus.LibraryNotFound;
    private volatile string _statusDetail = string.Empty;
    private bool _initialized;
    private bool _disposed;

    private delegate* unmanaged[Cdecl]<int> _shutdown;
    private delegate* unmanaged[Cdecl]<IntPtr, NvmlUtilization*, int> _getUtilizationRates;
    private delegate* unmanaged[Cdecl]<IntPtr, NvmlMemory*, int> _getMemoryInfo;
    private delegate* unmanaged[Cdecl]<IntPtr, uint*, int> _getPowerUsage;
    private delegate* unmanaged[Cdecl]<IntPtr, ulong*, int> _getTotalEnergyConsumption;
    private delegate* unmanaged[Cdecl]<IntPtr, int, uint*, int> _getTemperature;
    private delegate* unmanaged[Cdecl]<IntPtr, uint*, NvmlProcessInfo*, int> _getComputeRunningProcesses;
    private delegate* unmanaged[Cdecl]<IntPtr, uint*, NvmlProcessInfo*, int> _getGraphicsRunningProcesses;

    private NvmlReader()
    {
    }

    /// <summary>Gets why no GPU figures are read, or <see cref="GpuStatus.Ok"/>.</summary>
    public GpuStatus Status => _status;

    /// <summary>Gets what caused <see cref="Status"/>: the NVML function and its error code, the device, the library; the same text as the event.</summary>
    public string StatusDetail => _statusDetail;

    /// <summary>
    /// Loads NVML, initializes it and lists its devices. Never throws: whatever fails is in <see cref="Status"/>.
    /// </summary>
    /// <param name="libraryPath">
    /// The NVML library to load, or <see langword="null"/> for the usual names: <c>libnvidia-ml.so.1</c>, then
    /// <c>libnvidia-ml.so</c> on Linux; <c>nvml.dll</c> (System32 on current drivers), then
    /// <c>%ProgramW6432%\NVIDIA Corporation\NVSMI\nvml.dll</c> on Windows. Other systems have no NVML.
    /// </param>
    /// <returns>A reader; with a status other than <see cref="GpuStatus.Ok"/> (and not <see cref="GpuStatus.GpuLost"/>) it reads nothing.</returns>
    public static NvmlReader Open(string? libraryPath)
    {
        var reader = new NvmlReader();
        GpuStatus status;
        string detail;
        try
        {
            status = reader.Initialize(libraryPath, out detail);
        }
#pragma warning disable CA1031 // Note: the contract is "never throws"; the fault is reported, not rethrown.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            ModelMetricsEventSource.Log.Swallowed(string.Empty, "NvmlReader.Open", exception);
            reader._devices = [];
            status = reader._initialized ? GpuStatus.NoGpu : GpuStatus.LibraryNotFound;
            detail = $"{exception.GetType().Name} while opening NVML ({Describe(libraryPath)})";
        }

        reader.ChangeStatus(status, detail);
        return reader;
    }

    /// <summary>
    /// Reads every device that is still readable: one snapshot each, in index order. Never throws; after
    /// <see cref="Dispose"/>, or without devices, returns an empty list.
    /// </summary>
    /// <param name="processId">
    /// The process whose device memory <see cref="GpuSnapshot.ProcessMemoryBytes"/> reports, normally
    /// <see cref="Environment.ProcessId"/>.
    /// </param>
    /// <returns>The snapshots; a device lost during this reading is left out, and is not read again.</returns>
    public IReadOnlyList<GpuSnapshot> Read(int processId)
    {
        lock (_gate)
        {
            if (_disposed || _devices.Length == 0)
            {
                return [];
            }

            var snapshots = new List<GpuSnapshot>(_devices.Length);
            foreach (Device device in _devices)
            {
                if (device.LostIn is not null)
                {
                    continue;
                }

                try
                {
                    GpuSnapshot? snapshot = ReadDevice(device, unchecked((uint)processId));
                    if (snapshot is not null)
                    {
                        snapshots.Add(snapshot);
                    }
                }
#pragma warning disable CA1031 // Note: the contract is "never throws"; one device's fault must not hide the others.
                catch (Exception exception)
#pragma warning restore CA1031
                {
                    ModelMetricsEventSource.Log.Swallowed(string.Empty, "NvmlReader.Read", exception);
                }

                if (device.LostIn is not null)
                {
                    int stillRead = Array.FindAll(_devices, d => d.LostIn is null).Length;
                    ChangeStatus(GpuStatus.GpuLost, string.Create(
                        CultureInfo.InvariantCulture,
                        $"device {device.Index} ({device.Id}) returned {NvmlReturn.Describe(NvmlReturn.GpuIsLost)} from {device.LostIn}; {stillRead} device(s) still read ({_library})"));
                }
            }

            return snapshots;
        }
    }

    /// <summary>Shuts NVML down (<c>nvmlShutdown</c>) if it was initialized; later readings are empty.</summary>
    /// <remarks>
    /// Note: the library stays loaded. The CUDA runtime or another reader may use the same library in this process,
    /// and unloading a driver library that may have started threads of its own is not worth the few kilobytes.
    /// </remarks>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_initialized && _shutdown != null)
            {
                _ = _shutdown();
            }
        }
    }

    /// <summary>The library names tried when no path is given, in order, on this operating system.</summary>
    internal static string[] DefaultLibraryNames()
    {
        if (OperatingSystem.IsWindows())
        {
            string? programFiles = Environment.GetEnvironmentVariable("ProgramW6432");
            return string.IsNullOrEmpty(programFiles)
                ? ["nvml.dll"]
                : ["nvml.dll", Path.Combine(programFiles, "NVIDIA Corporation", "NVSMI", "nvml.dll")];
        }

        return OperatingSystem.IsLinux() ? ["libnvidia-ml.so.1", "libnvidia-ml.so"] : [];
    }

    private static string Describe(string? libraryPath) =>
        libraryPath ?? string.Join(", ", DefaultLibraryNames());

    private static IntPtr Load(string? libraryPath, out string library)
    {
        if (libraryPath is not null)
        {
            library = libraryPath;
            return libraryPath.Length > 0 && NativeLibrary.TryLoad(libraryPath, out IntPtr handle) ? handle : IntPtr.Zero;
        }

        string[] names = DefaultLibraryNames();
        foreach (string name in names)
        {
            if (NativeLibrary.TryLoad(name, out IntPtr handle))
            {
                library = name;
                return handle;
            }
        }

        library = names.Length == 0 ? "NVML exists on Linux and Windows only" : string.Join(", ", names);
        return IntPtr.Zero;
    }

    private static IntPtr Export(IntPtr library, string name) =>
        NativeLibrary.TryGetExport(library, name, out IntPtr address) ? address : IntPtr.Zero;

    private static string? ReadString(delegate* unmanaged[Cdecl]<IntPtr, byte*, uint, int> function, IntPtr handle, int size, out int rc)
    {
        byte* buffer = stackalloc byte[size];
        buffer[0] = 0;
        rc = function(handle, buffer, (uint)size);
        if (rc != NvmlReturn.Success)
        {
            return null;
        }

        // Note: a driver that fills the whole buffer without a terminating NUL must not make us read past it.
        buffer[size - 1] = 0;
        return Marshal.PtrToStringUTF8((IntPtr)buffer);
    }

    private static long? ToInt64(ulong value) => value <= long.MaxValue ? (long)value : null;

    private static GpuStatus FromError(int rc, GpuStatus otherwise) => rc switch
    {
        NvmlReturn.NoPermission => GpuStatus.NoPermission,
        NvmlReturn.GpuIsLost => GpuStatus.GpuLost,
        _ => otherwise,
    };

    private GpuStatus Initialize(string? libraryPath, out string detail)
    {
        IntPtr library = Load(libraryPath, out _library);
        if (library == IntPtr.Zero)
        {
            detail = $"no NVML library could be loaded ({_library})";
            return GpuStatus.LibraryNotFound;
        }

        var init = (delegate* unmanaged[Cdecl]<int>)Export(library, "nvmlInit_v2");
        var getCount = (delegate* unmanaged[Cdecl]<uint*, int>)Export(library, "nvmlDeviceGetCount_v2");
        var getHandle = (delegate* unmanaged[Cdecl]<uint, IntPtr*, int>)Export(library, "nvmlDeviceGetHandleByIndex_v2");
        var getUuid = (delegate* unmanaged[Cdecl]<IntPtr, byte*, uint, int>)Export(library, "nvmlDeviceGetUUID");
        var getName = (delegate* unmanaged[Cdecl]<IntPtr, byte*, uint, int>)Export(library, "nvmlDeviceGetName");
        _shutdown = (delegate* unmanaged[Cdecl]<int>)Export(library, "nvmlShutdown");
        if (init == null || getCount == null || getHandle == null || _shutdown == null)
        {
            // Every NVML since 2012 has these four: without them this is not an NVML we can use.
            detail = $"{_library} lacks nvmlInit_v2, nvmlShutdown, nvmlDeviceGetCount_v2 or nvmlDeviceGetHandleByIndex_v2";
            return GpuStatus.LibraryNotFound;
        }

        // Per-reading functions: a driver too old for one of them leaves that figure null.
        _getUtilizationRates = (delegate* unmanaged[Cdecl]<IntPtr, NvmlUtilization*, int>)Export(library, "nvmlDeviceGetUtilizationRates");
        _getMemoryInfo = (delegate* unmanaged[Cdecl]<IntPtr, NvmlMemory*, int>)Export(library, "nvmlDeviceGetMemoryInfo");
        _getPowerUsage = (delegate* unmanaged[Cdecl]<IntPtr, uint*, int>)Export(library, "nvmlDeviceGetPowerUsage");
        _getTotalEnergyConsumption = (delegate* unmanaged[Cdecl]<IntPtr, ulong*, int>)Export(library, "nvmlDeviceGetTotalEnergyConsumption");
        _getTemperature = (delegate* unmanaged[Cdecl]<IntPtr, int, uint*, int>)Export(library, "nvmlDeviceGetTemperature");
        _getComputeRunningProcesses = (delegate* unmanaged[Cdecl]<IntPtr, uint*, NvmlProcessInfo*, int>)Export(library, "nvmlDeviceGetComputeRunningProcesses_v3");
        _getGraphicsRunningProcesses = (delegate* unmanaged[Cdecl]<IntPtr, uint*, NvmlProcessInfo*, int>)Export(library, "nvmlDeviceGetGraphicsRunningProcesses_v3");

        int rc = init();
        if (rc != NvmlReturn.Success)
        {
            // DRIVER_NOT_LOADED, LIBRARY_NOT_FOUND and FUNCTION_NOT_FOUND (the library found no usable driver), and
            // the rest (a library and driver of different versions, UNKNOWN): all mean that the driver cannot be used.
            detail = $"nvmlInit_v2 returned {NvmlReturn.Describe(rc)} ({_library})";
            return rc == NvmlReturn.NoPermission ? GpuStatus.NoPermission : GpuStatus.DriverNotLoaded;
        }

        _initialized = true;
        uint count;
        rc = getCount(&count);
        if (rc != NvmlReturn.Success)
        {
            detail = $"nvmlDeviceGetCount_v2 returned {NvmlReturn.Describe(rc)} ({_library})";
            return FromError(rc, GpuStatus.NoGpu);
        }

        if (count == 0)
        {
            detail = $"NVML lists no GPU ({_library})";
            return GpuStatus.NoGpu;
        }

        var devices = new List<Device>((int)Math.Min(count, MaxDevices));
        var skipped = new List<string>();
        GpuStatus worst = GpuStatus.NoGpu;
        bool lost = false;
        for (uint index = 0; index < count && index < MaxDevices; index++)
        {
            IntPtr handle;
            rc = getHandle(index, &handle);
            string? id = null;
            if (rc == NvmlReturn.Success && getUuid != null)
            {
                // A device that cannot give its UUID is still read, under its index; a lost one is not.
                id = ReadString(getUuid, handle, NvmlConstants.UuidBufferSize, out int uuidRc);
                rc = uuidRc == NvmlReturn.GpuIsLost ? uuidRc : NvmlReturn.Success;
            }

            if (rc != NvmlReturn.Success)
            {
                skipped.Add(string.Create(CultureInfo.InvariantCulture, $"device {index}: {NvmlReturn.Describe(rc)}"));
                lost |= rc == NvmlReturn.GpuIsLost;
                if (rc == NvmlReturn.NoPermission)
                {
                    worst = GpuStatus.NoPermission;
                }

                continue;
            }

            string? name = getName == null ? null : ReadString(getName, handle, NvmlConstants.NameBufferSize, out _);
            devices.Add(new Device((int)index, handle, id ?? index.ToString(CultureInfo.InvariantCulture), name ?? string.Empty));
        }

        _devices = [.. devices];
        string skippedText = skipped.Count == 0 ? string.Empty : "; skipped " + string.Join(", ", skipped);
        detail = string.Create(CultureInfo.InvariantCulture, $"{devices.Count} of {count} device(s) read{skippedText} ({_library})");
        if (lost)
        {
            return GpuStatus.GpuLost;
        }

        return devices.Count > 0 ? GpuStatus.Ok : worst;
    }

    private void ChangeStatus(GpuStatus status, string detail)
    {
        _status = status;
        _statusDetail = detail;
        ModelMetricsEventSource.Log.GpuStatusChanged(GpuStatusNames.Get(status), detail);
    }

    /// <summary>Reads one device's figures, or returns <see langword="null"/> (and marks it lost) when it is lost.</summary>
    private GpuSnapshot? ReadDevice(Device device, uint processId)
    {
        IntPtr handle = device.Handle;

        double? utilization = null;
        NvmlUtilization rates;
        if (_getUtilizationRates != null && device.Check(_getUtilizationRates(handle, &rates), "nvmlDeviceGetUtilizationRates"))
        {
            utilization = rates.Gpu / 100.0;
        }

        long? memoryUsed = null;
        long? memoryTotal = null;
        NvmlMemory memory;
        if (device.LostIn is null && _getMemoryInfo != null && device.Check(_getMemoryInfo(handle, &memory), "nvmlDeviceGetMemoryInfo"))
        {
            memoryUsed = ToInt64(memory.Used);
            memoryTotal = ToInt64(memory.Total);
        }

        double? power = null;
        uint milliwatts;
        if (device.LostIn is null && _getPowerUsage != null && device.Check(_getPowerUsage(handle, &milliwatts), "nvmlDeviceGetPowerUsage"))
        {
            power = milliwatts / 1000.0;
        }

        double? energy = null;
        ulong millijoules;
        if (device.LostIn is null && _getTotalEnergyConsumption != null
            && device.Check(_getTotalEnergyConsumption(handle, &millijoules), "nvmlDeviceGetTotalEnergyConsumption"))
        {
            energy = millijoules / 1000.0;
        }

        double? temperature = null;
        uint celsius;
        if (device.LostIn is null && _getTemperature != null
            && device.Check(_getTemperature(handle, NvmlConstants.TemperatureGpu, &celsius), "nvmlDeviceGetTemperature"))
        {
            temperature = celsius;
        }

        long? processMemory = device.LostIn is null ? ReadProcessMemory(device, processId) : null;
        if (device.LostIn is not null)
        {
            return null;
        }

        return new GpuSnapshot(device.Index, device.Id, device.Name, utilization, memoryUsed, memoryTotal, power, energy, temperature, processMemory);
    }

    /// <summary>
    /// Sums the device memory that <paramref name="processId"/> holds, from the compute and graphics process lists;
    /// <see langword="null"/> when the compute list cannot be read or NVML does not know the figure.
    /// </summary>
    /// <remarks>
    /// A process with both a compute and a graphics context (<c>C+G</c> in <c>nvidia-smi</c>) is in both lists with
    /// the same figure, its memory on the device: an entry of the graphics list whose MIG instance ids match one of
    /// the compute list's is counted once (the larger of the two), not twice. Entries of one list for different MIG
    /// instances are different memory, and are summed.
    /// </remarks>
    private long? ReadProcessMemory(Device device, uint processId)
    {
        _ownEntries.Clear();
        bool compute = QueryProcesses(_getComputeRunningProcesses, device, "nvmlDeviceGetComputeRunningProcesses_v3", processId, 0);
        if (device.LostIn is not null)
        {
            return null;
        }

        if (!compute)
        {
            // A model's memory is in compute contexts: the graphics list alone would report 0 for it.
            return null;
        }

        // A driver without the graphics list, or one that does not support it, leaves the compute figure as it is.
        _ = QueryProcesses(_getGraphicsRunningProcesses, device, "nvmlDeviceGetGraphicsRunningProcesses_v3", processId, _ownEntries.Count);
        if (device.LostIn is not null)
        {
            return null;
        }

        ulong total = 0;
        foreach (NvmlProcessInfo entry in _ownEntries)
        {
            if (entry.UsedGpuMemory == NvmlConstants.ValueNotAvailable)
            {
                return null;
            }

            total += entry.UsedGpuMemory;
        }

        return ToInt64(total);
    }

    /// <summary>
    /// Asks for one process list, growing the reused buffer when NVML says it is too small (at most
    /// <see cref="MaxProcessQueries"/> times), and adds this process's entries to <see cref="_ownEntries"/>,
    /// merging those that match one of the first <paramref name="mergeWithFirst"/>.
    /// </summary>
    /// <returns>Whether the list was read.</returns>
    private bool QueryProcesses(
        delegate* unmanaged[Cdecl]<IntPtr, uint*, NvmlProcessInfo*, int> function,
        Device device,
        string name,
        uint processId,
        int mergeWithFirst)
    {
        if (function == null)
        {
            return false;
        }

        int rc = NvmlReturn.InsufficientSize;
        uint count = 0;
        for (int query = 0; query < MaxProcessQueries && rc == NvmlReturn.InsufficientSize; query++)
        {
            if (query > 0)
            {
                // NVML put the number of entries it has into count: make room for it (and a few more).
                long needed = (long)Math.Max(count, (uint)_processes.Length) + ProcessSlack;
                if (needed > MaxProcessEntries)
                {
                    return false;
                }

                _processes = new NvmlProcessInfo[needed];
            }

            // Note: the first query of a reader passes an empty buffer (a null pointer and a count of 0), which is how
            // NVML documents asking for the count; later readings reuse the buffer and need no second query.
            count = (uint)_processes.Length;
            fixed (NvmlProcessInfo* entries = _processes)
            {
                rc = function(device.Handle, &count, entries);
            }
        }

        if (!device.Check(rc, name))
        {
            return false;
        }

        int filled = (int)Math.Min(count, (uint)_processes.Length);
        for (int i = 0; i < filled; i++)
        {
            NvmlProcessInfo entry = _processes[i];
            if (entry.Pid != processId)
            {
                continue;
            }

            int match = -1;
            for (int j = 0; j < mergeWithFirst && match < 0; j++)
            {
                if (_ownEntries[j].GpuInstanceId == entry.GpuInstanceId && _ownEntries[j].ComputeInstanceId == entry.ComputeInstanceId)
                {
                    match = j;
                }
            }

            if (match < 0)
            {
                _ownEntries.Add(entry);
            }
            else if (entry.UsedGpuMemory != NvmlConstants.ValueNotAvailable
                && (_ownEntries[match].UsedGpuMemory == NvmlConstants.ValueNotAvailable || entry.UsedGpuMemory > _ownEntries[match].UsedGpuMemory))
            {
                _ownEntries[match] = entry;
            }
        }

        return true;
    }

    /// <summary>One device found when the reader opened.</summary>
    private sealed class Device(int index, IntPtr handle, string id, string name)
    {
        public int Index { get; } = index;

        public IntPtr Handle { get; } = handle;

        public string Id { get; } = id;

        public string Name { get; } = name;

        /// <summary>Gets the NVML function that returned <c>NVML_ERROR_GPU_IS_LOST</c>, or <see langword="null"/> while the device is read.</summary>
        public string? LostIn { get; private set; }

        /// <summary>Returns whether <paramref name="rc"/> is success; marks the device lost when it says so.</summary>
        public bool Check(int rc, string function)
        {
            if (rc == NvmlReturn.GpuIsLost)
            {
                LostIn = function;
            }

            return rc == NvmlReturn.Success;
        }
    }
}
