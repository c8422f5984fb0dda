// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using ModelMetrics.Signals;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Features;

/// <summary>Feature counts under concurrent writers and a reader: exact per feature, never going back.</summary>
public class FeaturesConcurrencyTests
{
    [Test]
    public void Record_TwoWritersAndASnapshottingReader_CountsExactlyPerFeature()
    {
        const int Writers = 2;
        const int Inputs = 1_000_000;
        FeatureDefinition color = FeatureDefinition.Categorical("color", ["red", "green", "blue"]);
        using ModelMonitor monitor = FeaturesTests.NewMonitor([FeatureDefinition.Numeric("x"), FeatureDefinition.Numeric("y", 0, 1000), color]);
        long[] previous = new long[5];

        var run = new ConcurrentRun(Writers) { MaxReadings = 2_000 };
        run.Execute(
            writer =>
            {
                Span<double> values = stackalloc double[3];
                for (int i = 0; i < Inputs; i++)
                {
                    // Every 10th x is missing, every 7th y is out of range, colors cycle through 4 (the 4th undeclared).
                    values[0] = i % 10 == 0 ? double.NaN : (i * 0.001) - 300;
                    values[1] = i % 7 == 0 ? 2000 : i % 1000;
                    values[2] = (i + writer) % 4 == 3 ? -1 : (i + writer) % 4;
                    monitor.RecordFeatures(values);
                }
            },
            reading =>
            {
                IReadOnlyList<FeatureSnapshot> features = monitor.GetSnapshot().Features!;
                long[] now = [features[0].Count, features[0].Missing, features[1].Count, features[1].Invalid, features[2].Count];
                for (int i = 0; i < now.Length; i++)
                {
                    if (now[i] < previous[i])
                    {
                        run.Problem($"reading {reading}: count {i} went back from {previous[i]} to {now[i]}");
                    }
                }

                now.CopyTo(previous, 0);
            });
        run.AssertClean();

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        IReadOnlyList<FeatureSnapshot> final = snapshot.Features!;
        const long Total = (long)Writers * Inputs;
        long missingX = Writers * (long)((Inputs + 9) / 10);
        long invalidY = Writers * (long)((Inputs + 6) / 7);
        Assert.Multiple(() =>
        {
            Assert.That(final[0].Missing, Is.EqualTo(missingX));
            Assert.That(final[0].Count, Is.EqualTo(Total - missingX));
            Assert.That(final[1].Invalid, Is.EqualTo(invalidY));
            Assert.That(final[1].Count, Is.EqualTo(Total - invalidY));
            Assert.That(final[2].CategoryCounts, Is.EqualTo(new long[] { Total / 4, Total / 4, Total / 4, Total / 4 }), "red, green, blue, _OTHER");
            Assert.That(snapshot.Rejected["invalid_feature"], Is.EqualTo(invalidY));
            Assert.That(snapshot.Rejected["unknown_category"], Is.EqualTo(Total / 4));
        });
    }

    [Test]
    public void Cells_EveryStripeHeld_FallBackToTheSharedArray_AndLoseNothing()
    {
        var cells = new FeatureCells(3);
        var held = new List<long[]>();
        long[] stripe = cells.Acquire(out bool owned);
        while (owned && held.Count < 64)
        {
            FeatureCells.Increment(stripe, 0, owned);
            held.Add(stripe);
            stripe = cells.Acquire(out owned);
        }

        Assert.That(owned, Is.False, "with every stripe held, a writer gets the shared array rather than waiting");
        FeatureCells.Increment(stripe, 1, owned);
        FeatureCells.Increment(stripe, 1, owned);
        FeatureCells.Release(stripe, owned);
        held.ForEach(h => FeatureCells.Release(h, owned: true));
        long[] again = cells.Acquire(out bool ownedAgain);
        FeatureCells.Increment(again, 2, ownedAgain);
        FeatureCells.Release(again, ownedAgain);

        long[] total = new long[3];
        cells.AddTo(total, 0);
        Assert.Multiple(() =>
        {
            Assert.That(held, Has.Count.InRange(1, FeatureCells.MaxStripes));
            Assert.That(ownedAgain, Is.True, "released stripes are free again");
            Assert.That(total, Is.EqualTo(new long[] { held.Count, 2, 1 }));
        });
    }
}
