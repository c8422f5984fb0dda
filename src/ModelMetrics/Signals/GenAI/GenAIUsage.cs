// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

namespace ModelMetrics;

/// <summary>
/// The token usage a provider reported for one generative call. A count left <see langword="null"/> is unknown: it is
/// counted as unknown (<c>model.genai.tokens.unknown</c>), never guessed.
/// </summary>
/// <param name="InputTokens">The input (prompt) tokens, or <see langword="null"/> when not reported.</param>
/// <param name="OutputTokens">The output (completion) tokens, or <see langword="null"/> when not reported.</param>
/// <param name="CachedInputTokens">The input tokens served from the provider's prompt cache (part of <paramref name="InputTokens"/>), or <see langword="null"/>.</param>
/// <param name="ReasoningTokens">The output tokens spent on reasoning (part of <paramref name="OutputTokens"/>), or <see langword="null"/>.</param>
/// <remarks>
/// Counts must be from 0 to <see cref="MaxTokens"/>, and the cached input and reasoning tokens at most the input and
/// output tokens they are part of; a count outside that is rejected (<c>invalid_token_count</c>) and treated as unknown.
/// </remarks>
public readonly record struct GenAIUsage(long? InputTokens = null, long? OutputTokens = null, long? CachedInputTokens = null, long? ReasoningTokens = null)
{
    /// <summary>The largest token count accepted for one call: 10^9 (a thousand times the largest context windows).</summary>
    public const long MaxTokens = 1_000_000_000;
}
