// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Linq;
using ModelMetrics.Recording;
using NUnit.Framework;

namespace ModelMetrics.Tests.Recording;

public class RollingWindowTests
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Walks one window through its documented rules with a 60 s window, so checkpoints are taken at
    /// most every 15 s (window / 4), and the base is the oldest checkpoint not older than 60 s, falling
    /// back to the newest when none is young enough. The cumulative array is [c, 2c] at each reading.
    /// </summary>
    [Test]
    public void Update_FollowsTheCheckpointRules()
    {
        var window = new RollingWindow(2, Window, nowTicks: 0);

        // (time s, cumulative c, expected window, why). Checkpoints after each step in brackets.
        (double Seconds, long Cumulative, long Expected, string Why)[] steps =
        [
            (0, 1, 1, "base: creation (all zero); 0 - 0 < 15 s so no checkpoint [0:0]"),
            (10, 3, 3, "base 0:0; 10 s after it, no checkpoint [0:0]"),
            (20, 7, 7, "base 0:0; 20 >= 15 so checkpoint [0:0, 20:7]"),
            (30, 15, 15, "base 0:0; 30 - 20 < 15 [0:0, 20:7]"),
            (40, 31, 31, "base 0:0; checkpoint [0:0, 20:7, 40:31]"),
            (60, 63, 63, "0:0 is exactly 60 s old: the newest at least a window old; checkpoint [0:0, 20:7, 40:31, 60:63]"),
            (61, 64, 64, "20:7 is only 41 s old, so 0:0 stays the base (the window covers 61 s); 61 - 60 < 15"),
            (80, 100, 93, "20:7 is exactly 60 s old: 0:0 dropped, base 20:7 -> 100 - 7; checkpoint [20:7, 40:31, 60:63, 80:100]"),
            (95, 120, 113, "40:31 is 55 s old: base stays 20:7 -> 120 - 7; 95 - 80 = 15 s exactly: checkpoint 95:120"),
            (300, 130, 10, "every checkpoint is older than 60 s; the newest of them (95:120) is the base -> 10; checkpoint 300:130"),
            (301, 135, 15, "300:130 is 1 s old: base stays 95:120 -> 15 (since the previous reading a window ago)"),
            (361, 140, 10, "300:130 is 61 s old: 95:120 dropped, base 300:130 -> 10; dropped checkpoints are never reused"),
        ];

        var result = new long[2];
        foreach ((double seconds, long cumulative, long expected, string why) in steps)
        {
            window.Update(Ticks(seconds), [cumulative, 2 * cumulative], result);
            Assert.That(result, Is.EqualTo(new[] { expected, 2 * expected }), $"at {seconds} s: {why}");
        }
    }

    /// <summary>
    /// NextChange: when the base can next move (the second checkpoint a window old) or a checkpoint put off falls due;
    /// until then, updating with unchanged counts changes nothing, so a reader may skip it.
    /// </summary>
    [Test]
    public void NextChange_FollowsCheckpointsAndTheBase()
    {
        var window = new RollingWindow(1, Window, nowTicks: 0);
        var result = new long[1];
        Assert.That(window.NextChange, Is.EqualTo(long.MaxValue), "never updated: nothing to move");

        window.Update(Ticks(0), [4], result);
        Assert.That(window.NextChange, Is.EqualTo(Ticks(15)), "no checkpoint at 0 s: one falls due at 15 s [0:0]");

        window.Update(Ticks(20), [4], result);
        Assert.That(window.NextChange, Is.EqualTo(Ticks(80)), "checkpoint 20:4 taken: nothing due; the base moves to it at 80 s [0:0, 20:4]");

        window.Update(Ticks(30), [6], result);
        Assert.That(window.NextChange, Is.EqualTo(Ticks(35)), "no checkpoint at 30 s (10 s after 20): due at 35 s [0:0, 20:4]");

        window.Update(Ticks(80), [6], result);
        Assert.That(result, Is.EqualTo(new long[] { 2 }), "base 20:4");
        Assert.That(window.NextChange, Is.EqualTo(Ticks(140)), "checkpoint 80:6; the base moves to it at 140 s [20:4, 80:6]");

        window.Update(Ticks(140), [6], result);
        Assert.That(result, Is.EqualTo(new long[] { 0 }));
        Assert.That(window.NextChange, Is.EqualTo(Ticks(200)), "checkpoint 140:6 taken; base 80:6 moves at 200 s [80:6, 140:6]");

        window.Update(Ticks(200), [6], result);
        window.Update(Ticks(260), [6], result);
        Assert.That(result, Is.EqualTo(new long[] { 0 }));
    }

    [Test]
    public void Advance_ReturnsTheBaseCheckpoint_AndNeverChangesIt()
    {
        var window = new RollingWindow(2, Window, nowTicks: 0);

        Assert.That(window.Advance(Ticks(0), [1, 1], 0, 2, 2, 0).Cells, Is.Null, "the creation checkpoint: zeros");
        Assert.That(window.Advance(Ticks(20), [3, 5], 0, 2, 2, 0).Cells, Is.Null, "checkpoint 20 taken, base still creation");
        WindowBase<long> moved = window.Advance(Ticks(80), [7, 9], 0, 2, 2, 0);
        Assert.That(moved.Cells, Is.EqualTo(new long[] { 3, 5 }), "base 20:(3, 5)");

        // Later checkpoints and drops never write into a base handed out.
        window.Advance(Ticks(140), [8, 10], 0, 2, 2, 0);
        window.Advance(Ticks(300), [9, 11], 0, 2, 2, 0);
        window.Advance(Ticks(400), [10, 12], 0, 2, 2, 0);
        Assert.That(moved.Cells, Is.EqualTo(new long[] { 3, 5 }));
    }

    /// <summary>
    /// A checkpoint keeps only the segments it was taken of (a histogram's used buckets, then its boundary cells): cells
    /// outside them read as zero, as they were, also when a later reading's segment is wider.
    /// </summary>
    [Test]
    public void Advance_KeepsOnlyTheSegments_AndReadsZeroAroundThem()
    {
        var window = new RollingWindow(10, Window, nowTicks: 0);
        long[] first = [0, 0, 0, 4, 5, 6, 0, 0, 2, 3]; // buckets 3..5 used; tail (cells 8, 9)
        window.Advance(Ticks(20), first, 3, 3, 8, 2);
        WindowBase<long> checkpoint = window.Advance(Ticks(80), [0, 1, 0, 4, 7, 6, 9, 0, 3, 3], 1, 6, 8, 2);

        Assert.That(checkpoint.Cells, Is.EqualTo(new long[] { 4, 5, 6, 2, 3 }), "three buckets, two tail cells: not all ten");
        Assert.That(Enumerable.Range(0, 8).Select(checkpoint.At), Is.EqualTo(new long[] { 0, 0, 0, 4, 5, 6, 0, 0 }));
        Assert.That(Enumerable.Range(0, 2).Select(checkpoint.TailAt), Is.EqualTo(new long[] { 2, 3 }));

        // Update with a wider segment subtracts zeros where the checkpoint holds nothing.
        var updated = new RollingWindow(10, Window, nowTicks: 0);
        var result = new long[8];
        updated.Update(Ticks(20), first, result, 3, 3, 8, 2);
        updated.Update(Ticks(80), [0, 1, 0, 4, 7, 6, 9, 0, 3, 3], result, 1, 6, 8, 2);
        Assert.That(result, Is.EqualTo(new long[] { 1, 0, 0, 2, 0, 9, 1, 0 }), "cells 1..6 minus (0, 0, 4, 5, 6, 0), then the tail minus (2, 3)");
    }

    [Test]
    public void Update_RightAfterCreation_HoldsEverythingRecorded()
    {
        var window = new RollingWindow(3, Window, nowTicks: Ticks(1000));
        var result = new long[3];

        window.Update(Ticks(1000), [5, 0, 7], result);

        Assert.That(result, Is.EqualTo(new long[] { 5, 0, 7 }));
    }

    [Test]
    public void Update_ReadingsFurtherApartThanTheWindow_FallBackToSinceThePreviousReading()
    {
        // An exporter collecting every 5 minutes with a 1-minute window.
        var window = new RollingWindow(1, Window, nowTicks: 0);
        var result = new long[1];

        window.Update(Ticks(300), [10], result);
        Assert.That(result[0], Is.EqualTo(10));

        window.Update(Ticks(600), [25], result);
        Assert.That(result[0], Is.EqualTo(15));

        window.Update(Ticks(900), [26], result);
        Assert.That(result[0], Is.EqualTo(1));
    }

    [Test]
    public void Update_CumulativeBelowTheBase_ReportsZeroNotNegative()
    {
        var window = new RollingWindow(2, Window, nowTicks: 0);
        var result = new long[2];
        window.Update(Ticks(20), [10, 10], result); // checkpoint 20:[10, 10]
        window.Update(Ticks(90), [12, 10], result); // 0:0 dropped, base 20:[10, 10]
        Assert.That(result, Is.EqualTo(new long[] { 2, 0 }));

        // A reading that saw less than an earlier checkpoint (a slower stripe) never goes negative.
        window.Update(Ticks(100), [9, 11], result);
        Assert.That(result, Is.EqualTo(new long[] { 0, 1 }));
    }

    [Test]
    public void Update_ReadingsEverySecond_CheckpointOnlyEveryQuarterWindow()
    {
        // Readings every second with cumulative = seconds: checkpoints at 15, 30, 45 and 60 s only.
        var window = new RollingWindow(1, Window, nowTicks: 0);
        var result = new long[1];
        for (int second = 1; second <= 60; second++)
        {
            window.Update(Ticks(second), [second], result);
            Assert.That(result[0], Is.EqualTo(second), $"at {second} s the creation checkpoint is the base");
        }

        // At 61 s the 15 s checkpoint is only 46 s old: the creation is still the newest at least a window old.
        window.Update(Ticks(61), [100], result);
        Assert.That(result[0], Is.EqualTo(100));

        // At 76 s the 15 s checkpoint is 61 s old: it becomes the base (not a reading at 16 s: none was kept).
        window.Update(Ticks(76), [110], result);
        Assert.That(result[0], Is.EqualTo(110 - 15));

        // At 91 s the 30 s checkpoint is 61 s old.
        window.Update(Ticks(91), [120], result);
        Assert.That(result[0], Is.EqualTo(120 - 30));
    }

    /// <summary>
    /// A histogram's windows copy and subtract only the buckets from the first to the last non-zero one, plus the
    /// boundary cells; as values spread over more buckets (the range grows) and checkpoints are dropped and reused,
    /// every window cell equals what a window over the whole array reports.
    /// </summary>
    [Test]
    public void Update_TwoSegmentsOfAGrowingRange_EqualsTheWholeArray()
    {
        const int Buckets = 200, Tail = 3;
        var whole = new RollingWindow(Buckets + Tail, Window, nowTicks: 0);
        var segmented = new RollingWindow(Buckets + Tail, Window, nowTicks: 0);
        var random = new Random(5);
        long[] cumulative = new long[Buckets + Tail];
        int low = 100, high = 100;
        for (int step = 1; step <= 400; step++)
        {
            // The non-zero range grows now and then on either side; counts land anywhere inside it, and the tail
            // cells grow too.
            low = Math.Max(0, low - (random.Next(10) == 0 ? random.Next(1, 6) : 0));
            high = Math.Min(Buckets - 1, high + (random.Next(10) == 0 ? random.Next(1, 6) : 0));
            for (int i = 0; i < 20; i++)
            {
                cumulative[random.Next(low, high + 1)] += random.Next(1, 4);
            }

            cumulative[Buckets + random.Next(Tail)]++;
            long now = Ticks(step * 7.0);
            long[] expected = new long[Buckets + Tail];
            whole.Update(now, cumulative, expected);
            long[] actual = new long[high - low + 1 + Tail];
            segmented.Update(now, cumulative, actual, low, high - low + 1, Buckets, Tail);

            Assert.That(expected[..low], Is.All.Zero, $"step {step}: below the range");
            Assert.That(expected[(high + 1)..Buckets], Is.All.Zero, $"step {step}: above the range");
            Assert.That(actual, Is.EqualTo(expected[low..(high + 1)].Concat(expected[Buckets..])), $"step {step}");
        }
    }

    private static long Ticks(double seconds) => (long)Math.Round(seconds * TimeSpan.TicksPerSecond);
}
