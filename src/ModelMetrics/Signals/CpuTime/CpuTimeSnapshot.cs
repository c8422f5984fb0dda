// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using ModelMetrics.Signals;

namespace ModelMetrics;

/// <summary>
/// What a model's calls cost in CPU, from the thread CPU time of sampled calls (one in
/// <see cref="ModelMonitorOptions.CpuTimeSampling"/>), cumulative or over one window.
/// </summary>
/// <remarks>
/// A sample measures the CPU time of the thread that ran the call, from its start to its end on that thread:
/// the model's own work when it runs synchronously. Work it hands to other threads is not in it, and an async call
/// that ends on another thread than it started on is not measured at all (counted in <see cref="LostSamples"/>).
/// </remarks>
public sealed class CpuTimeSnapshot
{
    /// <summary>An empty snapshot, filled by <see cref="Fill"/> before anyone sees it.</summary>
    internal CpuTimeSnapshot()
    {
    }

    /// <summary>
    /// Sets every value: a new snapshot's, or those of the snapshot a publishing reading refills (read under the
    /// monitor's reader lock alone; a snapshot a user can see is never changed).
    /// </summary>
    internal void Fill(long samples, long lostSamples, double sampledCpuSeconds, int samplingInterval, double processCpuSeconds)
    {
        Samples = samples;
        LostSamples = lostSamples;
        SampledCpuSeconds = sampledCpuSeconds;
        SamplingInterval = samplingInterval;
        ProcessCpuSeconds = processCpuSeconds;
    }

    /// <summary>Gets the calls measured.</summary>
    public long Samples { get; private set; }

    /// <summary>Gets the calls picked for a sample that did not end on the thread they started on (async hops), or have not ended yet.</summary>
    public long LostSamples { get; private set; }

    /// <summary>Gets the CPU time of the measured calls, in seconds.</summary>
    public double SampledCpuSeconds { get; private set; }

    /// <summary>Gets the mean CPU time of a call, in seconds (0 before the first sample).</summary>
    public double CpuSecondsPerCall => Samples == 0 ? 0 : SampledCpuSeconds / Samples;

    /// <summary>
    /// Gets the sampling interval in use: one call in this many is measured on each thread. It is
    /// <see cref="ModelMonitorOptions.CpuTimeSampling"/>, or more where the thread CPU clock is slow.
    /// </summary>
    public int SamplingInterval { get; private set; }

    /// <summary>Gets the CPU time of the whole process (every thread), in seconds, since the monitor started or over the window.</summary>
    public double ProcessCpuSeconds { get; private set; }

    /// <summary>
    /// Gets the model's estimated CPU time, in seconds: <see cref="CpuSecondsPerCall"/> × the calls timed with
    /// <see cref="ModelMonitor.StartCall"/> (each sample stands for <see cref="SamplingInterval"/> of them). Calls
    /// recorded with <see cref="ModelMonitor.RecordCall"/> were timed elsewhere and are not in it.
    /// </summary>
    public double EstimatedCpuSeconds => CpuSecondsPerCall * (Samples + LostSamples) * (double)SamplingInterval;

    /// <summary>
    /// Gets the model's estimated share of the process's CPU time: <see cref="EstimatedCpuSeconds"/> /
    /// <see cref="ProcessCpuSeconds"/>, 0 when the process used none. An estimate from samples: it can exceed 1 by noise.
    /// </summary>
    public double ProcessShare => ProcessCpuSeconds > 0 ? EstimatedCpuSeconds / ProcessCpuSeconds : 0;
}
