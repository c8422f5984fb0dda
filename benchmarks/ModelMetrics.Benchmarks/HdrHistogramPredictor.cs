// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Diagnostics;
using HdrHistogram;

namespace ModelMetrics.Benchmarks;

/// <summary>
/// The HdrHistogram.NET peer: a decorator that records each call's duration in Stopwatch ticks with one
/// <see cref="IRecorder.RecordValue(long)"/>, failed calls included (HdrHistogram keeps no count by outcome).
/// The recorder is one of <see cref="HdrHistogramPeer"/>'s: a <see cref="LongConcurrentHistogram"/> or a
/// <see cref="Recorder"/>.
/// </summary>
internal sealed class HdrHistogramPredictor<TInput, TOutput> : DelegatingPredictor<TInput, TOutput>
{
    private readonly IRecorder _recorder;

    public HdrHistogramPredictor(IPredictor<TInput, TOutput> innerPredictor, IRecorder recorder)
        : base(innerPredictor)
    {
        _recorder = recorder;
    }

    public override TOutput Predict(TInput input)
    {
        long start = Stopwatch.GetTimestamp();
        try
        {
            return InnerPredictor.Predict(input);
        }
        finally
        {
            // As users write it: no clamp, so a call over the highest trackable value (1 h) would throw here.
            _recorder.RecordValue(Stopwatch.GetTimestamp() - start);
        }
    }
}

/// <summary>The HdrHistogram.NET recorders the peer decorator writes to, over 1 µs to 1 h in Stopwatch ticks with 2 significant digits.</summary>
internal static class HdrHistogramPeer
{
    private const int SignificantDigits = 2;

    /// <summary>Gets 1 µs in Stopwatch ticks: the lowest discernible value.</summary>
    private static long LowestTicks => Stopwatch.Frequency / 1_000_000;

    /// <summary>Gets 1 h in Stopwatch ticks: the highest trackable value.</summary>
    private static long HighestTicks => 3600 * Stopwatch.Frequency;

    /// <summary>A histogram whose writes are lossless under concurrency; a reader copies it while writers run.</summary>
    public static LongConcurrentHistogram NewConcurrentHistogram() => new(LowestTicks, HighestTicks, SignificantDigits);

    /// <summary>
    /// A <see cref="Recorder"/> (a <c>WriterReaderPhaser</c> around a concurrent histogram), from which a reader
    /// takes interval histograms while writers run: HdrHistogram's answer to reading a live histogram.
    /// </summary>
    public static Recorder NewRecorder() => HistogramFactory
        .With64BitBucketSize()
        .WithValuesFrom(LowestTicks)
        .WithValuesUpTo(HighestTicks)
        .WithPrecisionOf(SignificantDigits)
        .WithThreadSafeWrites()
        .WithThreadSafeReads()
        .Create();
}
