// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Numerics;
using System.Threading;
using ModelMetrics.Signals;

namespace ModelMetrics.Publishing;

/// <summary>An instrument's name, unit and description, declared together in its family's instruments class.</summary>
/// <param name="Name">The instrument name (OpenTelemetry naming rules).</param>
/// <param name="Unit">The UCUM unit, or <see langword="null"/> (a target's own unit, unknown to us).</param>
/// <param name="Description">What one unit of the instrument counts or measures.</param>
internal sealed record InstrumentInfo(string Name, string? Unit, string Description);

/// <summary>
/// The instruments of one signal family: created once per meter, when the first monitor with that signal
/// registers; each callback reports every monitor of the meter that has the signal.
/// </summary>
internal abstract class SignalInstruments
{
    private static int s_families;

    /// <summary>Gets the family's number (0, 1, …, one per family in the process): a monitor finds its signal of a family by it.</summary>
    public int Id { get; } = Interlocked.Increment(ref s_families) - 1;

    /// <summary>Creates the family's instruments on <paramref name="publisher"/>'s meter.</summary>
    public abstract void Create(MeterPublisher publisher);
}

/// <summary>Attribute-set helpers: sets are built once per monitor and reused on every collection.</summary>
internal static class Tags
{
    public static KeyValuePair<string, object?>[] With(KeyValuePair<string, object?>[] tags, string key, object? value)
    {
        var result = new KeyValuePair<string, object?>[tags.Length + 1];
        tags.CopyTo(result, 0);
        result[^1] = new(key, value);
        return result;
    }

    public static KeyValuePair<string, object?>[] With(KeyValuePair<string, object?>[] tags, string key1, object? value1, string key2, object? value2) =>
        With(With(tags, key1, value1), key2, value2);

    /// <summary>A window length as the <c>window</c> attribute's value: whole seconds, invariant culture.</summary>
    public static string Seconds(TimeSpan window) => window.TotalSeconds.ToString(CultureInfo.InvariantCulture);

    /// <summary>One attribute set per value: <paramref name="tags"/> plus <paramref name="key"/> = value.</summary>
    public static KeyValuePair<string, object?>[][] Each<TValue>(KeyValuePair<string, object?>[] tags, string key, IReadOnlyList<TValue> values)
    {
        var result = new KeyValuePair<string, object?>[values.Count][];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = With(tags, key, values[i] is IFormattable f ? f.ToString(null, CultureInfo.InvariantCulture) : values[i]);
        }

        return result;
    }

    /// <summary>Adds a measurement of <paramref name="value"/> that shares <paramref name="tags"/> (never changed once built) instead of copying them.</summary>
    public static void Add<T>(this List<Measurement<T>> list, T value, KeyValuePair<string, object?>[] tags)
        where T : struct, INumberBase<T> => list.Add(SharedTagsMeasurement<T>.Create(value, tags));

    public static void AddIf<T>(this List<Measurement<T>> list, bool condition, T value, KeyValuePair<string, object?>[] tags)
        where T : struct, INumberBase<T>
    {
        if (condition)
        {
            list.Add(value, tags);
        }
    }
}
