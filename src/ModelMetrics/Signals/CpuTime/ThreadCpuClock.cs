// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace ModelMetrics.Signals;

/// <summary>
/// The CPU time of the calling thread: <c>clock_gettime(CLOCK_THREAD_CPUTIME_ID)</c> on Linux and macOS,
/// <c>GetThreadTimes</c> on Windows (100 ns units, updated at the scheduler's tick).
/// </summary>
internal static class ThreadCpuClock
{
    // CLOCK_THREAD_CPUTIME_ID: 3 on Linux, 16 on macOS.
    private static readonly int ClockId = OperatingSystem.IsLinux() ? 3 : OperatingSystem.IsMacOS() ? 16 : -1;

    private static int s_broken;
    private static long s_readCost = -1;

    /// <summary>
    /// Gets the CPU time one reading costs the thread, in nanoseconds: the median difference of back-to-back
    /// readings, measured once. It is inside every sample (the end of the first reading and the start of the last),
    /// so samples subtract it; it is 0 where the clock cannot be read. A system call: about 0.1–0.5 µs on bare
    /// metal, several µs in some VMs and sandboxes.
    /// </summary>
    public static long ReadCost
    {
        get
        {
            long cost = Volatile.Read(ref s_readCost);
            if (cost < 0)
            {
                cost = MeasureReadCost();
                Volatile.Write(ref s_readCost, cost);
            }

            return cost;
        }
    }

    /// <summary>Returns the calling thread's CPU time in nanoseconds, or -1 where it cannot be read.</summary>
    public static long Now()
    {
        if (s_broken != 0)
        {
            return -1;
        }

        try
        {
            if (ClockId >= 0)
            {
                return NativeMethods.clock_gettime(ClockId, out Timespec ts) == 0 ? ((long)ts.Seconds * 1_000_000_000) + ts.Nanoseconds : -1;
            }

            if (OperatingSystem.IsWindows())
            {
                return NativeMethods.GetThreadTimes(NativeMethods.GetCurrentThread(), out _, out _, out long kernel, out long user) ? (kernel + user) * 100 : -1;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Note: an unusual C library must cost the samples, not every call's exception.
            s_broken = 1;
        }

        return -1;
    }

    private static long MeasureReadCost()
    {
        const int Pairs = 31;
        Span<long> deltas = stackalloc long[Pairs];
        for (int i = 0; i < Pairs; i++)
        {
            long first = Now();
            long second = Now();
            if (first < 0 || second < 0)
            {
                return 0;
            }

            deltas[i] = second - first;
        }

        deltas.Sort();
        return Math.Max(deltas[Pairs / 2], 0);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public nint Seconds;
        public nint Nanoseconds;
    }

    private static class NativeMethods
    {
        [DllImport("libc", ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int clock_gettime(int clockId, out Timespec time);

        [DllImport("kernel32", ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        public static extern nint GetCurrentThread();

        [DllImport("kernel32", ExactSpelling = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.System32)]
        [return: MarshalAs(UnmanagedType.Bool)]
        public static extern bool GetThreadTimes(nint thread, out long creation, out long exit, out long kernel, out long user);
    }
}
