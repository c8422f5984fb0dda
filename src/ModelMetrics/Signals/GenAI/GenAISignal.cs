// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Threading;
using ModelMetrics.Diagnostics;
using ModelMetrics.Publishing;
using ModelMetrics.Recording;

namespace ModelMetrics.Signals;

/// <summary>
/// The generative-AI signal: per call input, output, cached-input and reasoning tokens, duration, time to first token,
/// time per output token, inter-chunk latency, output tokens per second, finish reasons and failures, in flight,
/// feedback joined by response id, and cost; cumulative and per window. It also records the OpenTelemetry GenAI
/// semantic-convention histograms (<see cref="GenAIConventions"/>) when asked to.
/// </summary>
/// <remarks>
/// <para>
/// Times come from the monitor's <see cref="TimeProvider"/> (so tests script them exactly) and are kept in
/// Stopwatch ticks, the unit of every histogram. A call is one add at start (in flight), one histogram record per
/// chunk after the first (inter-chunk latency), and at the end a few adds (tokens, the finish reason) and up to three
/// striped histogram records: no lock, no allocation. The counts and the inter-chunk histogram go to the calling
/// thread's own cells (<see cref="ThreadCells"/>: plain stores, no interlocked operation), or to striped cells for a
/// thread past the cap; a call may start, stream and end on different threads (await), each record goes to the
/// thread that makes it, and readers sum them all. Failures, feedback, new model ids and the semantic-convention
/// histograms (when a listener is enabled) take slower paths.
/// </para>
/// <para>
/// Writers write a call's tokens and durations before its finish reason, and readers read finish reasons first, so a
/// snapshot never shows a call without its tokens.
/// </para>
/// </remarks>
internal sealed class GenAISignal : Signal
{
    // Counters: of each thread's own cells, and the same index of the striped cells (threads past the cap).
    private const int InFlight = 0;
    private const int InputTokens = 1;
    private const int OutputTokens = 2;
    private const int CachedTokens = 3;
    private const int ReasoningTokens = 4;
    private const int UnknownInput = 5;
    private const int UnknownOutput = 6;
    private const int RateTokens = 7; // output tokens of the successful calls whose duration is in RateTicks
    private const int RateTicks = 8;
    private const int CostNanos = 9; // cost in 10^-9 of the currency
    private const int FirstReason = 10; // one cell per GenAIFinishReason
    private const int ReasonCount = 5;
    private const int CellCount = FirstReason + ReasonCount;

    // The windowed array: cells 1 .. CellCount - 1 at index cell - 1, then failures, then feedback.
    private const int FailureOffset = CellCount - 1;

    private static readonly string[] ReasonNames = ["unknown", "stop", "length", "content_filter", "tool_calls"];

    private readonly StripedCells _cells = new(CellCount);
    private readonly ThreadCells _owned;  // the counters and the inter-chunk histogram, per thread
    private readonly StripedHistogram _interChunk; // InterChunk's histogram, held directly: one load less per chunk
    private readonly OutcomeTable _failures;
    private readonly WindowedCells<long> _counts;
    private readonly int _feedbackOffset;
    private readonly PendingPredictions _responses;
    private Reused? _reused; // what publishing readings refill (readers are serialized)
    private bool _responsesAtLastRead; // written by the serialized readers
    private readonly ModelIdTable _requestModels;
    private readonly ModelIdTable _responseModels;
    private readonly GenAIConventions? _conventions;
    private readonly Dictionary<string, GenAIPrice>? _prices;
    private readonly long _frequency;
    private readonly bool _stopwatchFrequency;
    private readonly bool _systemClock;
    private long _positive;
    private long _negative;
    private long _scored;
    private long _scoreMicros; // sum of scores, in millionths

