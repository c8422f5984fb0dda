// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using ModelMetrics.Resources;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Resources;

[TestFixture]
public sealed class ResourceMonitorTests
{
    private FakeFiles _files = null!;
    private FakeTimeProvider _time = null!;
    private string _meter = null!;

    [SetUp]
    public void SetUp()
    {
        _files = new FakeFiles();
        _time = new FakeTimeProvider();
        _meter = "ResourceTests." + Guid.NewGuid().ToString("N");

        // Half a CPU of quota (cgroup v2), 1 GiB memory limit.
        _files["/proc/self/cgroup"] = "0::/pod\n";
        _files["/proc/self/mountinfo"] = "30 22 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
        _files["/sys/fs/cgroup/pod/cgroup.controllers"] = "cpu memory\n";
        _files["/sys/fs/cgroup/pod/cpu.max"] = "50000 100000\n";
        _files["/sys/fs/cgroup/pod/memory.max"] = "1073741824\n";
        _files["/sys/fs/cgroup/pod/memory.current"] = "268435456\n";
        _files["/sys/fs/cgroup/pod/cpu.stat"] = "usage_usec 1000000\nnr_periods 10\nnr_throttled 1\nthrottled_usec 2000\n";
        _files["/proc/self/stat"] = FakeFiles.Stat(utime: 100, stime: 20, threads: 9, vsize: 5_000_000, rssPages: 300);
        _files["/proc/stat"] = "cpu  1000 0 500 8000 500 0 0 0 0 0\n";
        _files["/proc/meminfo"] = "MemTotal: 1000000 kB\nMemFree: 200000 kB\nMemAvailable: 600000 kB\nBuffers: 100000 kB\nCached: 300000 kB\n";
    }

    [Test]
    public void Utilisations_are_differences_over_the_elapsed_time()
    {
        using var monitor = Create(TimeSpan.FromSeconds(1));

        // 2 s later: the process used 0.5 s more CPU (30 + 20 ticks), the group 0.8 s, the machine 400 of 1000 ticks busy.
        _time.Advance(TimeSpan.FromSeconds(2));
        _files["/proc/self/stat"] = FakeFiles.Stat(utime: 130, stime: 40, threads: 11, vsize: 6_000_000, rssPages: 400);
        _files["/sys/fs/cgroup/pod/cpu.stat"] = "usage_usec 1800000\nnr_periods 30\nnr_throttled 4\nthrottled_usec 9000\n";
        _files["/proc/stat"] = "cpu  1300 0 600 8500 600 0 0 0 0 0\n";

        ResourceSnapshot s = monitor.GetSnapshot();

        double cpus = Math.Min(Environment.ProcessorCount, 0.5);
        Assert.Multiple(() =>
        {
            Assert.That(s.Elapsed, Is.EqualTo(TimeSpan.FromSeconds(2)));
            Assert.That(s.AvailableCpus, Is.EqualTo(cpus));
            Assert.That(s.ProcessCpuUtilization, Is.EqualTo(0.5 / (2 * cpus)).Within(1e-12));
            Assert.That(s.ProcessCpuUserTime, Is.EqualTo(TimeSpan.FromSeconds(1.3)));
            Assert.That(s.ProcessCpuSystemTime, Is.EqualTo(TimeSpan.FromSeconds(0.4)));
            Assert.That(s.ProcessThreads, Is.EqualTo(11));
            Assert.That(s.ProcessVirtualMemoryBytes, Is.EqualTo(6_000_000));
            Assert.That(s.ProcessResidentMemoryBytes, Is.EqualTo(400L * Environment.SystemPageSize));

            // psutil: busy = total − idle − iowait = (300 + 100) of 1000 ticks.
            Assert.That(s.SystemCpuUtilization, Is.EqualTo(0.4).Within(1e-12));
            Assert.That(s.SystemMemoryUtilization, Is.EqualTo(0.4).Within(1e-12));
            Assert.That(s.SystemMemoryUsedBytes, Is.EqualTo(400_000L * 1024));

            ContainerSnapshot c = s.Container!;
            Assert.That(c.CgroupVersion, Is.EqualTo(2));
            Assert.That(c.CpuLimit, Is.EqualTo(0.5));
            Assert.That(c.CpuTime, Is.EqualTo(TimeSpan.FromSeconds(1.8)));
            Assert.That(c.CpuUtilization, Is.EqualTo(0.8 / (2 * 0.5)).Within(1e-12));
            Assert.That(c.ThrottledPeriods, Is.EqualTo(4));
            Assert.That(c.ThrottledTime, Is.EqualTo(TimeSpan.FromMilliseconds(9)));
            Assert.That(c.MemoryUtilization, Is.EqualTo(0.25));

            Assert.That(s.GcCollections, Has.Count.EqualTo(3));
            Assert.That(s.GcAllocatedBytes, Is.Positive);
            Assert.That(s.GpuStatus, Is.EqualTo(GpuStatus.Disabled));
        });
    }

