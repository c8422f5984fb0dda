// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Runtime.CompilerServices;

namespace ModelMetrics.Benchmarks;

/// <summary>The model every benchmark wraps: as cheap as a call can be, so that only the monitoring is measured.</summary>
public static class TrivialModel
{
    // Note: not inlined, so that the raw-call baseline is a real call, as a model's would be.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Predict(int input) => input + 1;
}
