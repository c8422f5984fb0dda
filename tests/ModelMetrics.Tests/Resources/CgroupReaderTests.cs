// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using ModelMetrics.Resources;
using NUnit.Framework;

namespace ModelMetrics.Tests.Resources;

[TestFixture]
public sealed class CgroupReaderTests
{
    private const string V2Mount = "30 22 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";

    [Test]
    public void V2_reads_quota_usage_throttling_and_memory()
    {
        var files = new FakeFiles();
        files["/proc/self/cgroup"] = "0::/kubepods/pod1/c1\n";
        files["/proc/self/mountinfo"] = "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n" + V2Mount;
        files["/sys/fs/cgroup/kubepods/pod1/c1/cgroup.controllers"] = "cpu memory\n";
        files["/sys/fs/cgroup/kubepods/pod1/c1/cpu.max"] = "150000 100000\n";
        files["/sys/fs/cgroup/kubepods/pod1/c1/cpu.stat"] = "usage_usec 7000000\nuser_usec 5000000\nsystem_usec 2000000\nnr_periods 300\nnr_throttled 12\nthrottled_usec 450000\n";
        files["/sys/fs/cgroup/kubepods/pod1/c1/memory.max"] = "536870912\n";
        files["/sys/fs/cgroup/kubepods/pod1/c1/memory.current"] = "134217728\n";

        CgroupReader reader = CgroupReader.Open(files.Reader);
        CgroupReading reading = reader.Read()!.Value;

        Assert.That(reader.Version, Is.EqualTo(2));
        Assert.That(reading, Is.EqualTo(new CgroupReading(2, 1.5, 7_000_000, 300, 12, 450_000, 536_870_912, 134_217_728)));
    }

    [Test]
    public void V2_max_is_no_limit_and_a_parent_limit_is_enforced()
    {
        var files = new FakeFiles();
        files["/proc/self/cgroup"] = "0::/app/worker\n";
        files["/proc/self/mountinfo"] = V2Mount;
        files["/sys/fs/cgroup/app/worker/cgroup.controllers"] = "cpu memory\n";
        files["/sys/fs/cgroup/app/worker/cpu.max"] = "max 100000\n";
        files["/sys/fs/cgroup/app/worker/memory.max"] = "max\n";
        files["/sys/fs/cgroup/app/worker/memory.current"] = "1000\n";
        files["/sys/fs/cgroup/app/cpu.max"] = "200000 100000\n";
        files["/sys/fs/cgroup/app/memory.max"] = "max\n";

        CgroupReading reading = CgroupReader.Open(files.Reader).Read()!.Value;

        Assert.That(reading.CpuLimit, Is.EqualTo(2.0));
        Assert.That(reading.MemoryLimitBytes, Is.Null);
        Assert.That(reading.MemoryUsageBytes, Is.EqualTo(1000));
        Assert.That(reading.CpuUsageMicroseconds, Is.Null, "no cpu.stat");
    }

    [Test]
    public void A_container_without_its_own_namespace_falls_back_to_the_mount_point()
    {
        var files = new FakeFiles();
        files["/proc/self/cgroup"] = "0::/system.slice/docker-abc.scope\n";
        files["/proc/self/mountinfo"] = V2Mount;
        files["/sys/fs/cgroup/cgroup.controllers"] = "cpu memory\n";
        files["/sys/fs/cgroup/memory.max"] = "1073741824\n";
        files["/sys/fs/cgroup/memory.current"] = "2048\n";

        CgroupReading reading = CgroupReader.Open(files.Reader).Read()!.Value;

        Assert.That(reading.MemoryLimitBytes, Is.EqualTo(1_073_741_824));
        Assert.That(reading.MemoryUsageBytes, Is.EqualTo(2048));
    }

    [Test]
    public void V1_reads_cpu_cpuacct_and_memory_hierarchies_and_wins_over_an_empty_cgroup2_tree()
    {
        var files = new FakeFiles();
        files["/proc/self/cgroup"] = "5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/\n";
        files["/proc/self/mountinfo"] =
            "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n" +
            "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n" +
            "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
        files["/sys/fs/cgroup/unified/cgroup.controllers"] = "\n";
        files["/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us"] = "50000\n";
        files["/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us"] = "100000\n";
        files["/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.stat"] = "nr_periods 40\nnr_throttled 3\nthrottled_time 9000000\n";
        files["/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpuacct.usage"] = "2500000000\n";
        files["/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes"] = "268435456\n";
        files["/sys/fs/cgroup/memory/docker/abc/memory.usage_in_bytes"] = "4096\n";

        CgroupReader reader = CgroupReader.Open(files.Reader);

        Assert.That(reader.Version, Is.EqualTo(1));
        Assert.That(reader.Read(), Is.EqualTo(new CgroupReading(1, 0.5, 2_500_000, 40, 3, 9_000, 268_435_456, 4096)));
    }

    [Test]
    public void V1_unlimited_quota_and_memory_read_as_no_limit()
    {
        var files = new FakeFiles();
        files["/proc/self/cgroup"] = "4:memory:/\n2:cpu:/\n";
        files["/proc/self/mountinfo"] =
            "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n" +
            "34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n";
        files["/sys/fs/cgroup/cpu/cpu.cfs_quota_us"] = "-1\n";
        files["/sys/fs/cgroup/cpu/cpu.cfs_period_us"] = "100000\n";
        files["/sys/fs/cgroup/memory/memory.limit_in_bytes"] = "9223372036854771712\n";
        files["/sys/fs/cgroup/memory/memory.usage_in_bytes"] = "11317248\n";

        CgroupReading reading = CgroupReader.Open(files.Reader).Read()!.Value;

        Assert.That(reading.CpuLimit, Is.Null);
        Assert.That(reading.MemoryLimitBytes, Is.Null);
        Assert.That(reading.MemoryUsageBytes, Is.EqualTo(11_317_248));
    }

    [Test]
    public void Outside_any_mounted_cgroup_there_is_no_reading()
    {
        var files = new FakeFiles();
        Assert.That(CgroupReader.Open(files.Reader).Read(), Is.Null);

        files["/proc/self/cgroup"] = "0::/a\n";
        files["/proc/self/mountinfo"] = "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n";
        CgroupReader reader = CgroupReader.Open(files.Reader);
        Assert.That(reader.Version, Is.Zero);
        Assert.That(reader.Read(), Is.Null);
    }
}
