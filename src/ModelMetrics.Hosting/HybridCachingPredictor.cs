// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Caching.Hybrid;
using ModelMetrics.Signals;

namespace ModelMetrics;

/// <summary>
/// The output cache of <see cref="HybridCachePredictorBuilderExtensions.UseHybridCache"/>: each single call asks the
/// <see cref="HybridCache"/> for its key, with the model as the factory; a call whose factory did not run was a hit.
/// </summary>
/// <typeparam name="TInput">The model's input.</typeparam>
/// <typeparam name="TOutput">The model's output.</typeparam>
internal sealed class HybridCachingPredictor<TInput, TOutput> : DelegatingPredictor<TInput, TOutput>
{
    private readonly Func<TInput, string> _keySelector;
    private readonly HybridCache _cache;
    private readonly HybridCacheEntryOptions? _entryOptions;
    private readonly string[]? _tags;
    private readonly TimeProvider _timeProvider;
    private readonly CacheCounters _counters = new();

    public HybridCachingPredictor(IPredictor<TInput, TOutput> innerPredictor, Func<TInput, string> keySelector, HybridCache cache, HybridOutputCacheOptions options)
        : base(innerPredictor)
    {
        _keySelector = keySelector;
        _cache = cache;
        _entryOptions = options.EntryOptions;
        _tags = options.Tags is { Count: > 0 } tags ? [.. tags] : null;
        _timeProvider = options.TimeProvider;
        _counters.Attach(options.Monitor ?? innerPredictor.GetService<ModelMonitor>());
    }

    /// <inheritdoc />
    public override TOutput Predict(TInput input)
    {
        if (TryGetKey(input) is not { } key)
        {
            return InnerPredictor.Predict(input);
        }

        // Note: an in-memory hit completes synchronously; only a miss in memory waits for the distributed layer.
        ValueTask<TOutput> lookup = LookupAsync(key, input, synchronous: true, CancellationToken.None);
        return lookup.IsCompletedSuccessfully ? lookup.Result : lookup.AsTask().GetAwaiter().GetResult();
    }

    /// <inheritdoc />
    public override ValueTask<TOutput> PredictAsync(TInput input, CancellationToken cancellationToken = default) =>
        TryGetKey(input) is { } key
            ? LookupAsync(key, input, synchronous: false, cancellationToken)
            : InnerPredictor.PredictAsync(input, cancellationToken);

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(CacheStatistics) ? _counters.Read() : base.GetService(serviceType, serviceKey);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _counters.Detach();
        }

        base.Dispose(disposing);
    }

    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "A faulty key selector must not fail a call the model can serve: it is counted and the call goes uncached.")]
    private string? TryGetKey(TInput input)
    {
        string? key;
        try
        {
            key = _keySelector(input);
        }
        catch (Exception)
        {
            key = null;
        }

        if (key is null)
        {
            _counters.KeyFault();
        }

        return key;
    }

    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "A failing cache must not fail a call the model can serve: it is counted and the call goes uncached.")]
    private async ValueTask<TOutput> LookupAsync(string key, TInput input, bool synchronous, CancellationToken cancellationToken)
    {
        var call = new Call(this, input, synchronous);
        try
        {
            TOutput output = await _cache.GetOrCreateAsync(
                key,
                call,
                static (state, token) => state.RunModelAsync(token),
                _entryOptions,
                _tags,
                cancellationToken).ConfigureAwait(false);
            if (!call.RanModel)
            {
                _counters.Hit();
            }

            return output;
        }
        catch (Exception exception) when (!call.ModelFailed && !(exception is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            // The cache failed, not the model: answer uncached (with the model's output if it already ran).
            _counters.KeyFault();
            if (call.HasOutput)
            {
                return call.Output!;
            }

            return synchronous ? InnerPredictor.Predict(input) : await InnerPredictor.PredictAsync(input, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One call's factory state: runs the model at most once and says whether it ran and how it ended.</summary>
    private sealed class Call(HybridCachingPredictor<TInput, TOutput> owner, TInput input, bool synchronous)
    {
        public bool RanModel { get; private set; }

        public bool ModelFailed { get; private set; }

        public bool HasOutput { get; private set; }

        public TOutput? Output { get; private set; }

        public async ValueTask<TOutput> RunModelAsync(CancellationToken cancellationToken)
        {
            RanModel = true;
            owner._counters.Miss();
            long start = owner._timeProvider.GetTimestamp();
            try
            {
                Output = synchronous
                    ? owner.InnerPredictor.Predict(input)
                    : await owner.InnerPredictor.PredictAsync(input, cancellationToken).ConfigureAwait(false);
                HasOutput = true;
            }
            catch
            {
                ModelFailed = true;
                throw;
            }

            owner._counters.RecordMissLatency(owner._timeProvider.GetElapsedTime(start));
            return Output;
        }
    }
}
