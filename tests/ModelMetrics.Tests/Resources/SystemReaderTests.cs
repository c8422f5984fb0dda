// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Linq;
using ModelMetrics.Resources;
using NUnit.Framework;

namespace ModelMetrics.Tests.Resources;

[TestFixture]
public sealed class SystemReaderTests
{
    [Test]
    public void CpuTimes_are_read_from_the_aggregate_line_with_guest_time_left_inside_user()
    {
        var files = new FakeFiles();
        files["/proc/stat"] = "cpu  1000 20 300 5000 40 6 7 8 90 10\ncpu0 500 10 150 2500 20 3 3 4 45 5\nintr 1 2 3\n";

        SystemCpuTimes? cpu = new SystemReader(files.Reader).ReadCpu();

        Assert.That(cpu, Is.EqualTo(new SystemCpuTimes(1000, 20, 300, 5000, 40, 13, 8)));
        Assert.That(cpu!.Value.Total, Is.EqualTo(1000 + 20 + 300 + 5000 + 40 + 13 + 8));
        Assert.That(cpu.Value.Busy, Is.EqualTo(1000 + 20 + 300 + 13 + 8));
    }

    [Test]
    public void CpuTimes_are_absent_without_the_file_or_with_a_garbled_line()
    {
        var files = new FakeFiles();
        Assert.That(new SystemReader(files.Reader).ReadCpu(), Is.Null);
        files["/proc/stat"] = "cpu  12 x 3 4\n";
        Assert.That(new SystemReader(files.Reader).ReadCpu(), Is.Null);
    }

    [Test]
    public void Memory_uses_psutils_definitions()
    {
        var files = new FakeFiles();
        files["/proc/meminfo"] = "MemTotal:       16000000 kB\nMemFree:         2000000 kB\nMemAvailable:    9000000 kB\nBuffers:          500000 kB\nCached:          6000000 kB\nSwapCached:            0 kB\nSReclaimable:     400000 kB\n";

        SystemMemory memory = new SystemReader(files.Reader).ReadMemory()!.Value;

        Assert.Multiple(() =>
        {
            Assert.That(memory.Total, Is.EqualTo(16_000_000L * 1024));
            Assert.That(memory.Available, Is.EqualTo(9_000_000L * 1024));
            Assert.That(memory.Free, Is.EqualTo(2_000_000L * 1024));
            Assert.That(memory.Buffers, Is.EqualTo(500_000L * 1024));

            // cached = Cached + SReclaimable; used = total − free − buffers − cached.
            Assert.That(memory.Cached, Is.EqualTo(6_400_000L * 1024));
            Assert.That(memory.Used, Is.EqualTo((16_000_000L - 2_000_000 - 500_000 - 6_400_000) * 1024));
        });
    }

    [Test]
    public void Memory_without_MemAvailable_falls_back_to_free_plus_buffers_plus_cached()
    {
        var files = new FakeFiles();
        files["/proc/meminfo"] = "MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 200 kB\n";

        Assert.That(new SystemReader(files.Reader).ReadMemory()!.Value.Available, Is.EqualTo(350L * 1024));
    }

    [Test]
    public void Process_stat_is_parsed_after_the_last_parenthesis()
    {
        ProcessReading reading = ProcessReader.Parse(FakeFiles.Stat(utime: 250, stime: 50, threads: 17, vsize: 123_456_789, rssPages: 1000), ticksPerSecond: 100, pageSize: 4096)!.Value;

        Assert.Multiple(() =>
        {
            Assert.That(reading.UserTime, Is.EqualTo(System.TimeSpan.FromSeconds(2.5)));
            Assert.That(reading.SystemTime, Is.EqualTo(System.TimeSpan.FromSeconds(0.5)));
            Assert.That(reading.Threads, Is.EqualTo(17));
            Assert.That(reading.VirtualBytes, Is.EqualTo(123_456_789));
            Assert.That(reading.ResidentBytes, Is.EqualTo(1000 * 4096));
        });
    }

    [Test]
    public void The_real_reader_reads_whole_files_of_any_size_and_a_missing_one_as_null()
    {
        string small = System.IO.Path.GetTempFileName();
        string large = System.IO.Path.GetTempFileName();
        try
        {
            System.IO.File.WriteAllText(small, "MemTotal: 1 kB\n");
            string text = string.Concat(System.Linq.Enumerable.Range(0, 20_000).Select(i => $"line {i}\n"));
            System.IO.File.WriteAllText(large, text);

            Assert.That(ProcFiles.Real(small), Is.EqualTo("MemTotal: 1 kB\n"));
            Assert.That(ProcFiles.Real(large), Is.EqualTo(text), "larger than the first buffer (16 KiB)");
            Assert.That(ProcFiles.Real(small + ".missing"), Is.Null);
        }
        finally
        {
            System.IO.File.Delete(small);
            System.IO.File.Delete(large);
        }
    }

    [Test]
    public void A_truncated_process_stat_is_no_reading()
    {
        Assert.That(ProcessReader.Parse("4242 (x) S 1 2 3", 100, 4096), Is.Null);
        Assert.That(ProcessReader.Parse("no parenthesis", 100, 4096), Is.Null);
    }
}
