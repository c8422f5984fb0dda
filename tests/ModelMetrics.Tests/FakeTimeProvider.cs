// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Threading;

namespace ModelMetrics.Tests;

/// <summary>A clock that only moves when a test calls <see cref="Advance"/>. Timestamps are TimeSpan ticks.</summary>
internal sealed class FakeTimeProvider : TimeProvider
{
    private readonly DateTimeOffset _start;
    private long _elapsedTicks;

    public FakeTimeProvider()
        : this(new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero))
    {
    }

    public FakeTimeProvider(DateTimeOffset start) => _start = start;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override DateTimeOffset GetUtcNow() => _start.AddTicks(Interlocked.Read(ref _elapsedTicks));

    // An arbitrary non-zero origin, so that code that assumes timestamps start at zero is caught.
    public override long GetTimestamp() => 1_000_000_000L + Interlocked.Read(ref _elapsedTicks);

    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        Interlocked.Add(ref _elapsedTicks, delta.Ticks);
    }

    /// <summary>Steps the clock back by <paramref name="delta"/>, as NTP on a virtual machine may: timestamps and UTC time both go back.</summary>
    public void StepBack(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        Interlocked.Add(ref _elapsedTicks, -delta.Ticks);
    }
}
