// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Collections.Generic;
using ModelMetrics.Publishing;

namespace ModelMetrics.Signals;

/// <summary>
/// The <c>model.genai.*</c> instruments of the generative-AI signal (pre-aggregated, read at collection time; the
/// semantic-convention histograms are recorded per call, see <see cref="GenAIConventions"/>).
/// </summary>
internal sealed class GenAIInstruments : SignalInstruments
{
    public const string FinishReason = "finish_reason";
    public const string Feedback = "feedback";
    public const string Currency = "currency";
    public const string Duration = "model.genai.duration";
    public const string TimeToFirstToken = "model.genai.time_to_first_token";
    public const string TimePerOutputToken = "model.genai.time_per_output_token";
    public const string InterChunkLatency = "model.genai.inter_chunk_latency";

    public static readonly InstrumentInfo Calls = new("model.genai.calls", "{call}", "Completed generative calls by finish_reason; failed ones have finish_reason error and carry error.type.");
    public static readonly InstrumentInfo ActiveCalls = new("model.genai.active_calls", "{call}", "Generative calls in flight.");
    public static readonly InstrumentInfo Tokens = new("model.genai.tokens", "{token}", "Tokens by gen_ai.token.type: input, output, cached_input (part of input), reasoning (part of output).");
    public static readonly InstrumentInfo UnknownTokens = new("model.genai.tokens.unknown", "{call}", "Calls whose input or output token count was not reported (gen_ai.token.type), never guessed.");
    public static readonly InstrumentInfo TokensPerSecond = new("model.genai.output_tokens_per_second", "{token}/s", "Output tokens per second of the calls completed in each window: their output tokens over their summed durations.");
    public static readonly InstrumentInfo FeedbackCount = new("model.genai.feedback", "{feedback}", "User feedback joined with its response, by feedback: positive, negative.");
    public static readonly InstrumentInfo PositiveRate = new("model.genai.feedback.positive_rate", MetricNames.Ratio, "Fraction of the feedback joined in each window that was positive.");
    public static readonly InstrumentInfo Unmatched = new("model.genai.feedback.unmatched", "{feedback}", "Feedback that joined no response, by reason: unknown_id, duplicate, late, invalid_id.");
    public static readonly InstrumentInfo Pending = new("model.genai.responses.pending", "{response}", "Responses with an id waiting for feedback.");
    public static readonly InstrumentInfo Cost = new("model.genai.cost", "{currency}", "Cost of the tokens of calls whose model has a price, in the currency attribute's unit.");
    public static readonly InstrumentInfo ModelOverflow = new("model.genai.model_ids.overflow", "{call}", "Model ids published as _OTHER past GenAIOptions.MaxModelIds, by attribute (gen_ai.request.model, gen_ai.response.model).");

    public static readonly GenAIInstruments Instance = new();

    private GenAIInstruments()
    {
    }

