// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Concurrent;
using System.Threading;
using ModelMetrics.Diagnostics;

namespace ModelMetrics.Signals;

/// <summary>
/// The model ids (<c>gen_ai.request.model</c> or <c>gen_ai.response.model</c>) one monitor publishes, capped: the first
/// <c>capacity</c> distinct ids keep their own value, every later one is published as <c>_OTHER</c> and counted.
/// </summary>
/// <remarks>
/// A known id costs one lock-free dictionary lookup and allocates nothing. New ids take a lock (rare: at most
/// <c>capacity</c> times, then never again, since overflowing ids are not remembered), so 10^5 distinct ids from a
/// misbehaving provider leave <c>capacity</c> entries and an overflow count.
/// </remarks>
internal sealed class ModelIdTable
{
    public const string OtherId = "_OTHER";

    /// <summary>The index of <see cref="OtherId"/>.</summary>
    public const int Other = 0;

    /// <summary>The index standing for no id (none given).</summary>
    public const int None = -1;

    private readonly ConcurrentDictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly string[] _names;
    private readonly string _modelName;
    private readonly string _attribute;
    private int _count = 1;
    private long _overflowed;

    public ModelIdTable(int capacity, string modelName, string attribute)
    {
        _names = new string[capacity + 1];
        _names[Other] = OtherId;
        _modelName = modelName;
        _attribute = attribute;
    }

    /// <summary>Gets the number of ids given that did not fit and were published as <c>_OTHER</c>.</summary>
    public long Overflowed => Volatile.Read(ref _overflowed);

    /// <summary>Returns the index of <paramref name="id"/>: its own, <see cref="Other"/> past the cap, or <see cref="None"/> for a null or empty id.</summary>
    public int IndexOf(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return None;
        }

        return _index.TryGetValue(id, out int index) ? index : Add(id);
    }

    /// <summary>Returns the id at <paramref name="index"/>, or <see langword="null"/> for <see cref="None"/>.</summary>
    public string? NameOf(int index) => index < 0 ? null : Volatile.Read(ref _names[index]);

    private int Add(string id)
    {
        lock (_index)
        {
            if (_index.TryGetValue(id, out int index))
            {
                return index;
            }

            if (id == OtherId)
            {
                return Other;
            }

            if (_count == _names.Length)
            {
                // Not remembered: the table stays bounded however many ids arrive.
                Interlocked.Increment(ref _overflowed);
                ModelMetricsEventSource.Log.Overflowed(_modelName, _attribute);
                return Other;
            }

            index = _count++;

            // Publish the name before the index, so a reader that finds the index finds its name.
            Volatile.Write(ref _names[index], id);
            _index[id] = index;
            return index;
        }
    }
}
