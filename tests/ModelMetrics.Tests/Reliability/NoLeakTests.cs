// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Diagnostics.Tracing;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace ModelMetrics.Tests.Reliability;

/// <summary>
/// Nothing from a model's input or output, no prediction id, no undeclared label and no exception message
/// becomes an instrument name, description, unit, attribute key or value, or an EventSource payload. The one
/// documented exception: FaultSwallowed carries the message of the exception a faulty listener threw.
/// </summary>
[NonParallelizable]
public class NoLeakTests
{
    private const string Sentinel = "SENTINEL-c0ffee";
    private const string ListenerSentinel = "LISTENER-SENTINEL-beef";
    private const int FaultMessageField = 3;

    [Test]
    public async Task ModelDataIdsLabelsAndExceptionMessages_NeverReachInstrumentsAttributesOrEvents()
    {
        string meter = ReliabilityHelpers.MeterName();
        string model = ReliabilityHelpers.ModelName();
        using var events = new EventCapture();
        using var everything = new InstrumentCapture(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = model,
            ModelVersion = "v1",
            ClassLabels = ["cat", "dog", "bird"],
            MeterName = meter,
            EnableNativeHistogram = true,
        });

        // 1. Calls of every shape whose inputs, outputs and exception messages carry the sentinel.
        int calls = await MakeCallsAsync(monitor);

        // 2. Prediction ids, undeclared labels and exceptions recorded on the monitor directly.
        for (int i = 0; i < 50; i++)
        {
            monitor.RecordPrediction($"{Sentinel}-id-{i}", i % 3);
        }

        for (int i = 0; i < 40; i++)
        {
            monitor.RecordLabel($"{Sentinel}-id-{i}", (i / 3) % 3);
        }

        monitor.RecordLabel($"{Sentinel}-id-0", 0); // duplicate
        monitor.RecordLabel($"{Sentinel}-never-predicted", 1); // unknown id
        monitor.RecordLabel($"{Sentinel}-id-45", $"{Sentinel}-label"); // undeclared label
        monitor.RecordGroundTruth($"{Sentinel}-label", "cat");
        monitor.RecordGroundTruth("dog", $"{Sentinel}-label");
        monitor.RecordPrediction($"{Sentinel}-probabilities", [0.2f, 0.5f, 0.3f]);
        monitor.RecordLabel($"{Sentinel}-probabilities", 1);
        monitor.RecordRegressionPrediction($"{Sentinel}-regression", 1.5);
        monitor.RecordRegressionLabel($"{Sentinel}-regression", 2.0);
        monitor.RecordCall(0.01, new ArgumentException($"{Sentinel} in a message", $"{Sentinel}-parameter"));
        monitor.EndCall(monitor.StartCall(), new InvalidOperationException(Sentinel, new FormatException(Sentinel)));
        calls += 2;

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        List<Measured> observed = everything.Collect();

        // 3. A listener of the native histogram that throws: its message is the one thing FaultSwallowed carries.
        bool faultEventSeen = TriggerListenerFault(meter, monitor, events);

