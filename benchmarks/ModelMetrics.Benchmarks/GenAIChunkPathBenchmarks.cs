// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using ModelMetrics.Recording;

namespace ModelMetrics.Benchmarks;

[MemoryDiagnoser]
public class GenAIChunkPathBenchmarks
{
    private const int N = 100;
    private ModelMonitor _monitor = null!;
    private StripedHistogram _striped = null!;
    private ThreadCells _owned = null!;

    [GlobalSetup]
    public void Setup()
    {
        _monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "bench", GenAI = new GenAIOptions { SemanticConventionInstruments = false } });
        _striped = new StripedHistogram(new HistogramLayout(1, 3_600_000_000_000L, 2), new Rejections(), [1000, 100000]);
        _owned = new ThreadCells(2, _striped.Layout.BucketCount, 2);
    }

    [GlobalCleanup]
    public void Cleanup() => _monitor.Dispose();

    [Benchmark(OperationsPerInvoke = N)]
    public long Clock()
    {
        long t = 0;
        for (int i = 0; i < N; i++)
        {
            t += Stopwatch.GetTimestamp();
        }

        return t;
    }

    [Benchmark(OperationsPerInvoke = N)]
    public void StripedRecord()
    {
        for (int i = 0; i < N; i++)
        {
            _striped.Record(20_000 + i);
        }
    }

    [Benchmark(OperationsPerInvoke = N)]
    public void OwnedRecord()
    {
        for (int i = 0; i < N; i++)
        {
            _striped.Record(_owned.Current(), 20_000 + i);
        }
    }

    [Benchmark(OperationsPerInvoke = N)]
    public long RecordChunk()
    {
        GenAICall call = _monitor.GenAI!.StartCall();
        for (int i = 0; i < N; i++)
        {
            call.RecordChunk();
        }

        call.Complete();
        return call.Chunks;
    }

    [Benchmark]
    public void CallNoChunks()
    {
        GenAICall call = _monitor.GenAI!.StartCall();
        call.Complete(new GenAIUsage(20, 100), GenAIFinishReason.Stop, "in-memory-1");
    }

    [Benchmark]
    public void CallNoChunksWithResponseId()
    {
        GenAICall call = _monitor.GenAI!.StartCall();
        call.Complete(new GenAIUsage(20, 100), GenAIFinishReason.Stop, "in-memory-1", PredictionId.FromString("r"));
    }
}