    [Test]
    public void Readings_within_the_interval_are_shared()
    {
        using var monitor = Create(TimeSpan.FromSeconds(1));

        ResourceSnapshot first = monitor.GetSnapshot();
        _time.Advance(TimeSpan.FromMilliseconds(999));
        _files["/proc/self/stat"] = FakeFiles.Stat(utime: 200, stime: 20, threads: 9, vsize: 5_000_000, rssPages: 300);
        Assert.That(monitor.GetSnapshot(), Is.SameAs(first));

        _time.Advance(TimeSpan.FromMilliseconds(1));
        ResourceSnapshot second = monitor.GetSnapshot();
        Assert.That(second, Is.Not.SameAs(first));
        Assert.That(second.ProcessCpuUserTime, Is.EqualTo(TimeSpan.FromSeconds(2)));
        Assert.That(second.Elapsed, Is.EqualTo(TimeSpan.FromSeconds(1)));
    }

    [Test]
    public void Nothing_elapsed_gives_no_utilisation_rather_than_a_division_by_zero()
    {
        using var monitor = Create(TimeSpan.Zero);

        ResourceSnapshot s = monitor.GetSnapshot();

        Assert.That(s.ProcessCpuUtilization, Is.Null);
        Assert.That(s.SystemCpuUtilization, Is.Null, "no tick elapsed on the machine either");
        Assert.That(s.Container!.CpuUtilization, Is.Null);
    }

    [Test]
    public void Missing_sources_are_left_out_never_thrown()
    {
        var empty = new FakeFiles();
        using var monitor = new ResourceMonitor(new ResourceMonitorOptions { MeterName = _meter, TimeProvider = _time, IncludeGpu = false }, empty.Reader);
        _time.Advance(TimeSpan.FromSeconds(1));

        ResourceSnapshot s = monitor.GetSnapshot();

        Assert.That(s.SystemCpuUtilization, Is.Null);
        Assert.That(s.SystemMemoryTotalBytes, Is.Null);
        Assert.That(s.Container, Is.Null);
    }

