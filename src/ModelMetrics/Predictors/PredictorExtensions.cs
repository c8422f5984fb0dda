// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

namespace ModelMetrics;

/// <summary>Helpers for every predictor, whatever its input and output types.</summary>
public static class PredictorExtensions
{
    /// <summary>
    /// Returns a service of type <typeparamref name="TService"/> from the predictor or the ones it wraps
    /// (for example the <see cref="ModelMonitor"/> of a metrics decorator:
    /// <c>predictor.GetService&lt;ModelMonitor&gt;()</c>), or <see langword="null"/>.
    /// </summary>
    /// <typeparam name="TService">The type of service asked for.</typeparam>
    /// <param name="predictor">The predictor, usually the outermost of a pipeline.</param>
    /// <param name="serviceKey">An optional key.</param>
    /// <returns>The service, or <see langword="null"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="predictor"/> is <see langword="null"/>.</exception>
    public static TService? GetService<TService>(this IPredictor predictor, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(predictor);
        return predictor.GetService(typeof(TService), serviceKey) is TService service ? service : default;
    }
}
