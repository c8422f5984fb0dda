// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Threading.Tasks;
using ModelMetrics.Recording;
using NUnit.Framework;

namespace ModelMetrics.Tests.Recording;

/// <summary>Issue 18, item 13: the extreme histogram options cost at most 32 MiB per histogram, not 16 MiB per stripe.</summary>
[TestFixture]
public sealed class StripeBudgetTests
{
    [Test]
    public void Default_histograms_keep_every_stripe()
    {
        var layout = HistogramLayout.ForDurations(TimeSpan.FromMicroseconds(1), TimeSpan.FromHours(1), 2);
        var cells = new StripedCells(layout.BucketCount);

        Assert.That(cells.StripeCount, Is.EqualTo(Stripes.Count));
    }

    [Test]
    public void The_widest_range_at_five_digits_gets_fewer_stripes_within_32_MiB_and_still_counts_exactly()
    {
        var layout = HistogramLayout.ForDurations(TimeSpan.FromTicks(1), TimeSpan.FromDays(1), 5);
        var cells = new StripedCells(layout.BucketCount);
        long bytes = cells.StripeCount * (layout.BucketCount + (2L * Stripes.Padding)) * sizeof(long);

        TestContext.Out.WriteLine($"{layout.BucketCount:N0} buckets, {cells.StripeCount} stripe(s), {bytes / (1 << 20):N1} MiB at most");
        Assert.That(layout.BucketCount, Is.GreaterThan(1_000_000), "the extreme layout");
        Assert.That(cells.StripeCount, Is.LessThan(Stripes.Count).Or.EqualTo(1));
        Assert.That(bytes, Is.LessThanOrEqualTo(StripedCells.MaxBytes));

        // Threads on every processor share the few stripes; no count is lost.
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            for (int i = 0; i < 100_000; i++)
            {
                cells.Increment(i % 3);
            }
        });
        Assert.That(cells.Sum(0) + cells.Sum(1) + cells.Sum(2), Is.EqualTo(800_000));
    }
}
