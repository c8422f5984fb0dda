// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using NUnit.Framework;

namespace ModelMetrics.Tests.Monitoring;

/// <summary>Every invalid option throws <see cref="ArgumentException"/> at construction, naming the option.</summary>
public class OptionsValidationTests
{
    private static readonly string LongName = new('m', 256);

    [TestCase(null)]
    [TestCase("")]
    [TestCase("   ")]
    [TestCase("\t\n")]
    public void Constructor_MissingModelName_ThrowsForModelName(string? name) =>
        AssertInvalid(o => o.ModelName = name!, "ModelName");

    [Test]
    public void Constructor_ModelNameLongerThan255_ThrowsForModelName() =>
        AssertInvalid(o => o.ModelName = LongName, "ModelName");

    [TestCase("")]
    [TestCase(" ")]
    public void Constructor_BlankModelVersion_ThrowsForModelVersion(string version) =>
        AssertInvalid(o => o.ModelVersion = version, "ModelVersion");

    [Test]
    public void Constructor_ModelVersionLongerThan255_ThrowsForModelVersion() =>
        AssertInvalid(o => o.ModelVersion = LongName, "ModelVersion");

    private static IEnumerable<TestCaseData> InvalidLabels()
    {
        yield return new TestCaseData((object)Array.Empty<string>()).SetArgDisplayNames("no labels");
        yield return new TestCaseData((object)new[] { "only" }).SetArgDisplayNames("one label");
        yield return new TestCaseData((object)new[] { "a", "b", "a" }).SetArgDisplayNames("duplicate");
        yield return new TestCaseData((object)new[] { "a", "" }).SetArgDisplayNames("empty label");
        yield return new TestCaseData((object)new[] { "a", null }).SetArgDisplayNames("null label");
        yield return new TestCaseData((object)Enumerable.Range(0, 4097).Select(i => $"l{i}").ToArray()).SetArgDisplayNames("4097 labels");
    }

    [TestCaseSource(nameof(InvalidLabels))]
    public void Constructor_InvalidClassLabels_ThrowsForClassLabels(string[] labels) =>
        AssertInvalid(o => o.ClassLabels = labels, "ClassLabels");

    [TestCase(0)]
    [TestCase(-1)]
    public void Constructor_NonPositiveLatencyLowest_ThrowsForLatencyLowest(int microseconds) =>
        AssertInvalid(o => o.LatencyLowest = TimeSpan.FromMicroseconds(microseconds), "LatencyLowest");

    [TestCase(1.0)]
    [TestCase(0.5)]
    public void Constructor_LatencyHighestNotAboveLowest_ThrowsForLatencyHighest(double highestOverLowest) =>
        AssertInvalid(
            o =>
            {
                o.LatencyLowest = TimeSpan.FromMilliseconds(10);
                o.LatencyHighest = TimeSpan.FromMilliseconds(10 * highestOverLowest);
            },
            "LatencyHighest");

    [Test]
    public void Constructor_LatencyHighestAboveOneDay_ThrowsForLatencyHighest() =>
        AssertInvalid(o => o.LatencyHighest = TimeSpan.FromDays(1) + TimeSpan.FromSeconds(1), "LatencyHighest");

    [TestCase(0)]
    [TestCase(6)]
    [TestCase(-1)]
    public void Constructor_LatencyPrecisionOutsideOneToFive_ThrowsForLatencyPrecision(int digits) =>
        AssertInvalid(o => o.LatencyPrecision = digits, "LatencyPrecision");

    [TestCase(999)]
    [TestCase(0)]
    [TestCase(-1000)]
    [TestCase(604_800_001)]
    public void Constructor_WindowOutsideOneSecondToSevenDays_ThrowsForWindows(long milliseconds) =>
        AssertInvalid(o => o.Windows = [TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(milliseconds)], "Windows");

    private static IEnumerable<TestCaseData> InvalidBoundaries()
    {
        yield return new TestCaseData((object)null!).SetArgDisplayNames("null");
        yield return new TestCaseData((object)Array.Empty<double>()).SetArgDisplayNames("empty");
        yield return new TestCaseData((object)new[] { 0.1, 0.1 }).SetArgDisplayNames("equal");
        yield return new TestCaseData((object)new[] { 0.1, 0.5, 0.2 }).SetArgDisplayNames("decreasing");
        yield return new TestCaseData((object)new[] { 0.1, double.NaN }).SetArgDisplayNames("NaN");
        yield return new TestCaseData((object)new[] { double.NaN }).SetArgDisplayNames("only NaN");
        yield return new TestCaseData((object)new[] { -1.0, 1.0 }).SetArgDisplayNames("negative");
        yield return new TestCaseData((object)new[] { 0.0, 1.0 }).SetArgDisplayNames("zero");
        yield return new TestCaseData((object)new[] { 1.0, double.PositiveInfinity }).SetArgDisplayNames("infinity");
        yield return new TestCaseData((object)Enumerable.Range(1, 65).Select(i => i * 0.01).ToArray()).SetArgDisplayNames("65 values");
    }

    [TestCaseSource(nameof(InvalidBoundaries))]
    public void Constructor_InvalidBucketBoundaries_ThrowsForBucketBoundaries(double[]? boundaries) =>
        AssertInvalid(o => o.BucketBoundaries = boundaries!, "BucketBoundaries");

