// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Reliability;

/// <summary>
/// Faults in code the user supplies (listeners, decorators, models) stay where they belong: a throwing listener
/// fails its own collection, not a prediction; a throwing decorator or model is counted as what it was.
/// (Publishing/MeterPublishingTests covers a throwing listener of the native histogram, on the predict path.)
/// </summary>
[NonParallelizable]
public class CallbackFaultTests
{
    private const int Calls = 1_000;

    [Test]
    public void ObservableInstruments_ListenerCallbackThrows_FaultSurfacesInCollectNotInPredict()
    {
        string meter = ReliabilityHelpers.MeterName();
        string model = ReliabilityHelpers.ModelName();
        using var faulty = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == meter)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        faulty.SetMeasurementEventCallback<long>((i, v, t, s) => throw new InvalidOperationException("broken exporter (long)"));
        faulty.SetMeasurementEventCallback<double>((i, v, t, s) => throw new InvalidOperationException("broken exporter (double)"));
        faulty.Start();
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = model, MeterName = meter, ClassLabels = ["neg", "pos"] });
        using var predictor = Predictor.Create<int, int>(x => x + 1).AsBuilder().UseMetrics(monitor).Build();

        // Predictions on one thread while the faulty listener collects on another, repeatedly.
        int wrong = 0;
        var collectFaults = new List<Exception>();
        IReadOnlyList<Exception> errors = new ConcurrentRun(2).Execute(id =>
        {
            for (int i = 0; i < Calls; i++)
            {
                if (id == 0)
                {
                    wrong += predictor.Predict(i) == i + 1 ? 0 : 1;
                    monitor.RecordGroundTruth(i % 2, (i / 2) % 2);
                }
                else if (i % 10 == 0)
                {
                    try
                    {
                        faulty.RecordObservableInstruments();
                    }
                    catch (Exception e)
                    {
                        collectFaults.Add(e);
                    }
                }
            }
        }).Errors;

        // What happens: each observable instrument's callback runs, the listener throws on its first measurement,
        // and MeterListener.RecordObservableInstruments throws one AggregateException holding every instrument's fault.
        var last = Assert.Throws<AggregateException>(() => faulty.RecordObservableInstruments());
        ModelMonitorSnapshot s = monitor.GetSnapshot();
        using var healthy = new MeasurementCollector(meter);
        List<Observed> published = healthy.Collect(model);
        Assert.Multiple(() =>
        {
            Assert.That(errors, Is.Empty, "no fault reached the predict thread");
            Assert.That(wrong, Is.Zero);
            Assert.That(collectFaults, Has.Count.EqualTo(Calls / 10), "every faulty collection threw to its caller");
            Assert.That(collectFaults, Has.All.InstanceOf<AggregateException>());
            Assert.That(last!.InnerExceptions, Has.Count.GreaterThan(1), "one fault per instrument that had a measurement");
            Assert.That(last.InnerExceptions, Has.All.InstanceOf<InvalidOperationException>().And.Message.StartsWith("broken exporter"));
            Assert.That(s.Succeeded, Is.EqualTo(Calls));
            Assert.That(s.Classification!.Total, Is.EqualTo(Calls));
            Assert.That(s.Rejected, Is.Empty, "a fault in an observable callback is the collector's, not a rejected value");
            Assert.That(published.Single(o => o.Instrument == "model.inference.calls").Value, Is.EqualTo(Calls), "a healthy listener still sees everything");
            Assert.That(published.Single(o => o.Instrument == "model.inference.duration.count").Value, Is.EqualTo(Calls));
        });

        // Counting continues after the faults.
        predictor.Predict(1);
        Assert.That(monitor.GetSnapshot().Succeeded, Is.EqualTo(Calls + 1));
        Assert.That(healthy.Collect(model).Single(o => o.Instrument == "model.inference.calls").Value, Is.EqualTo(Calls + 1));
    }

    [Test]
    public void Pipeline_OuterDecoratorThrowsAfterTheModelReturned_ModelCallCountedAsSuccess()
    {
        using var monitor = Create();
        using var predictor = Predictor.Create<int, int>(x => x * 10).AsBuilder()
            .Use(inner => new FaultyDecorator(inner, FaultyDecorator.Mode.After))
            .UseMetrics(monitor)
            .Build();

        (int thrown, int returned) = PredictAll(predictor);

        ModelMonitorSnapshot s = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            // The decorator throws on every third input (i % 3 == 0): 334 of 1000; the model itself never failed.
            Assert.That(thrown, Is.EqualTo(334));
            Assert.That(returned, Is.EqualTo(Calls - 334));
            Assert.That(s.Succeeded, Is.EqualTo(Calls), "the model's call succeeded each time");
            Assert.That(s.Failed, Is.Zero);
            Assert.That(s.InFlight, Is.Zero);
        });
    }

    [Test]
    public void Pipeline_OuterDecoratorThrowsBeforeCallingInner_NoCallCounted()
    {
        using var monitor = Create();
        using var predictor = Predictor.Create<int, int>(x => x * 10).AsBuilder()
            .Use(inner => new FaultyDecorator(inner, FaultyDecorator.Mode.Before))
            .UseMetrics(monitor)
            .Build();

        (int thrown, _) = PredictAll(predictor);

        ModelMonitorSnapshot s = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(thrown, Is.EqualTo(334));
            Assert.That(s.Calls, Is.EqualTo(Calls - 334), "the model was never called for the rejected inputs");
            Assert.That(s.Failed, Is.Zero);
            Assert.That(s.InFlight, Is.Zero);
        });
    }

    [Test]
    public async Task Pipeline_OuterDecoratorThrowsAfterAwaitingTheModel_ModelCallCountedAsSuccess()
    {
        using var monitor = Create();
        using var predictor = Predictor.CreateFromValueTask<int, int>(async (x, ct) =>
            {
                await Task.Yield();
                return x * 10;
            })
            .AsBuilder()
            .Use(inner => new FaultyDecorator(inner, FaultyDecorator.Mode.After))
            .UseMetrics(monitor)
            .Build();

        int thrown = 0;
        for (int i = 0; i < 30; i++)
        {
            try
            {
                await predictor.PredictAsync(i);
            }
            catch (DecoratorException)
            {
                thrown++;
            }
        }

        ModelMonitorSnapshot s = monitor.GetSnapshot();
        Assert.That(thrown, Is.EqualTo(10));
        Assert.That(s.Succeeded, Is.EqualTo(30));
        Assert.That(s.Failed, Is.Zero);
        Assert.That(s.InFlight, Is.Zero);
    }

    [Test]
    public void Pipeline_InnerDecoratorThrows_CountedAsFailureOfItsType()
    {
        // Between the metrics decorator and the model, a decorator is part of what is measured.
        using var monitor = Create();
        using var predictor = Predictor.Create<int, int>(x => x * 10).AsBuilder()
            .UseMetrics(monitor)
            .Use(inner => new FaultyDecorator(inner, FaultyDecorator.Mode.Before))
            .Build();

        (int thrown, _) = PredictAll(predictor);

        ModelMonitorSnapshot s = monitor.GetSnapshot();
        Assert.That(thrown, Is.EqualTo(334));
        Assert.That(s.Failures, Is.EqualTo(new Dictionary<string, long> { [typeof(DecoratorException).FullName!] = 334 }));
        Assert.That(s.Succeeded, Is.EqualTo(Calls - 334));
        Assert.That(s.InFlight, Is.Zero);
    }

    [Test]
    public void Streaming_ModelThrowsBeforeTheFirstChunk_CountedAsFailureWithoutFirstChunkTime()
    {
        using var monitor = Create();
        var thrown = new ModelFaultException("no chunk at all");
        using var predictor = Predictor.CreateStreaming<int, int>((n, ct) => new FaultyStream(n, failAt: 0, thrown, disposeFault: null)).AsBuilder().UseMetrics(monitor).Build();

        var caught = Assert.ThrowsAsync<ModelFaultException>(async () =>
        {
            await foreach (int chunk in predictor.PredictStreamingAsync(5))
            {
            }
        });

        ModelMonitorSnapshot s = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(caught, Is.SameAs(thrown));
            Assert.That(s.Failures, Is.EqualTo(new Dictionary<string, long> { [typeof(ModelFaultException).FullName!] = 1 }));
            Assert.That(s.Chunks, Is.Zero);
            Assert.That(s.TimeToFirstChunk.Count, Is.Zero);
            Assert.That(s.InFlight, Is.Zero);
        });
    }

    [Test]
    public void Streaming_ModelsDisposeAsyncThrowsAfterAFailure_CallerSeesDisposeFaultCountedOnceAsTheEnumerationFault()
    {
        // C# semantics: an exception thrown while disposing replaces the one in flight, with or without the
        // decorator. The decorator counts the call once, under the enumeration's fault (what the model did first).
        using var monitor = Create();
        var enumerationFault = new ModelFaultException("chunk 2 failed");
        var disposeFault = new InvalidOperationException("cleanup failed");
        using var predictor = Predictor.CreateStreaming<int, int>((n, ct) => new FaultyStream(n, failAt: 2, enumerationFault, disposeFault)).AsBuilder().UseMetrics(monitor).Build();
        int received = 0;

        var caught = Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (int chunk in predictor.PredictStreamingAsync(5))
            {
                received++;
            }
        });

        ModelMonitorSnapshot s = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(caught, Is.SameAs(disposeFault));
            Assert.That(received, Is.EqualTo(2));
            Assert.That(s.Calls, Is.EqualTo(1));
            Assert.That(s.Failures, Is.EqualTo(new Dictionary<string, long> { [typeof(ModelFaultException).FullName!] = 1 }));
            Assert.That(s.Chunks, Is.EqualTo(2));
            Assert.That(s.InFlight, Is.Zero);
        });
    }

    [Test]
    public void Streaming_ModelsDisposeAsyncThrowsAfterAllChunks_CountedAsFailureOfThatType()
    {
        // The caller's await foreach throws, so the call failed; counting it as a success would hide the fault.
        using var monitor = Create();
        var disposeFault = new InvalidOperationException("cleanup failed");
        using var predictor = Predictor.CreateStreaming<int, int>((n, ct) => new FaultyStream(n, failAt: -1, null, disposeFault)).AsBuilder().UseMetrics(monitor).Build();
        int received = 0;

        var caught = Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (int chunk in predictor.PredictStreamingAsync(3))
            {
                received++;
            }
        });

        ModelMonitorSnapshot s = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(caught, Is.SameAs(disposeFault), "the model's exception reaches the caller unchanged");
            Assert.That(received, Is.EqualTo(3));
            Assert.That(s.Chunks, Is.EqualTo(3));
            Assert.That(s.InFlight, Is.Zero);
            Assert.That(s.Calls, Is.EqualTo(1));
            Assert.That(s.Failures, Is.EqualTo(new Dictionary<string, long> { ["System.InvalidOperationException"] = 1 }), "succeeded: " + s.Succeeded);
        });
    }

    [Test]
    public void Streaming_ModelsDisposeAsyncThrowsWhenTheConsumerStopsEarly_CountedAsFailureOfThatType()
    {
        using var monitor = Create();
        var disposeFault = new InvalidOperationException("cleanup failed");
        using var predictor = Predictor.CreateStreaming<int, int>((n, ct) => new FaultyStream(n, failAt: -1, null, disposeFault)).AsBuilder().UseMetrics(monitor).Build();

        var caught = Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (int chunk in predictor.PredictStreamingAsync(100))
            {
                if (chunk == 1)
                {
                    break;
                }
            }
        });

        ModelMonitorSnapshot s = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(caught, Is.SameAs(disposeFault));
            Assert.That(s.Chunks, Is.EqualTo(2));
            Assert.That(s.InFlight, Is.Zero);
            Assert.That(s.Calls, Is.EqualTo(1));
            Assert.That(s.Failures, Is.EqualTo(new Dictionary<string, long> { ["System.InvalidOperationException"] = 1 }), "succeeded: " + s.Succeeded);
        });
    }

    private static ModelMonitor Create() =>
        new(new ModelMonitorOptions { ModelName = ReliabilityHelpers.ModelName(), MeterName = ReliabilityHelpers.MeterName() });

    /// <summary>Predicts 0 … <see cref="Calls"/> − 1; counts the decorator's exceptions and the right answers.</summary>
    private static (int Thrown, int Returned) PredictAll(IPredictor<int, int> predictor)
    {
        int thrown = 0, returned = 0;
        for (int i = 0; i < Calls; i++)
        {
            try
            {
                returned += predictor.Predict(i) == i * 10 ? 1 : 0;
            }
            catch (DecoratorException)
            {
                thrown++;
            }
        }

        return (thrown, returned);
    }

    /// <summary>Thrown by <see cref="FaultyDecorator"/>.</summary>
    public sealed class DecoratorException : Exception
    {
        public DecoratorException()
            : base("decorator fault")
        {
        }
    }

    /// <summary>Thrown by a test model.</summary>
    public sealed class ModelFaultException : Exception
    {
        public ModelFaultException(string message)
            : base(message)
        {
        }
    }

    /// <summary>A user decorator that throws for every input divisible by 3, before or after calling the inner predictor.</summary>
    private sealed class FaultyDecorator : DelegatingPredictor<int, int>
    {
        private readonly Mode _mode;

        public FaultyDecorator(IPredictor<int, int> inner, Mode mode)
            : base(inner) => _mode = mode;

        public enum Mode
        {
            Before,
            After,
        }

        public override int Predict(int input)
        {
            if (_mode == Mode.Before && input % 3 == 0)
            {
                throw new DecoratorException();
            }

            int output = base.Predict(input);
            return _mode == Mode.After && input % 3 == 0 ? throw new DecoratorException() : output;
        }

        public override async ValueTask<int> PredictAsync(int input, CancellationToken cancellationToken = default)
        {
            if (_mode == Mode.Before && input % 3 == 0)
            {
                throw new DecoratorException();
            }

            int output = await base.PredictAsync(input, cancellationToken);
            return _mode == Mode.After && input % 3 == 0 ? throw new DecoratorException() : output;
        }
    }

    /// <summary>
    /// A model's stream of chunks 0, 1, ... n-1 that throws <c>fault</c> when asked for chunk <c>failAt</c> (-1: never)
    /// and <c>disposeFault</c> from DisposeAsync (null: never).
    /// </summary>
    private sealed class FaultyStream(int count, int failAt, Exception? fault, Exception? disposeFault) : IAsyncEnumerable<int>, IAsyncEnumerator<int>
    {
        private int _next;

        public int Current { get; private set; }

        public IAsyncEnumerator<int> GetAsyncEnumerator(CancellationToken cancellationToken = default) => this;

        public ValueTask<bool> MoveNextAsync()
        {
            if (_next == failAt)
            {
                throw fault!;
            }

            if (_next >= count)
            {
                return new ValueTask<bool>(false);
            }

            Current = _next++;
            return new ValueTask<bool>(true);
        }

        public ValueTask DisposeAsync() => disposeFault is null ? ValueTask.CompletedTask : throw disposeFault;
    }
}
