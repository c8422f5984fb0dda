// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

namespace ModelMetrics;

/// <summary>What a model's tokens cost, per million tokens, in <see cref="GenAIOptions.Currency"/>.</summary>
/// <param name="InputPerMillion">The price of a million input tokens that were not cached.</param>
/// <param name="OutputPerMillion">The price of a million output tokens (reasoning tokens included).</param>
/// <param name="CachedInputPerMillion">The price of a million cached input tokens, or <see langword="null"/> to charge them as input tokens.</param>
public readonly record struct GenAIPrice(double InputPerMillion, double OutputPerMillion, double? CachedInputPerMillion = null)
{
    internal bool IsValid =>
        double.IsFinite(InputPerMillion) && InputPerMillion >= 0 &&
        double.IsFinite(OutputPerMillion) && OutputPerMillion >= 0 &&
        (CachedInputPerMillion is not { } cached || (double.IsFinite(cached) && cached >= 0));
}
