// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using ModelMetrics.Publishing;

namespace ModelMetrics.Signals;

/// <summary>
/// The CPU cost of a model: the thread CPU time of one call in N, measured between <see cref="Start"/> and
/// <see cref="End"/> on the same thread, and the process's CPU time, so a snapshot can say what a call costs and
/// what share of the process's CPU the model takes (<see cref="ModelMonitorOptions.CpuTimeSampling"/>).
/// </summary>
/// <remarks>
/// <para>
/// The sampling decision is a thread-local countdown shared by every monitor's calls on a thread: a plain
/// decrement, no interlocked operation and no shared cache line. A sampled call keeps its start in three
/// thread-locals; the call's end matches it by monitor and start timestamp. A call that ends on another thread
/// (an async call that hopped) finds nothing to match: its sample is lost and counted, never measured wrongly.
/// </para>
/// <para>
/// Only sampled calls touch shared counters (interlocked, one call in N), so the signal costs the countdown on
/// other calls.
/// </para>
/// </remarks>
internal sealed class CpuTimeSignal : Signal
{
    private const int StartedCell = 0;
    private const int SamplesCell = 1;
    private const int CpuCell = 2;
    private const int ProcessCell = 3;
    private const int ReadingsPerSample = 3;
    private const long MaxSampleCostNanoseconds = 50_000;

    [ThreadStatic]
    private static int t_countdown;

    [ThreadStatic]
    private static bool t_seeded;

    [ThreadStatic]
    private static CpuTimeSignal? t_owner;

    [ThreadStatic]
    private static long t_start;

    [ThreadStatic]
    private static long t_cpuStart;

    [ThreadStatic]
    private static long t_startOverhead;

    // GetThreadTimes moves in scheduler ticks (15.6 ms by default); clock_gettime in nanoseconds.
    private static readonly long ClockResolutionNanoseconds = OperatingSystem.IsWindows() ? 16_000_000 : 1_000;

    private readonly int _configured;
    private int _every;
    private double _overheadNanoseconds;
    private readonly long _readCost = ThreadCpuClock.ReadCost;
    private readonly long _processStart;
    private readonly WindowedCells<long> _windows;
    private Reused? _reused; // what publishing readings refill (readers are serialized)
    private long _started;
    private long _samples;
    private long _cpuNanoseconds;

    public CpuTimeSignal(SignalContext context, int every)
        : base(context)
    {
        // A sample costs three clock readings; where they are slow, sample less often so that the average cost per
        // call stays within the budget (one call in 100 with a 0.1 µs clock; one in 1,000 or more with a 1.5 µs one).
        // This first guess comes from warm back-to-back readings; each sample then measures what it really cost
        // (the first reading after a stretch in user space can cost ten times more) and the interval follows.
        _configured = every;
        Adapt(ReadingsPerSample * ThreadCpuClock.ReadCost, weight: 1);
        _processStart = ProcessCpuTicks();
        _windows = context.CreateWindows<long>(4);
    }

    /// <summary>Gets or sets the average CPU-clock cost per call sampling may add, in nanoseconds (tests raise it to sample every call).</summary>
    internal static double BudgetNanoseconds { get; set; } = 3;

    public override SignalInstruments Instruments => CpuTimeInstruments.Instance;

    /// <summary>Gets the sampling interval in use: the configured one, or more where the clock is slow.</summary>
    internal int Every => Volatile.Read(ref _every);

    /// <summary>
    /// Folds one sample's measured cost into a moving average and sets the interval so that the average cost per
    /// call stays within <see cref="BudgetNanoseconds"/>, never below the configured interval.
    /// </summary>
    /// <remarks>Racy by design: two samples adapting at once both write a valid interval; none is lost that matters.</remarks>
    internal void Adapt(double overheadNanoseconds, double weight = 0.1)
    {
        double average = _overheadNanoseconds + ((overheadNanoseconds - _overheadNanoseconds) * weight);
        _overheadNanoseconds = average;
        Volatile.Write(ref _every, (int)Math.Min(Math.Max(_configured, Math.Ceiling(average / BudgetNanoseconds)), int.MaxValue));
    }

    /// <summary>Counts a call down and, on one call in N, notes its thread's CPU time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Start(long startTimestamp)
    {
        if (--t_countdown <= 0)
        {
            Sample(startTimestamp);
        }
    }

    /// <summary>Completes the sample of the call that started at <paramref name="startTimestamp"/>, if this thread holds it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void End(long startTimestamp)
    {
        if (t_start == startTimestamp && ReferenceEquals(t_owner, this))
        {
            Complete(startTimestamp);
        }
    }

