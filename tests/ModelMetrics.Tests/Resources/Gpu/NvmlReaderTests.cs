// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ModelMetrics.Resources;
using NUnit.Framework;

namespace ModelMetrics.Tests.Resources.Gpu;

/// <summary>
/// <see cref="NvmlReader"/> against a fake NVML (fake_nvml.c) built with gcc when the tests start: every figure
/// equals the scripted one, and every error NVML can answer gives the documented status or a null figure.
/// </summary>
/// <remarks>
/// Each scenario is a directory of its own with a copy of the fake library and its script: a library stays loaded
/// once loaded, so no two scenarios share one.
/// </remarks>
[NonParallelizable] // the event listener sees the whole process's events
public class NvmlReaderTests
{
    private const string CompilerMissing = "gcc not found: apt-get install gcc";
    private const ulong NotAvailable = ulong.MaxValue;
    private static readonly int Pid = Environment.ProcessId;

    private string? _root;
    private string? _fake;
    private string? _oldDriver;
    private string? _compilerProblem;
    private int _scenarios;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate uint LayoutFunction(int which);

    [OneTimeSetUp]
    public void BuildFakes()
    {
        string? gcc = OperatingSystem.IsLinux() ? FindOnPath("gcc") : null;
        if (gcc is null)
        {
            _compilerProblem = OperatingSystem.IsLinux() ? CompilerMissing : "the fake NVML is a Linux shared library";
            return;
        }

        _root = Directory.CreateTempSubdirectory("modelmetrics-nvml-").FullName;
        string source = Path.Combine(AppContext.BaseDirectory, "Resources", "Gpu", "fake_nvml.c");
        _fake = Compile(gcc, source, Path.Combine(_root, "fake.so"));
        _oldDriver = Compile(gcc, source, Path.Combine(_root, "fake-old-driver.so"), "-DFAKE_OLD_DRIVER");
    }

    [OneTimeTearDown]
    public void RemoveFakes()
    {
        if (_root is not null)
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Test]
    public void StructLayouts_MatchNvmlHeader()
    {
        Assert.Multiple(() =>
        {
            // nvml.h: nvmlUtilization_t {uint gpu, memory}; nvmlMemory_t {ull total, free, used};
            // nvmlProcessInfo_t (v2/v3) {uint pid; ull usedGpuMemory; uint gpuInstanceId, computeInstanceId}.
            Assert.That(Unsafe.SizeOf<NvmlUtilization>(), Is.EqualTo(8));
            Assert.That(Marshal.SizeOf<NvmlUtilization>(), Is.EqualTo(8));
            Assert.That(Unsafe.SizeOf<NvmlMemory>(), Is.EqualTo(24));
            Assert.That(Marshal.SizeOf<NvmlMemory>(), Is.EqualTo(24));
            Assert.That(Unsafe.SizeOf<NvmlProcessInfo>(), Is.EqualTo(24));
            Assert.That(Marshal.SizeOf<NvmlProcessInfo>(), Is.EqualTo(24));
            Assert.That(Marshal.OffsetOf<NvmlProcessInfo>(nameof(NvmlProcessInfo.UsedGpuMemory)), Is.EqualTo((IntPtr)8));
            Assert.That(Marshal.OffsetOf<NvmlProcessInfo>(nameof(NvmlProcessInfo.GpuInstanceId)), Is.EqualTo((IntPtr)16));
            Assert.That(Marshal.OffsetOf<NvmlProcessInfo>(nameof(NvmlProcessInfo.ComputeInstanceId)), Is.EqualTo((IntPtr)20));
        });
    }

    [Test]
    public void StructLayouts_MatchWhatTheCCompilerGivesTheHeaderStructs()
    {
        string library = Scenario("layout", "count=0");
        IntPtr handle = NativeLibrary.Load(library);
        var layout = Marshal.GetDelegateForFunctionPointer<LayoutFunction>(NativeLibrary.GetExport(handle, "fake_nvml_layout"));

        Assert.Multiple(() =>
        {
            Assert.That(layout(0), Is.EqualTo(Unsafe.SizeOf<NvmlUtilization>()));
            Assert.That(layout(1), Is.EqualTo(Unsafe.SizeOf<NvmlMemory>()));
            Assert.That(layout(2), Is.EqualTo(Unsafe.SizeOf<NvmlProcessInfo>()));
            Assert.That(layout(3), Is.EqualTo((uint)Marshal.OffsetOf<NvmlProcessInfo>(nameof(NvmlProcessInfo.UsedGpuMemory))));
        });
    }