    [TestCase(1)]
    [TestCase(0)]
    [TestCase(257)]
    public void Constructor_MaxMatrixClassesOutsideTwoTo256_ThrowsForMaxMatrixClasses(int max) =>
        AssertInvalid(o => o.MaxMatrixClasses = max, "MaxMatrixClasses");

    [TestCase(null)]
    [TestCase("")]
    [TestCase(" ")]
    public void Constructor_BlankMeterName_ThrowsForMeterName(string? meterName) =>
        AssertInvalid(o => o.MeterName = meterName!, "MeterName");

    [Test]
    public void Constructor_NullTimeProvider_ThrowsForTimeProvider() =>
        AssertInvalid(o => o.TimeProvider = null!, "TimeProvider");

    [Test]
    public void Constructor_NullOptions_ThrowsArgumentNullException() =>
        Assert.That(() => new ModelMonitor(null!), Throws.ArgumentNullException.With.Property("ParamName").EqualTo("options"));

    [Test]
    public void Constructor_ValuesAtTheLimits_AreAccepted()
    {
        var options = new ModelMonitorOptions
        {
            ModelName = new string('m', 255),
            ModelVersion = new string('v', 255),
            ClassLabels = ["a", "b"],
            LatencyLowest = TimeSpan.FromTicks(1),
            LatencyHighest = TimeSpan.FromDays(1),
            LatencyPrecision = 1,
            Windows = [TimeSpan.FromSeconds(1), TimeSpan.FromDays(7), .. Enumerable.Range(2, 6).Select(i => TimeSpan.FromSeconds(i))],
            BucketBoundaries = Enumerable.Range(1, 64).Select(i => i * 0.01).ToArray(),
            MaxMatrixClasses = 2,
        };

        using var monitor = new ModelMonitor(options);

        Assert.That(monitor.ModelName, Has.Length.EqualTo(255));
        Assert.That(monitor.ModelVersion, Has.Length.EqualTo(255));
        Assert.That(monitor.ClassLabels, Is.EqualTo(new[] { "a", "b" }));
        Assert.That(monitor.GetSnapshot().Classification!.HasMatrix, Is.True);
    }

    [Test]
    public void Constructor_HighestPrecisionAndOtherLimits_AreAccepted()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = nameof(Constructor_HighestPrecisionAndOtherLimits_AreAccepted),
            LatencyPrecision = 5,
            LatencyHighest = TimeSpan.FromSeconds(10),
            Windows = [TimeSpan.FromDays(7)],
            MaxMatrixClasses = 256,
            ClassLabels = Enumerable.Range(0, 4096).Select(i => $"l{i}").ToArray(),
        });

        Assert.That(monitor.Calls.Latency.Histogram.Layout.MaxRelativeError, Is.LessThanOrEqualTo(1e-5));
        Assert.That(monitor.ClassLabels, Has.Count.EqualTo(4096));
        Assert.That(monitor.GetSnapshot().Classification!.HasMatrix, Is.False);
    }

    [Test]
    public void Constructor_CopiesTheLabels_SoLaterChangesToTheListDoNotMatter()
    {
        string[] labels = ["neg", "pos"];
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(Constructor_CopiesTheLabels_SoLaterChangesToTheListDoNotMatter), ClassLabels = labels });

        labels[0] = "changed";

        Assert.That(monitor.ClassLabels, Is.EqualTo(new[] { "neg", "pos" }));
        Assert.That(monitor.GetLabelIndex("neg"), Is.Zero);
    }

    [TestCase(0)]
    [TestCase(9)]
    public void Windows_WrongCount_Throws(int count)
    {
        TimeSpan[] windows = Enumerable.Range(1, count).Select(i => TimeSpan.FromMinutes(i)).ToArray();
        var error = Assert.Throws<ArgumentException>(() => new ModelMonitor(new ModelMonitorOptions { ModelName = "qw", Windows = windows }));
        Assert.That(error!.ParamName, Is.EqualTo("Windows"));
        Assert.That(error.Message, Does.StartWith("Windows must hold 1 to 8 distinct lengths from 1 second to 7 days."));
    }

    [Test]
    public void Windows_DuplicateOrOutOfRange_Throws()
    {
        Assert.That(() => new ModelMonitor(new ModelMonitorOptions { ModelName = "qw", Windows = [TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)] }).Dispose(), Throws.ArgumentException.With.Property("ParamName").EqualTo("Windows"));
        Assert.That(() => new ModelMonitor(new ModelMonitorOptions { ModelName = "qw", Windows = [TimeSpan.FromMilliseconds(10)] }).Dispose(), Throws.ArgumentException.With.Property("ParamName").EqualTo("Windows"));
        Assert.That(() => new ModelMonitor(new ModelMonitorOptions { ModelName = "qw", Windows = [TimeSpan.FromDays(8)] }).Dispose(), Throws.ArgumentException.With.Property("ParamName").EqualTo("Windows"));
        Assert.That(() => new ModelMonitor(new ModelMonitorOptions { ModelName = "qw", Windows = null! }).Dispose(), Throws.ArgumentException.With.Property("ParamName").EqualTo("Windows"));
    }

    private static void AssertInvalid(Action<ModelMonitorOptions> configure, string option)
    {
        var options = new ModelMonitorOptions { ModelName = $"{nameof(OptionsValidationTests)}.{option}" };
        configure(options);

        Assert.That(() => new ModelMonitor(options).Dispose(), Throws.InstanceOf<ArgumentException>().With.Property("ParamName").EqualTo(option));
    }
}
