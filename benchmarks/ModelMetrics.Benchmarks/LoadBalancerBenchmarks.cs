// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Attributes;

namespace ModelMetrics.Benchmarks;

/// <summary>
/// What the load balancer's choice costs, per strategy, over 4 instances that are all admitted and measured (the
/// internal <c>Balancer.Choose</c>, the decision alone, which reads the instances' calls in flight and recent latency),
/// beside the trivial model called directly (baseline); and a whole call through <c>Predictor.LoadBalanced</c>, which adds
/// two clock reads, the in-flight count and the end's counts to the choice.
/// </summary>
[MemoryDiagnoser]
public class LoadBalancerBenchmarks
{
    private const int Instances = 4;

    private IPredictor<int, int> _model = null!;
    private Balancer _twoChoices = null!;
    private Balancer _roundRobin = null!;
    private Balancer _leastInFlight = null!;
    private IPredictor<int, int> _balanced = null!;
    private long _now;

    [GlobalSetup]
    public void Setup()
    {
        _model = Predictor.Create<int, int>(TrivialModel.Predict);
        _twoChoices = Measured(LoadBalancingStrategy.PowerOfTwoChoices);
        _roundRobin = Measured(LoadBalancingStrategy.RoundRobin);
        _leastInFlight = Measured(LoadBalancingStrategy.LeastInFlight);
        _balanced = Predictor.LoadBalanced(Enumerable.Range(0, Instances).Select(i =>
            new KeyValuePair<string, IPredictor<int, int>>("i" + i, Predictor.Create<int, int>(TrivialModel.Predict))));
        _now = System.TimeProvider.System.GetTimestamp();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _model.Dispose();
        _balanced.Dispose();
    }

    [Benchmark(Baseline = true, Description = "model.Predict")]
    public int Plain() => _model.Predict(1);

    [Benchmark(Description = "choice, PowerOfTwoChoices")]
    public int ChooseTwoChoices() => _twoChoices.Choose(_now, out _);

    [Benchmark(Description = "choice, RoundRobin")]
    public int ChooseRoundRobin() => _roundRobin.Choose(_now, out _);

    [Benchmark(Description = "choice, LeastInFlight")]
    public int ChooseLeastInFlight() => _leastInFlight.Choose(_now, out _);

    [Benchmark(Description = "LoadBalanced(4).Predict, PowerOfTwoChoices")]
    public int BalancedPredict() => _balanced.Predict(1);

    /// <summary>A balancer whose instances each completed one call, so that scores are latencies, not the unmeasured case.</summary>
    private static Balancer Measured(LoadBalancingStrategy strategy)
    {
        var options = new LoadBalancerOptions { Strategy = strategy };
        var balancer = new Balancer([.. Enumerable.Range(0, Instances).Select(i => "i" + i)], options, null);
        long start = options.TimeProvider.GetTimestamp();
        for (int i = 0; i < Instances; i++)
        {
            balancer.Start(i);
            balancer.End(i, probe: false, start - (1000 * (i + 1)), CallOutcome.Succeeded);
        }

        return balancer;
    }
}
