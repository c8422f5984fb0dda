// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;

namespace ModelMetrics.Tests.Publishing;

/// <summary>One measurement seen by a <see cref="MeterListener"/>.</summary>
internal sealed record Observed(string Instrument, string? Unit, Type InstrumentType, double Value, IReadOnlyDictionary<string, string?> Tags)
{
    public string? Tag(string key) => Tags.TryGetValue(key, out string? value) ? value : null;
}

/// <summary>Listens to one meter and collects what its observable and synchronous instruments report.</summary>
internal sealed class MeasurementCollector : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<Observed> _observed = [];

    public MeasurementCollector(string meterName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        _listener.Start();
    }

    /// <summary>Collects the observable instruments once and returns the measurements of one model.</summary>
    public List<Observed> Collect(string modelName)
    {
        lock (_observed)
        {
            _observed.Clear();
        }

        _listener.RecordObservableInstruments();
        return Recorded(modelName);
    }

    /// <summary>Collects the observable instruments once and returns every measurement, whatever its attributes.</summary>
    public List<Observed> CollectAll()
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

    /// <summary>Returns what was recorded so far (synchronous instruments) for one model.</summary>
    public List<Observed> Recorded(string modelName)
    {
        lock (_observed)
        {
            return _observed.Where(o => o.Tag("model.name") == modelName).ToList();
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
