// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using NUnit.Framework;

namespace ModelMetrics.Tests.Monitoring;

/// <summary>Invalid values never throw: they are corrected or dropped and counted by reason.</summary>
public class BadInputTests
{
    public enum Animal
    {
        Cat,
        Dog,
        Bird,
    }

    public enum Pet
    {
        Cat,
        Dog,
        Fish,
    }

    public enum Sparse : long
    {
        Neg = -4_000_000_000_000,
        Pos = 4_000_000_000_000,
    }

    public enum HugeRange : long
    {
        Neg = long.MinValue,
        Pos = long.MaxValue,
    }

    [Flags]
    public enum HighBitFlagSet : ulong
    {
        Neg = 1,
        Pos = 1UL << 63,
    }

    public enum Binary : byte
    {
        Neg = 10,
        Pos = 20,
    }

    [Test]
    public void RecordCall_NaN_IsNotCountedAndIsRejectedAsNanDuration()
    {
        using var monitor = Create(nameof(RecordCall_NaN_IsNotCountedAndIsRejectedAsNanDuration));

        Assert.That(() => monitor.RecordCall(double.NaN), Throws.Nothing);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Calls, Is.Zero);
        Assert.That(snapshot.Latency.Count, Is.Zero);
        Assert.That(snapshot.InFlight, Is.Zero);
        Assert.That(snapshot.Items, Is.Zero);
        Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["nan_duration"] = 1 }));
    }

    [Test]
    public void RecordCall_Negative_IsRecordedAsZeroAndRejectedAsNegativeDuration()
    {
        using var monitor = Create(nameof(RecordCall_Negative_IsRecordedAsZeroAndRejectedAsNegativeDuration));

        monitor.RecordCall(-1);
        monitor.RecordCall(double.NegativeInfinity);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Calls, Is.EqualTo(2));
        Assert.That(snapshot.Latency.Count, Is.EqualTo(2));
        Assert.That(snapshot.Latency.Sum, Is.LessThan(1e-6), "zero durations land in the first bucket, whose midpoint is below 1 µs");
        Assert.That(snapshot.Latency.Max, Is.LessThan(1e-6), "zero lands in the first bucket, below the 1 µs lowest");
        Assert.That(snapshot.InFlight, Is.Zero);
        Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["negative_duration"] = 2 }));
    }

    [Test]
    public void RecordCall_InfinityAndAboveHighest_AreClampedToHighestAndRejectedAsOverRange()
    {
        using var monitor = Create(nameof(RecordCall_InfinityAndAboveHighest_AreClampedToHighestAndRejectedAsOverRange));

        monitor.RecordCall(double.PositiveInfinity);
        monitor.RecordCall(TimeSpan.FromHours(2).TotalSeconds);
        monitor.RecordCall(double.MaxValue);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Calls, Is.EqualTo(3));
        Assert.That(snapshot.Latency.Count, Is.EqualTo(3));
        Assert.That(double.IsFinite(snapshot.Latency.Sum), Is.True);

        // Each is recorded as exactly the highest value, 1 hour (LatencyHighest default).
        Assert.That(snapshot.Latency.Sum, Is.EqualTo(3 * 3600.0).Within(1).Percent);
        Assert.That(snapshot.Latency.Max, Is.EqualTo(3600).Within(3600 * 0.01));
        Assert.That(snapshot.Latency.P50, Is.EqualTo(3600).Within(3600 * 0.01));
        Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["over_range_duration"] = 3 }));
    }

    [Test]
    public void RecordCall_ExactlyHighest_IsNotRejected()
    {
        using var monitor = Create(nameof(RecordCall_ExactlyHighest_IsNotRejected));

        monitor.RecordCall(3600);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Latency.Count, Is.EqualTo(1));
        Assert.That(snapshot.Rejected, Is.Empty);
    }

    [Test]
    public void RecordGroundTruth_IndexOutOfRange_IsRejectedAsLabelOutOfRange()
    {
        using var monitor = Create(nameof(RecordGroundTruth_IndexOutOfRange_IsRejectedAsLabelOutOfRange), ["neg", "pos"]);

        monitor.RecordGroundTruth(5, 0);
        monitor.RecordGroundTruth(0, -1);
        monitor.RecordGroundTruth(2, 2);
        monitor.RecordGroundTruth(int.MinValue, int.MaxValue);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Classification!.Total, Is.Zero);
        Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["label_out_of_range"] = 4 }));
    }

    [Test]
    public void RecordGroundTruth_UnknownOrNullString_IsRejectedAsUnknownLabel()
    {
        using var monitor = Create(nameof(RecordGroundTruth_UnknownOrNullString_IsRejectedAsUnknownLabel), ["neg", "pos"]);

        monitor.RecordGroundTruth("x", "neg");
        monitor.RecordGroundTruth("neg", "Neg");
        monitor.RecordGroundTruth((string)null!, "pos");
        monitor.RecordGroundTruth("pos", null!);
        monitor.RecordGroundTruth((string)null!, null!);
        monitor.RecordGroundTruth("pos", "pos");

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Classification!.Total, Is.EqualTo(1));
        Assert.That(snapshot.Classification.GetCount(predicted: 1, actual: 1), Is.EqualTo(1));
        Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["unknown_label"] = 5 }));
    }

    [Test]
    public void RecordGroundTruth_WithoutDeclaredLabels_IsRejectedAsNoLabelsDeclared()
    {
        using var monitor = Create(nameof(RecordGroundTruth_WithoutDeclaredLabels_IsRejectedAsNoLabelsDeclared));

        monitor.RecordGroundTruth(0, 1);
        monitor.RecordGroundTruth(true, false);
        monitor.RecordGroundTruth("neg", "pos");
        monitor.RecordGroundTruth(Animal.Cat, Animal.Dog);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Classification, Is.Null);
        Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["no_labels_declared"] = 4 }));
    }

    [Test]
    public void RecordGroundTruth_UndefinedEnumValue_IsRejectedAsLabelOutOfRange()
    {
        using var monitor = Create(nameof(RecordGroundTruth_UndefinedEnumValue_IsRejectedAsLabelOutOfRange), ["cat", "dog", "bird"]);

        monitor.RecordGroundTruth((Animal)99, Animal.Cat);
        monitor.RecordGroundTruth(Animal.Cat, (Animal)(-1));
        monitor.RecordGroundTruth(Animal.Bird, Animal.Bird);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Classification!.Total, Is.EqualTo(1));
        Assert.That(snapshot.Classification.GetCount(predicted: 2, actual: 2), Is.EqualTo(1));
        Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["label_out_of_range"] = 2 }));
    }

    [Test]
    public void RecordGroundTruth_EnumMemberWithoutLabel_IsRejectedAsUnknownLabel()
    {
        using var monitor = Create(nameof(RecordGroundTruth_EnumMemberWithoutLabel_IsRejectedAsUnknownLabel), ["cat", "dog", "bird"]);

        monitor.RecordGroundTruth(Pet.Fish, Pet.Cat);
        monitor.RecordGroundTruth(Pet.Dog, Pet.Fish);
        monitor.RecordGroundTruth(Pet.Dog, Pet.Cat);

        // An undefined value wins over an unknown member when both occur.
        monitor.RecordGroundTruth(Pet.Fish, (Pet)99);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Classification!.Total, Is.EqualTo(1));
        Assert.That(snapshot.Classification.GetCount(predicted: 1, actual: 0), Is.EqualTo(1), "actual cat, predicted dog");
        Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["unknown_label"] = 2, ["label_out_of_range"] = 1 }));
    }

    [Test]
    public void RecordGroundTruth_TwoEnumTypesOnOneMonitor_EachMapsByName()
    {
        using var monitor = Create(nameof(RecordGroundTruth_TwoEnumTypesOnOneMonitor_EachMapsByName), ["cat", "dog", "bird"]);

        // Pet.Dog (1) and Animal.Dog (1) share a value; Animal.Bird (2) and Pet.Fish (2) do too, but Fish has no label.
        monitor.RecordGroundTruth(Animal.Bird, Animal.Bird);
        monitor.RecordGroundTruth(Pet.Fish, Pet.Fish);
        monitor.RecordGroundTruth(Animal.Bird, Animal.Bird);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Classification!.GetCount(predicted: 2, actual: 2), Is.EqualTo(2));
        Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["unknown_label"] = 1 }));
    }

    [Test]
    public void RecordGroundTruth_ByteEnumWithNonContiguousValues_MapsByName()
    {
        using var monitor = Create(nameof(RecordGroundTruth_ByteEnumWithNonContiguousValues_MapsByName), ["neg", "pos"]);

        monitor.RecordGroundTruth(Binary.Pos, Binary.Neg);
        monitor.RecordGroundTruth((Binary)15, Binary.Neg);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Classification!.GetCount(predicted: 1, actual: 0), Is.EqualTo(1));
        Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["label_out_of_range"] = 1 }));
    }

    [Test]
    public void RecordGroundTruth_LongEnumWithValuesFarApart_MapsByName()
    {
        using var monitor = Create(nameof(RecordGroundTruth_LongEnumWithValuesFarApart_MapsByName), ["neg", "pos"]);

        monitor.RecordGroundTruth(Sparse.Pos, Sparse.Neg);
        monitor.RecordGroundTruth((Sparse)5, Sparse.Neg);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Classification!.GetCount(predicted: 1, actual: 0), Is.EqualTo(1));
        Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["label_out_of_range"] = 1 }));
    }

    [TestCase(typeof(HugeRange))]
    [TestCase(typeof(HighBitFlagSet))]
    public void RecordGroundTruth_EnumWhoseValuesSpanMoreThanHalfTheInt64Range_DoesNotThrow(Type enumType)
    {
        using var monitor = Create(nameof(RecordGroundTruth_EnumWhoseValuesSpanMoreThanHalfTheInt64Range_DoesNotThrow) + enumType.Name, ["neg", "pos"]);

        // "Recording never throws": both members have labels, so each pair must be recorded.
        Assert.That(
            () =>
            {
                if (enumType == typeof(HugeRange))
                {
                    monitor.RecordGroundTruth(HugeRange.Pos, HugeRange.Neg);
                }
                else
                {
                    monitor.RecordGroundTruth(HighBitFlagSet.Pos, HighBitFlagSet.Neg);
                }
            },
            Throws.Nothing);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Classification!.GetCount(predicted: 1, actual: 0), Is.EqualTo(1));
        Assert.That(snapshot.Rejected, Is.Empty);
    }

    [Test]
    public void RecordGroundTruth_BoolOnNonBinaryModel_IsRejectedAsLabelOutOfRange()
    {
        using var monitor = Create(nameof(RecordGroundTruth_BoolOnNonBinaryModel_IsRejectedAsLabelOutOfRange), ["cat", "dog", "bird"]);

        monitor.RecordGroundTruth(true, true);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Classification!.Total, Is.Zero);
        Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["label_out_of_range"] = 1 }));
    }

    [Test]
    public void EndBatchCall_EmptyBatch_IsNotCountedAndInFlightReturnsToZero()
    {
        using var monitor = Create(nameof(EndBatchCall_EmptyBatch_IsNotCountedAndInFlightReturnsToZero));

        long start = monitor.StartCall();
        Assert.That(monitor.GetSnapshot().InFlight, Is.EqualTo(1));
        monitor.EndBatchCall(start, itemCount: 0);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.InFlight, Is.Zero);
        Assert.That(snapshot.Calls, Is.Zero);
        Assert.That(snapshot.Items, Is.Zero);
        Assert.That(snapshot.Latency.Count, Is.Zero);
        Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["empty_batch"] = 1 }));

        // The in-flight count stays exact for the calls that follow.
        long next = monitor.StartCall();
        Assert.That(monitor.GetSnapshot().InFlight, Is.EqualTo(1));
        monitor.EndBatchCall(next, itemCount: 3);
        snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.InFlight, Is.Zero);
        Assert.That(snapshot.Calls, Is.EqualTo(1));
        Assert.That(snapshot.Items, Is.EqualTo(3));
    }

    [Test]
    public void EndBatchCall_NegativeItemCount_IsCountedAsOneItemAndRejectedAsInvalidItemCount()
    {
        using var monitor = Create(nameof(EndBatchCall_NegativeItemCount_IsCountedAsOneItemAndRejectedAsInvalidItemCount));

        monitor.EndBatchCall(monitor.StartCall(), itemCount: -3);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Calls, Is.EqualTo(1));
        Assert.That(snapshot.Items, Is.EqualTo(1));
        Assert.That(snapshot.InFlight, Is.Zero);
        Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["invalid_item_count"] = 1 }));
    }

    [Test]
    public void EndCall_StartInTheFuture_RecordsZeroAndRejectsAsNegativeDuration()
    {
        using var monitor = Create(nameof(EndCall_StartInTheFuture_RecordsZeroAndRejectsAsNegativeDuration));

        monitor.StartCall();
        monitor.EndCall(Stopwatch.GetTimestamp() + Stopwatch.Frequency);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Calls, Is.EqualTo(1));
        Assert.That(snapshot.Latency.Sum, Is.LessThan(1e-6), "zero durations land in the first bucket, whose midpoint is below 1 µs");
        Assert.That(snapshot.Rejected, Is.EqualTo(new Dictionary<string, long> { ["negative_duration"] = 1 }));
    }

    [Test]
    public void Recording_AfterDispose_DoesNotThrowAndIsStillCounted()
    {
        var monitor = Create(nameof(Recording_AfterDispose_DoesNotThrowAndIsStillCounted), ["neg", "pos"]);
        monitor.Dispose();
        monitor.Dispose();

        monitor.RecordCall(0.01);
        monitor.RecordGroundTruth(1, 1);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Calls, Is.EqualTo(1));
        Assert.That(snapshot.Classification!.Total, Is.EqualTo(1));
    }

    [Test]
    public void Rejected_EveryReasonAtOnce_IsCountedUnderItsOwnKey()
    {
        using var monitor = Create(nameof(Rejected_EveryReasonAtOnce_IsCountedUnderItsOwnKey), ["neg", "pos"]);
        using var unlabelled = Create(nameof(Rejected_EveryReasonAtOnce_IsCountedUnderItsOwnKey) + ".unlabelled");

        monitor.RecordCall(double.NaN);
        monitor.RecordCall(-1);
        monitor.RecordCall(double.PositiveInfinity);
        monitor.RecordGroundTruth(5, 0);
        monitor.RecordGroundTruth("x", "neg");
        unlabelled.RecordGroundTruth(0, 0);
        monitor.EndBatchCall(monitor.StartCall(), itemCount: 0);
        monitor.EndBatchCall(monitor.StartCall(), itemCount: -1);

        Assert.That(monitor.GetSnapshot().Rejected, Is.EqualTo(new Dictionary<string, long>
        {
            ["nan_duration"] = 1,
            ["negative_duration"] = 1,
            ["over_range_duration"] = 1,
            ["label_out_of_range"] = 1,
            ["unknown_label"] = 1,
            ["empty_batch"] = 1,
            ["invalid_item_count"] = 1,
        }));
        Assert.That(unlabelled.GetSnapshot().Rejected, Is.EqualTo(new Dictionary<string, long> { ["no_labels_declared"] = 1 }));
    }

    private static ModelMonitor Create(string name, string[]? labels = null) =>
        new(new ModelMonitorOptions { ModelName = $"{nameof(BadInputTests)}.{name}", ClassLabels = labels });
}
