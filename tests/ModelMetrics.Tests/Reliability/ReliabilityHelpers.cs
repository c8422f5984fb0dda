// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Reflection;
using System.Reflection.Emit;
using System.Threading;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Reliability;

/// <summary>Shared pieces of the reliability tests.</summary>
internal static class ReliabilityHelpers
{
    /// <summary>A meter of the test's own, so that no other test's monitors show up in its collections.</summary>
    public static string MeterName() => "ModelMetrics.Tests.Reliability." + TestContext.CurrentContext.Test.Name;

    /// <summary>A model name unique to the running test.</summary>
    public static string ModelName(string suffix = "") => TestContext.CurrentContext.Test.Name + suffix;

    /// <summary>Each series (instrument and attributes, without the value) a collection reported.</summary>
    public static HashSet<string> SeriesOf(IEnumerable<Observed> observed) =>
        observed.Select(o => o.Instrument + " {" + string.Join(", ", o.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}")) + "}").ToHashSet(StringComparer.Ordinal);
}

/// <summary>
/// Listens to one meter and collects every series it reports, of every model (MeasurementCollector keeps one
/// model's); optionally only the instruments a filter lets through.
/// </summary>
internal sealed class AllSeriesCollector : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<Observed> _observed = [];

    public AllSeriesCollector(string meterName, Func<Instrument, bool>? filter = null)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName && (filter is null || filter(instrument)))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        _listener.Start();
    }

    /// <summary>Collects the observable instruments once and returns every measurement.</summary>
    public List<Observed> Collect()
    {
        lock (_observed)
        {
            _observed.Clear();
        }

        _listener.RecordObservableInstruments();
        lock (_observed)
        {
            return [.. _observed];
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var table = new Dictionary<string, string?>();
        foreach (KeyValuePair<string, object?> tag in tags)
        {
            table[tag.Key] = tag.Value?.ToString();
        }

        lock (_observed)
        {
            _observed.Add(new Observed(instrument.Name, instrument.Unit, instrument.GetType().GetGenericTypeDefinition(), value, table));
        }
    }
}

/// <summary>
/// Exception types made at run time (Reflection.Emit), so that a test can throw any number of distinct types:
/// <c>ModelMetrics.Tests.Reliability.Generated.Fault000</c>, <c>Fault001</c>, ...
/// </summary>
internal static class GeneratedExceptionTypes
{
    public const string Namespace = "ModelMetrics.Tests.Reliability.Generated";

    private static readonly object Gate = new();
    private static readonly List<Type> Types = [];
    private static ModuleBuilder? _module;

    public static IReadOnlyList<Type> Get(int count)
    {
        lock (Gate)
        {
            _module ??= AssemblyBuilder.DefineDynamicAssembly(new AssemblyName("ModelMetrics.Tests.GeneratedFaults"), AssemblyBuilderAccess.Run).DefineDynamicModule("Faults");
            while (Types.Count < count)
            {
                TypeBuilder type = _module.DefineType($"{Namespace}.Fault{Types.Count:D3}", TypeAttributes.Public | TypeAttributes.Sealed | TypeAttributes.Class, typeof(Exception));
                type.DefineDefaultConstructor(MethodAttributes.Public);
                Types.Add(type.CreateType());
            }

            return Types.Take(count).ToArray();
        }
    }
}

/// <summary>A clock a test sets to any time, backwards included. Timestamps are TimeSpan ticks from an arbitrary origin.</summary>
internal sealed class SettableClock : TimeProvider
{
    private static readonly DateTimeOffset Start = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override DateTimeOffset GetUtcNow() => Start.AddTicks(Interlocked.Read(ref _ticks));

    public override long GetTimestamp() => 5_000_000_000L + Interlocked.Read(ref _ticks);

    /// <summary>Moves the clock by <paramref name="delta"/>, which may be negative.</summary>
    public void Move(TimeSpan delta) => Interlocked.Add(ref _ticks, delta.Ticks);
}
