// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;

namespace ModelMetrics.Tests.Predictors.LoadBalancing;

/// <summary>
/// Deterministic traffic on a fake clock: instances answer asynchronously after a fixed latency of simulated time, so that
/// calls overlap (calls in flight matter) without a thread or a real wait. <see cref="RunUntil"/> moves the clock from one
/// answer to the next and completes each answer on the test's thread.
/// </summary>
internal sealed class TrafficSimulation
{
    private readonly PriorityQueue<TaskCompletionSource<int>, (long Due, long Order)> _answers = new();
    private long _order;

    public FakeTimeProvider Clock { get; } = new();

    public long Now => Clock.GetTimestamp();

    /// <summary>Creates an instance that answers each input with itself after <paramref name="latency"/>, counting its calls.</summary>
    public SimulatedInstance Instance(TimeSpan latency) => new(this, latency);

    /// <summary>Answers, in due order, every call due by <paramref name="timestamp"/>, moving the clock to each; then moves it to <paramref name="timestamp"/>.</summary>
    public void RunUntil(long timestamp)
    {
        while (_answers.TryPeek(out TaskCompletionSource<int>? answer, out (long Due, long Order) at) && at.Due <= timestamp)
        {
            _answers.Dequeue();
            AdvanceTo(at.Due);
            answer.SetResult(0);
        }

        AdvanceTo(timestamp);
    }

    /// <summary>Answers every call still pending.</summary>
    public void Drain() => RunUntil(Now + TimeSpan.FromDays(1).Ticks);

    private void AdvanceTo(long timestamp)
    {
        if (timestamp > Now)
        {
            Clock.Advance(TimeSpan.FromTicks(timestamp - Now));
        }
    }

    private Task<int> Schedule(TimeSpan latency)
    {
        // Continuations run inline on SetResult, so each call's end is counted at its due time.
        var answer = new TaskCompletionSource<int>();
        _answers.Enqueue(answer, (Now + latency.Ticks, _order++));
        return answer.Task;
    }

    internal sealed class SimulatedInstance : IPredictor<int, int>
    {
        private readonly TrafficSimulation _simulation;
        private readonly TimeSpan _latency;
        private int _calls;

        public SimulatedInstance(TrafficSimulation simulation, TimeSpan latency)
        {
            _simulation = simulation;
            _latency = latency;
        }

        public int Calls => Volatile.Read(ref _calls);

        public int Predict(int input) => throw new NotSupportedException("A simulated instance answers asynchronously.");

        public ValueTask<int> PredictAsync(int input, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _calls);
            return new ValueTask<int>(_simulation.Schedule(_latency));
        }

        public ValueTask<IReadOnlyList<int>> PredictBatchAsync(IReadOnlyList<int> inputs, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public IAsyncEnumerable<int> PredictStreamingAsync(int input, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