    [Test]
    public void Instruments_publish_the_snapshot_with_semantic_convention_names()
    {
        using var collector = new MeasurementCollector(_meter);
        using var monitor = Create(TimeSpan.FromSeconds(1));
        _time.Advance(TimeSpan.FromSeconds(2));
        _files["/proc/stat"] = "cpu  1300 0 600 8500 600 0 0 0 0 0\n";

        List<Observed> all = collector.CollectAll();
        ResourceSnapshot s = monitor.GetSnapshot();

        double Value(string name, string? key = null, string? value = null) =>
            all.Single(o => o.Instrument == name && (key is null || o.Tag(key) == value)).Value;

        Assert.Multiple(() =>
        {
            Assert.That(Value("process.cpu.time", "cpu.mode", "user"), Is.EqualTo(1.0));
            Assert.That(Value("process.cpu.time", "cpu.mode", "system"), Is.EqualTo(0.2));
            Assert.That(Value("process.memory.usage"), Is.EqualTo(300.0 * Environment.SystemPageSize));
            Assert.That(Value("process.thread.count"), Is.EqualTo(9));
            Assert.That(Value("system.cpu.utilization", "cpu.mode", "user"), Is.EqualTo(0.3).Within(1e-12));
            Assert.That(Value("system.cpu.utilization", "cpu.mode", "idle"), Is.EqualTo(0.5).Within(1e-12));
            Assert.That(all.Where(o => o.Instrument == "system.cpu.utilization").Sum(o => o.Value), Is.EqualTo(1.0).Within(1e-12));
            Assert.That(Value("system.memory.usage", "system.memory.state", "used"), Is.EqualTo(400_000.0 * 1024));
            Assert.That(all.Where(o => o.Instrument == "system.memory.usage").Sum(o => o.Value), Is.EqualTo(1_000_000.0 * 1024), "states sum to the total");
            Assert.That(Value("system.memory.utilization"), Is.EqualTo(0.4).Within(1e-12));
            Assert.That(Value("container.cpu.limit"), Is.EqualTo(0.5));
            Assert.That(Value("container.memory.limit"), Is.EqualTo(1_073_741_824.0));
            Assert.That(Value("container.memory.utilization"), Is.EqualTo(0.25));
            Assert.That(Value("dotnet.gc.collections", "dotnet.gc.heap.generation", "gen2"), Is.EqualTo(s.GcCollections[2]));
            Assert.That(all.Where(o => o.Instrument.StartsWith("hw.", StringComparison.Ordinal) || o.Instrument == "model.metrics.gpu.status"), Is.Empty, "GPU reading is off");
        });
    }

    [Test]
    public void Runtime_instruments_can_be_left_to_the_runtimes_own_meter()
    {
        using var collector = new MeasurementCollector(_meter);
        using var monitor = new ResourceMonitor(new ResourceMonitorOptions { MeterName = _meter, TimeProvider = _time, IncludeGpu = false, IncludeRuntime = false }, _files.Reader);

        List<Observed> all = collector.CollectAll();

        Assert.That(all.Where(o => o.Instrument.StartsWith("dotnet.", StringComparison.Ordinal)), Is.Empty);
        Assert.That(all.Count(o => o.Instrument == "process.memory.usage"), Is.EqualTo(1));
    }

    [Test]
    public void A_second_live_monitor_on_one_meter_is_refused_and_a_disposed_one_stops_publishing()
    {
        using var collector = new MeasurementCollector(_meter);
        var first = Create(TimeSpan.FromSeconds(1));

        var error = Assert.Throws<ArgumentException>(() => Create(TimeSpan.FromSeconds(1)));
        Assert.That(error!.ParamName, Is.EqualTo("MeterName"));

        first.Dispose();
        Assert.That(collector.CollectAll(), Is.Empty);

        using var second = Create(TimeSpan.FromSeconds(1));
        Assert.That(collector.CollectAll().Count(o => o.Instrument == "process.thread.count"), Is.EqualTo(1));
    }

    [Test]
    public void Invalid_options_name_the_option()
    {
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new ResourceMonitor(new ResourceMonitorOptions { Interval = TimeSpan.FromSeconds(-1) }))!.ParamName, Is.EqualTo("Interval"));
        Assert.That(Assert.Throws<ArgumentException>(() => new ResourceMonitor(new ResourceMonitorOptions { MeterName = " " }))!.ParamName, Is.EqualTo("MeterName"));
    }

    private ResourceMonitor Create(TimeSpan interval) =>
        new(new ResourceMonitorOptions { MeterName = _meter, TimeProvider = _time, Interval = interval, IncludeGpu = false }, _files.Reader);
}
