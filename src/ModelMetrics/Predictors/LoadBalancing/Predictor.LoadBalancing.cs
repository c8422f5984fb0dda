// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using ModelMetrics.Signals;

namespace ModelMetrics;

/// <content>Load balancing: several instances of a model behind one predictor.</content>
public static partial class Predictor
{
    /// <summary>
    /// Creates a predictor that spreads its calls over several instances of one model (inference sessions on several GPUs,
    /// remote endpoints, a pool of engines): each call goes to one instance, picked by <see cref="LoadBalancerOptions.Strategy"/>
    /// from the instances' own calls in flight and recent latency. An instance that fails
    /// <see cref="LoadBalancerOptions.FailuresToEject"/> times in a row is ejected for a back-off, then probed with one call:
    /// a success readmits it, a failure ejects it again for twice as long. When every instance is ejected, calls go to the
    /// one ejected longest ago rather than failing.
    /// </summary>
    /// <remarks>
    /// <para>
    /// The balancer is the source of a pipeline, in the place of the model: build on it with
    /// <see cref="AsBuilder{TInput, TOutput}(IPredictor{TInput, TOutput})"/> (<c>.UseMetrics(monitor)</c> then measures every
    /// call served, whichever instance served it). Each call's output or exception is the instance's, unchanged.
    /// </para>
    /// <para>
    /// Read the counts per instance with <c>predictor.GetService&lt;LoadBalancerStatistics&gt;()</c>, and publish them as
    /// <c>model.instance.*</c> instruments by setting <see cref="LoadBalancerOptions.Monitor"/>. The balancer owns its
    /// instances: disposing it disposes them.
    /// </para>
    /// </remarks>
    /// <typeparam name="TInput">The model's input.</typeparam>
    /// <typeparam name="TOutput">The model's output.</typeparam>
    /// <param name="instances">
    /// The instances, each with a name (the <c>model.instance</c> attribute: a fixed, declared set, never text from requests),
    /// from 1 to 64, names unique and not empty. Round-robin takes them in this order.
    /// </param>
    /// <param name="configure">Sets the strategy, ejection, timeout, monitor and clock; optional.</param>
    /// <returns>The balanced predictor.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="instances"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">
    /// The instances are none, more than 64, or have an empty, duplicate or <see langword="null"/> name or predictor
    /// (<c>ParamName</c> <c>instances</c>); <see cref="LoadBalancerOptions.MaxEjectionTime"/> is shorter than
    /// <see cref="LoadBalancerOptions.BaseEjectionTime"/>; or the <see cref="LoadBalancerOptions.Monitor"/> already serves a
    /// live balancer (<c>ParamName</c> the option's name).
    /// </exception>
    public static IPredictor<TInput, TOutput> LoadBalanced<TInput, TOutput>(
        IEnumerable<KeyValuePair<string, IPredictor<TInput, TOutput>>> instances,
        Action<LoadBalancerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(instances);
        var options = new LoadBalancerOptions();
        configure?.Invoke(options);

        List<string> names = [];
        List<IPredictor<TInput, TOutput>> predictors = [];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach ((string name, IPredictor<TInput, TOutput> predictor) in instances)
        {
            if (string.IsNullOrEmpty(name) || predictor is null)
            {
                throw new ArgumentException("Every instance needs a non-empty name and a predictor.", nameof(instances));
            }

            if (!seen.Add(name))
            {
                throw new ArgumentException($"Two instances are named '{name}': names must be unique (they are the model.instance attribute).", nameof(instances));
            }

            names.Add(name);
            predictors.Add(predictor);
        }

        if (names.Count is 0 or > Balancer.MaxInstances)
        {
            throw new ArgumentException($"A load balancer takes from 1 to {Balancer.MaxInstances} instances; {names.Count} were given.", nameof(instances));
        }

        if (options.MaxEjectionTime < options.BaseEjectionTime)
        {
#pragma warning disable CA2208 // Note: the error names the option the user set.
            throw new ArgumentException(
                $"MaxEjectionTime ({options.MaxEjectionTime}) must be at least BaseEjectionTime ({options.BaseEjectionTime}).",
                nameof(LoadBalancerOptions.MaxEjectionTime));
#pragma warning restore CA2208
        }

        LoadBalancingSignal? signal = options.Monitor?.GetOrAddSignal(static context => new LoadBalancingSignal(context));
        var balancer = new Balancer([.. names], options, signal);
        signal?.Attach(balancer);
        return new LoadBalancedPredictor<TInput, TOutput>([.. predictors], balancer, options.Timeout, signal);
    }
}