    public override void Create(MeterPublisher publisher)
    {
        publisher.Counter<GenAISignal, long>(Calls, static (signal, s, list) =>
        {
            GenAISnapshot g = s.GenAI!;
            GenAITags tags = signal.InstrumentTags;
            foreach ((string reason, long count) in g.FinishReasonTable)
            {
                list.Add(count, tags.Reason(reason));
            }

            foreach ((string errorType, long count) in g.FailureTable)
            {
                list.Add(count, Tags.With(signal.Context.ModelTags, FinishReason, "error", MetricNames.ErrorType, errorType));
            }
        });
        publisher.UpDownCounter<GenAISignal, long>(ActiveCalls, static (signal, s, list) => list.AddIf(s.GenAI!.Calls > 0 || s.GenAI.InFlight > 0, s.GenAI.InFlight, signal.Context.ModelTags));
        publisher.Counter<GenAISignal, long>(Tokens, static (signal, s, list) =>
        {
            GenAISnapshot g = s.GenAI!;
            if (g.Calls == 0)
            {
                return;
            }

            GenAITags tags = signal.InstrumentTags;
            list.Add(g.InputTokens, tags.TokenTypes[0]);
            list.Add(g.OutputTokens, tags.TokenTypes[1]);
            list.AddIf(g.CachedInputTokens > 0, g.CachedInputTokens, tags.TokenTypes[2]);
            list.AddIf(g.ReasoningTokens > 0, g.ReasoningTokens, tags.TokenTypes[3]);
        });
        publisher.Counter<GenAISignal, long>(UnknownTokens, static (signal, s, list) =>
        {
            GenAISnapshot g = s.GenAI!;
            list.AddIf(g.UnknownInputTokens > 0, g.UnknownInputTokens, signal.InstrumentTags.TokenTypes[0]);
            list.AddIf(g.UnknownOutputTokens > 0, g.UnknownOutputTokens, signal.InstrumentTags.TokenTypes[1]);
        });
        publisher.Gauge<GenAISignal, double>(TokensPerSecond, static (signal, s, list) =>
        {
            for (int w = 0; w < s.Windows.Count; w++)
            {
                GenAISnapshot window = s.Windows[w].GenAI!;
                list.AddIf(window.OutputTokensPerSecond > 0, window.OutputTokensPerSecond, signal.Context.WindowTags[w]);
            }
        });

        HistogramInstruments.Create<GenAISignal>(publisher, Duration, "{call}", "generative call duration", static g => g.Duration, static s => s.GenAI!.Duration, static w => w.GenAI!.Duration);
        HistogramInstruments.Create<GenAISignal>(publisher, TimeToFirstToken, "{call}", "time to the first token of a streamed generative call", static g => g.TimeToFirstToken, static s => s.GenAI!.TimeToFirstToken, static w => w.GenAI!.TimeToFirstToken);
        HistogramInstruments.Create<GenAISignal>(publisher, TimePerOutputToken, "{call}", "time per output token after the first", static g => g.TimePerOutputToken, static s => s.GenAI!.TimePerOutputToken, static w => w.GenAI!.TimePerOutputToken);
        HistogramInstruments.Create<GenAISignal>(publisher, InterChunkLatency, "{chunk}", "time between two chunks of a streamed generative call", static g => g.InterChunk, static s => s.GenAI!.InterChunkLatency, static w => w.GenAI!.InterChunkLatency);

        publisher.Counter<GenAISignal, long>(FeedbackCount, static (signal, s, list) =>
        {
            GenAISnapshot g = s.GenAI!;
            list.AddIf(g.PositiveFeedback > 0, g.PositiveFeedback, signal.InstrumentTags.Feedback[0]);
            list.AddIf(g.NegativeFeedback > 0, g.NegativeFeedback, signal.InstrumentTags.Feedback[1]);
        });
        publisher.Gauge<GenAISignal, double>(PositiveRate, static (signal, s, list) =>
        {
            for (int w = 0; w < s.Windows.Count; w++)
            {
                GenAISnapshot window = s.Windows[w].GenAI!;
                list.AddIf(window.Feedback > 0, window.PositiveFeedbackRate, signal.Context.WindowTags[w]);
            }
        });
        publisher.Counter<GenAISignal, long>(Unmatched, static (signal, s, list) =>
        {
            foreach ((string reason, long count) in s.GenAI!.UnmatchedTable)
            {
                list.Add(count, signal.Context.ModelTagsWith(MetricNames.Reason, reason));
            }
        });
        publisher.UpDownCounter<GenAISignal, long>(Pending, static (signal, s, list) =>
            list.AddIf(s.GenAI!.PendingResponses > 0 || s.GenAI.Feedback > 0, s.GenAI.PendingResponses, signal.Context.ModelTags));
        publisher.Counter<GenAISignal, double>(Cost, static (signal, s, list) => list.AddIf(s.GenAI!.Cost > 0, s.GenAI.Cost, signal.InstrumentTags.Cost));
        publisher.Counter<GenAISignal, long>(ModelOverflow, static (signal, s, list) =>
        {
            list.AddIf(signal.RequestModels.Overflowed > 0, signal.RequestModels.Overflowed, signal.InstrumentTags.Overflow[0]);
            list.AddIf(signal.ResponseModels.Overflowed > 0, signal.ResponseModels.Overflowed, signal.InstrumentTags.Overflow[1]);
        });
    }
}

/// <summary>The attribute sets of one monitor's <c>model.genai.*</c> instruments, built once.</summary>
internal sealed class GenAITags
{
    private static readonly string[] ReasonNames = ["unknown", "stop", "length", "content_filter", "tool_calls"];
    private static readonly string[] TokenTypeNames = ["input", "output", "cached_input", "reasoning"];
    private static readonly string[] FeedbackNames = ["positive", "negative"];
    private static readonly string[] ModelAttributes = [GenAIConventions.RequestModel, GenAIConventions.ResponseModel];
    private readonly KeyValuePair<string, object?>[][] _reasons;

    public GenAITags(SignalContext context, string currency)
    {
        _reasons = Tags.Each(context.ModelTags, GenAIInstruments.FinishReason, ReasonNames);
        TokenTypes = Tags.Each(context.ModelTags, GenAIConventions.TokenType, TokenTypeNames);
        Feedback = Tags.Each(context.ModelTags, GenAIInstruments.Feedback, FeedbackNames);
        Overflow = Tags.Each(context.ModelTags, "attribute", ModelAttributes);
        Cost = Tags.With(context.ModelTags, GenAIInstruments.Currency, currency);
    }

    /// <summary>Gets the sets for input, output, cached_input and reasoning tokens.</summary>
    public KeyValuePair<string, object?>[][] TokenTypes { get; }

    /// <summary>Gets the sets for positive and negative feedback.</summary>
    public KeyValuePair<string, object?>[][] Feedback { get; }

    /// <summary>Gets the sets for request and response model overflows.</summary>
    public KeyValuePair<string, object?>[][] Overflow { get; }

    public KeyValuePair<string, object?>[] Cost { get; }

    public KeyValuePair<string, object?>[] Reason(string reason) => _reasons[System.Array.IndexOf(ReasonNames, reason)];
}