    [Test]
    public void Read_TwoDevices_EveryFigureEqualsTheScriptedOne()
    {
        string library = Scenario(
            "two-devices",
            "count=2",
            "d0.uuid=GPU-8c3d5a1e-0000-1111-2222-333344445555",
            "d0.name=NVIDIA H200",
            "d0.util=37",
            "d0.mem_total=85899345920",
            "d0.mem_used=3221225472",
            "d0.power_mw=215123",
            "d0.energy_mj=123456789",
            "d0.temp=61",
            $"d0.compute={Pid}:1500000000,{Pid + 101}:999000",
            $"d0.graphics={Pid + 102}:77000",
            "d1.uuid=GPU-11112222-3333-4444-5555-666677778888",
            "d1.name=NVIDIA A100-SXM4-80GB",
            "d1.util=81",
            "d1.mem_total=85899345920",
            "d1.mem_used=75161927680",
            "d1.rc.power=3",
            "d1.energy_mj=5000",
            "d1.temp=74",
            // MIG: this process on two GPU instances (summed), with a graphics context on the first (counted once).
            $"d1.compute={Pid}:250000000:1:0,{Pid}:50000000:2:0,{Pid + 103}:1000000:1:0",
            $"d1.graphics={Pid}:250000000:1:0,{Pid + 104}:2000000");

        using NvmlReader reader = NvmlReader.Open(library);
        IReadOnlyList<GpuSnapshot> snapshots = reader.Read(Pid);

        Assert.That(reader.Status, Is.EqualTo(GpuStatus.Ok));
        Assert.That(snapshots, Has.Count.EqualTo(2));
        GpuSnapshot first = snapshots[0];
        GpuSnapshot second = snapshots[1];
        Assert.Multiple(() =>
        {
            Assert.That(first.Index, Is.EqualTo(0));
            Assert.That(first.Id, Is.EqualTo("GPU-8c3d5a1e-0000-1111-2222-333344445555"));
            Assert.That(first.Name, Is.EqualTo("NVIDIA H200"));
            Assert.That(first.Vendor, Is.EqualTo("NVIDIA"));
            Assert.That(first.Utilization, Is.EqualTo(0.37));
            Assert.That(first.MemoryUsedBytes, Is.EqualTo(3221225472L));
            Assert.That(first.MemoryTotalBytes, Is.EqualTo(85899345920L));
            Assert.That(first.MemoryUtilization, Is.EqualTo(0.0375));
            Assert.That(first.PowerWatts, Is.EqualTo(215.123));
            Assert.That(first.EnergyJoules, Is.EqualTo(123456.789));
            Assert.That(first.TemperatureCelsius, Is.EqualTo(61.0));
            Assert.That(first.ProcessMemoryBytes, Is.EqualTo(1500000000L));

            Assert.That(second.Index, Is.EqualTo(1));
            Assert.That(second.Id, Is.EqualTo("GPU-11112222-3333-4444-5555-666677778888"));
            Assert.That(second.Name, Is.EqualTo("NVIDIA A100-SXM4-80GB"));
            Assert.That(second.Utilization, Is.EqualTo(0.81));
            Assert.That(second.MemoryUsedBytes, Is.EqualTo(75161927680L));
            Assert.That(second.MemoryUtilization, Is.EqualTo(0.875));
            Assert.That(second.PowerWatts, Is.Null, "NOT_SUPPORTED leaves the figure null");
            Assert.That(second.EnergyJoules, Is.EqualTo(5.0));
            Assert.That(second.TemperatureCelsius, Is.EqualTo(74.0));
            Assert.That(second.ProcessMemoryBytes, Is.EqualTo(300000000L));
        });
    }