    public GenAISignal(SignalContext context, HistogramLayout layout, GenAIOptions options, Meter meter, int pendingCapacity, TimeSpan pendingTimeToLive)
        : base(context)
    {
        OperationName = options.OperationName;
        ProviderName = options.ProviderName;
        Currency = options.Currency;
        Duration = new WindowedHistogram(context, layout, GenAIConventions.DurationBoundaries);
        TimeToFirstToken = new WindowedHistogram(context, layout, GenAIConventions.DurationBoundaries);
        TimePerOutputToken = new WindowedHistogram(context, layout, GenAIConventions.ServerTimePerOutputTokenBoundaries);
        InterChunk = new WindowedHistogram(context, layout, GenAIConventions.ServerTimePerOutputTokenBoundaries);
        _interChunk = InterChunk.Histogram;
        _owned = new ThreadCells(CellCount, layout.BucketCount, _interChunk.BoundaryCount);
        _failures = new OutcomeTable(context.ModelName);
        _feedbackOffset = FailureOffset + _failures.Length;
        _counts = context.CreateWindows<long>(_feedbackOffset + 4);
        _responses = new PendingPredictions(pendingCapacity, pendingTimeToLive, context.Time);
        _requestModels = new ModelIdTable(options.MaxModelIds, context.ModelName, GenAIConventions.RequestModel);
        _responseModels = new ModelIdTable(options.MaxModelIds, context.ModelName, GenAIConventions.ResponseModel);
        _conventions = options.SemanticConventionInstruments ? GenAIConventions.For(meter, options.ServerSide) : null;
        ChunkConventions = _conventions is { IsServer: false } conventions ? conventions.TimePerOutput : null;
        if (options.Prices is { Count: > 0 } prices)
        {
            _prices = new Dictionary<string, GenAIPrice>(prices, StringComparer.Ordinal);
        }

        _frequency = context.Time.TimestampFrequency;
        _stopwatchFrequency = _frequency == Stopwatch.Frequency;
        _systemClock = ReferenceEquals(context.Time, TimeProvider.System);
    }

    public override SignalInstruments Instruments => GenAIInstruments.Instance;

    public string OperationName { get; }

    public string? ProviderName { get; }

    public string Currency { get; }

    public WindowedHistogram Duration { get; }

    public WindowedHistogram TimeToFirstToken { get; }

    public WindowedHistogram TimePerOutputToken { get; }

    public WindowedHistogram InterChunk { get; }

    /// <summary>Gets the thread-owned cells of the counters and the inter-chunk latency (for tests: live sets, folds).</summary>
    public ThreadCells Owned => _owned;

    public ModelIdTable RequestModels => _requestModels;

    public ModelIdTable ResponseModels => _responseModels;

    public PendingPredictions Responses => _responses;

    /// <summary>Gets the attribute sets of this signal's own instruments, built when first published.</summary>
    public GenAITags InstrumentTags => field ??= new GenAITags(Context, Currency);

    // Note: the system clock is read directly (TimeProvider.System's timestamp is Stopwatch's), saving a virtual call per chunk.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long Timestamp() => _systemClock ? Stopwatch.GetTimestamp() : Context.Time.GetTimestamp();

    public GenAICall Start(string? requestModel)
    {
        int model = requestModel is null ? ModelIdTable.None : _requestModels.IndexOf(requestModel);
        Add(_owned.Current(), InFlight, 1);
        MarkChanged();
        return new GenAICall(this, Timestamp(), model);
    }

    /// <summary>
    /// Gets the histogram each gap between chunks also goes to as it arrives (the conventions' client time per output
    /// chunk), or <see langword="null"/> when it is not recorded.
    /// </summary>
    public Histogram<double>? ChunkConventions { get; }

    /// <summary>Records gaps between chunks of a call in flight, buffered by the call (<see cref="GenAICall"/>).</summary>
    public void RecordGaps(ReadOnlySpan<long> gaps)
    {
        // Note: into the calling thread's own cells (plain stores, no interlocked add), one lookup for the batch; a stream
        // consumed on several threads (await) records each batch where it is flushed, and readers sum every set.
        ThreadCellSet cells = _owned.Current();
        if (cells.IsOwned)
        {
            foreach (long gap in gaps)
            {
                _interChunk.Record(cells, ToStopwatch(gap));
            }
        }
        else
        {
            foreach (long gap in gaps)
            {
                _interChunk.Record(ToStopwatch(gap));
            }
        }

        MarkChanged();
    }