    public override void Read(SnapshotBuilder snapshot)
    {
        long process = ProcessCpuTicks() - _processStart;

        // Samples before started: a sample completed in between shows as still started, never as more samples than starts.
        long samples = Volatile.Read(ref _samples);
        long cpu = Volatile.Read(ref _cpuNanoseconds);
        long started = Volatile.Read(ref _started);
        // A publishing reading (once a second at most: the signal is polled) refills the arrays and snapshots of the last one.
        Reused? reused = snapshot.Reuses ? _reused ??= new Reused(Context.Windows.Length) : null;
        long[] cumulative = reused?.Cells ?? new long[4];
        cumulative[StartedCell] = Math.Max(started, samples);
        cumulative[SamplesCell] = samples;
        cumulative[CpuCell] = cpu;
        cumulative[ProcessCell] = Math.Max(process, 0);

        long[][] windows = _windows.Read(snapshot.Now, cumulative, reused?.Windows);
        snapshot.Cumulative.Add(Part(reused, 0, cumulative));
        for (int w = 0; w < windows.Length; w++)
        {
            snapshot.Windows[w].Add(Part(reused, 1 + w, windows[w]));
        }
    }

    /// <inheritdoc/>
    protected override bool ReusesParts => true;

    /// <summary>The process's CPU time (user + kernel) in <see cref="TimeSpan"/> ticks.</summary>
    private static long ProcessCpuTicks()
    {
#if NET9_0_OR_GREATER
        return Environment.CpuUsage.TotalTime.Ticks;
#else
        using Process process = Process.GetCurrentProcess();
        return process.TotalProcessorTime.Ticks;
#endif
    }

    private CpuTimeSnapshot Part(Reused? reused, int slot, long[] cells)
    {
        CpuTimeSnapshot part = reused is null ? new CpuTimeSnapshot() : reused.Parts[slot] ??= new CpuTimeSnapshot();
        part.Fill(cells[SamplesCell], cells[StartedCell] - cells[SamplesCell], cells[CpuCell] / 1e9, Every, cells[ProcessCell] / (double)TimeSpan.TicksPerSecond);
        return part;
    }

    /// <summary>What publishing readings refill: the cells, each window's, and the snapshots (cumulative, then each window's).</summary>
    private sealed class Reused(int windows)
    {
        public long[] Cells { get; } = new long[4];

        public long[][] Windows { get; } = Array.ConvertAll(new int[windows], _ => new long[4]);

        public CpuTimeSnapshot?[] Parts { get; } = new CpuTimeSnapshot?[1 + windows];
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Sample(long startTimestamp)
    {
        if (!t_seeded)
        {
            // A thread's first call would always be sampled, and first calls are the cold ones (JIT, caches):
            // start each thread at a random point of the cycle instead.
            t_seeded = true;
            t_countdown = Random.Shared.Next(1, Every + 1);
            return;
        }

        t_countdown = Every;

        // Note: the first reading after a stretch in user space can carry the cost of that return to the kernel
        // (measured in a Firecracker VM: samples of a 2 µs call read 24 µs); a reading just before makes it warm.
        long before = Stopwatch.GetTimestamp();
        ThreadCpuClock.Now();
        long cpu = ThreadCpuClock.Now();
        t_startOverhead = Stopwatch.GetTimestamp() - before;
        if (cpu < 0)
        {
            return;
        }

        // A previous sample still held here (its call hopped threads or is the outer of nested calls) is lost.
        t_owner = this;
        t_start = startTimestamp;
        t_cpuStart = cpu;
        Interlocked.Increment(ref _started);
        MarkChanged();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Complete(long startTimestamp)
    {
        long before = Stopwatch.GetTimestamp();
        long cpu = ThreadCpuClock.Now();
        long after = Stopwatch.GetTimestamp();
        double nanosecondsPerTick = 1e9 / Stopwatch.Frequency;
        long endRead = (long)((after - before) * nanosecondsPerTick);

        // A reading preempted half-way takes long but costs little: cap what one sample can teach the average.
        Adapt(Math.Min((t_startOverhead * nanosecondsPerTick) + endRead, MaxSampleCostNanoseconds));

        // The clock's own cost is inside the difference: the return from the first reading and the entry into this
        // one. The return costs what a warm reading's does; the entry can cost far more after a stretch in user space
        // (in a VM it is charged to the thread). This reading's duration stands for both, within bounds.
        long clock = Math.Clamp(endRead, _readCost, Math.Max(_readCost, MaxSampleCostNanoseconds / 2));
        long elapsed = Math.Max(cpu - t_cpuStart - clock, 0);

        // One thread cannot use more CPU than time passed: a sample that says so read a clock that jumped (a thread
        // CPU clock moving between CPUs whose clocks disagree, as in VMs with an unstable TSC). It is lost, not kept.
        long wall = (long)((after - startTimestamp) * nanosecondsPerTick);
        bool plausible = elapsed <= wall + ClockResolutionNanoseconds;
        t_owner = null;
        t_start = 0;
        if (cpu >= 0 && plausible)
        {
            Interlocked.Add(ref _cpuNanoseconds, elapsed);
            Interlocked.Increment(ref _samples);
            MarkChanged();
        }
    }
}
