// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Threading;
using ModelMetrics.Diagnostics;
using ModelMetrics.Publishing;

namespace ModelMetrics.Signals;

/// <summary>
/// Counts unsuccessful calls by <c>error.type</c>: cancelled, timeout, or the exception's type name.
/// </summary>
/// <remarks>
/// Failures are the rare path, so counters are plain interlocked cells, not striped. The number of
/// distinct exception types is capped (<see cref="MaxErrorTypes"/>) so a model that throws ever new
/// types cannot grow the attribute set without bound; the excess is counted as <c>_OTHER</c>.
/// </remarks>
internal sealed class OutcomeTable
{
    public const int MaxErrorTypes = 32;
    public const string CancelledType = "cancelled";
    public const string TimeoutType = "timeout";
    public const string OtherType = "_OTHER";

    public const int Cancelled = 0;
    public const int Timeout = 1;
    public const int Other = 2;
    private const int FirstType = 3;

    /// <summary>Stands for a failure whose exception is unknown (a <see langword="null"/> given to EndCall): counted as <c>_OTHER</c>.</summary>
    public static readonly Exception UnknownFailure = new InvalidOperationException("A call failed with an unknown exception.");

    private readonly long[] _counts = new long[FirstType + MaxErrorTypes];
    private readonly string[] _names = new string[FirstType + MaxErrorTypes];
    private readonly ConcurrentDictionary<Type, int> _typeIndex = new();
    private readonly string _modelName;
    private int _typeCount;

    public OutcomeTable(string modelName = "")
    {
        _modelName = modelName;
        _names[Cancelled] = CancelledType;
        _names[Timeout] = TimeoutType;
        _names[Other] = OtherType;
    }

    /// <summary>
    /// Classifies a failure: a <see cref="TimeoutException"/> (or one wrapped in the exception) is a
    /// timeout; an <see cref="OperationCanceledException"/> is a cancellation when the caller's token was
    /// cancelled and a timeout otherwise (the model gave up on a deadline of its own); anything else is
    /// an error named by the exception's full type name.
    /// </summary>
    public int Classify(Exception exception, CancellationToken callerToken)
    {
        if (ReferenceEquals(exception, UnknownFailure))
        {
            return Other;
        }

        if (exception is TimeoutException || exception.InnerException is TimeoutException)
        {
            return Timeout;
        }

        if (exception is OperationCanceledException)
        {
            return callerToken.IsCancellationRequested ? Cancelled : Timeout;
        }

        return IndexOf(exception.GetType());
    }

    public void Count(int outcome) => Interlocked.Increment(ref _counts[outcome]);

    public string NameOf(int outcome) => Volatile.Read(ref _names[outcome])!;

    /// <summary>Gets the number of outcome cells (<see cref="AddTo"/>).</summary>
    public int Length => _counts.Length;

    /// <summary>Adds every outcome's count to <paramref name="target"/> from <paramref name="offset"/> on.</summary>
    public void AddTo(long[] target, int offset)
    {
        for (int i = 0; i < _counts.Length; i++)
        {
            target[offset + i] += Volatile.Read(ref _counts[i]);
        }
    }

    /// <summary>Returns (error.type, count) for every outcome counted at least once in <paramref name="counts"/>.</summary>
    public Dictionary<string, long> ToTable(ReadOnlySpan<long> counts, Dictionary<string, long>? into = null)
    {
        // Note: a table refilled (a publishing reading's) keeps its capacity: filling it again allocates nothing.
        Dictionary<string, long> table = into ?? new Dictionary<string, long>(StringComparer.Ordinal);
        table.Clear();
        for (int i = 0; i < counts.Length; i++)
        {
            if (counts[i] != 0)
            {
                table[NameOf(i)] = counts[i];
            }
        }

        return table;
    }

    /// <summary>Returns (error.type, count) for every outcome counted at least once.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> Read()
    {
        var result = new List<KeyValuePair<string, long>>();
        for (int i = 0; i < _counts.Length; i++)
        {
            long count = Volatile.Read(ref _counts[i]);
            if (count != 0)
            {
                result.Add(new(Volatile.Read(ref _names[i])!, count));
            }
        }

        return result;
    }

    /// <summary>
    /// The <c>error.type</c> of an exception type: its full name, except that a type in the global namespace named
    /// like a reserved value (<c>timeout</c>, <c>cancelled</c>, <c>_OTHER</c>) is written <c>global::name</c>, as C#
    /// names it, so that it never merges with the built-in outcome of that name.
    /// </summary>
    public static string ErrorTypeName(Type type)
    {
        string name = type.FullName ?? type.Name;
        return name is CancelledType or TimeoutType or OtherType ? "global::" + name : name;
    }

    private int IndexOf(Type type)
    {
        if (_typeIndex.TryGetValue(type, out int index))
        {
            return index;
        }

        lock (_typeIndex)
        {
            if (_typeIndex.TryGetValue(type, out index))
            {
                return index;
            }

            if (_typeCount == MaxErrorTypes)
            {
                // Not cached: the table stays bounded however many types a model throws.
                ModelMetricsEventSource.Log.Overflowed(_modelName, MetricNames.ErrorType);
                return Other;
            }

            index = FirstType + _typeCount++;

            // Publish the name before the index, so a reader that sees a count sees its name.
            Volatile.Write(ref _names[index], ErrorTypeName(type));
            _typeIndex[type] = index;
            return index;
        }
    }
}
