// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using ModelMetrics.Recording;
using NUnit.Framework;

namespace ModelMetrics.Tests.Recording;

public class RecordingCoreTests
{
    [Test]
    public void StripedHistogram_Record_InRangeValues_CountsEachInItsBucket()
    {
        var layout = new HistogramLayout(1000, 3_600_000_000_000, 2);
        var rejections = new Rejections();
        var histogram = new StripedHistogram(layout, rejections);

        histogram.Record(0);
        histogram.Record(1000);
        histogram.Record(1000);
        histogram.Record(123_456_789);
        histogram.Record(layout.Highest);

        var counts = new long[layout.BucketCount];
        histogram.AddTo(counts);

        Assert.That(counts.Sum(), Is.EqualTo(5));
        Assert.That(counts[0], Is.EqualTo(1));
        Assert.That(counts[layout.IndexOf(1000)], Is.EqualTo(2));
        Assert.That(counts[layout.IndexOf(123_456_789)], Is.EqualTo(1));
        Assert.That(counts[layout.IndexOf(layout.Highest)], Is.EqualTo(1));
        Assert.That(rejections.NonZero(), Is.Empty);
    }

    [Test]
    public void StripedHistogram_Record_NegativeValues_RecordAsZeroAndAreCounted()
    {
        var layout = new HistogramLayout(1000, 1_000_000, 2);
        var rejections = new Rejections();
        var histogram = new StripedHistogram(layout, rejections);

        histogram.Record(-1);
        histogram.Record(long.MinValue);

        var counts = new long[layout.BucketCount];
        histogram.AddTo(counts);

        Assert.That(counts[0], Is.EqualTo(2));
        Assert.That(counts.Sum(), Is.EqualTo(2));
        Assert.That(rejections[RejectionReason.NegativeDuration], Is.EqualTo(2));
        Assert.That(rejections[RejectionReason.OverRangeDuration], Is.Zero);
    }

    [Test]
    public void StripedHistogram_Record_OverRangeValues_RecordAsHighestAndAreCounted()
    {
        var layout = new HistogramLayout(1000, 1_000_000, 2);
        var rejections = new Rejections();
        var histogram = new StripedHistogram(layout, rejections);

        histogram.Record(1_000_001);
        histogram.Record(long.MaxValue);

        var counts = new long[layout.BucketCount];
        histogram.AddTo(counts);

        Assert.That(counts[layout.IndexOf(1_000_000)], Is.EqualTo(2));
        Assert.That(rejections[RejectionReason.OverRangeDuration], Is.EqualTo(2));
        Assert.That(rejections[RejectionReason.NegativeDuration], Is.Zero);
    }

    [Test]
    public void StripedHistogram_AddTo_AddsToTheTargetRatherThanOverwriting()
    {
        var layout = new HistogramLayout(1, 1000, 2);
        var histogram = new StripedHistogram(layout, new Rejections());
        histogram.Record(5);

        var counts = new long[layout.BucketCount];
        counts[layout.IndexOf(5)] = 10;
        histogram.AddTo(counts);

        Assert.That(counts[layout.IndexOf(5)], Is.EqualTo(11));
    }

    [Test]
    public void Rejections_NonZero_NamesEveryReasonAsPublished()
    {
        var documented = new Dictionary<RejectionReason, string>
        {
            [RejectionReason.NanDuration] = "nan_duration",
            [RejectionReason.NegativeDuration] = "negative_duration",
            [RejectionReason.OverRangeDuration] = "over_range_duration",
            [RejectionReason.LabelOutOfRange] = "label_out_of_range",
            [RejectionReason.UnknownLabel] = "unknown_label",
            [RejectionReason.NoLabelsDeclared] = "no_labels_declared",
            [RejectionReason.EmptyBatch] = "empty_batch",
            [RejectionReason.InvalidItemCount] = "invalid_item_count",
        };

        // Reason number r is counted r + 1 times, so every name must carry its own reason's count.
        var rejections = new Rejections();
        RejectionReason[] reasons = Enum.GetValues<RejectionReason>();
        foreach (RejectionReason reason in reasons)
        {
            for (int n = 0; n <= (int)reason; n++)
            {
                rejections.Count(reason);
            }
        }

        Dictionary<string, long> counted = rejections.NonZero().ToDictionary(p => p.Key, p => p.Value);
        Assert.That(counted, Has.Count.EqualTo(reasons.Length), "one distinct name per reason");
        foreach ((RejectionReason reason, string name) in documented)
        {
            Assert.That(counted, Does.ContainKey(name).WithValue((long)reason + 1), name);
            Assert.That(rejections[reason], Is.EqualTo((long)reason + 1), name);
        }
    }

    [Test]
    public void Rejections_NothingCounted_NonZeroIsEmpty()
    {
        Assert.That(new Rejections().NonZero(), Is.Empty);
    }

    [Test]
    public void StripedCells_AddAndIncrement_SumOverStripes()
    {
        var cells = new StripedCells(3);
        cells.Increment(0);
        cells.Add(1, 40);
        cells.Add(1, 2);
        cells.Add(2, -5);

        var target = new long[3];
        cells.AddTo(target);

        Assert.That(target, Is.EqualTo(new long[] { 1, 42, -5 }));
        Assert.That(cells.Sum(1), Is.EqualTo(42));
        Assert.That(() => new StripedCells(0), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Shards_Count_IsAPowerOfTwoBetweenTwoAndSixtyFour_AndCoversTwiceTheProcessors()
    {
        Assert.That(Stripes.Count & (Stripes.Count - 1), Is.Zero);
        Assert.That(Stripes.Count, Is.InRange(2, 64));
        Assert.That(Stripes.Count, Is.GreaterThanOrEqualTo(Math.Min(64, 2 * Environment.ProcessorCount)));
        Assert.That(Stripes.Current(), Is.InRange(0, Stripes.Count - 1));
    }
}
