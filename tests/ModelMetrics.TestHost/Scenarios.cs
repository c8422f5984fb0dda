// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using ModelMetrics;

namespace ModelMetrics.TestHost;

/// <summary>
/// The known traffic of one fleet member. Every number is fixed, so a test can compute the exact
/// combined truth of several members and compare it with what a backend computes from the exported metrics.
/// </summary>
/// <param name="Name">The member's name (the scenario argument).</param>
/// <param name="Confusion">Labelled predictions: <c>Confusion[actual][predicted]</c>, indices into <see cref="Scenarios.Classes"/>.</param>
/// <param name="Latencies">The duration of every call, in seconds.</param>
/// <param name="Failures">How many of the calls (the first ones) failed, and with which exception type.</param>
public sealed record FleetMember(string Name, long[][] Confusion, double[] Latencies, int Failures, Type FailureType)
{
    /// <summary>Records this member's traffic into <paramref name="monitor"/>.</summary>
    public void Record(ModelMonitor monitor)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        for (int i = 0; i < Latencies.Length; i++)
        {
            Exception? failure = i < Failures ? (Exception)Activator.CreateInstance(FailureType)! : null;
            monitor.RecordCall(Latencies[i], failure);
        }

        for (int actual = 0; actual < Confusion.Length; actual++)
        {
            for (int predicted = 0; predicted < Confusion[actual].Length; predicted++)
            {
                for (long n = 0; n < Confusion[actual][predicted]; n++)
                {
                    monitor.RecordGroundTruth(predicted, actual);
                }
            }
        }
    }
}

/// <summary>The scenarios the test host runs, shared with the integration tests that check them.</summary>
public static class Scenarios
{
    /// <summary>The model every fleet member serves with fixed traffic.</summary>
    public const string FleetModel = "fleet";

    /// <summary>The version of <see cref="FleetModel"/>.</summary>
    public const string FleetVersion = "1";

    /// <summary>A model with continuous traffic (so that rates and windows have data), served beside the fleet model.</summary>
    public const string LiveModel = "live";

    /// <summary>The version of <see cref="LiveModel"/>.</summary>
    public const string LiveVersion = "2";

    /// <summary>The classes of both models.</summary>
    public static IReadOnlyList<string> Classes { get; } = ["cat", "dog", "bird"];

    /// <summary>Member "a": 2,000 fast calls (2–10 ms), 20 timeouts, a mostly right classifier.</summary>
    public static FleetMember A { get; } = new(
        "a",
        [[400, 30, 10], [20, 300, 20], [5, 15, 200]],
        Spread(2000, 0.002, 0.010),
        20,
        typeof(TimeoutException));

    /// <summary>Member "b": 1,000 slow calls (30–70 ms), 10 invalid operations, a worse classifier.</summary>
    public static FleetMember B { get; } = new(
        "b",
        [[100, 50, 50], [10, 150, 40], [30, 20, 100]],
        Spread(1000, 0.030, 0.070),
        10,
        typeof(InvalidOperationException));

    /// <summary>The member named <paramref name="name"/>.</summary>
    public static FleetMember Get(string name) => name switch
    {
        "a" => A,
        "b" => B,
        _ => throw new ArgumentException($"Unknown scenario '{name}': use 'a' or 'b'.", nameof(name)),
    };

    /// <summary>The members, for tests that combine them.</summary>
    public static IReadOnlyList<FleetMember> All { get; } = [A, B];

    /// <summary>Every duration of all <paramref name="members"/>, sorted.</summary>
    public static double[] CombinedLatencies(IEnumerable<FleetMember> members) =>
        [.. members.SelectMany(m => m.Latencies).Order()];

    private static double[] Spread(int count, double from, double to) =>
        [.. Enumerable.Range(0, count).Select(i => from + ((to - from) * i / (count - 1)))];
}
