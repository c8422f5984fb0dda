// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;

namespace ModelMetrics.Resources;

/// <summary>One reading of the process's control group: its limits and usage (cgroup v2, or v1 where mounted).</summary>
internal readonly record struct CgroupReading(
    int Version,
    double? CpuLimit,
    long? CpuUsageMicroseconds,
    long? Periods,
    long? ThrottledPeriods,
    long? ThrottledMicroseconds,
    long? MemoryLimitBytes,
    long? MemoryUsageBytes);

/// <summary>
/// Finds the process's control group from <c>/proc/self/cgroup</c> and <c>/proc/self/mountinfo</c>, and reads its
/// CPU quota, CPU usage and throttling, and memory limit and usage, through a <see cref="FileReader"/> (tests give a
/// fake tree).
/// </summary>
/// <remarks>
/// <para>
/// v1 controllers win where they are mounted (a hybrid host mounts an empty cgroup2 tree beside them). A limit
/// of <c>max</c> (v2) or -1 / a page-rounded <see cref="long.MaxValue"/> (v1) is no limit. v2 limits are the
/// smallest along the path up to the mount, as the kernel enforces them.
/// </para>
/// <para>
/// The directory is resolved once; a container without its own cgroup namespace shows the host's path, which
/// is not mounted inside it, so the reader falls back to the mount point (where the container's files are).
/// </para>
/// </remarks>
internal sealed class CgroupReader
{
    // v1 reports "no limit" as LONG_MAX rounded down to the page size; anything this large is no limit.
    private const long V1Unlimited = 0x7FFF_FFFF_FFFF_0000;

    private readonly FileReader _files;
    private readonly string? _v2;
    private readonly string? _v2Mount;
    private readonly string? _cpu;
    private readonly string? _cpuAcct;
    private readonly string? _memory;

    private CgroupReader(FileReader files, string? v2, string? v2Mount, string? cpu, string? cpuAcct, string? memory)
    {
        _files = files;
        _v2 = v2;
        _v2Mount = v2Mount;
        _cpu = cpu;
        _cpuAcct = cpuAcct;
        _memory = memory;
    }

    /// <summary>Gets the cgroup version read: 2, 1, or 0 when the process is in none that is mounted.</summary>
    public int Version => _cpu is not null || _memory is not null ? 1 : _v2 is not null ? 2 : 0;

    /// <summary>Finds the process's cgroup directories; a process outside any mounted cgroup gets a reader that reads nothing.</summary>
    public static CgroupReader Open(FileReader files)
    {
        string? cgroups = files("/proc/self/cgroup");
        string? mounts = files("/proc/self/mountinfo");
        if (cgroups is null || mounts is null)
        {
            return new CgroupReader(files, null, null, null, null, null);
        }

        // /proc/self/cgroup lines: "hierarchy-id:controller,list:/path"; v2 is "0::/path".
        var paths = new Dictionary<string, string>(StringComparer.Ordinal);
        string? v2Path = null;
        foreach (string line in cgroups.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = line.Split(':', 3);
            if (parts.Length != 3)
            {
                continue;
            }

            if (parts[0] == "0" && parts[1].Length == 0)
            {
                v2Path = parts[2];
            }

            foreach (string controller in parts[1].Split(','))
            {
                paths.TryAdd(controller, parts[2]);
            }
        }

        // mountinfo lines: "id parent major:minor root mount-point options [optional…] - fstype source super-options".
        string? v2Dir = null, v2Mount = null, cpu = null, cpuAcct = null, memory = null;
        foreach (string line in mounts.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(' ');
            int dash = Array.IndexOf(fields, "-");
            if (dash < 5 || dash + 3 >= fields.Length)
            {
                continue;
            }

            string root = Unescape(fields[3]), mountPoint = Unescape(fields[4]), type = fields[dash + 1];
            if (type == "cgroup2" && v2Path is not null)
            {
                v2Dir ??= Resolve(files, mountPoint, root, v2Path, "cgroup.controllers");
                v2Mount ??= mountPoint;
            }
            else if (type == "cgroup")
            {
                string[] options = fields[dash + 3].Split(',');
                cpu ??= Find(options, "cpu", files, mountPoint, root, paths, "cpu.cfs_quota_us");
                cpuAcct ??= Find(options, "cpuacct", files, mountPoint, root, paths, "cpuacct.usage");
                memory ??= Find(options, "memory", files, mountPoint, root, paths, "memory.limit_in_bytes");
            }
        }

        return new CgroupReader(files, v2Dir, v2Mount, cpu, cpuAcct, memory);
    }

    /// <summary>Reads limits and usage now; fields the kernel does not expose are <see langword="null"/>.</summary>
    public CgroupReading? Read() => Version switch
    {
        1 => ReadV1(),
        2 => ReadV2(),
        _ => null,
    };

