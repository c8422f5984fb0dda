// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using ModelMetrics.Publishing;

namespace ModelMetrics.Signals;

/// <summary>
/// The instruments of the CPU-time signal: the sampled CPU time and the sample count as counters (a fleet's CPU per
/// call is their rates' ratio), and per window the CPU per call and the model's share of the process's CPU.
/// </summary>
internal sealed class CpuTimeInstruments : SignalInstruments
{
    public static readonly InstrumentInfo SampledTime = new("model.inference.cpu.sampled_time", MetricNames.Seconds, "Thread CPU time of the sampled calls.");
    public static readonly InstrumentInfo Samples = new("model.inference.cpu.samples", "{call}", "Calls whose thread CPU time was sampled.");
    public static readonly InstrumentInfo TimePerCall = new("model.inference.cpu.time_per_call", MetricNames.Seconds, "Mean thread CPU time of a call over each window, from the samples.");
    public static readonly InstrumentInfo ProcessShare = new("model.inference.cpu.process_share", MetricNames.Ratio, "The model's estimated share of the process's CPU time over each window (CPU per call × timed calls / process CPU).");

    public static readonly CpuTimeInstruments Instance = new();

    private CpuTimeInstruments()
    {
    }

    public override void Create(MeterPublisher publisher)
    {
        publisher.Counter<CpuTimeSignal, double>(SampledTime, static (signal, s, list) => list.AddIf(s.CpuTime is not null, s.CpuTime?.SampledCpuSeconds ?? 0, signal.Context.ModelTags));
        publisher.Counter<CpuTimeSignal, long>(Samples, static (signal, s, list) => list.AddIf(s.CpuTime is not null, s.CpuTime?.Samples ?? 0, signal.Context.ModelTags));
        WindowGauge(publisher, TimePerCall, static c => c.CpuSecondsPerCall);
        WindowGauge(publisher, ProcessShare, static c => c.ProcessShare);
    }

    private static void WindowGauge(MeterPublisher publisher, InstrumentInfo info, Func<CpuTimeSnapshot, double> select) =>
        publisher.Gauge<CpuTimeSignal, double>(info, (signal, s, list) =>
        {
            for (int w = 0; w < s.Windows.Count; w++)
            {
                // No sample in the window: no figure (0 would read as "free").
                if (s.Windows[w].CpuTime is { Samples: > 0 } cpu)
                {
                    list.Add(select(cpu), signal.Context.WindowTags[w]);
                }
            }
        });
}
