// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace ModelMetrics.Tests.Predictors;

public class MetricsPredictorTests
{
    [Test]
    public void Predict_ModelThrows_SameExceptionWithStackTrace_CountedOnceWithType()
    {
        using var monitor = NewMonitor();
        var thrown = new InvalidOperationException("model failed");
        using var predictor = Predictor.Create<int, int>(x => ThrowingModel(thrown)).AsBuilder().UseMetrics(monitor).Build();

        var caught = Assert.Throws<InvalidOperationException>(() => predictor.Predict(1));

        Assert.Multiple(() =>
        {
            Assert.That(caught, Is.SameAs(thrown));
            Assert.That(caught!.StackTrace, Does.Contain(nameof(ThrowingModel)));
            ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
            Assert.That(snapshot.Calls, Is.EqualTo(1));
            Assert.That(snapshot.Failures, Is.EquivalentTo(new Dictionary<string, long> { ["System.InvalidOperationException"] = 1 }));
            Assert.That(snapshot.Succeeded, Is.Zero);
            Assert.That(snapshot.InFlight, Is.Zero);
        });
    }

    [Test]
    public void PredictAsync_ModelThrowsAfterAwait_SameExceptionCountedOnce()
    {
        using var monitor = NewMonitor();
        var thrown = new FormatException("bad features");
        using var predictor = Predictor.CreateFromTask<int, int>(async (x, ct) =>
        {
            await Task.Yield();
            return ThrowingModel(thrown);
        }).AsBuilder().UseMetrics(monitor).Build();

        var caught = Assert.ThrowsAsync<FormatException>(async () => await predictor.PredictAsync(1));

        Assert.That(caught, Is.SameAs(thrown));
        Assert.That(caught!.StackTrace, Does.Contain(nameof(ThrowingModel)));
        Assert.That(monitor.GetSnapshot().Failures["System.FormatException"], Is.EqualTo(1));
        Assert.That(monitor.GetSnapshot().Calls, Is.EqualTo(1));
    }

    [Test]
    public void PredictAsync_ModelThrowsSynchronously_SameExceptionCountedOnce()
    {
        using var monitor = NewMonitor();
        var thrown = new NotSupportedException("no");
        using var predictor = Predictor.CreateFromValueTask<int, int>((x, ct) => throw thrown).AsBuilder().UseMetrics(monitor).Build();

        var caught = Assert.ThrowsAsync<NotSupportedException>(async () => await predictor.PredictAsync(1));

        Assert.That(caught, Is.SameAs(thrown));
        Assert.That(monitor.GetSnapshot().Failures["System.NotSupportedException"], Is.EqualTo(1));
    }

