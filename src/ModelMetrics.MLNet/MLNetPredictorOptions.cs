// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

namespace ModelMetrics.MLNet;

/// <summary>Options of a predictor over ML.NET prediction engines (<see cref="MLNetPredictor"/>).</summary>
public sealed class MLNetPredictorOptions
{
    /// <summary>The largest <see cref="MaxRetainedEngines"/>.</summary>
    internal const int MaxRetainedEnginesLimit = 1024;

    /// <summary>
    /// Gets or sets how many idle prediction engines the pool keeps. A call takes an idle engine or creates one, and gives
    /// it back afterwards; past this many idle engines it is disposed instead. Concurrent calls are never limited by it.
    /// </summary>
    /// <value>The default value is twice <see cref="Environment.ProcessorCount"/>; from 1 to 1,024.</value>
    public int MaxRetainedEngines { get; set; } = Environment.ProcessorCount * 2;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">An option is out of its range; <see cref="ArgumentException.ParamName"/> names it.</exception>
    internal void Validate()
    {
        if (MaxRetainedEngines is < 1 or > MaxRetainedEnginesLimit)
        {
            throw new ArgumentException($"MaxRetainedEngines must be from 1 to {MaxRetainedEnginesLimit}; it is {MaxRetainedEngines}.", nameof(MaxRetainedEngines));
        }
    }
}