    [Test]
    public void ResourceMonitor_PublishesEveryScriptedFigureUnderTheHardwareConventionNames()
    {
        string library = Scenario(
            "published",
            "count=2",
            "d0.uuid=GPU-aaaa",
            "d0.name=NVIDIA H200",
            "d0.util=37",
            "d0.mem_total=1000000",
            "d0.mem_used=250000",
            "d0.power_mw=215123",
            "d0.energy_mj=123456789",
            "d0.temp=61",
            $"d0.compute={Pid}:4000,{Pid + 101}:999",
            "d1.uuid=GPU-bbbb",
            "d1.name=NVIDIA A100",
            "d1.util=81",
            "d1.mem_total=2000000",
            "d1.mem_used=500000",
            "d1.rc.power=3",
            "d1.energy_mj=5000",
            "d1.temp=74",
            $"d1.compute={Pid + 103}:1");
        string meter = "NvmlPublishing." + Guid.NewGuid().ToString("N");
        using var collector = new ModelMetrics.Tests.Publishing.MeasurementCollector(meter);
        using var resources = new ResourceMonitor(new ResourceMonitorOptions { MeterName = meter, NvmlLibraryPath = library });

        var all = collector.CollectAll();
        double Value(string instrument, string id) => all.Single(o => o.Instrument == instrument && o.Tag("hw.id") == id).Value;

        Assert.Multiple(() =>
        {
            Assert.That(resources.GetSnapshot().GpuStatus, Is.EqualTo(GpuStatus.Ok));
            Assert.That(all.Single(o => o.Instrument == "model.metrics.gpu.status").Tag("status"), Is.EqualTo("ok"));
            Assert.That(Value("hw.gpu.utilization", "GPU-aaaa"), Is.EqualTo(0.37).Within(1e-12));
            Assert.That(Value("hw.gpu.utilization", "GPU-bbbb"), Is.EqualTo(0.81).Within(1e-12));
            Assert.That(Value("hw.gpu.memory.usage", "GPU-aaaa"), Is.EqualTo(250_000));
            Assert.That(Value("hw.gpu.memory.limit", "GPU-bbbb"), Is.EqualTo(2_000_000));
            Assert.That(Value("hw.gpu.memory.utilization", "GPU-bbbb"), Is.EqualTo(0.25));
            Assert.That(Value("hw.power", "GPU-aaaa"), Is.EqualTo(215.123).Within(1e-9));
            Assert.That(all.Where(o => o.Instrument == "hw.power" && o.Tag("hw.id") == "GPU-bbbb"), Is.Empty, "power not supported: no series");
            Assert.That(Value("hw.energy", "GPU-aaaa"), Is.EqualTo(123_456.789).Within(1e-6));
            Assert.That(Value("hw.temperature", "GPU-bbbb"), Is.EqualTo(74));
            Assert.That(Value("process.gpu.memory.usage", "GPU-aaaa"), Is.EqualTo(4000));
            Assert.That(Value("process.gpu.memory.usage", "GPU-bbbb"), Is.Zero);
            var tags = all.First(o => o.Instrument == "hw.gpu.utilization" && o.Tag("hw.id") == "GPU-aaaa");
            Assert.That(tags.Tag("hw.name"), Is.EqualTo("NVIDIA H200"));
            Assert.That(tags.Tag("hw.vendor"), Is.EqualTo("NVIDIA"));
            Assert.That(tags.Tag("hw.type"), Is.EqualTo("gpu"));
        });
    }

    [Test]
    public void ResourceMonitor_WithoutTheLibrary_PublishesOnlyTheStatus()
    {
        string meter = "NvmlPublishing." + Guid.NewGuid().ToString("N");
        using var collector = new ModelMetrics.Tests.Publishing.MeasurementCollector(meter);
        using var resources = new ResourceMonitor(new ResourceMonitorOptions { MeterName = meter, NvmlLibraryPath = "/nonexistent/libnvidia-ml.so.1" });

        var all = collector.CollectAll();

        Assert.That(all.Single(o => o.Instrument == "model.metrics.gpu.status").Tag("status"), Is.EqualTo("library_not_found"));
        Assert.That(all.Where(o => o.Instrument.StartsWith("hw.", StringComparison.Ordinal)), Is.Empty);
        Assert.That(resources.GetSnapshot().Gpus, Is.Empty);
    }