        List<Measured> ours = observed.Where(m => m.Tags.Any(t => t.Key == "model.name" && Equals(t.Value, model))).ToList();
        List<EventWrittenEventArgs> written = events.Written();
        List<string> instrumentStrings = everything.InstrumentStrings();
        Assert.Multiple(() =>
        {
            // Not vacuous: the listener saw the observable instruments, the native histogram and the error types.
            Assert.That(ours.Count(m => m.Instrument == "model.inference.duration"), Is.EqualTo(calls), "one native histogram record per call");
            Assert.That(ours.Select(m => m.Instrument).Distinct().Count(), Is.GreaterThan(20));
            Assert.That(ours.SelectMany(m => m.Tags).Where(t => t.Key == "error.type").Select(t => t.Value).Distinct(), Is.SupersetOf(new[] { "System.InvalidOperationException", "System.ArgumentException" }));
            Assert.That(snapshot.Labels.Joined, Is.EqualTo(41), "the regression id is rejected on a classifier (kind_mismatch)");
            Assert.That(snapshot.Rejected["unknown_label"], Is.EqualTo(3));

            // The claim.
            Assert.That(instrumentStrings, Has.None.Contains(Sentinel), "instrument names, descriptions, units, meter and instrument tags");
            Assert.That(observed.SelectMany(m => m.Tags).Select(t => t.Key), Has.None.Contains(Sentinel), "attribute keys");
            Assert.That(observed.SelectMany(m => m.Tags).Select(t => t.Value?.ToString() ?? string.Empty), Has.None.Contains(Sentinel), "attribute values");
            Assert.That(snapshot.Failures.Keys.Concat(snapshot.Rejected.Keys), Has.None.Contains(Sentinel), "snapshot keys");
            Assert.That(written.SelectMany(EventStrings), Has.None.Contains(Sentinel), "EventSource payloads");

            // The documented exception, checked rather than assumed: a listener's own message, in the message field only.
            Assert.That(faultEventSeen, Is.True, "a FaultSwallowed event was written");
            foreach (EventWrittenEventArgs e in written)
            {
                for (int i = 0; i < e.Payload!.Count; i++)
                {
                    bool carries = e.Payload[i]?.ToString()?.Contains(ListenerSentinel, StringComparison.Ordinal) == true;
                    Assert.That(carries, Is.EqualTo(carries && e.EventName == "FaultSwallowed" && i == FaultMessageField), $"{e.EventName} field {e.PayloadNames?[i]}");
                }
            }

            Assert.That(written.Where(e => e.EventName == "FaultSwallowed").Select(e => e.Payload![2]), Has.All.EqualTo("System.InvalidOperationException"));
        });
    }

    private static IEnumerable<string> EventStrings(EventWrittenEventArgs e) =>
        (e.Payload ?? []).Select(p => p?.ToString() ?? string.Empty)
            .Concat(e.PayloadNames ?? [])
            .Append(e.Message ?? string.Empty)
            .Append(e.EventName ?? string.Empty);

    /// <summary>Sync, async, batch and streamed calls with sentinel inputs, outputs and exception messages; returns how many calls were made.</summary>
    private static async Task<int> MakeCallsAsync(ModelMonitor monitor)
    {
        static string Model(string input) =>
            input.EndsWith("fail", StringComparison.Ordinal) ? throw new InvalidOperationException($"{Sentinel}: cannot predict {input}") : $"{Sentinel}-output-for-{input}";

        using var sync = Predictor.Create<string, string>(Model).AsBuilder().UseMetrics(monitor).Build();
        using var async = Predictor.CreateFromValueTask<string, string>(async (input, ct) =>
            {
                await Task.Yield();
                return Model(input);
            })
            .AsBuilder().UseMetrics(monitor).Build();
        using var batch = Predictor.CreateBatch<string, string>((inputs, ct) => new ValueTask<IReadOnlyList<string>>(inputs.Select(Model).ToArray())).AsBuilder().UseMetrics(monitor).Build();
        using var stream = Predictor.CreateStreaming<string, string>(StreamAsync).AsBuilder().UseMetrics(monitor).Build();

        int calls = 0;
        for (int i = 0; i < 20; i++)
        {
            string input = $"{Sentinel}-input-{i}" + (i % 4 == 0 ? "-fail" : string.Empty);
            calls++;
            try
            {
                Assert.That(sync.Predict(input), Does.Contain(Sentinel));
            }
            catch (InvalidOperationException)
            {
            }

            calls++;
            try
            {
                Assert.That(await async.PredictAsync(input), Does.Contain(Sentinel));
            }
            catch (InvalidOperationException)
            {
            }
        }

        for (int b = 0; b < 3; b++)
        {
            string[] inputs = Enumerable.Range(0, 5).Select(i => $"{Sentinel}-batch-{b}-{i}" + (b == 2 && i == 4 ? "-fail" : string.Empty)).ToArray();
            calls++;
            try
            {
                await batch.PredictBatchAsync(inputs);
            }
            catch (InvalidOperationException)
            {
            }
        }

        foreach (string input in new[] { $"{Sentinel}-stream-0", $"{Sentinel}-stream-1-fail" })
        {
            calls++;
            try
            {
                await foreach (string chunk in stream.PredictStreamingAsync(input))
                {
                    Assert.That(chunk, Does.Contain(Sentinel));
                }
            }
            catch (InvalidOperationException)
            {
            }
        }

        return calls;

        static async IAsyncEnumerable<string> StreamAsync(string input, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            for (int i = 0; i < 3; i++)
            {
                await Task.Yield();
                yield return $"{Sentinel}-chunk-{i}";
            }

            if (input.EndsWith("fail", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{Sentinel}: stream of {input} broke");
            }
        }
    }

    /// <summary>
    /// Adds a listener of the native histogram whose callback throws, and makes calls until the EventSource
    /// reports the swallowed fault (it writes at most 10 such events a second, process-wide; bounded to 30 tries).
    /// </summary>
    private static bool TriggerListenerFault(string meter, ModelMonitor monitor, EventCapture events)
    {
        using var faulty = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == meter && instrument.Name == "model.inference.duration")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        faulty.SetMeasurementEventCallback<double>((i, v, t, s) => throw new InvalidOperationException($"{ListenerSentinel}: exporter is broken"));
        faulty.Start();
        using var predictor = Predictor.Create<string, string>(s => s).AsBuilder().UseMetrics(monitor).Build();
        for (int attempt = 0; attempt < 30; attempt++)
        {
            predictor.Predict($"{Sentinel}-after-fault");
            if (events.Written().Any(e => e.EventName == "FaultSwallowed"))
            {
                return true;
            }

            Thread.Sleep(100);
        }

        return false;
    }

    /// <summary>One measurement: instrument name and attributes as given (values not converted).</summary>
    private sealed record Measured(string Instrument, double Value, KeyValuePair<string, object?>[] Tags);

    /// <summary>Listens to every instrument of one meter, observable and synchronous, and keeps everything it is told.</summary>
    private sealed class InstrumentCapture : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<Measured> _measured = [];
        private readonly List<Instrument> _instruments = [];

        public InstrumentCapture(string meterName)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == meterName)
                {
                    lock (_measured)
                    {
                        _instruments.Add(instrument);
                    }

                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
            _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
            _listener.Start();
        }

        /// <summary>Collects the observable instruments; returns those measurements and every synchronous one so far.</summary>
        public List<Measured> Collect()
        {
            _listener.RecordObservableInstruments();
            lock (_measured)
            {
                return [.. _measured];
            }
        }

        /// <summary>Every string that describes an instrument: names, descriptions, units, meter name, version and tags.</summary>
        public List<string> InstrumentStrings()
        {
            lock (_measured)
            {
                return _instruments.SelectMany(i => new[] { i.Name, i.Description ?? string.Empty, i.Unit ?? string.Empty, i.Meter.Name, i.Meter.Version ?? string.Empty }
                        .Concat((i.Tags ?? []).Concat(i.Meter.Tags ?? []).SelectMany(t => new[] { t.Key, t.Value?.ToString() ?? string.Empty })))
                    .ToList();
            }
        }

        public void Dispose() => _listener.Dispose();

        private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            lock (_measured)
            {
                _measured.Add(new Measured(instrument.Name, value, tags.ToArray()));
            }
        }
    }

    /// <summary>Keeps every event of the ModelMetrics EventSource.</summary>
    private sealed class EventCapture : EventListener
    {
        private readonly List<EventWrittenEventArgs> _events = [];

        public List<EventWrittenEventArgs> Written()
        {
            lock (_events)
            {
                return [.. _events];
            }
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "ModelMetrics")
            {
                EnableEvents(eventSource, EventLevel.Verbose);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventSource.Name == "ModelMetrics")
            {
                lock (_events)
                {
                    _events.Add(eventData);
                }
            }
        }
    }
}
