// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using NUnit.Framework;

namespace ModelMetrics.Tests.Predictors;

public class SmokeTests
{
    [Test]
    public void Predict_ThroughPipeline_RecordsCallsAndGroundTruth()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "smoke", ClassLabels = ["no", "yes"] });
        using var predictor = Predictor.Create<int, bool>(x => x > 5).AsBuilder().UseMetrics(monitor).Build();
        for (int i = 0; i < 10; i++)
        {
            bool predicted = predictor.Predict(i);
            monitor.RecordGroundTruth(predicted, actual: i > 4);
        }

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.That(snapshot.Calls, Is.EqualTo(10));
        Assert.That(snapshot.Latency.Count, Is.EqualTo(10));
        Assert.That(snapshot.Classification!.Accuracy, Is.EqualTo(0.9));
        Assert.That(snapshot.Classification.GetCount(predicted: 0, actual: 1), Is.EqualTo(1));
    }
}
