// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Linq;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Reliability;

/// <summary>
/// Guarantees that broke under hostile but realistic use (issue 18): each test failed before its fix.
/// </summary>
public class GuaranteesRoundTwoTests
{
    private enum Animal
    {
        Cat,
        Dog,
    }

    /// <summary>Item 6: the delay histogram covers the store's longest time to live, so a 90-day label is not clamped to 30 days.</summary>
    [Test]
    public void RecordLabel_AfterNinetyDays_DelayIsNinetyDaysAndNothingIsRejected()
    {
        var time = new FakeTimeProvider();
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = nameof(RecordLabel_AfterNinetyDays_DelayIsNinetyDaysAndNothingIsRejected),
            ClassLabels = ["no", "yes"],
            PendingTimeToLive = TimeSpan.FromDays(365),
            TimeProvider = time,
        });
        monitor.RecordPrediction("late", predictedClass: 1);
        time.Advance(TimeSpan.FromDays(90));

        Assert.That(monitor.RecordLabel("late", actualClass: 1), Is.True);
        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Labels.Delay.Count, Is.EqualTo(1));
            Assert.That(snapshot.Labels.Delay.P50, Is.EqualTo(TimeSpan.FromDays(90).TotalSeconds).Within(1).Percent);
            Assert.That(snapshot.Labels.Delay.CountAtOrBelow(2592000), Is.Zero, "not at or below the 30-day boundary");
            Assert.That(snapshot.Rejected, Is.Empty);
        });
    }

    /// <summary>Item 7: scores that are not probabilities (all ones, all zeros) are rejected, not scored as a perfect model.</summary>
    [TestCase(new float[] { 1, 1, 1 })]
    [TestCase(new float[] { 0, 0, 0 })]
    [TestCase(new float[] { 0.5f, 0.5f, 0.5f })]
    [TestCase(new float[] { 0.2f, 0.2f, 0.2f })]
    public void RecordGroundTruth_ProbabilitiesNotSummingToOne_AreRejected(float[] probabilities)
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(RecordGroundTruth_ProbabilitiesNotSummingToOne_AreRejected), ClassLabels = ["a", "b", "c"] });
        monitor.RecordGroundTruth(probabilities, actual: 0);
        monitor.RecordPrediction(probabilities);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Classification!.Total, Is.Zero);
            Assert.That(snapshot.Classification.ScoredCount, Is.Zero);
            Assert.That(snapshot.Rejected["invalid_probabilities"], Is.EqualTo(2));
        });
    }

    /// <summary>Item 7: a softmax computed in single precision (sum off by rounding) is still accepted.</summary>
    [Test]
    public void RecordGroundTruth_SoftmaxInSinglePrecision_IsAccepted()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(RecordGroundTruth_SoftmaxInSinglePrecision_IsAccepted), ClassLabels = ["a", "b", "c", "d", "e", "f", "g"] });
        float[] logits = [0.1f, 2.3f, -1.7f, 0.9f, 3.3f, -0.2f, 1.1f];
        float[] probabilities = new float[logits.Length];
        float total = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            probabilities[i] = MathF.Exp(logits[i]);
            total += probabilities[i];
        }

        for (int i = 0; i < logits.Length; i++)
        {
            probabilities[i] /= total;
        }

        monitor.RecordGroundTruth(probabilities, actual: 4);
        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Classification!.ScoredCount, Is.EqualTo(1));
        Assert.That(snapshot.Classification.Accuracy, Is.EqualTo(1.0), "class 4 has the largest logit");
        Assert.That(snapshot.Rejected, Is.Empty);
    }

    /// <summary>Item 9: an enum member maps to the label that matches it exactly before one that matches ignoring case.</summary>
    [Test]
    public void RecordGroundTruth_EnumWithLabelsDifferingByCase_MapsExactMatchFirst()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(RecordGroundTruth_EnumWithLabelsDifferingByCase_MapsExactMatchFirst), ClassLabels = ["cat", "Cat", "dog"] });
        monitor.RecordGroundTruth(Animal.Cat, Animal.Cat);
        monitor.RecordGroundTruth(Animal.Dog, Animal.Cat);

        ClassificationSnapshot quality = monitor.GetSnapshot().Classification!;
        Assert.Multiple(() =>
        {
            Assert.That(quality.GetCount(predicted: 1, actual: 1), Is.EqualTo(1), "Animal.Cat is the label 'Cat'");
            Assert.That(quality.GetCount(predicted: 0, actual: 0), Is.Zero, "not the label 'cat'");
            Assert.That(quality.GetCount(predicted: 2, actual: 1), Is.EqualTo(1), "Animal.Dog matches 'dog' ignoring case");
        });
    }

    /// <summary>Item 12: an exception type named like a reserved outcome does not merge with it.</summary>
    [Test]
    public void RecordCall_ExceptionTypeNamedTimeout_IsKeptApartFromTimeouts()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(RecordCall_ExceptionTypeNamedTimeout_IsKeptApartFromTimeouts) });
        monitor.RecordCall(0.01, new TimeoutException());
        monitor.RecordCall(0.01, new TimeoutException());
        for (int i = 0; i < 3; i++)
        {
            monitor.RecordCall(0.01, new timeout());
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Failures["timeout"], Is.EqualTo(2));
            Assert.That(snapshot.Failures["global::timeout"], Is.EqualTo(3));
            Assert.That(snapshot.Failed, Is.EqualTo(5));
        });
    }

    /// <summary>Item 12: the reserved class name of the overflow series cannot be declared.</summary>
    [Test]
    public void Constructor_LabelNamedOther_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new ModelMonitor(new ModelMonitorOptions { ModelName = "reserved", ClassLabels = ["a", "_OTHER"] }));
        Assert.That(error!.ParamName, Is.EqualTo("ClassLabels"));
        Assert.That(error.Message, Does.Contain("_OTHER"));
    }

    /// <summary>Item 13: class labels are attribute values, bounded like model names.</summary>
    [Test]
    public void Constructor_LabelLongerThan255Characters_Throws()
    {
        using (new ModelMonitor(new ModelMonitorOptions { ModelName = "long-label-ok", ClassLabels = ["a", new string('x', 255)] }))
        {
        }

        var error = Assert.Throws<ArgumentException>(() => new ModelMonitor(new ModelMonitorOptions { ModelName = "long-label", ClassLabels = ["a", new string('x', 1_000_000)] }));
        Assert.That(error!.ParamName, Is.EqualTo("ClassLabels"));
    }

    /// <summary>
    /// Item 1: two live monitors of one model (name and version) on one meter would export one series with either's
    /// values; the second is refused at construction, the first keeps publishing exactly, and once the first is
    /// disposed a new one may take its place.
    /// </summary>
    [Test]
    public void Constructor_SecondLiveMonitorOfTheSameModelOnTheSameMeter_IsRefusedAndTheFirstPublishesExactly()
    {
        string meter = ReliabilityHelpers.MeterName();
        string model = ReliabilityHelpers.ModelName();
        using var collector = new MeasurementCollector(meter);
        var first = new ModelMonitor(new ModelMonitorOptions { ModelName = model, ModelVersion = "1", MeterName = meter });
        for (int i = 0; i < 100; i++)
        {
            first.RecordCall(0.01);
        }

        var error = Assert.Throws<ArgumentException>(() => new ModelMonitor(new ModelMonitorOptions { ModelName = model, ModelVersion = "1", MeterName = meter }));
        Assert.That(error!.ParamName, Is.EqualTo("ModelName"));
        Assert.That(error.Message, Does.Contain(model).And.Contain(meter));

        // A registry of its own does not make a second series on the same meter acceptable.
        Assert.Throws<ArgumentException>(() => new ModelMonitor(new ModelMonitorOptions { ModelName = model, ModelVersion = "1", MeterName = meter, Registry = new ModelMonitorRegistry() }));

        // Another version, or the same model on another meter, is another series: allowed.
        using (new ModelMonitor(new ModelMonitorOptions { ModelName = model, ModelVersion = "2", MeterName = meter }))
        using (new ModelMonitor(new ModelMonitorOptions { ModelName = model, ModelVersion = "1", MeterName = meter + ".other" }))
        {
            double calls = collector.Collect(model).Where(o => o.Instrument == "model.inference.calls" && o.Tag("model.version") == "1").Sum(o => o.Value);
            Assert.That(calls, Is.EqualTo(100), "the first monitor's series, alone");
        }

        first.Dispose();
        using var next = new ModelMonitor(new ModelMonitorOptions { ModelName = model, ModelVersion = "1", MeterName = meter });
        next.RecordCall(0.01);
        double after = collector.Collect(model).Where(o => o.Instrument == "model.inference.calls" && o.Tag("model.version") == "1").Sum(o => o.Value);
        Assert.That(after, Is.EqualTo(1), "the new monitor's own series once the first is gone");
    }

    /// <summary>Item 1: a pipeline that owns its monitor, built twice while the first lives, fails at the second Build.</summary>
    [Test]
    public void Build_PipelineWithOwnMonitorBuiltTwice_SecondBuildFailsUntilTheFirstIsDisposed()
    {
        string meter = ReliabilityHelpers.MeterName();
        string model = ReliabilityHelpers.ModelName();
        PredictorBuilder<int, int> builder = Predictor.Create<int, int>(x => x + 1).AsBuilder().UseMetrics(o =>
        {
            o.ModelName = model;
            o.MeterName = meter;
        });
        IPredictor<int, int> first = builder.Build();
        Assert.Throws<ArgumentException>(() => builder.Build());
        first.Dispose();
        using IPredictor<int, int> second = builder.Build();
        Assert.That(second.Predict(1), Is.EqualTo(2));
        Assert.That(second.GetService<ModelMonitor>()!.GetSnapshot().Calls, Is.EqualTo(1));
    }
}