    private static string? Find(string[] options, string controller, FileReader files, string mountPoint, string root, Dictionary<string, string> paths, string probe) =>
        Array.IndexOf(options, controller) >= 0 && paths.TryGetValue(controller, out string? path) ? Resolve(files, mountPoint, root, path, probe) : null;

    /// <summary>The directory of <paramref name="path"/> under a mount of <paramref name="root"/>, checked by reading <paramref name="probe"/> there.</summary>
    private static string? Resolve(FileReader files, string mountPoint, string root, string path, string probe)
    {
        string relative = root == "/" ? path : path.StartsWith(root, StringComparison.Ordinal) ? path[root.Length..] : path;
        string dir = mountPoint.TrimEnd('/') + "/" + relative.Trim('/');
        dir = dir.TrimEnd('/');
        if (files(dir + "/" + probe) is not null)
        {
            return dir;
        }

        return files(mountPoint.TrimEnd('/') + "/" + probe) is not null ? mountPoint.TrimEnd('/') : null;
    }

    // mountinfo escapes space, tab, newline and backslash as octal (\040…).
    private static string Unescape(string field) =>
        field.Contains('\\', StringComparison.Ordinal) ? field.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal).Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal) : field;

    private CgroupReading ReadV2()
    {
        string dir = _v2!;
        double? cpuLimit = null;
        long? memoryLimit = null;

        // The kernel enforces every ancestor's limit: take the smallest up to the mount.
        for (string? level = dir; level is not null; level = Parent(level))
        {
            if (_files(level + "/cpu.max") is { } cpuMax && ParseCpuMax(cpuMax) is double cpus)
            {
                cpuLimit = cpuLimit is null ? cpus : Math.Min(cpuLimit.Value, cpus);
            }

            if (_files(level + "/memory.max") is { } memMax && ProcFiles.Long(memMax) is long bytes)
            {
                memoryLimit = memoryLimit is null ? bytes : Math.Min(memoryLimit.Value, bytes);
            }
        }

        string? stat = _files(dir + "/cpu.stat");
        return new CgroupReading(
            2,
            cpuLimit,
            stat is null ? null : ProcFiles.Field(stat, "usage_usec"),
            stat is null ? null : ProcFiles.Field(stat, "nr_periods"),
            stat is null ? null : ProcFiles.Field(stat, "nr_throttled"),
            stat is null ? null : ProcFiles.Field(stat, "throttled_usec"),
            memoryLimit,
            _files(dir + "/memory.current") is { } current ? ProcFiles.Long(current) : null);
    }

    private string? Parent(string level)
    {
        if (level.Length <= _v2Mount!.TrimEnd('/').Length)
        {
            return null;
        }

        int slash = level.LastIndexOf('/');
        return slash <= 0 ? null : level[..slash];
    }

    /// <summary>Parses <c>cpu.max</c> ("quota period", or "max period"): the CPUs the quota allows, or <see langword="null"/> for none.</summary>
    private static double? ParseCpuMax(string text)
    {
        string[] parts = text.Trim().Split(' ');
        return parts.Length == 2 && ProcFiles.Long(parts[0]) is long quota && ProcFiles.Long(parts[1]) is long period and > 0 ? (double)quota / period : null;
    }

    private CgroupReading ReadV1()
    {
        double? cpuLimit = null;
        string? stat = null;
        if (_cpu is not null)
        {
            // cfs_quota_us is -1 without a limit: Long() refuses the sign, which is the answer.
            if (_files(_cpu + "/cpu.cfs_quota_us") is { } quotaText && ProcFiles.Long(quotaText) is long quota
                && _files(_cpu + "/cpu.cfs_period_us") is { } periodText && ProcFiles.Long(periodText) is long period and > 0)
            {
                cpuLimit = (double)quota / period;
            }

            stat = _files(_cpu + "/cpu.stat");
        }

        long? usageNanoseconds = _cpuAcct is not null && _files(_cpuAcct + "/cpuacct.usage") is { } usage ? ProcFiles.Long(usage) : null;
        long? limit = _memory is not null && _files(_memory + "/memory.limit_in_bytes") is { } limitText ? ProcFiles.Long(limitText) : null;
        return new CgroupReading(
            1,
            cpuLimit,
            usageNanoseconds / 1000,
            stat is null ? null : ProcFiles.Field(stat, "nr_periods"),
            stat is null ? null : ProcFiles.Field(stat, "nr_throttled"),
            stat is null ? null : ProcFiles.Field(stat, "throttled_time") / 1000,
            limit >= V1Unlimited ? null : limit,
            _memory is not null && _files(_memory + "/memory.usage_in_bytes") is { } used ? ProcFiles.Long(used) : null);
    }
}