    [Test]
    public async Task CreateFromValueTask_ThroughUseMetrics_RecordsEveryCall()
    {
        using var monitor = NewMonitor();
        using var predictor = Predictor.CreateFromValueTask<int, int>(async (x, ct) =>
        {
            ArgumentOutOfRangeException.ThrowIfNegative(x);
            await Task.Yield();
            return x * 3;
        }).AsBuilder().UseMetrics(monitor).Build();

        int first = await predictor.PredictAsync(2);
        int second = predictor.Predict(5);
        Assert.CatchAsync<ArgumentOutOfRangeException>(async () => await predictor.PredictAsync(-1));

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(first, Is.EqualTo(6));
            Assert.That(second, Is.EqualTo(15));
            Assert.That(snapshot.Calls, Is.EqualTo(3));
            Assert.That(snapshot.Succeeded, Is.EqualTo(2));
            Assert.That(snapshot.Failures, Is.EquivalentTo(new Dictionary<string, long> { ["System.ArgumentOutOfRangeException"] = 1 }));
            Assert.That(snapshot.Latency.Count, Is.EqualTo(3));
            Assert.That(snapshot.InFlight, Is.Zero);
        });
    }

    [Test]
    public void PredictAsync_CallerCancels_CountedAsCancelled()
    {
        using var monitor = NewMonitor();
        using var predictor = Predictor.CreateFromTask<int, int>(async (x, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct);
            return x;
        }).AsBuilder().UseMetrics(monitor).Build();
        using var cts = new CancellationTokenSource();

        ValueTask<int> pending = predictor.PredictAsync(1, cts.Token);
        Assert.That(monitor.GetSnapshot().InFlight, Is.EqualTo(1));
        cts.Cancel();

        Assert.CatchAsync<OperationCanceledException>(async () => await pending);
        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Failures, Is.EquivalentTo(new Dictionary<string, long> { ["cancelled"] = 1 }));
        Assert.That(snapshot.InFlight, Is.Zero);
    }

    [Test]
    public void PredictAsync_ModelsOwnDeadlineExpires_CountedAsTimeout()
    {
        using var monitor = NewMonitor();
        using var predictor = Predictor.CreateFromTask<int, int>(async (x, ct) =>
        {
            // The model gives up on a deadline of its own, as HttpClient.Timeout or a linked CancelAfter do.
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(TimeSpan.FromMilliseconds(20));
            await Task.Delay(Timeout.Infinite, deadline.Token);
            return x;
        }).AsBuilder().UseMetrics(monitor).Build();

        Assert.CatchAsync<OperationCanceledException>(async () => await predictor.PredictAsync(1, CancellationToken.None));

        Assert.That(monitor.GetSnapshot().Failures, Is.EquivalentTo(new Dictionary<string, long> { ["timeout"] = 1 }));
    }

    [Test]
    public void Predict_TimeoutExceptions_CountedAsTimeout()
    {
        using var monitor = NewMonitor();
        int call = 0;
        using var predictor = Predictor.Create<int, int>(x => ++call == 1
            ? throw new TimeoutException()
            : throw new TaskCanceledException("HttpClient style", new TimeoutException())).AsBuilder().UseMetrics(monitor).Build();

        Assert.Throws<TimeoutException>(() => predictor.Predict(1));
        Assert.Throws<TaskCanceledException>(() => predictor.Predict(1));

        Assert.That(monitor.GetSnapshot().Failures, Is.EquivalentTo(new Dictionary<string, long> { ["timeout"] = 2 }));
    }

    [Test]
    public async Task Predict_Outputs_PassThroughUnchanged()
    {
        using var monitor = NewMonitor();
        var output = new object();
        using var predictor = Predictor.Create<int, object>(x => output).AsBuilder().UseMetrics(monitor).Build();

        Assert.That(predictor.Predict(1), Is.SameAs(output));
        Assert.That(await predictor.PredictAsync(1), Is.SameAs(output));
        Assert.That(await predictor.PredictBatchAsync([1, 2]), Is.EqualTo(new[] { output, output }));
        Assert.That(monitor.GetSnapshot().Succeeded, Is.EqualTo(3));
    }

    [Test]
    public async Task PredictBatchAsync_CountsOneCallAndAllItems()
    {
        using var monitor = NewMonitor();
        using var predictor = Predictor.CreateBatch<int, int>(async (inputs, ct) =>
        {
            await Task.Yield();
            return inputs.Select(x => x * 2).ToArray();
        }).AsBuilder().UseMetrics(monitor).Build();

        int[] inputs = Enumerable.Range(0, 32).ToArray();
        for (int i = 0; i < 3; i++)
        {
            IReadOnlyList<int> outputs = await predictor.PredictBatchAsync(inputs);
            Assert.That(outputs, Is.EqualTo(inputs.Select(x => x * 2)));
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Calls, Is.EqualTo(3));
        Assert.That(snapshot.Items, Is.EqualTo(96));
        Assert.That(snapshot.Latency.Count, Is.EqualTo(3));
    }

    [Test]
    public async Task PredictBatchAsync_Empty_CallsModelButCountsNoCall()
    {
        using var monitor = NewMonitor();
        int modelCalls = 0;
        using var predictor = Predictor.CreateBatch<int, int>((inputs, ct) =>
        {
            modelCalls++;
            return new ValueTask<IReadOnlyList<int>>(Array.Empty<int>());
        }).AsBuilder().UseMetrics(monitor).Build();

        IReadOnlyList<int> outputs = await predictor.PredictBatchAsync([]);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(outputs, Is.Empty);
        Assert.That(modelCalls, Is.EqualTo(1));
        Assert.That(snapshot.Calls, Is.Zero);
        Assert.That(snapshot.InFlight, Is.Zero);
        Assert.That(snapshot.Rejected["empty_batch"], Is.EqualTo(1));
    }

    [Test]
    public async Task PredictStreamingAsync_RecordsChunksAndFirstChunkTime()
    {
        using var monitor = NewMonitor();
        using var predictor = Predictor.CreateStreaming<int, int>(Count).AsBuilder().UseMetrics(monitor).Build();

        var chunks = new List<int>();
        await foreach (int chunk in predictor.PredictStreamingAsync(4))
        {
            chunks.Add(chunk);
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(chunks, Is.EqualTo(new[] { 0, 1, 2, 3 }));
        Assert.That(snapshot.Chunks, Is.EqualTo(4));
        Assert.That(snapshot.Succeeded, Is.EqualTo(1));
        Assert.That(snapshot.TimeToFirstChunk.Count, Is.EqualTo(1));
        Assert.That(snapshot.TimeToFirstChunk.Max, Is.LessThanOrEqualTo(snapshot.Latency.Max));
        Assert.That(snapshot.InFlight, Is.Zero);
    }

    [Test]
    public async Task PredictStreamingAsync_ConsumerStopsEarly_CountedAsSuccess()
    {
        using var monitor = NewMonitor();
        using var predictor = Predictor.CreateStreaming<int, int>(Count).AsBuilder().UseMetrics(monitor).Build();

        await foreach (int chunk in predictor.PredictStreamingAsync(100))
        {
            if (chunk == 2)
            {
                break;
            }
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Succeeded, Is.EqualTo(1));
        Assert.That(snapshot.Chunks, Is.EqualTo(3));
        Assert.That(snapshot.InFlight, Is.Zero);
    }

    [Test]
    public void PredictStreamingAsync_ModelFailsMidStream_SameExceptionCountedOnce()
    {
        using var monitor = NewMonitor();
        var thrown = new InvalidOperationException("stream broke");
        using var predictor = Predictor.CreateStreaming<int, int>((n, ct) => FailAfter(n, thrown)).AsBuilder().UseMetrics(monitor).Build();
        int received = 0;

        var caught = Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (int chunk in predictor.PredictStreamingAsync(2))
            {
                received++;
            }
        });

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(caught, Is.SameAs(thrown));
        Assert.That(received, Is.EqualTo(2));
        Assert.That(snapshot.Failures["System.InvalidOperationException"], Is.EqualTo(1));
        Assert.That(snapshot.Calls, Is.EqualTo(1));
        Assert.That(snapshot.Chunks, Is.EqualTo(2));
    }

    [Test]
    public void Builder_FirstAddedIsOutermost()
    {
        var order = new List<string>();
        using var predictor = Predictor.Create<int, int>(x =>
            {
                order.Add("model");
                return x;
            })
            .AsBuilder()
            .Use(inner => new Recording(inner, "first", order))
            .Use(inner => new Recording(inner, "second", order))
            .Build();

        predictor.Predict(1);

        Assert.That(order, Is.EqualTo(new[] { "first", "second", "model" }));
    }

    [Test]
    public void GetService_ReturnsMonitorThroughOuterDecorators()
    {
        using var monitor = NewMonitor();
        var order = new List<string>();
        using var predictor = Predictor.Create<int, int>(x => x).AsBuilder()
            .Use(inner => new Recording(inner, "outer", order))
            .UseMetrics(monitor)
            .Build();

        Assert.That(predictor.GetService(typeof(ModelMonitor)), Is.SameAs(monitor));
        Assert.That(predictor.GetService(typeof(Recording)), Is.SameAs(predictor));
        Assert.That(predictor.GetService(typeof(string)), Is.Null);
    }

    [Test]
    public void UseMetrics_WithOptions_OwnsMonitorAndDisposesIt()
    {
        string name = "owned-" + Guid.NewGuid();
        IPredictor<int, int> predictor = Predictor.Create<int, int>(x => x).AsBuilder()
            .UseMetrics(o =>
            {
                o.ModelName = name;
                o.ModelVersion = "9";
            })
            .Build();
        var monitor = (ModelMonitor)predictor.GetService(typeof(ModelMonitor))!;

        predictor.Predict(1);
        predictor.Dispose();

        Assert.That(monitor.ModelName, Is.EqualTo(name));
        Assert.That(monitor.ModelVersion, Is.EqualTo("9"));
        Assert.That(monitor.GetSnapshot().Calls, Is.EqualTo(1));
        Assert.That(monitor.IsDisposed, Is.True);
    }

    [Test]
    public void UseMetrics_InvalidOptions_ThrowsWhenBuilt()
    {
        PredictorBuilder<int, int> builder = Predictor.Create<int, int>(x => x).AsBuilder().UseMetrics(o => o.ModelName = "");

        var error = Assert.Throws<ArgumentException>(() => builder.Build());
        Assert.That(error!.ParamName, Is.EqualTo("ModelName"));
    }

    [Test]
    public async Task Wrap_Delegates_RecordCalls()
    {
        using var monitor = NewMonitor();
        Func<int, int> square = monitor.Wrap<int, int>(x => x * x);
        Func<int, CancellationToken, ValueTask<int>> half = monitor.Wrap<int, int>((x, ct) => new ValueTask<int>(x / 2));

        Assert.That(square(7), Is.EqualTo(49));
        Assert.That(await half(8, CancellationToken.None), Is.EqualTo(4));
        Assert.That(monitor.GetSnapshot().Succeeded, Is.EqualTo(2));
    }

    [Test]
    public async Task Predictor_FromOneDelegate_ServesEveryCallShape()
    {
        using IPredictor<int, int> fromSync = Predictor.Create<int, int>(x => x + 1);
        using IPredictor<int, int> fromTask = Predictor.CreateFromTask<int, int>(async (x, ct) =>
        {
            await Task.Yield();
            return x + 1;
        });
        using IPredictor<int, int> fromBatch = Predictor.CreateBatch<int, int>((xs, ct) => new ValueTask<IReadOnlyList<int>>(xs.Select(x => x + 1).ToArray()));
        using IPredictor<int, int> fromStream = Predictor.CreateStreaming<int, int>(Count);

        foreach (IPredictor<int, int> p in new[] { fromSync, fromTask, fromBatch })
        {
            Assert.That(p.Predict(1), Is.EqualTo(2));
            Assert.That(await p.PredictAsync(2), Is.EqualTo(3));
            Assert.That(await p.PredictBatchAsync([3, 4]), Is.EqualTo(new[] { 4, 5 }));
            Assert.That(await ToListAsync(p.PredictStreamingAsync(5)), Is.EqualTo(new[] { 6 }));
        }

        Assert.Throws<NotSupportedException>(() => fromStream.Predict(1));
        Assert.That(await ToListAsync(fromStream.PredictStreamingAsync(3)), Is.EqualTo(new[] { 0, 1, 2 }));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ThrowingModel(Exception exception) => throw exception;

    private static async IAsyncEnumerable<int> Count(int n, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (int i = 0; i < n; i++)
        {
            await Task.Yield();
            yield return i;
        }
    }

    private static async IAsyncEnumerable<int> FailAfter(int n, Exception exception)
    {
        for (int i = 0; i < n; i++)
        {
            await Task.Yield();
            yield return i;
        }

        throw exception;
    }

    private static async Task<List<int>> ToListAsync(IAsyncEnumerable<int> source)
    {
        var list = new List<int>();
        await foreach (int item in source)
        {
            list.Add(item);
        }

        return list;
    }

    private static ModelMonitor NewMonitor() =>
        new(new ModelMonitorOptions { ModelName = "predictor-" + TestContext.CurrentContext.Test.Name });

    private sealed class Recording(IPredictor<int, int> inner, string name, List<string> order) : DelegatingPredictor<int, int>(inner)
    {
        public override int Predict(int input)
        {
            order.Add(name);
            return base.Predict(input);
        }
    }
}
