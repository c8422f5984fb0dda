// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using NUnit.Framework;

namespace ModelMetrics.Tests.Predictors;

public class PredictorBuilderTests
{
    [Test]
    public void Build_Factory_CalledWithServicesPassedToBuild()
    {
        var services = new OneServiceProvider(typeof(string), "configured");
        IServiceProvider? seenByFactory = null;
        IServiceProvider? seenByDecorator = null;
        using IPredictor<int, int> model = Predictor.Create<int, int>(x => x);
        var builder = new PredictorBuilder<int, int>(s =>
        {
            seenByFactory = s;
            return model;
        }).Use((inner, s) =>
        {
            seenByDecorator = s;
            return inner;
        });

        IPredictor<int, int> predictor = builder.Build(services);

        Assert.That(seenByFactory, Is.SameAs(services));
        Assert.That(seenByDecorator, Is.SameAs(services));
        Assert.That(predictor, Is.SameAs(model));
    }

    [Test]
    public void Build_FactoryWithoutServices_GetsEmptyProvider()
    {
        IServiceProvider? seenByFactory = null;
        var builder = new PredictorBuilder<int, int>(s =>
        {
            seenByFactory = s;
            return Predictor.Create<int, int>(x => x);
        });

        using IPredictor<int, int> predictor = builder.Build();

        Assert.That(seenByFactory, Is.Not.Null);
        Assert.That(seenByFactory!.GetService(typeof(IServiceProvider)), Is.Null);
    }

    [Test]
    public void Build_Factory_DecoratorsWrapItsResult()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "builder-" + TestContext.CurrentContext.Test.Name });
        var order = new List<string>();
        var services = new OneServiceProvider(typeof(int), 10);
        var builder = new PredictorBuilder<int, int>(s => Predictor.Create<int, int>(x =>
            {
                order.Add("model");
                return x * (int)s.GetService(typeof(int))!;
            }))
            .Use(inner => new Recording(inner, "outer", order))
            .UseMetrics(monitor);

        using IPredictor<int, int> predictor = builder.Build(services);
        int output = predictor.Predict(4);

        Assert.That(output, Is.EqualTo(40));
        Assert.That(order, Is.EqualTo(new[] { "outer", "model" }));
        Assert.That(predictor, Is.InstanceOf<Recording>());
        Assert.That(monitor.GetSnapshot().Succeeded, Is.EqualTo(1));
    }

    [Test]
    public void Build_CalledTwice_CallsFactoryEachTime()
    {
        int factoryCalls = 0;
        var builder = new PredictorBuilder<int, int>(_ =>
        {
            int n = ++factoryCalls;
            return Predictor.Create<int, int>(x => x + n);
        });

        using IPredictor<int, int> first = builder.Build();
        using IPredictor<int, int> second = builder.Build();

        Assert.That(factoryCalls, Is.EqualTo(2));
        Assert.That(first, Is.Not.SameAs(second));
        Assert.That(first.Predict(0), Is.EqualTo(1));
        Assert.That(second.Predict(0), Is.EqualTo(2));
    }

    [Test]
    public void Build_FactoryReturnsNull_ThrowsInvalidOperation()
    {
        bool decoratorCalled = false;
        var builder = new PredictorBuilder<int, int>(_ => null!).Use(inner =>
        {
            decoratorCalled = true;
            return inner;
        });

        var error = Assert.Throws<InvalidOperationException>(() => builder.Build());

        Assert.That(error!.Message, Does.Contain("factory").And.Contain("returned null"));
        Assert.That(decoratorCalled, Is.False);
    }

    [Test]
    public void Constructor_NullFactory_ThrowsArgumentNull()
    {
        var error = Assert.Throws<ArgumentNullException>(() => new PredictorBuilder<int, int>((Func<IServiceProvider, IPredictor<int, int>>)null!));

        Assert.That(error!.ParamName, Is.EqualTo("innerPredictorFactory"));
    }

    private sealed class OneServiceProvider(Type serviceType, object service) : IServiceProvider
    {
        public object? GetService(Type type) => type == serviceType ? service : null;
    }

    private sealed class Recording(IPredictor<int, int> inner, string name, List<string> order) : DelegatingPredictor<int, int>(inner)
    {
        public override int Predict(int input)
        {
            order.Add(name);
            return base.Predict(input);
        }
    }
}
