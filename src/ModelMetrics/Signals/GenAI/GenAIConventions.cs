// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace ModelMetrics.Signals;

/// <summary>
/// The OpenTelemetry GenAI semantic-convention histograms of one meter (names, units, advised bucket boundaries and
/// attributes as the conventions define them), created once per meter when the first monitor that asks for them joins.
/// </summary>
/// <remarks>
/// These are synchronous histograms, recorded per call (and per chunk for the time per output chunk), so that fleets
/// merge them in any backend with every other instrumentation that follows the conventions. Recording checks
/// <see cref="Instrument.Enabled"/> first: without a listener they cost a field read. On .NET 9 and later the advised
/// boundaries travel with the instrument (<c>InstrumentAdvice</c>); on .NET 8 a view must set them.
/// </remarks>
internal sealed class GenAIConventions
{
    // Attributes.
    public const string OperationName = "gen_ai.operation.name";
    public const string ProviderName = "gen_ai.provider.name";
    public const string RequestModel = "gen_ai.request.model";
    public const string ResponseModel = "gen_ai.response.model";
    public const string TokenType = "gen_ai.token.type";
    public const string InputTokenType = "input";
    public const string OutputTokenType = "output";

    // Client instruments.
    public const string ClientTokenUsage = "gen_ai.client.token.usage";
    public const string ClientOperationDuration = "gen_ai.client.operation.duration";
    public const string ClientTimeToFirstChunk = "gen_ai.client.operation.time_to_first_chunk";
    public const string ClientTimePerOutputChunk = "gen_ai.client.operation.time_per_output_chunk";

    // Server instruments.
    public const string ServerRequestDuration = "gen_ai.server.request.duration";
    public const string ServerTimeToFirstToken = "gen_ai.server.time_to_first_token";
    public const string ServerTimePerOutputToken = "gen_ai.server.time_per_output_token";

    public const string Tokens = "{token}";

    /// <summary>The advised boundaries of the durations, times to first chunk and times per output chunk, in seconds.</summary>
    public static readonly double[] DurationBoundaries = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

    /// <summary>The advised boundaries of <c>gen_ai.client.token.usage</c>.</summary>
    public static readonly long[] TokenBoundaries = [1, 4, 16, 64, 256, 1_024, 4_096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216, 67_108_864];

    /// <summary>The advised boundaries of <c>gen_ai.server.time_to_first_token</c>, in seconds.</summary>
    public static readonly double[] ServerTimeToFirstTokenBoundaries = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];

    /// <summary>The advised boundaries of <c>gen_ai.server.time_per_output_token</c>, in seconds.</summary>
    public static readonly double[] ServerTimePerOutputTokenBoundaries = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5];

    private static readonly ConditionalWeakTable<Meter, GenAIConventions> Client = [];
    private static readonly ConditionalWeakTable<Meter, GenAIConventions> Server = [];

    private GenAIConventions(Meter meter, bool serverSide)
    {
        IsServer = serverSide;
        if (serverSide)
        {
            Duration = Create(meter, ServerRequestDuration, "Generative AI server request duration such as time-to-last byte or last output token.", DurationBoundaries);
            TimeToFirstChunk = Create(meter, ServerTimeToFirstToken, "Time to generate first token for successful responses.", ServerTimeToFirstTokenBoundaries);
            TimePerOutput = Create(meter, ServerTimePerOutputToken, "Time per output token generated after the first token for successful responses.", ServerTimePerOutputTokenBoundaries);
        }
        else
        {
            Duration = Create(meter, ClientOperationDuration, "GenAI operation duration.", DurationBoundaries);
            TimeToFirstChunk = Create(meter, ClientTimeToFirstChunk, "Time to receive the first chunk, measured from when the client issues the generation request to when the first chunk is received in the response stream.", DurationBoundaries);
            TimePerOutput = Create(meter, ClientTimePerOutputChunk, "Time per output chunk, recorded for each chunk received after the first one, measured as the time elapsed from the end of the previous chunk to the end of the current chunk.", DurationBoundaries);
            const string TokenDescription = "Number of input and output tokens used.";
#if NET9_0_OR_GREATER
            TokenUsage = meter.CreateHistogram<long>(ClientTokenUsage, Tokens, TokenDescription, tags: null, new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBoundaries });
#else
            TokenUsage = meter.CreateHistogram<long>(ClientTokenUsage, Tokens, TokenDescription);
#endif
        }
    }

    /// <summary>Gets a value indicating whether these are the <c>gen_ai.server.*</c> histograms.</summary>
    public bool IsServer { get; }

    /// <summary>Gets <c>gen_ai.client.operation.duration</c> or <c>gen_ai.server.request.duration</c>.</summary>
    public Histogram<double> Duration { get; }

    /// <summary>Gets <c>gen_ai.client.operation.time_to_first_chunk</c> or <c>gen_ai.server.time_to_first_token</c>.</summary>
    public Histogram<double> TimeToFirstChunk { get; }

    /// <summary>
    /// Gets <c>gen_ai.client.operation.time_per_output_chunk</c> (one value per chunk after the first) or
    /// <c>gen_ai.server.time_per_output_token</c> (one value per successful call: (duration − TTFT) / (output tokens − 1)).
    /// </summary>
    public Histogram<double> TimePerOutput { get; }

    /// <summary>Gets <c>gen_ai.client.token.usage</c>, or <see langword="null"/> on the server side (the conventions define none there).</summary>
    public Histogram<long>? TokenUsage { get; }

    /// <summary>Returns the client or server histograms of <paramref name="meter"/>, created on first use.</summary>
    public static GenAIConventions For(Meter meter, bool serverSide)
    {
        // Note: under a lock, so that two monitors joining at once never create one instrument twice.
        ConditionalWeakTable<Meter, GenAIConventions> table = serverSide ? Server : Client;
        lock (table)
        {
            if (!table.TryGetValue(meter, out GenAIConventions? conventions))
            {
                conventions = new GenAIConventions(meter, serverSide);
                table.Add(meter, conventions);
            }

            return conventions;
        }
    }

    private static Histogram<double> Create(Meter meter, string name, string description, IReadOnlyList<double> boundaries)
    {
#if NET9_0_OR_GREATER
        return meter.CreateHistogram<double>(name, "s", description, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = boundaries });
#else
        _ = boundaries;
        return meter.CreateHistogram<double>(name, "s", description);
#endif
    }
}
