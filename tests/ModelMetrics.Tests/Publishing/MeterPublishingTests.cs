// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace ModelMetrics.Tests.Publishing;

public class MeterPublishingTests
{
    private static readonly string[] Labels = ["cat", "dog", "bird"];

    [Test]
    public async Task Calls_ByOutcome_PublishedWithErrorType()
    {
        string meter = MeterNameFor();
        using var collector = new MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "calls", ModelVersion = "7", MeterName = meter });
        int call = 0;
        using var predictor = Predictor.CreateFromValueTask<int, int>(async (x, ct) =>
            {
                await Task.Yield();
                ct.ThrowIfCancellationRequested();
                return (call++ % 10) switch
                {
                    7 or 8 => throw new InvalidOperationException("model failed"),
                    9 => throw new TimeoutException("model too slow"),
                    _ => x,
                };
            })
            .AsBuilder().UseMetrics(monitor).Build();

        for (int i = 0; i < 10; i++)
        {
            try
            {
                await predictor.PredictAsync(i);
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
            }
        }

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.CatchAsync<OperationCanceledException>(async () => await predictor.PredictAsync(1, cancelled.Token));

        List<Observed> calls = collector.Collect("calls").Where(o => o.Instrument == "model.inference.calls").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(calls.Single(o => o.Tag("error.type") is null).Value, Is.EqualTo(7));
            Assert.That(calls.Single(o => o.Tag("error.type") == "System.InvalidOperationException").Value, Is.EqualTo(2));
            Assert.That(calls.Single(o => o.Tag("error.type") == "timeout").Value, Is.EqualTo(1));
            Assert.That(calls.Single(o => o.Tag("error.type") == "cancelled").Value, Is.EqualTo(1));
            Assert.That(calls.All(o => o.Unit == "{call}" && o.InstrumentType == typeof(ObservableCounter<>)), Is.True);
            Assert.That(calls.All(o => o.Tag("model.version") == "7"), Is.True);
        });
    }

    [Test]
    public void Duration_KnownValues_PublishesBucketsQuantilesSumAndCount()
    {
        string meter = MeterNameFor();
        using var collector = new MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "latency", MeterName = meter });
        double[] durations = [0.0002, 0.0002, 0.0002, 0.003, 0.003, 0.2];
        foreach (double d in durations)
        {
            monitor.RecordCall(d);
        }

        List<Observed> all = collector.Collect("latency");
        Dictionary<string, double> buckets = all.Where(o => o.Instrument == "model.inference.duration.bucket").ToDictionary(o => o.Tag("le")!, o => o.Value);

        // One series per window and quantile (attribute window, in seconds); every call is in every window here.
        List<Observed> quantileSeries = all.Where(o => o.Instrument == "model.inference.duration.quantile").ToList();
        Dictionary<string, double> quantiles = quantileSeries.Where(o => o.Tag("window") == "60").ToDictionary(o => o.Tag("quantile")!, o => o.Value);
        Observed sum = all.Single(o => o.Instrument == "model.inference.duration.sum");
        Observed count = all.Single(o => o.Instrument == "model.inference.duration.count");

        Assert.Multiple(() =>
        {
            // Cumulative counts at or below each boundary: 3 at 0.2 ms, 2 at 3 ms, 1 at 200 ms.
            Assert.That(buckets["0.0001"], Is.EqualTo(0));
            Assert.That(buckets["0.00025"], Is.EqualTo(3));
            Assert.That(buckets["0.001"], Is.EqualTo(3));
            Assert.That(buckets["0.0025"], Is.EqualTo(3));
            Assert.That(buckets["0.005"], Is.EqualTo(5));
            Assert.That(buckets["0.1"], Is.EqualTo(5));
            Assert.That(buckets["0.25"], Is.EqualTo(6));
            Assert.That(buckets["60"], Is.EqualTo(6));
            Assert.That(buckets["+Inf"], Is.EqualTo(6));
            Assert.That(buckets, Has.Count.EqualTo(ModelMonitorOptions.DefaultBucketBoundaries.Count + 1));

            // Nearest rank: p50 is the 3rd value (0.2 ms), p90 the 6th (200 ms); 1 is the maximum.
            Assert.That(quantiles["0.5"], Is.EqualTo(0.0002).Within(1).Percent);
            Assert.That(quantiles["0.9"], Is.EqualTo(0.2).Within(1).Percent);
            Assert.That(quantiles["0.99"], Is.EqualTo(0.2).Within(1).Percent);
            Assert.That(quantiles["1"], Is.EqualTo(0.2).Within(1).Percent);
            Assert.That(quantiles.Keys, Is.EquivalentTo(new[] { "0.5", "0.9", "0.95", "0.99", "0.999", "1" }));

            Assert.That(sum.Value, Is.EqualTo(durations.Sum()).Within(1).Percent);
            Assert.That(count.Value, Is.EqualTo(6));
            Assert.That(sum.Unit, Is.EqualTo("s"));
            Assert.That(quantiles.Count, Is.EqualTo(6));
            Assert.That(quantileSeries.Select(o => o.Tag("window")).Distinct(), Is.EquivalentTo(new[] { "60", "300", "3600" }));
            Assert.That(quantileSeries, Has.Count.EqualTo(3 * 6));
            Assert.That(quantileSeries.Where(o => o.Tag("quantile") == "1").Select(o => o.Value), Is.All.EqualTo(0.2).Within(1).Percent);
            Assert.That(all.First(o => o.Instrument == "model.inference.duration.quantile").InstrumentType, Is.EqualTo(typeof(ObservableGauge<>)));
            Assert.That(all.First(o => o.Instrument == "model.inference.duration.bucket").Unit, Is.EqualTo("{call}"));
        });
    }

    [Test]
    public void Quality_KnownPairs_PublishesMatrixCountersAndGauges()
    {
        string meter = MeterNameFor();
        using var collector = new MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "quality", ClassLabels = Labels, MeterName = meter });

        // (predicted, actual): cat→cat ×3, dog→cat ×1, dog→dog ×2, cat→dog ×1, bird→bird ×1, dog→bird ×2.
        (string Predicted, string Actual, int Times)[] pairs = [("cat", "cat", 3), ("dog", "cat", 1), ("dog", "dog", 2), ("cat", "dog", 1), ("bird", "bird", 1), ("dog", "bird", 2)];
        foreach ((string predicted, string actual, int times) in pairs)
        {
            for (int i = 0; i < times; i++)
            {
                monitor.RecordGroundTruth(predicted, actual);
            }
        }

        List<Observed> all = collector.Collect("quality");
        double Cell(string actual, string predicted) => all.Single(o => o.Instrument == "model.classification.confusion" && o.Tag("model.class.actual") == actual && o.Tag("model.class.predicted") == predicted).Value;
        // Gauges come once per quality window (60, 300, 3600 s); all windows hold the same pairs here.
        double PerClass(string name, string label) => all.Single(o => o.Instrument == name && o.Tag("model.class") == label && o.Tag("window") is null or "60").Value;
        double Single(string name) => all.Single(o => o.Instrument == name && o.Tag("window") == "60").Value;

        // Hand-computed: 10 pairs, 6 right → accuracy 0.6.
        // cat: TP 3, FP 1 (cat→dog), FN 1 (dog for cat) → P 3/4, R 3/4, F1 0.75.
        // dog: TP 2, FP 3 (1 cat + 2 bird predicted as dog), FN 1 → P 2/5, R 2/3, F1 = 4/(4+3+1) = 0.5.
        // bird: TP 1, FP 0, FN 2 → P 1, R 1/3, F1 = 2/(2+0+2) = 0.5.
        Assert.Multiple(() =>
        {
            Assert.That(all.Count(o => o.Instrument == "model.classification.confusion"), Is.EqualTo(9));
            Assert.That(Cell("cat", "cat"), Is.EqualTo(3));
            Assert.That(Cell("cat", "dog"), Is.EqualTo(1));
            Assert.That(Cell("bird", "dog"), Is.EqualTo(2));
            Assert.That(Cell("bird", "cat"), Is.EqualTo(0));
            Assert.That(PerClass("model.classification.true_positives", "dog"), Is.EqualTo(2));
            Assert.That(PerClass("model.classification.false_positives", "dog"), Is.EqualTo(3));
            Assert.That(PerClass("model.classification.false_negatives", "bird"), Is.EqualTo(2));
            Assert.That(Single("model.classification.accuracy"), Is.EqualTo(0.6).Within(1e-12));
            Assert.That(PerClass("model.classification.precision", "dog"), Is.EqualTo(0.4).Within(1e-12));
            Assert.That(PerClass("model.classification.recall", "dog"), Is.EqualTo(2.0 / 3).Within(1e-12));
            Assert.That(PerClass("model.classification.f1", "bird"), Is.EqualTo(0.5).Within(1e-12));
            Assert.That(Single("model.classification.macro_precision"), Is.EqualTo((0.75 + 0.4 + 1) / 3).Within(1e-12));
            Assert.That(Single("model.classification.macro_recall"), Is.EqualTo((0.75 + (2.0 / 3) + (1.0 / 3)) / 3).Within(1e-12));
            Assert.That(Single("model.classification.macro_f1"), Is.EqualTo((0.75 + 0.5 + 0.5) / 3).Within(1e-12));
            Assert.That(all.Where(o => o.Instrument == "model.classification.accuracy").Select(o => o.Tag("window")), Is.EquivalentTo(new[] { "60", "300", "3600" }));
            Assert.That(all.Where(o => o.Instrument == "model.classification.accuracy").Select(o => o.Value), Is.All.EqualTo(0.6).Within(1e-12));
            Assert.That(all.First(o => o.Instrument == "model.classification.accuracy").Unit, Is.EqualTo("1"));
            Assert.That(all.First(o => o.Instrument == "model.classification.confusion").Unit, Is.EqualTo("{prediction}"));
        });
    }

    [Test]
    public void Quality_NoGroundTruthYet_PublishesNoGauges()
    {
        string meter = MeterNameFor();
        using var collector = new MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "empty", ClassLabels = Labels, MeterName = meter });

        List<Observed> all = collector.Collect("empty");

        // An empty window has no accuracy: reporting 0 (or NaN) would look like a broken model.
        Assert.That(all.Where(o => o.Instrument.StartsWith("model.classification.", StringComparison.Ordinal) && o.InstrumentType == typeof(ObservableGauge<>)), Is.Empty);
        Assert.That(all.Where(o => o.Instrument == "model.inference.duration.quantile"), Is.Empty);

        // Issue 10: a monitor never called reports no calls or items (was 0), as nothing else that has not happened does.
        Assert.That(all.Where(o => o.Instrument is "model.inference.calls" or "model.inference.items"), Is.Empty);
    }

    [Test]
    public void InFlightItemsAndRejections_Published()
    {
        string meter = MeterNameFor();
        using var collector = new MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "items", ClassLabels = ["no", "yes"], MeterName = meter });
        long open = monitor.StartCall();
        monitor.EndBatchCall(monitor.StartCall(), itemCount: 32);
        monitor.EndCall(monitor.StartCall());
        monitor.RecordGroundTruth("maybe", "yes");
        monitor.RecordCall(double.NaN);

        List<Observed> all = collector.Collect("items");
        Assert.Multiple(() =>
        {
            Assert.That(all.Single(o => o.Instrument == "model.inference.active_calls").Value, Is.EqualTo(1));
            Assert.That(all.Single(o => o.Instrument == "model.inference.active_calls").InstrumentType, Is.EqualTo(typeof(ObservableUpDownCounter<>)));
            Assert.That(all.Single(o => o.Instrument == "model.inference.items").Value, Is.EqualTo(33));
            Assert.That(all.Single(o => o.Instrument == "model.inference.items").Unit, Is.EqualTo("{item}"));
            Assert.That(all.Single(o => o.Instrument == "model.metrics.rejected" && o.Tag("reason") == "unknown_label").Value, Is.EqualTo(1));
            Assert.That(all.Single(o => o.Instrument == "model.metrics.rejected" && o.Tag("reason") == "nan_duration").Value, Is.EqualTo(1));
        });

        monitor.EndCall(open);
        Assert.That(collector.Collect("items").Single(o => o.Instrument == "model.inference.active_calls").Value, Is.EqualTo(0));
    }

    [Test]
    public async Task Streaming_PublishesTimeToFirstChunkAndChunks()
    {
        string meter = MeterNameFor();
        using var collector = new MeasurementCollector(meter);
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "stream", MeterName = meter });
        using var predictor = Predictor.CreateStreaming<string, string>(Tokens).AsBuilder().UseMetrics(monitor).Build();

        Assert.That(collector.Collect("stream").Where(o => o.Instrument.StartsWith("model.inference.time_to_first_chunk", StringComparison.Ordinal)), Is.Empty);

        int received = 0;
        await foreach (string token in predictor.PredictStreamingAsync("hello"))
        {
            received++;
        }

        List<Observed> all = collector.Collect("stream");
        Assert.Multiple(() =>
        {
            Assert.That(received, Is.EqualTo(5));
            Assert.That(all.Single(o => o.Instrument == "model.inference.chunks").Value, Is.EqualTo(5));
            Assert.That(all.Single(o => o.Instrument == "model.inference.time_to_first_chunk.count").Value, Is.EqualTo(1));
            Assert.That(all.Single(o => o.Instrument == "model.inference.duration.count").Value, Is.EqualTo(1));
            double firstChunk = all.Single(o => o.Instrument == "model.inference.time_to_first_chunk.quantile" && o.Tag("quantile") == "1" && o.Tag("window") == "60").Value;
            double total = all.Single(o => o.Instrument == "model.inference.duration.quantile" && o.Tag("quantile") == "1" && o.Tag("window") == "60").Value;
            Assert.That(firstChunk, Is.GreaterThanOrEqualTo(0.010 * 0.99));
            Assert.That(total, Is.GreaterThan(firstChunk));
        });

        static async IAsyncEnumerable<string> Tokens(string prompt, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Delay(15, cancellationToken);
            for (int i = 0; i < 5; i++)
            {
                await Task.Delay(2, cancellationToken);
                yield return prompt + i;
            }
        }
    }

    [Test]
    public void NativeHistogram_Enabled_RecordsEachCallWithAttributes()
    {
        string meter = MeterNameFor();
        using var collector = new MeasurementCollector(meter);
        using var plain = new ModelMonitor(new ModelMonitorOptions { ModelName = "plain", MeterName = meter });
        using var native = new ModelMonitor(new ModelMonitorOptions { ModelName = "native", ModelVersion = "2", MeterName = meter, EnableNativeHistogram = true });

        native.RecordCall(0.5);
        native.RecordCall(0.25, new ArgumentException("bad input"));
        plain.RecordCall(0.5);

        List<Observed> recorded = collector.Recorded("native").Where(o => o.Instrument == "model.inference.duration").ToList();
        Assert.Multiple(() =>
        {
            Assert.That(recorded.Select(o => o.Value), Is.EqualTo(new[] { 0.5, 0.25 }).Within(1e-6));
            Assert.That(recorded[0].Tag("error.type"), Is.Null);
            Assert.That(recorded[1].Tag("error.type"), Is.EqualTo("System.ArgumentException"));
            Assert.That(recorded.All(o => o.Tag("model.version") == "2" && o.Unit == "s" && o.InstrumentType == typeof(Histogram<>)), Is.True);
            Assert.That(collector.Recorded("plain").Where(o => o.Instrument == "model.inference.duration"), Is.Empty);
        });
    }

    [Test]
    public void NativeHistogram_ListenerThrows_PredictStillReturnsAndFaultIsCounted()
    {
        string meter = MeterNameFor();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == meter && instrument.Name == "model.inference.duration")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((i, v, t, s) => throw new InvalidOperationException("broken exporter"));
        listener.Start();
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "faulty-listener", MeterName = meter, EnableNativeHistogram = true });
        using var predictor = Predictor.Create<int, int>(x => x + 1).AsBuilder().UseMetrics(monitor).Build();

        Assert.That(predictor.Predict(1), Is.EqualTo(2));
        Assert.That(predictor.Predict(2), Is.EqualTo(3));

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Succeeded, Is.EqualTo(2));
        Assert.That(snapshot.Rejected["listener_fault"], Is.EqualTo(2));
    }

    [Test]
    public void Monitors_ShareOneMeter_DisposeStopsPublishing()
    {
        string meter = MeterNameFor();
        using var collector = new MeasurementCollector(meter);
        using var first = new ModelMonitor(new ModelMonitorOptions { ModelName = "first", MeterName = meter });
        var second = new ModelMonitor(new ModelMonitorOptions { ModelName = "second", ModelVersion = "b", MeterName = meter });
        first.RecordCall(0.001);
        second.RecordCall(0.001);
        second.RecordCall(0.001);

        Assert.That(collector.Collect("first").Single(o => o.Instrument == "model.inference.calls").Value, Is.EqualTo(1));
        Assert.That(collector.Collect("second").Single(o => o.Instrument == "model.inference.calls").Value, Is.EqualTo(2));

        second.Dispose();
        second.Dispose();
        second.RecordCall(0.001);

        Assert.That(collector.Collect("second"), Is.Empty);
        Assert.That(collector.Collect("first"), Is.Not.Empty);
        Assert.That(second.GetSnapshot().Calls, Is.EqualTo(3));
    }

    [Test]
    public void MeterFactory_MonitorsPublishThroughTheFactorysMeter()
    {
        using var factory = new TestMeterFactory();
        string meter = MeterNameFor();
        Meter? seen = null;
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Name == "model.inference.calls" && instrument.Meter.Name == meter)
                {
                    seen = instrument.Meter;
                }
            },
        };
        listener.Start();

        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "factory", MeterName = meter, MeterFactory = factory });
        using var other = new ModelMonitor(new ModelMonitorOptions { ModelName = "factory2", MeterName = meter, MeterFactory = factory });

        Assert.That(seen, Is.Not.Null);
        Assert.That(factory.Created, Has.Count.EqualTo(1));
        Assert.That(seen, Is.SameAs(factory.Created[0]));
    }

    private static string MeterNameFor() => "ModelMetrics.Tests." + TestContext.CurrentContext.Test.Name;

    private sealed class TestMeterFactory : IMeterFactory
    {
        public List<Meter> Created { get; } = [];

        public Meter Create(MeterOptions options)
        {
            Meter? existing = Created.Find(m => m.Name == options.Name);
            if (existing is not null)
            {
                return existing;
            }

            var meter = new Meter(options.Name, options.Version, options.Tags, this);
            Created.Add(meter);
            return meter;
        }

        public void Dispose()
        {
            foreach (Meter meter in Created)
            {
                meter.Dispose();
            }
        }
    }
}
