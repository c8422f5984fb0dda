// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using BenchmarkDotNet.Running;

namespace ModelMetrics.Benchmarks;

/// <summary>Runs the benchmarks picked on the command line (<c>--filter</c>, <c>--job</c>; see README.md).</summary>
public static class Program
{
    public static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
}
