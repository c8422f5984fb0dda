// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ModelMetrics.Resources;

/// <summary>One reading of this process: CPU times, memory and threads.</summary>
internal readonly record struct ProcessReading(TimeSpan UserTime, TimeSpan SystemTime, long ResidentBytes, long VirtualBytes, int Threads);

/// <summary>
/// Reads this process's CPU times, resident and virtual memory and thread count: from <c>/proc/self/stat</c> on
/// Linux (one small file, through the <see cref="FileReader"/> seam), from <see cref="Process"/> elsewhere.
/// </summary>
internal sealed class ProcessReader : IDisposable
{
    private readonly FileReader _files;
    private readonly Process? _process;

    public ProcessReader(FileReader files)
    {
        _files = files;
        if (!OperatingSystem.IsLinux())
        {
            _process = Process.GetCurrentProcess();
        }
    }

    /// <summary>Gets the clock ticks per second of <c>/proc</c> times (USER_HZ), asked of the C library once.</summary>
    public static long ClockTicksPerSecond { get; } = OperatingSystem.IsLinux() ? LinuxTicks() : TimeSpan.TicksPerSecond;

    public ProcessReading? Read()
    {
        if (_process is { } process)
        {
            process.Refresh();
            return new ProcessReading(process.UserProcessorTime, process.PrivilegedProcessorTime, process.WorkingSet64, process.VirtualMemorySize64, process.Threads.Count);
        }

        return _files("/proc/self/stat") is { } stat ? Parse(stat, ClockTicksPerSecond, Environment.SystemPageSize) : null;
    }

    public void Dispose() => _process?.Dispose();

    /// <summary>Parses <c>/proc/self/stat</c>: fields 14 utime, 15 stime (ticks), 20 num_threads, 23 vsize (bytes), 24 rss (pages).</summary>
    internal static ProcessReading? Parse(string stat, long ticksPerSecond, long pageSize)
    {
        // Note: field 2 is the command name in parentheses and may itself hold spaces and ')', so count from the last ')'.
        int close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        string[] fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);

        // fields[0] is field 3 (state), so field n is fields[n - 3].
        if (fields.Length < 22
            || ProcFiles.Long(fields[11]) is not long utime || ProcFiles.Long(fields[12]) is not long stime
            || ProcFiles.Long(fields[17]) is not long threads || ProcFiles.Long(fields[20]) is not long vsize || ProcFiles.Long(fields[21]) is not long rss)
        {
            return null;
        }

        return new ProcessReading(Ticks(utime, ticksPerSecond), Ticks(stime, ticksPerSecond), rss * pageSize, vsize, (int)threads);
    }

    private static TimeSpan Ticks(long clockTicks, long ticksPerSecond) =>
        TimeSpan.FromTicks(clockTicks * (TimeSpan.TicksPerSecond / ticksPerSecond));

    private static long LinuxTicks()
    {
        try
        {
            // _SC_CLK_TCK is 2 in glibc and musl.
            long ticks = NativeMethods.sysconf(2);
            return ticks is > 0 and <= TimeSpan.TicksPerSecond ? ticks : 100;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // USER_HZ is 100 on every Linux ABI .NET runs on.
            return 100;
        }
    }

    private static class NativeMethods
    {
        [DllImport("libc", ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern long sysconf(int name);
    }
}
