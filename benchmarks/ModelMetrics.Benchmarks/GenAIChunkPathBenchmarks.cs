// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using ModelMetrics.Recording;

namespace ModelMetrics.Benchmarks;

/// <summary>
/// Where a streamed chunk's cost goes in the generative signal, piece by piece and per chunk (100 per invocation): one
/// <see cref="Stopwatch.GetTimestamp"/>, one histogram record into interlocked striped cells and into the calling
/// thread's own cells, and a whole <see cref="GenAICall.RecordChunk()"/> (clock read, gap kept by the call, recorded
/// 16 at a time); and per call, <see cref="GenAIRecorder.StartCall"/> + <see cref="GenAICall.Complete"/> without chunks,
/// with and without a response id kept for feedback.
/// </summary>
[MemoryDiagnoser]
public class GenAIChunkPathBenchmarks
{
    private const int Chunks = 100;
    private static readonly PredictionId ResponseId = PredictionId.FromString("response-1");
    private ModelMonitor _monitor = null!;
    private StripedHistogram _striped = null!;
    private ThreadCells _owned = null!;

    [GlobalSetup]
    public void Setup()
    {
        _monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "bench-genai-chunks",
            MeterName = "ModelMetrics.Benchmarks.GenAIChunks",
            GenAI = new GenAIOptions { SemanticConventionInstruments = false },
        });

        // The inter-chunk histogram's geometry: the default layout (1 µs to 1 h in Stopwatch ticks, 2 digits), two boundaries.
        long tick = Stopwatch.Frequency / 1_000_000;
        _striped = new StripedHistogram(new HistogramLayout(tick, 3_600 * Stopwatch.Frequency, 2), new Rejections(), [10_000 * tick, 25_000 * tick]);
        _owned = new ThreadCells(1, _striped.Layout.BucketCount, _striped.BoundaryCount);
    }

    [GlobalCleanup]
    public void Cleanup() => _monitor.Dispose();

    [Benchmark(OperationsPerInvoke = Chunks, Description = "Stopwatch.GetTimestamp()")]
    public long Clock()
    {
        long sum = 0;
        for (int i = 0; i < Chunks; i++)
        {
            sum += Stopwatch.GetTimestamp();
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = Chunks, Description = "histogram record, interlocked stripes")]
    public void StripedRecord()
    {
        for (int i = 0; i < Chunks; i++)
        {
            _striped.Record(20_000 + i);
        }
    }

    [Benchmark(OperationsPerInvoke = Chunks, Description = "histogram record, thread-owned cells")]
    public void OwnedRecord()
    {
        for (int i = 0; i < Chunks; i++)
        {
            _striped.Record(_owned.Current(), 20_000 + i);
        }
    }

    [Benchmark(OperationsPerInvoke = Chunks, Description = "GenAICall.RecordChunk() (per chunk, start and end included)")]
    public long RecordChunk()
    {
        GenAICall call = _monitor.GenAI!.StartCall();
        for (int i = 0; i < Chunks; i++)
        {
            call.RecordChunk();
        }

        call.Complete();
        return call.Chunks;
    }

    [Benchmark(Description = "StartCall + Complete, no chunks")]
    public void CallWithoutChunks()
    {
        GenAICall call = _monitor.GenAI!.StartCall();
        call.Complete(new GenAIUsage(20, 100), GenAIFinishReason.Stop, "in-memory-1");
    }

    [Benchmark(Description = "StartCall + Complete, no chunks, response id kept")]
    public void CallWithoutChunksWithResponseId()
    {
        GenAICall call = _monitor.GenAI!.StartCall();
        call.Complete(new GenAIUsage(20, 100), GenAIFinishReason.Stop, "in-memory-1", ResponseId);
    }
}
