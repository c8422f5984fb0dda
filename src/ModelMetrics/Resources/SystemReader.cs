// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

namespace ModelMetrics.Resources;

/// <summary>The machine's cumulative CPU times, in clock ticks, from the first line of <c>/proc/stat</c>.</summary>
internal readonly record struct SystemCpuTimes(long User, long Nice, long System, long Idle, long IoWait, long Interrupt, long Steal)
{
    /// <summary>Gets every tick counted once (guest time is already inside user and nice, as psutil counts it).</summary>
    public long Total => User + Nice + System + Idle + IoWait + Interrupt + Steal;

    /// <summary>Gets psutil's busy time: total − idle − iowait.</summary>
    public long Busy => Total - Idle - IoWait;
}

/// <summary>The machine's memory, in bytes, from <c>/proc/meminfo</c>, with psutil's definitions.</summary>
internal readonly record struct SystemMemory(long Total, long Available, long Free, long Buffers, long Cached)
{
    /// <summary>Gets psutil's <c>used</c>: total − free − buffers − cached (total − free when that is negative).</summary>
    public long Used => Total - Free - Buffers - Cached is var used and >= 0 ? used : Total - Free;
}

/// <summary>Reads the machine's CPU times and memory on Linux, the way psutil does; elsewhere reports none.</summary>
internal sealed class SystemReader(FileReader files)
{
    /// <summary>Reads <c>/proc/stat</c>'s aggregate <c>cpu</c> line, or returns <see langword="null"/> when there is none.</summary>
    public SystemCpuTimes? ReadCpu()
    {
        if (files("/proc/stat") is not { } text)
        {
            return null;
        }

        // cpu  user nice system idle iowait irq softirq steal guest guest_nice (clock ticks)
        foreach (ReadOnlySpan<char> line in text.AsSpan().EnumerateLines())
        {
            if (!line.StartsWith("cpu ", StringComparison.Ordinal))
            {
                continue;
            }

            string[] columns = line[4..].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Span<long> fields = stackalloc long[8];
            fields.Clear();
            for (int i = 0; i < Math.Min(columns.Length, fields.Length); i++)
            {
                if (ProcFiles.Long(columns[i]) is not long value)
                {
                    return null;
                }

                fields[i] = value;
            }

            int count = columns.Length;

            // Note: kernels before 2.6.11 have no steal column; earlier than 2.6 has no iowait/irq either.
            return count < 4 ? null : new SystemCpuTimes(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5] + fields[6], fields[7]);
        }

        return null;
    }

    /// <summary>Reads <c>/proc/meminfo</c>, or returns <see langword="null"/> when it is missing or incomplete.</summary>
    public SystemMemory? ReadMemory()
    {
        if (files("/proc/meminfo") is not { } text || ProcFiles.Field(text, "MemTotal") is not long total || ProcFiles.Field(text, "MemFree") is not long free)
        {
            return null;
        }

        long buffers = ProcFiles.Field(text, "Buffers") ?? 0;

        // psutil: cached = Cached + SReclaimable (reclaimable slab, as `free` counts it since procps 3.3.10).
        long cached = (ProcFiles.Field(text, "Cached") ?? 0) + (ProcFiles.Field(text, "SReclaimable") ?? 0);

        // Note: MemAvailable exists since Linux 3.14; before it, psutil falls back to free + buffers + cached.
        long available = ProcFiles.Field(text, "MemAvailable") ?? free + buffers + cached;
        const long KiB = 1024;
        return new SystemMemory(total * KiB, Math.Min(available, total) * KiB, free * KiB, buffers * KiB, cached * KiB);
    }
}