    /// <summary>Records a gap between chunks into the conventions' time per output chunk, when a listener is enabled.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void RecordGapConvention(Histogram<double> histogram, long gap, int requestModel)
    {
        if (histogram.Enabled)
        {
            RecordNative(histogram, Seconds(gap), requestModel, ModelIdTable.None, errorType: null);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public void RejectTokens() => Context.Reject(RejectionReason.InvalidTokenCount);

    public void Complete(in GenAICall call, in GenAIUsage usage, GenAIFinishReason finishReason, string? responseModel, PredictionId responseId)
    {
        long end = Timestamp();
        long elapsed = end - call.Start;
        int response = responseModel is null ? ModelIdTable.None : _responseModels.IndexOf(responseModel);
        ThreadCellSet cells = _owned.Current();
        long? output = CountTokens(cells, call, usage, responseModel, out long? input);

        long duration = ToStopwatch(elapsed);
        if (output is long generated && generated > 0 && duration > 0)
        {
            Add(cells, RateTokens, generated);
            Add(cells, RateTicks, duration);
        }

        long firstToken = 0;
        if (call.Chunks > 0)
        {
            firstToken = call.FirstChunk - call.Start;
            TimeToFirstToken.Histogram.Record(ToStopwatch(firstToken));
            if (output is long tokens && tokens >= 2)
            {
                // The conventions' time per output token: the time after the first token over the tokens after it.
                // Divided in Stopwatch ticks (nanoseconds on Linux), finer than most clocks' ticks.
                TimePerOutputToken.Histogram.Record(ToStopwatch(elapsed - firstToken) / (tokens - 1));
                if (_conventions is { IsServer: true } server && server.TimePerOutput.Enabled)
                {
                    RecordNative(server.TimePerOutput, Seconds(elapsed - firstToken) / (tokens - 1), call.RequestModel, response, errorType: null);
                }
            }
        }

        Duration.Histogram.Record(duration);
        uint reason = (uint)finishReason;
        // Note: the reason after the tokens and durations, in the same cells (each store a release): a reader that
        // reads reasons first sees every call it counts with its tokens.
        Add(cells, FirstReason + (int)(reason < ReasonCount ? reason : 0), 1);
        Add(cells, InFlight, -1);
        MarkChanged();

        if (responseId.IsValid)
        {
            // The call's end is the response's time: the same clock, read once.
            _responses.Add(responseId, new PendingPrediction(0, 0, null, end));
        }

        if (_conventions is not null)
        {
            RecordConventions(call, elapsed, firstToken, input, output, response, errorType: null);
        }
    }

    /// <summary>Ends a failed call; <paramref name="exception"/> is <see langword="null"/> for an abandoned one.</summary>
    public void Fail(in GenAICall call, int outcome, Exception? exception, in GenAIUsage usage, string? responseModel)
    {
        long elapsed = Timestamp() - call.Start;
        int response = responseModel is null ? ModelIdTable.None : _responseModels.IndexOf(responseModel);
        ThreadCellSet cells = _owned.Current();
        long? output = CountTokens(cells, call, usage, responseModel, out long? input);
        long firstToken = 0;
        if (call.Chunks > 0)
        {
            firstToken = call.FirstChunk - call.Start;
            TimeToFirstToken.Histogram.Record(ToStopwatch(firstToken));
        }

        Duration.Histogram.Record(ToStopwatch(elapsed));
        _failures.Count(outcome);
        Add(cells, InFlight, -1);
        MarkChanged();
        if (_conventions is not null)
        {
            // Note: the conventions' error.type is the exception's type name, as every instrumentation that follows them
            // writes it (Microsoft.Extensions.AI's too), so fleets merge; model.genai.calls keeps ModelMetrics' outcomes
            // (cancelled, timeout). Types past the table's cap stay _OTHER, an abandoned stream is cancelled.
            string errorType = exception is null || outcome == OutcomeTable.Other
                ? _failures.NameOf(outcome)
                : OutcomeTable.ErrorTypeName(exception.GetType());
            RecordConventions(call, elapsed, firstToken, input, output, response, errorType);
        }
    }

    public int Classify(Exception exception, CancellationToken cancellationToken) => _failures.Classify(exception, cancellationToken);

    /// <summary>Joins feedback with its response; false (and counted by why) when the response is not pending.</summary>
    public bool RecordFeedback(PredictionId responseId, bool positive, double score)
    {
        if (_responses.TryJoin(responseId, out _) != JoinResult.Joined)
        {
            MarkChanged();
            return false;
        }

        if (!double.IsNaN(score))
        {
            Interlocked.Add(ref _scoreMicros, (long)Math.Round(score * 1_000_000));
            Interlocked.Increment(ref _scored);
        }

        Interlocked.Increment(ref positive ? ref _positive : ref _negative);
        MarkChanged();
        return true;
    }

    public void RejectFeedback() => Context.Reject(RejectionReason.InvalidValue);

    /// <inheritdoc/>
    /// <remarks>
    /// Every record marks the signal changed; response ids awaiting feedback expire as time passes, unrecorded: polled
    /// while any was pending at the last reading (a flag, not a sum over the store's segments).
    /// </remarks>
    public override bool IsPolled => _responsesAtLastRead;

    /// <inheritdoc/>
    protected override bool ReusesParts => true;

    public override void Read(SnapshotBuilder snapshot)
    {
        _responses.ExpireOld();
        _responsesAtLastRead = _responses.Count > 0;

        // A publishing reading refills the arrays, tables and snapshots of the last one; any other builds new ones.
        bool reuse = snapshot.Reuses;
        Reused? reused = reuse ? _reused ??= new Reused(_counts.Length, Context.Windows.Length) : null;
        long[] counts = reused?.Counts ?? new long[_counts.Length];
        long inFlight;
        (LatencySnapshot Cumulative, LatencySnapshot[] Windows) interChunks;

        // Note: the gate excludes only folds (a writer that finds the thread cells full tries it, never waits for it).
        lock (_owned.Gate)
        {
            _owned.Fold();

            // Calls first (finish reasons, failures), then what their writers wrote before them.
            Array.Clear(counts);
            for (int r = 0; r < ReasonCount; r++)
            {
                counts[FirstReason - 1 + r] = Sum(FirstReason + r);
            }

            _failures.AddTo(counts, FailureOffset);
            for (int cell = InputTokens; cell < FirstReason; cell++)
            {
                counts[cell - 1] = Sum(cell);
            }

            counts[_feedbackOffset] = Volatile.Read(ref _positive);
            counts[_feedbackOffset + 1] = Volatile.Read(ref _negative);
            counts[_feedbackOffset + 2] = Volatile.Read(ref _scored);
            counts[_feedbackOffset + 3] = Volatile.Read(ref _scoreMicros);
            inFlight = Math.Max(0, Sum(InFlight));
            interChunks = ReadInterChunk(snapshot.Now, reuse);
        }

        (LatencySnapshot duration, LatencySnapshot[] durations) = Duration.Read(snapshot.Now, reuse: reuse);
        (LatencySnapshot firstToken, LatencySnapshot[] firstTokens) = TimeToFirstToken.Read(snapshot.Now, reuse: reuse);
        (LatencySnapshot perToken, LatencySnapshot[] perTokens) = TimePerOutputToken.Read(snapshot.Now, reuse: reuse);
        (LatencySnapshot interChunk, LatencySnapshot[] interChunkWindows) = interChunks;
        long[][] windows = _counts.Read(snapshot.Now, counts, reused?.Windows);

        Dictionary<string, long> unmatched = reused?.Unmatched ?? new Dictionary<string, long>(StringComparer.Ordinal);
        unmatched.Clear();
        AddIfCounted(unmatched, "unknown_id", _responses.UnknownId);
        AddIfCounted(unmatched, "duplicate", _responses.DuplicateLabel);
        AddIfCounted(unmatched, "late", _responses.LateLabel);
        AddIfCounted(unmatched, "invalid_id", _responses.InvalidId);

        snapshot.Cumulative.Add(Part(reused, 0, counts, inFlight, duration, firstToken, perToken, interChunk, _responses.Count, unmatched));
        Dictionary<string, long> none = reused?.None ?? new Dictionary<string, long>(0);
        for (int w = 0; w < windows.Length; w++)
        {
            snapshot.Windows[w].Add(Part(reused, 1 + w, windows[w], inFlight, durations[w], firstTokens[w], perTokens[w], interChunkWindows[w], _responses.Count, none));
        }
    }

    private static void AddIfCounted(Dictionary<string, long> table, string result, long count)
    {
        if (count > 0)
        {
            table[result] = count;
        }
    }

    private GenAISnapshot Part(Reused? reused, int slot, long[] counts, long inFlight, LatencySnapshot duration, LatencySnapshot firstToken, LatencySnapshot perToken, LatencySnapshot interChunk, long pending, Dictionary<string, long> unmatched)
    {
        Dictionary<string, long> reasons = reused?.Reasons[slot] ?? new Dictionary<string, long>(StringComparer.Ordinal);
        reasons.Clear();
        long succeeded = 0;
        for (int r = 0; r < ReasonCount; r++)
        {
            long count = counts[FirstReason - 1 + r];
            succeeded += count;
            if (count != 0)
            {
                reasons[ReasonNames[r]] = count;
            }
        }

        ReadOnlySpan<long> failed = counts.AsSpan(FailureOffset, _failures.Length);
        Dictionary<string, long> failures = _failures.ToTable(failed, reused?.Failures[slot]);
        long rateTicks = counts[RateTicks - 1];
        double tokensPerSecond = rateTicks == 0 ? 0 : counts[RateTokens - 1] / ((double)rateTicks / Stopwatch.Frequency);
        var tokens = new GenAITokens(counts[InputTokens - 1], counts[OutputTokens - 1], counts[CachedTokens - 1], counts[ReasoningTokens - 1], counts[UnknownInput - 1], counts[UnknownOutput - 1]);
        var feedback = new GenAIFeedback(counts[_feedbackOffset], counts[_feedbackOffset + 1], counts[_feedbackOffset + 2], counts[_feedbackOffset + 3] / 1e6, pending, unmatched);
        GenAISnapshot part = reused is null ? new GenAISnapshot() : reused.Parts[slot] ??= new GenAISnapshot();
        part.Fill(succeeded, reasons, failures, CellSums.Sum(failed), inFlight, tokens, tokensPerSecond, duration, firstToken, perToken, interChunk, feedback, counts[CostNanos - 1] / 1e9, Currency);
        return part;
    }

    /// <summary>Reads the inter-chunk latency: the stripes and every thread's own cells. Under the gate, after a fold.</summary>
    private (LatencySnapshot Cumulative, LatencySnapshot[] Windows) ReadInterChunk(long now, bool reuse)
    {
        if (_owned.IsEmpty && _interChunk.IsEmpty)
        {
            return InterChunk.Empty();
        }

        long[] all = InterChunk.Scratch();
        _interChunk.AddTo(all);
        _owned.AddHistogramTo(all);
        return InterChunk.Read(now, all, reuse);
    }

    /// <summary>What publishing readings refill: the counts read, each window's, the tables and the snapshots (cumulative, then each window's).</summary>
    private sealed class Reused(int cells, int windows)
    {
        public long[] Counts { get; } = new long[cells];

        public long[][] Windows { get; } = Array.ConvertAll(new int[windows], _ => new long[cells]);

        public Dictionary<string, long> Unmatched { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, long> None { get; } = new(0);

        public Dictionary<string, long>[] Reasons { get; } = Array.ConvertAll(new int[1 + windows], _ => new Dictionary<string, long>(StringComparer.Ordinal));

        public Dictionary<string, long>[] Failures { get; } = Array.ConvertAll(new int[1 + windows], _ => new Dictionary<string, long>(StringComparer.Ordinal));

        public GenAISnapshot?[] Parts { get; } = new GenAISnapshot?[1 + windows];
    }

    /// <summary>Returns a counter summed over every thread's own cells and the stripes. Under the gate, after a fold.</summary>
    private long Sum(int cell) => _owned.Sum(cell) + _cells.Sum(cell);

    /// <summary>Adds to a counter in <paramref name="cells"/>, the calling thread's own, or in the stripes when it has none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Add(ThreadCellSet cells, int cell, long value)
    {
        if (cells.IsOwned)
        {
            cells.Add(cell, value);
        }
        else
        {
            _cells.Add(cell, value);
        }
    }

    /// <summary>Counts a call's tokens and cost; returns its output tokens (<see langword="null"/> when unknown).</summary>
    private long? CountTokens(ThreadCellSet cells, in GenAICall call, in GenAIUsage usage, string? responseModel, out long? input)
    {
        input = Valid(usage.InputTokens);
        long? output = Valid(usage.OutputTokens) ?? (call.TokensCounted ? call.CountedTokens : null);
        long? cached = Part(Valid(usage.CachedInputTokens), input);
        long? reasoning = Part(Valid(usage.ReasoningTokens), output);
        if (input is long i)
        {
            Add(cells, InputTokens, i);
        }
        else
        {
            Add(cells, UnknownInput, 1);
        }

        if (output is long o)
        {
            Add(cells, OutputTokens, o);
        }
        else
        {
            Add(cells, UnknownOutput, 1);
        }

        if (cached is long c)
        {
            Add(cells, CachedTokens, c);
        }

        if (reasoning is long r)
        {
            Add(cells, ReasoningTokens, r);
        }

        if (_prices is not null && (input is not null || output is not null))
        {
            AddCost(cells, responseModel ?? _requestModels.NameOf(call.RequestModel), input ?? 0, cached ?? 0, output ?? 0);
        }

        return output;
    }

    private long? Valid(long? tokens)
    {
        if (tokens is long count && (ulong)count > GenAIUsage.MaxTokens)
        {
            RejectTokens();
            return null;
        }

        return tokens;
    }

    /// <summary>A count that is part of another (cached of input, reasoning of output) cannot exceed it.</summary>
    private long? Part(long? part, long? whole)
    {
        if (part is long p && whole is long w && p > w)
        {
            RejectTokens();
            return null;
        }

        return part;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void AddCost(ThreadCellSet cells, string? model, long input, long cached, long output)
    {
        if (model is null || !_prices!.TryGetValue(model, out GenAIPrice price))
        {
            return;
        }

        double cost = (((input - cached) * price.InputPerMillion) + (cached * (price.CachedInputPerMillion ?? price.InputPerMillion)) + (output * price.OutputPerMillion)) / 1e6;

        // Note: in units of 10^-9 of the currency, so that long cells sum it exactly (to 9 billion per monitor).
        Add(cells, CostNanos, (long)Math.Round(cost * 1e9));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long ToStopwatch(long timestampTicks) => _stopwatchFrequency ? timestampTicks : Convert(timestampTicks);

    // Note: out of line: only a TimeProvider with another frequency than Stopwatch's (a test's) converts.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long Convert(long timestampTicks)
    {
        Int128 ticks = (Int128)timestampTicks * Stopwatch.Frequency / _frequency;
        return ticks > long.MaxValue ? long.MaxValue : ticks < long.MinValue ? long.MinValue : (long)ticks;
    }

    private double Seconds(long timestampTicks) => Math.Max(0, timestampTicks) / (double)_frequency;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void RecordConventions(in GenAICall call, long elapsed, long firstToken, long? input, long? output, int response, string? errorType)
    {
        GenAIConventions conventions = _conventions!;
        if (conventions.Duration.Enabled)
        {
            RecordNative(conventions.Duration, Seconds(elapsed), call.RequestModel, response, errorType);
        }

        if (call.Chunks > 0 && errorType is null && conventions.TimeToFirstChunk.Enabled)
        {
            RecordNative(conventions.TimeToFirstChunk, Seconds(firstToken), call.RequestModel, response, errorType: null);
        }

        if (conventions.TokenUsage is { Enabled: true } usage)
        {
            if (input is long i)
            {
                RecordTokens(usage, i, GenAIConventions.InputTokenType, call.RequestModel, response);
            }

            if (output is long o)
            {
                RecordTokens(usage, o, GenAIConventions.OutputTokenType, call.RequestModel, response);
            }
        }
    }

    private TagList ConventionTags(int requestModel, int responseModel)
    {
        var tags = new TagList
        {
            { MetricNames.ModelName, Context.ModelName },
            { MetricNames.ModelVersion, Context.ModelVersion },
            { GenAIConventions.OperationName, OperationName },
        };
        if (ProviderName is not null)
        {
            tags.Add(GenAIConventions.ProviderName, ProviderName);
        }

        if (_requestModels.NameOf(requestModel) is { } request)
        {
            tags.Add(GenAIConventions.RequestModel, request);
        }

        if (_responseModels.NameOf(responseModel) is { } response)
        {
            tags.Add(GenAIConventions.ResponseModel, response);
        }

        return tags;
    }

    private void RecordNative(Histogram<double> histogram, double value, int requestModel, int responseModel, string? errorType)
    {
        TagList tags = ConventionTags(requestModel, responseModel);
        if (errorType is not null)
        {
            tags.Add(MetricNames.ErrorType, errorType);
        }

        Context.Record(histogram, value, tags);
    }

    private void RecordTokens(Histogram<long> histogram, long tokens, string tokenType, int requestModel, int responseModel)
    {
        TagList tags = ConventionTags(requestModel, responseModel);
        tags.Add(GenAIConventions.TokenType, tokenType);
        Context.Record(histogram, tokens, tags);
    }
}