    [Test]
    public void Read_ProcessListLargerThanTheBuffer_AsksAgainWithTheCountNvmlReturned()
    {
        string library = Scenario(
            "insufficient-size",
            "count=1",
            "d0.uuid=GPU-a",
            $"d0.compute={Pid + 111}:1,{Pid + 112}:2,{Pid}:4096,{Pid + 113}:3,{Pid + 114}:4",
            $"d0.graphics={Pid}:4096,{Pid + 115}:5");

        using NvmlReader reader = NvmlReader.Open(library);
        long? firstReading = reader.Read(Pid)[0].ProcessMemoryBytes;
        long? secondReading = reader.Read(Pid)[0].ProcessMemoryBytes;

        List<Call> compute = Calls(library).Where(c => c.Function == "compute").ToList();
        List<Call> graphics = Calls(library).Where(c => c.Function == "graphics").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(firstReading, Is.EqualTo(4096));
            Assert.That(secondReading, Is.EqualTo(4096));

            // First reading: an empty buffer, INSUFFICIENT_SIZE with 5, then a buffer of at least 5. Second reading:
            // the buffer is kept, one call. The graphics list fits the buffer the compute list grew.
            Assert.That(compute, Has.Count.EqualTo(3));
            Assert.That(compute[0], Is.EqualTo(new Call("compute", 0, 7, 0)));
            Assert.That(compute[1].Rc, Is.Zero);
            Assert.That(compute[1].Capacity, Is.GreaterThanOrEqualTo(5));
            Assert.That(compute[2].Rc, Is.Zero);
            Assert.That(compute[2].Capacity, Is.EqualTo(compute[1].Capacity));
            Assert.That(graphics.Select(c => c.Rc), Is.EqualTo(new[] { 0, 0 }));
        });
    }

    [Test]
    public void Read_FromManyThreads_EveryReadingExactAndTheBufferGrowsOnce()
    {
        const int Threads = 4;
        const int ReadsEach = 50;
        string library = Scenario(
            "threads",
            "count=2",
            "d0.uuid=GPU-a",
            "d0.util=37",
            $"d0.compute={Pid + 111}:1,{Pid + 112}:2,{Pid}:4096,{Pid + 113}:3",
            "d1.uuid=GPU-b",
            "d1.util=81",
            $"d1.compute={Pid}:8192");
        using NvmlReader reader = NvmlReader.Open(library);

        var run = new ConcurrentRun(Threads);
        run.Execute(_ =>
        {
            for (int i = 0; i < ReadsEach; i++)
            {
                IReadOnlyList<GpuSnapshot> snapshots = reader.Read(Pid);
                if (snapshots.Count != 2 || snapshots[0].ProcessMemoryBytes != 4096 || snapshots[1].ProcessMemoryBytes != 8192
                    || snapshots[0].Utilization != 0.37 || snapshots[1].Utilization != 0.81)
                {
                    run.Problem($"reading {i}: {string.Join(", ", snapshots.Select(s => $"{s.Id} {s.Utilization} {s.ProcessMemoryBytes}"))}");
                }
            }
        });

        run.AssertClean();

        // Readings are serialized: only the very first one finds the buffer too small.
        List<Call> compute = Calls(library).Where(c => c.Function == "compute").ToList();
        Assert.That(compute.Count(c => c.Rc == 7), Is.EqualTo(1));
        Assert.That(compute.Count(c => c.Rc == 0), Is.EqualTo(2 * Threads * ReadsEach));
    }

    [Test]
    public void Read_ProcessListThatKeepsGrowing_GivesUpAfterBoundedQueriesAndLeavesOnlyThatFigureNull()
    {
        string library = Scenario(
            "always-insufficient",
            "count=1",
            "d0.uuid=GPU-a",
            "d0.util=5",
            "d0.compute_grows=1",
            $"d0.graphics={Pid}:4096");

        using NvmlReader reader = NvmlReader.Open(library);
        GpuSnapshot snapshot = reader.Read(Pid).Single();

        List<Call> compute = Calls(library).Where(c => c.Function == "compute").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.ProcessMemoryBytes, Is.Null, "the compute list was never read: the graphics list alone is not the figure");
            Assert.That(snapshot.Utilization, Is.EqualTo(0.05));
            Assert.That(reader.Status, Is.EqualTo(GpuStatus.Ok));
            Assert.That(compute, Has.Count.EqualTo(NvmlReader.MaxProcessQueries));
            Assert.That(compute.Select(c => c.Rc), Is.All.EqualTo(7));
            Assert.That(compute.Select(c => c.Capacity), Is.Ordered.Ascending.And.Unique);
        });
    }

    [Test]
    public void Read_ThirdReadingLosesOneDevice_ItsFiguresStopTheOtherGoesOnAndOneEventSaysGpuLost()
    {
        string library = Scenario(
            "gpu-lost",
            "count=2",
            "d0.uuid=GPU-a",
            "d0.util=10",
            "d1.uuid=GPU-b",
            "d1.util=20",
            "d1.lost_after=2");
        using var events = new GpuEvents(library);

        using NvmlReader reader = NvmlReader.Open(library);
        var counts = new List<int>();
        var statuses = new List<GpuStatus>();
        for (int i = 0; i < 5; i++)
        {
            counts.Add(reader.Read(Pid).Count);
            statuses.Add(reader.Status);
        }

        List<Call> deviceOneCalls = Calls(library).Where(c => c.Device == 1 && c.Function == "util").ToList();
        List<EventWrittenEventArgs> written = events.Written;
        Assert.Multiple(() =>
        {
            Assert.That(counts, Is.EqualTo(new[] { 2, 2, 1, 1, 1 }));
            Assert.That(statuses, Is.EqualTo(new[] { GpuStatus.Ok, GpuStatus.Ok, GpuStatus.GpuLost, GpuStatus.GpuLost, GpuStatus.GpuLost }));
            Assert.That(reader.Read(Pid).Single().Id, Is.EqualTo("GPU-a"));
            Assert.That(deviceOneCalls, Has.Count.EqualTo(3), "a lost device is not asked again");
            Assert.That(reader.StatusDetail, Does.Contain("device 1 (GPU-b)").And.Contain("nvmlDeviceGetUtilizationRates"));

            Assert.That(written.Select(e => (string)e.Payload![0]!), Is.EqualTo(new[] { "ok", "gpu_lost" }));
            Assert.That(written.Select(e => e.Level), Is.EqualTo(new[] { EventLevel.Informational, EventLevel.Warning }));
            Assert.That((string)written[1].Payload![1]!, Does.Contain("device 1 (GPU-b)"));
        });
    }

    [Test]
    public void Open_OldDriverWithoutEnergyAndGraphicsList_LeavesEnergyNullAndReadsTheRest()
    {
        string library = Scenario(
            "old-driver",
            oldDriver: true,
            "count=1",
            "d0.uuid=GPU-old",
            "d0.name=Tesla K80",
            "d0.util=100",
            "d0.mem_total=12000000000",
            "d0.mem_used=3000000000",
            "d0.power_mw=149000",
            "d0.energy_mj=777",
            "d0.temp=45",
            $"d0.compute={Pid}:2048,{Pid + 1}:4096");

        using NvmlReader reader = NvmlReader.Open(library);
        GpuSnapshot snapshot = reader.Read(Pid).Single();

        Assert.Multiple(() =>
        {
            Assert.That(reader.Status, Is.EqualTo(GpuStatus.Ok));
            Assert.That(snapshot.EnergyJoules, Is.Null);
            Assert.That(snapshot.Utilization, Is.EqualTo(1.0));
            Assert.That(snapshot.MemoryUtilization, Is.EqualTo(0.25));
            Assert.That(snapshot.PowerWatts, Is.EqualTo(149.0));
            Assert.That(snapshot.TemperatureCelsius, Is.EqualTo(45.0));
            Assert.That(snapshot.ProcessMemoryBytes, Is.EqualTo(2048));
            Assert.That(Calls(library).Select(c => c.Function), Has.None.EqualTo("energy").And.None.EqualTo("graphics"));
        });
    }

    [Test]
    public void Read_ProcessMemoryNotAvailable_IsNullNotSixteenExabytes()
    {
        string library = Scenario("not-available", "count=1", "d0.uuid=GPU-a", $"d0.compute={Pid}:{NotAvailable}");

        using NvmlReader reader = NvmlReader.Open(library);

        Assert.That(reader.Read(Pid).Single().ProcessMemoryBytes, Is.Null);
    }

    [Test]
    public void Read_ProcessWithoutEntries_HoldsZeroBytes()
    {
        string library = Scenario("other-processes", "count=1", "d0.uuid=GPU-a", $"d0.compute={Pid + 111}:1024", $"d0.graphics={Pid + 112}:2048");

        using NvmlReader reader = NvmlReader.Open(library);

        Assert.That(reader.Read(Pid).Single().ProcessMemoryBytes, Is.EqualTo(0));
    }

    [Test]
    public void Read_EveryReadingFunctionNotSupported_EveryFigureNullButTheDeviceIsThere()
    {
        string library = Scenario(
            "not-supported",
            "count=1",
            "d0.rc.uuid=3",
            "d0.rc.name=3",
            "d0.rc.util=3",
            "d0.rc.memory=3",
            "d0.rc.power=3",
            "d0.rc.energy=3",
            "d0.rc.temp=3",
            "d0.rc.compute=3",
            "d0.rc.graphics=3");

        using NvmlReader reader = NvmlReader.Open(library);
        GpuSnapshot snapshot = reader.Read(Pid).Single();

        Assert.Multiple(() =>
        {
            Assert.That(reader.Status, Is.EqualTo(GpuStatus.Ok));
            Assert.That(snapshot.Id, Is.EqualTo("0"), "without a UUID the device goes by its index");
            Assert.That(snapshot.Name, Is.Empty);
            Assert.That(snapshot.Utilization, Is.Null);
            Assert.That(snapshot.MemoryUsedBytes, Is.Null);
            Assert.That(snapshot.MemoryTotalBytes, Is.Null);
            Assert.That(snapshot.MemoryUtilization, Is.Null);
            Assert.That(snapshot.PowerWatts, Is.Null);
            Assert.That(snapshot.EnergyJoules, Is.Null);
            Assert.That(snapshot.TemperatureCelsius, Is.Null);
            Assert.That(snapshot.ProcessMemoryBytes, Is.Null);
        });
    }

    [TestCase(9, GpuStatus.DriverNotLoaded)]
    [TestCase(12, GpuStatus.DriverNotLoaded)]
    [TestCase(13, GpuStatus.DriverNotLoaded)]
    [TestCase(18, GpuStatus.DriverNotLoaded)]
    [TestCase(4, GpuStatus.NoPermission)]
    public void Open_InitFails_StatusFromTheErrorNoReadingsNoShutdown(int rc, GpuStatus expected)
    {
        string library = Scenario("init-" + rc.ToString(CultureInfo.InvariantCulture), $"init_rc={rc}", "count=1");
        using var events = new GpuEvents(library);

        NvmlReader reader = NvmlReader.Open(library);
        IReadOnlyList<GpuSnapshot> snapshots = reader.Read(Pid);
        reader.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(reader.Status, Is.EqualTo(expected));
            Assert.That(snapshots, Is.Empty);
            Assert.That(Calls(library).Select(c => c.Function), Is.EqualTo(new[] { "init" }), "nothing but nvmlInit_v2 is called, not even nvmlShutdown");
            Assert.That(events.Written.Select(e => (string)e.Payload![0]!), Is.EqualTo(new[] { GpuStatusNames.Get(expected) }));
            Assert.That(events.Written.Single().Level, Is.EqualTo(EventLevel.Warning));
            Assert.That((string)events.Written.Single().Payload![1]!, Does.Contain("nvmlInit_v2 returned " + rc.ToString(CultureInfo.InvariantCulture)));
        });
    }

    [TestCase("count=0", GpuStatus.NoGpu)]
    [TestCase("count_rc=4", GpuStatus.NoPermission)]
    [TestCase("count_rc=999", GpuStatus.NoGpu)]
    public void Open_NoDeviceToRead_StatusSaysWhyAndReadingsAreEmpty(string script, GpuStatus expected)
    {
        string library = Scenario("devices-" + script.Replace('=', '-'), script);

        NvmlReader reader = NvmlReader.Open(library);
        IReadOnlyList<GpuSnapshot> snapshots = reader.Read(Pid);
        reader.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(reader.Status, Is.EqualTo(expected));
            Assert.That(snapshots, Is.Empty);
            Assert.That(Calls(library).Count(c => c.Function == "shutdown"), Is.EqualTo(1), "NVML was initialized, so it is shut down");
        });
    }

    [Test]
    public void Open_OneDeviceDenied_TheOtherIsReadUnderItsOwnIndex()
    {
        string library = Scenario("one-denied", "count=2", "d0.rc.handle=4", "d1.uuid=GPU-b", "d1.util=50");

        using NvmlReader reader = NvmlReader.Open(library);
        GpuSnapshot snapshot = reader.Read(Pid).Single();

        Assert.Multiple(() =>
        {
            Assert.That(reader.Status, Is.EqualTo(GpuStatus.Ok));
            Assert.That(reader.StatusDetail, Does.Contain("1 of 2 device(s) read").And.Contain("device 0: 4 (NVML_ERROR_NO_PERMISSION)"));
            Assert.That(snapshot.Index, Is.EqualTo(1));
            Assert.That(snapshot.Id, Is.EqualTo("GPU-b"));
            Assert.That(snapshot.Utilization, Is.EqualTo(0.5));
        });
    }

    [Test]
    public void Open_EveryDeviceDenied_NoPermission()
    {
        string library = Scenario("all-denied", "count=2", "d0.rc.handle=4", "d1.rc.handle=4");

        using NvmlReader reader = NvmlReader.Open(library);

        Assert.That(reader.Status, Is.EqualTo(GpuStatus.NoPermission));
        Assert.That(reader.Read(Pid), Is.Empty);
    }

    [Test]
    public void Open_DeviceLostBeforeTheFirstReading_GpuLostAndTheOtherIsRead()
    {
        string library = Scenario("lost-at-open", "count=2", "d0.uuid=GPU-a", "d1.rc.uuid=15");

        using NvmlReader reader = NvmlReader.Open(library);

        Assert.That(reader.Status, Is.EqualTo(GpuStatus.GpuLost));
        Assert.That(reader.Read(Pid).Select(s => s.Id), Is.EqualTo(new[] { "GPU-a" }));
    }

    [Test]
    public void Dispose_ShutsNvmlDownOnceAndLaterReadingsAreEmpty()
    {
        string library = Scenario("dispose", "count=1", "d0.uuid=GPU-a");

        NvmlReader reader = NvmlReader.Open(library);
        Assert.That(reader.Read(Pid), Has.Count.EqualTo(1));
        reader.Dispose();
        reader.Dispose();

        Assert.Multiple(() =>
        {
            Assert.That(reader.Read(Pid), Is.Empty);
            Assert.That(Calls(library).Where(c => c.Function == "shutdown"), Is.EqualTo(new[] { new Call("shutdown", -1, 0, 0) }));
        });
    }

    [Test]
    public void Open_LibraryPathThatDoesNotExist_LibraryNotFoundAndOneEvent()
    {
        string missing = Path.Combine(Path.GetTempPath(), "modelmetrics-no-such-dir-" + Guid.NewGuid().ToString("N"), "libnvidia-ml.so.1");
        using var events = new GpuEvents(missing);

        using NvmlReader reader = NvmlReader.Open(missing);

        Assert.Multiple(() =>
        {
            Assert.That(reader.Status, Is.EqualTo(GpuStatus.LibraryNotFound));
            Assert.That(reader.Read(Pid), Is.Empty);
            Assert.That(events.Written.Select(e => (string)e.Payload![0]!), Is.EqualTo(new[] { "library_not_found" }));
        });
    }

    [Test]
    public void Open_LibraryWithoutNvmlFunctions_LibraryNotFound()
    {
        // libc is a shared library every Linux machine has, and it exports no nvmlInit_v2.
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("libc.so.6 is a Linux library");
        }

        using NvmlReader reader = NvmlReader.Open("libc.so.6");

        Assert.That(reader.Status, Is.EqualTo(GpuStatus.LibraryNotFound));
        Assert.That(reader.StatusDetail, Does.Contain("lacks nvmlInit_v2"));
    }

    [Test]
    public void Open_DefaultNames_LibraryNotFoundExactlyWhenNoneOfThemLoads()
    {
        bool present = NvmlReader.DefaultLibraryNames().Any(name => NativeLibrary.TryLoad(name, out _));

        using NvmlReader reader = NvmlReader.Open(null);

        if (present)
        {
            Assert.That(reader.Status, Is.Not.EqualTo(GpuStatus.LibraryNotFound));
        }
        else
        {
            Assert.That(reader.Status, Is.EqualTo(GpuStatus.LibraryNotFound));
            Assert.That(reader.Read(Pid), Is.Empty);
        }
    }

    private static string? FindOnPath(string program)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            string candidate = Path.Combine(directory, program);
            if (directory.Length > 0 && File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static string Compile(string gcc, string source, string output, params string[] defines)
    {
        var info = new ProcessStartInfo(gcc) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in new[] { "-shared", "-fPIC", "-Wall", "-o", output }.Concat(defines).Append(source))
        {
            info.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(info)!;
        string errors = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero, $"gcc failed on {source}:\n{errors}");
        return output;
    }

    private static List<Call> Calls(string library)
    {
        string log = Path.Combine(Path.GetDirectoryName(library)!, "calls.log");
        if (!File.Exists(log))
        {
            return [];
        }

        return File.ReadAllLines(log)
            .Select(line => line.Split(' '))
            .Select(f => new Call(f[0], int.Parse(f[1], CultureInfo.InvariantCulture), int.Parse(f[2], CultureInfo.InvariantCulture), uint.Parse(f[3], CultureInfo.InvariantCulture)))
            .ToList();
    }

    private string Scenario(string name, params string[] script) => Scenario(name, oldDriver: false, script);

    /// <summary>Makes a directory with a copy of the fake library and its script; returns the library's path.</summary>
    private string Scenario(string name, bool oldDriver, params string[] script)
    {
        if (_compilerProblem is not null)
        {
            Assert.Ignore(_compilerProblem);
        }

        string directory = Path.Combine(_root!, $"{++_scenarios:D2}-{name}");
        Directory.CreateDirectory(directory);
        string library = Path.Combine(directory, "libnvidia-ml.so.1");
        File.Copy(oldDriver ? _oldDriver! : _fake!, library);
        File.WriteAllLines(Path.Combine(directory, "script.txt"), script);
        return library;
    }

    /// <summary>One call the fake logged: the function, the device index (-1 for none), what it returned, the buffer size given.</summary>
    private sealed record Call(string Function, int Device, int Rc, uint Capacity);

    /// <summary>Captures the GPU status events whose detail names one library path.</summary>
    private sealed class GpuEvents(string library) : EventListener
    {
        private readonly List<EventWrittenEventArgs> _written = [];

        public List<EventWrittenEventArgs> Written
        {
            get
            {
                lock (_written)
                {
                    return [.. _written];
                }
            }
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "ModelMetrics")
            {
                EnableEvents(eventSource, EventLevel.Verbose);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName?.StartsWith("GpuStatus", StringComparison.Ordinal) == true
                && eventData.Payload is { Count: 2 } payload
                && payload[1] is string detail
                && detail.Contains(library, StringComparison.Ordinal))
            {
                lock (_written)
                {
                    _written.Add(eventData);
                }
            }
        }
    }
}
