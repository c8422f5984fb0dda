// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;

namespace ModelMetrics;

/// <summary>
/// Turns on the generative-AI signal of a monitor (<see cref="ModelMonitorOptions.GenAI"/>): tokens, time to first
/// token, time per output token, inter-chunk latency, tokens per second, finish reasons, feedback and cost, and the
/// OpenTelemetry GenAI semantic-convention histograms. Validated when the monitor is constructed.
/// </summary>
public sealed class GenAIOptions
{
    /// <summary>The default <see cref="MaxModelIds"/>: 16.</summary>
    public const int DefaultMaxModelIds = 16;

    /// <summary>Gets or sets the operation, published as <c>gen_ai.operation.name</c> (<c>chat</c>, <c>text_completion</c>, <c>embeddings</c>, …).</summary>
    /// <value>A non-empty string of at most 255 characters. The default value is <c>chat</c>.</value>
    public string OperationName { get; set; } = "chat";

    /// <summary>
    /// Gets or sets the provider, published as <c>gen_ai.provider.name</c> (<c>openai</c>, <c>azure.ai.openai</c>,
    /// <c>anthropic</c>, … or a name of your own for a local model).
    /// </summary>
    /// <value>At most 255 characters, or <see langword="null"/> to publish no provider. The default value is <see langword="null"/>.</value>
    public string? ProviderName { get; set; }

    /// <summary>
    /// Gets or sets how many distinct request and response model ids (<c>gen_ai.request.model</c>,
    /// <c>gen_ai.response.model</c>) are published each; further ids are published as <c>_OTHER</c>, so a provider
    /// that returns ever new ids cannot grow the attribute sets without bound.
    /// </summary>
    /// <value>From 1 to 1024. The default value is <see cref="DefaultMaxModelIds"/>.</value>
    public int MaxModelIds { get; set; } = DefaultMaxModelIds;

    /// <summary>
    /// Gets or sets a value indicating whether the model is served by this process (a model server), so that the
    /// semantic-convention histograms are the <c>gen_ai.server.*</c> ones (request duration, time to first token,
    /// time per output token) instead of the <c>gen_ai.client.*</c> ones.
    /// </summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool ServerSide { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether calls are also recorded into the OpenTelemetry GenAI semantic-convention
    /// histograms (<c>gen_ai.client.token.usage</c>, <c>gen_ai.client.operation.duration</c>, …). Turn it off when
    /// Microsoft.Extensions.AI's <c>UseOpenTelemetry()</c> already records them for the same calls, so that a backend does
    /// not see each call in two meters' series. The <c>model.genai.*</c> instruments are published either way.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool SemanticConventionInstruments { get; set; } = true;

    /// <summary>
    /// Gets or sets the prices per million tokens by model id (the response model when the call reports one, else the
    /// request model), which turn tokens into the <c>model.genai.cost</c> counter. Models without a price cost nothing.
    /// </summary>
    /// <value>At most 1024 models, each price finite and non-negative; or <see langword="null"/> for no cost. The default value is <see langword="null"/>.</value>
    public IReadOnlyDictionary<string, GenAIPrice>? Prices { get; set; }

    /// <summary>Gets or sets the currency of <see cref="Prices"/>, published as the <c>currency</c> attribute of <c>model.genai.cost</c>.</summary>
    /// <value>A non-empty string of at most 16 characters. The default value is <c>USD</c>.</value>
    public string Currency { get; set; } = "USD";

    internal void Validate()
    {
        if (string.IsNullOrEmpty(OperationName) || OperationName.Length > 255)
        {
            throw new ArgumentException("GenAI.OperationName must be a non-empty string of at most 255 characters.", "GenAI.OperationName");
        }

        if (ProviderName is { Length: 0 or > 255 })
        {
            throw new ArgumentException("GenAI.ProviderName must be null or a non-empty string of at most 255 characters.", "GenAI.ProviderName");
        }

        if (MaxModelIds is < 1 or > 1024)
        {
            throw new ArgumentException($"GenAI.MaxModelIds must be from 1 to 1024 (was {MaxModelIds}).", "GenAI.MaxModelIds");
        }

        if (string.IsNullOrEmpty(Currency) || Currency.Length > 16)
        {
            throw new ArgumentException("GenAI.Currency must be a non-empty string of at most 16 characters.", "GenAI.Currency");
        }

        if (Prices is { } prices)
        {
            if (prices.Count > 1024)
            {
                throw new ArgumentException($"GenAI.Prices may hold at most 1024 models (held {prices.Count}).", "GenAI.Prices");
            }

            foreach ((string model, GenAIPrice price) in prices)
            {
                if (!price.IsValid)
                {
                    throw new ArgumentException($"GenAI.Prices['{model}'] must have finite, non-negative prices.", "GenAI.Prices");
                }
            }
        }
    }
}
