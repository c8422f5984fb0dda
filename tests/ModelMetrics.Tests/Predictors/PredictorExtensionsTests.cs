// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Linq;
using NUnit.Framework;

namespace ModelMetrics.Tests.Predictors;

public class PredictorExtensionsTests
{
    [Test]
    public void GetService_MetricsDecoratorInsidePipeline_ReturnsItsMonitor()
    {
        using var monitor = NewMonitor();
        using IPredictor<int, int> predictor = Predictor.Create<int, int>(x => x).AsBuilder()
            .Use(inner => new PassThrough(inner))
            .UseMetrics(monitor)
            .Use(inner => new PassThrough(inner))
            .Build();

        ModelMonitor? found = predictor.GetService<ModelMonitor>();

        Assert.That(found, Is.SameAs(monitor));
    }

    [Test]
    public void GetService_OwnedMonitor_ReturnsTheMonitorItRecordsInto()
    {
        string name = "owned-" + Guid.NewGuid();
        using IPredictor<int, int> predictor = Predictor.Create<int, int>(x => x).AsBuilder()
            .Use(inner => new PassThrough(inner))
            .UseMetrics(o => o.ModelName = name)
            .Build();

        predictor.Predict(1);
        predictor.Predict(2);
        ModelMonitor? found = predictor.GetService<ModelMonitor>();

        Assert.That(found, Is.Not.Null);
        Assert.That(found!.ModelName, Is.EqualTo(name));
        Assert.That(found.GetSnapshot().Calls, Is.EqualTo(2));
    }

    [Test]
    public void GetService_OuterDecoratorType_ReturnsOutermostOfThatType()
    {
        using IPredictor<int, int> predictor = Predictor.Create<int, int>(x => x).AsBuilder()
            .Use(inner => new PassThrough(inner))
            .Use(inner => new PassThrough(inner))
            .Build();

        Assert.That(predictor.GetService<PassThrough>(), Is.SameAs(predictor));
    }

    [Test]
    public void GetService_AbsentService_ReturnsNull()
    {
        using IPredictor<int, int> predictor = Predictor.Create<int, int>(x => x).AsBuilder()
            .Use(inner => new PassThrough(inner))
            .Build();

        Assert.That(predictor.GetService<ModelMonitor>(), Is.Null);
        Assert.That(predictor.GetService<string>(), Is.Null);
    }

    [Test]
    public void GetService_WithKey_ReturnsNull()
    {
        using var monitor = NewMonitor();
        using IPredictor<int, int> predictor = Predictor.Create<int, int>(x => x).AsBuilder().UseMetrics(monitor).Build();

        Assert.That(predictor.GetService<ModelMonitor>(), Is.SameAs(monitor));
        Assert.That(predictor.GetService<MetricsPredictor<int, int>>(), Is.SameAs(predictor));
        Assert.That(predictor.GetService<ModelMonitor>("some-key"), Is.Null);
        Assert.That(predictor.GetService<MetricsPredictor<int, int>>(serviceKey: "some-key"), Is.Null);
    }

    [Test]
    public void GetService_PredictorsOfDifferentTypesHeldAsIPredictor_FindsEachMonitor()
    {
        using var numbers = NewMonitor();
        using var words = new ModelMonitor(new ModelMonitorOptions { ModelName = "extensions-words" });
        using IPredictor<int, int> numberPredictor = Predictor.Create<int, int>(x => x).AsBuilder().UseMetrics(numbers).Build();
        using IPredictor<string, bool> wordPredictor = Predictor.Create<string, bool>(s => s.Length > 3).AsBuilder().UseMetrics(words).Build();
        IPredictor[] predictors = [numberPredictor, wordPredictor];

        Assert.That(predictors.Select(p => p.GetService<ModelMonitor>()), Is.EqualTo(new[] { numbers, words }));
    }

    [Test]
    public void GetService_NullPredictor_ThrowsArgumentNull()
    {
        IPredictor<int, int> predictor = null!;

        var error = Assert.Throws<ArgumentNullException>(() => predictor.GetService<ModelMonitor>());

        Assert.That(error!.ParamName, Is.EqualTo("predictor"));
    }

    private static ModelMonitor NewMonitor() =>
        new(new ModelMonitorOptions { ModelName = "extensions-" + TestContext.CurrentContext.Test.Name });

    private sealed class PassThrough(IPredictor<int, int> inner) : DelegatingPredictor<int, int>(inner);
}
