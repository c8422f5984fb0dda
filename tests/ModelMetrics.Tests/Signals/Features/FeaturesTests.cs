// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using ModelMetrics.Signals;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Features;

/// <summary>The input-drift signal: declaration, recording and bad values, reference, drift per window, instruments.</summary>
public class FeaturesTests
{
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Test]
    public void Layout_EveryValue_FallsBetweenItsBucketEdges_AndReadsWithinStatedError()
    {
        var random = new Random(11);
        var values = new List<double> { 0, -0.0, 1, -1, 1e-7, -1e-7, Math.Pow(2, -20), -Math.Pow(2, -20), 1e20, -1e20, double.MaxValue, -double.MaxValue, double.Epsilon };
        for (int i = 0; i < 20_000; i++)
        {
            values.Add((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-8, 14)));
        }

        Assert.Multiple(() =>
        {
            int previous = -1;
            foreach (double v in values.Order())
            {
                int index = FeatureLayout.IndexOf(v);
                Assert.That(index, Is.InRange(0, FeatureLayout.BucketCount - 1), $"{v}");
                Assert.That(index, Is.GreaterThanOrEqualTo(previous), $"buckets follow the values' order at {v}");
                previous = index;
                Assert.That(FeatureLayout.LowerEdge(index), Is.LessThanOrEqualTo(v), $"lower edge of {v}");
                Assert.That(v, Is.LessThan(FeatureLayout.LowerEdge(index + 1)), $"upper edge of {v}");
                double magnitude = Math.Abs(v);
                double zeroEdge = Math.Pow(2, FeatureLayout.MinExponent);

                // The zero bucket is [-2^-20, 2^-20): closed on the left like every bucket.
                if ((v >= zeroEdge || v < -zeroEdge) && magnitude < Math.Pow(2, FeatureLayout.MaxExponent))
                {
                    Assert.That(Math.Abs(FeatureLayout.Representative(index) - v), Is.LessThanOrEqualTo(magnitude * FeatureLayout.MaxRelativeError), $"reported value of {v}");
                }
                else if (v >= -zeroEdge && v < zeroEdge)
                {
                    Assert.That(index, Is.EqualTo(FeatureLayout.Zero), $"{v} is in the zero bucket");
                }
            }

            Assert.That(FeatureLayout.IndexOf(-0.0), Is.EqualTo(FeatureLayout.Zero));
            Assert.That(FeatureLayout.LowerEdge(FeatureLayout.IndexOf(-1.0)), Is.EqualTo(-1.0), "negative buckets are closed at their lower end");
            Assert.That(FeatureLayout.LowerEdge(FeatureLayout.IndexOf(1.0)), Is.EqualTo(1.0));
        });
    }

    [Test]
    public void Options_InvalidFeatures_ThrowNamingTheOption()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => NewMonitor([]), Throws.ArgumentException.With.Property("ParamName").EqualTo("Features"));
            Assert.That(() => NewMonitor([FeatureDefinition.Numeric("a"), FeatureDefinition.Numeric("a")]), Throws.ArgumentException.With.Property("ParamName").EqualTo("Features"));
            Assert.That(() => NewMonitor([null!]), Throws.ArgumentException.With.Property("ParamName").EqualTo("Features"));
            Assert.That(() => NewMonitor([.. Enumerable.Range(0, 257).Select(i => FeatureDefinition.Numeric($"f{i}"))]), Throws.ArgumentException.With.Property("ParamName").EqualTo("Features"));
            Assert.That(() => FeatureDefinition.Numeric(""), Throws.ArgumentException.With.Property("ParamName").EqualTo("name"));
            Assert.That(() => FeatureDefinition.Numeric("x", 5, 5), Throws.ArgumentException.With.Property("ParamName").EqualTo("minimum"));
            Assert.That(() => FeatureDefinition.Numeric("x", double.NaN), Throws.ArgumentException.With.Property("ParamName").EqualTo("minimum"));
            Assert.That(() => FeatureDefinition.Categorical("c", []), Throws.ArgumentException.With.Property("ParamName").EqualTo("categories"));
            Assert.That(() => FeatureDefinition.Categorical("c", ["a", "a"]), Throws.ArgumentException.With.Property("ParamName").EqualTo("categories"));
            Assert.That(() => FeatureDefinition.Categorical("c", ["a", "_OTHER"]), Throws.ArgumentException.With.Property("ParamName").EqualTo("categories"));
        });
    }

    [Test]
    public void Snapshot_WithoutFeatures_IsNull_AndRecordingCountsNoFeaturesDeclared()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "plain" });
        monitor.RecordFeatures([1.0, 2.0]);
        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(monitor.Features, Is.Null);
            Assert.That(snapshot.Features, Is.Null);
            Assert.That(snapshot.Recent.Features, Is.Null);
            Assert.That(snapshot.Rejected["no_features_declared"], Is.EqualTo(1));
        });
    }

    [Test]
    public void Record_BadValues_AreCountedByReason_NeverThrown()
    {
        FeatureDefinition country = FeatureDefinition.Categorical("country", ["fr", "de"]);
        using ModelMonitor monitor = NewMonitor([FeatureDefinition.Numeric("amount"), FeatureDefinition.Numeric("age", 0, 120), country]);
        monitor.RecordFeatures([1.5, 30, country.ValueOf("fr")]);
        monitor.RecordFeatures([double.NaN, 40, country.ValueOf(null)]);                        // two missing
        monitor.RecordFeatures([double.PositiveInfinity, -1, country.ValueOf("it")]);          // invalid, invalid, unknown
        monitor.RecordFeatures([double.NegativeInfinity, 121, 2.5]);                            // invalid, invalid, unknown (not an index)
        monitor.RecordFeatures([1, 2]);                                                          // wrong count: nothing recorded
        monitor.RecordFeatures([1, 2, 0, 4]);
        monitor.RecordFeatures([-3, double.NaN, 1]);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        IReadOnlyList<FeatureSnapshot> features = snapshot.Features!;
        Assert.Multiple(() =>
        {
            Assert.That(features.Select(f => f.Name), Is.EqualTo(new[] { "amount", "age", "country" }));
            Assert.That(features.Select(f => f.Count), Is.EqualTo(new long[] { 2, 2, 4 }), "valid values (unknown categories count as _OTHER)");
            Assert.That(features.Select(f => f.Missing), Is.EqualTo(new long[] { 1, 1, 1 }));
            Assert.That(features.Select(f => f.Invalid), Is.EqualTo(new long[] { 2, 2, 0 }));
            Assert.That(features[0].MissingShare, Is.EqualTo(0.2).Within(1e-12));
            Assert.That(features[2].CategoryCounts, Is.EqualTo(new long[] { 1, 1, 2 }), "fr, de, _OTHER");
            Assert.That(features[0].Drift, Is.Null, "cumulative readings carry no drift");
            Assert.That(snapshot.Rejected["invalid_feature"], Is.EqualTo(4));
            Assert.That(snapshot.Rejected["unknown_category"], Is.EqualTo(2));
            Assert.That(snapshot.Rejected["feature_count_mismatch"], Is.EqualTo(2));
            Assert.That(snapshot.Recent.Features![1].Count, Is.EqualTo(2), "the window holds them too");
        });
    }

    [Test]
    public void Drift_NumericShift_PsiIsExactForTheBins_AndDistancesGrowWithTheShift()
    {
        double[] training = FeatureData.Normal(1, 20_000);
        double[] shifted = FeatureData.Normal(2, 5_000, mean: 0.5);
        using ModelMonitor monitor = NewMonitor([FeatureDefinition.Numeric("x")]);
        Assert.Throws<InvalidOperationException>(monitor.Features!.CaptureReference);
        monitor.Features.SetReference(training.Select(v => new[] { v }));
        Assert.That(monitor.GetSnapshot().Recent.Features![0].Drift, Is.Null, "no value in the window yet");
        foreach (double v in shifted)
        {
            monitor.RecordFeatures([v]);
        }

        FeatureDriftSnapshot drift = monitor.GetSnapshot().Recent.Features![0].Drift!;
        double[] edges = [.. drift.BinEdges];
        long[] referenceBins = Bin(training, edges);
        long[] windowBins = Bin(shifted, edges);
        double[] p = [.. windowBins.Select(c => (double)c / shifted.Length)];
        double[] q = [.. referenceBins.Select(c => (double)c / training.Length)];
        double psi = p.Zip(q, (a, e) => (Math.Max(a, 1e-4) - Math.Max(e, 1e-4)) * Math.Log(Math.Max(a, 1e-4) / Math.Max(e, 1e-4))).Sum();

        Assert.Multiple(() =>
        {
            Assert.That(edges, Has.Length.EqualTo(9), "deciles of the reference");
            Assert.That(drift.ReferenceCount, Is.EqualTo(training.Length));
            Assert.That(drift.BinCounts, Is.EqualTo(windowBins), "bins are exact: their edges are bucket edges");
            Assert.That(drift.ReferenceBinShares, Is.EqualTo(q).Within(1e-15));
            Assert.That(drift.Psi, Is.EqualTo(psi).Within(1e-12));
            Assert.That(drift.Psi, Is.GreaterThan(0.25), "half a deviation is a major shift");
            Assert.That(drift.KolmogorovSmirnov, Is.EqualTo(0.197).Within(0.02), "KS of N(0,1) and N(0.5,1) is 2Φ(0.25) − 1 ≈ 0.197");
            Assert.That(drift.Wasserstein, Is.EqualTo(0.5).Within(0.05), "W1 of a shift is the shift");
            Assert.That(drift.ChiSquare, Is.Null);
            Assert.That(drift.OutOfRangeShare, Is.LessThan(0.01));
        });
    }

    [Test]
    public void Drift_ConstantReference_BinsAroundIt_SoAnyMoveShows()
    {
        using ModelMonitor monitor = NewMonitor([FeatureDefinition.Numeric("version")]);
        monitor.Features!.SetReference(Enumerable.Repeat(new[] { 3.0 }, 100));
        monitor.RecordFeatures([3.0]);
        monitor.RecordFeatures([4.0]);
        FeatureDriftSnapshot drift = monitor.GetSnapshot().Recent.Features![0].Drift!;
        Assert.Multiple(() =>
        {
            Assert.That(drift.BinEdges, Is.EqualTo(new[] { 3.0, FeatureLayout.LowerEdge(FeatureLayout.IndexOf(3.0) + 1) }), "below, at and above the reference's bucket");
            Assert.That(drift.BinCounts, Is.EqualTo(new long[] { 0, 1, 1 }));
            Assert.That(drift.Psi, Is.GreaterThan(1));
            Assert.That(drift.OutOfRangeShare, Is.EqualTo(0.5));
            Assert.That(drift.KolmogorovSmirnov, Is.EqualTo(0.5));
        });
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void Drift_TwoSamplesOfOneDistribution_StayBelowTheRecommendedThresholds(int seed)
    {
        // The README's thresholds for windows of at least 1,000 values: PSI 0.1, KS 0.1, Jensen–Shannon 0.1, chi-square p 0.01,
        // out-of-range share 0.01.
        const int N = 2_000;
        (string Name, double[] Reference, double[] Window)[] cases =
        [
            ("normal", FeatureData.Normal(seed * 10, N), FeatureData.Normal((seed * 10) + 1, N)),
            ("lognormal", FeatureData.LogNormal(seed * 20, N), FeatureData.LogNormal((seed * 20) + 1, N)),
            ("bimodal", FeatureData.Bimodal(seed * 30, N), FeatureData.Bimodal((seed * 30) + 1, N)),
        ];
        FeatureDefinition category = FeatureDefinition.Categorical("c", ["a", "b", "c", "d"]);
        double[] categoriesReference = FeatureData.Categories(seed * 40, N, 0.5, 0.3, 0.15, 0.05);
        double[] categoriesWindow = FeatureData.Categories((seed * 40) + 1, N, 0.5, 0.3, 0.15, 0.05);

        using ModelMonitor monitor = NewMonitor([.. cases.Select(c => FeatureDefinition.Numeric(c.Name)), category]);
        monitor.Features!.SetReference(Enumerable.Range(0, N).Select(i => cases.Select(c => c.Reference[i]).Append(categoriesReference[i]).ToArray()));
        for (int i = 0; i < N; i++)
        {
            monitor.RecordFeatures([.. cases.Select(c => c.Window[i]), categoriesWindow[i]]);
        }

        IReadOnlyList<FeatureSnapshot> features = monitor.GetSnapshot().Recent.Features!;
        Assert.Multiple(() =>
        {
            foreach (FeatureSnapshot feature in features)
            {
                FeatureDriftSnapshot drift = feature.Drift!;
                Assert.That(drift.Psi, Is.LessThan(0.1), $"{feature.Name} PSI");
                Assert.That(drift.JensenShannon, Is.LessThan(0.1), $"{feature.Name} Jensen–Shannon");
                Assert.That(drift.OutOfRangeShare, Is.LessThan(0.01), $"{feature.Name} out of the reference's range");
                if (feature.Definition.IsCategorical)
                {
                    Assert.That(drift.ChiSquarePValue, Is.GreaterThan(0.01), $"{feature.Name} chi-square p-value");
                }
                else
                {
                    Assert.That(drift.KolmogorovSmirnov, Is.LessThan(0.1), $"{feature.Name} KS");
                }
            }
        });
    }

    [Test]
    public void Drift_NewCategory_IsOutOfRange_AndChiSquareRejects()
    {
        FeatureDefinition country = FeatureDefinition.Categorical("country", ["fr", "de", "it"]);
        using ModelMonitor monitor = NewMonitor([country]);
        double[] reference = FeatureData.Categories(5, 3_000, 0.5, 0.3, 0.2, 0);
        foreach (double v in reference)
        {
            monitor.RecordFeatures([v]);
        }

        monitor.Features!.CaptureReference();
        Skip(monitor);

        // 10 % of the window are a country nobody declared (recorded as _OTHER).
        foreach (double v in FeatureData.Categories(6, 2_000, 0.45, 0.27, 0.18, 0.10))
        {
            monitor.RecordFeatures([v == 3 ? country.ValueOf("es") : v]);
        }

        FeatureSnapshot feature = monitor.GetSnapshot().Recent.Features![0];
        FeatureDriftSnapshot drift = feature.Drift!;
        Assert.Multiple(() =>
        {
            Assert.That(feature.CategoryCounts![3], Is.EqualTo(drift.BinCounts[3]).And.InRange(150, 250), "_OTHER");
            Assert.That(drift.OutOfRangeShare, Is.EqualTo(feature.CategoryCounts[3] / 2000.0).Within(1e-12), "share of a category the reference never had");
            Assert.That(drift.ChiSquarePValue, Is.LessThan(1e-6));
            Assert.That(drift.KolmogorovSmirnov, Is.Null);
            Assert.That(drift.BinEdges, Is.Empty);
        });
    }

    [Test]
    public void ChiSquareSurvival_MatchesTabulatedQuantiles()
    {
        Assert.Multiple(() =>
        {
            Assert.That(FeatureStatistics.ChiSquareSurvival(3.841458820694124, 1), Is.EqualTo(0.05).Within(1e-12));
            Assert.That(FeatureStatistics.ChiSquareSurvival(18.307038053275146, 10), Is.EqualTo(0.05).Within(1e-12));
            Assert.That(FeatureStatistics.ChiSquareSurvival(6.6348966010212145, 1), Is.EqualTo(0.01).Within(1e-12));
            Assert.That(FeatureStatistics.ChiSquareSurvival(2, 2), Is.EqualTo(Math.Exp(-1)).Within(1e-14));
            // scipy.stats.chi2.sf(0.5, 3) and chi2.sf(200, 3).
            Assert.That(FeatureStatistics.ChiSquareSurvival(0.5, 3), Is.EqualTo(0.9188914116546758).Within(1e-12));
            Assert.That(FeatureStatistics.ChiSquareSurvival(200, 3), Is.EqualTo(4.218541107192018e-43).Within(1e-12).Percent);
        });
    }

    [Test]
    public void Reference_CapturedFromAWindow_EqualsTheWindowsValues()
    {
        var clock = new FakeTimeProvider();
        using ModelMonitor monitor = NewMonitor([FeatureDefinition.Numeric("x")], clock);
        foreach (double v in FeatureData.Normal(3, 1_000, mean: 100))
        {
            monitor.RecordFeatures([v]);
        }

        Skip(monitor, clock);
        double[] baseline = FeatureData.Normal(4, 1_000);
        foreach (double v in baseline)
        {
            monitor.RecordFeatures([v]);
        }

        monitor.Features!.CaptureReference(monitor.GetSnapshot().Recent);
        FeatureDriftSnapshot drift = monitor.GetSnapshot().Recent.Features![0].Drift!;
        Assert.Multiple(() =>
        {
            Assert.That(drift.ReferenceCount, Is.EqualTo(1_000), "only the window's values");
            Assert.That(drift.Psi, Is.Zero);
            Assert.That(drift.KolmogorovSmirnov, Is.Zero);
            Assert.That(drift.Wasserstein, Is.Zero);
            Assert.That(() => monitor.Features.CaptureReference(NewMonitor([FeatureDefinition.Numeric("x")]).GetSnapshot().Recent), Throws.ArgumentException);
        });
    }

    [Test]
    public void ReferenceFile_RoundTrip_GivesARestartedMonitorTheSameDrift()
    {
        FeatureDefinition[] Definitions() => [FeatureDefinition.Numeric("amount"), FeatureDefinition.Categorical("country", ["fr", "de"])];
        double[] amounts = FeatureData.LogNormal(7, 3_000);
        double[] countries = FeatureData.Categories(8, 3_000, 0.6, 0.4);
        using var stream = new MemoryStream();
        FeatureDriftSnapshot[] before;
        using (ModelMonitor first = NewMonitor(Definitions()))
        {
            first.Features!.SetReference(Enumerable.Range(0, 3_000).Select(i => new[] { amounts[i], countries[i] }));
            RecordShifted(first);
            before = [.. first.GetSnapshot().Recent.Features!.Select(f => f.Drift!)];
            first.Features.SaveReference(stream);
        }

        string json = Encoding.UTF8.GetString(stream.ToArray());
        stream.Position = 0;
        using ModelMonitor restarted = NewMonitor(Definitions());
        Assert.That(restarted.Features!.HasReference, Is.False);
        restarted.Features.LoadReference(stream);
        RecordShifted(restarted);
        FeatureDriftSnapshot[] after = [.. restarted.GetSnapshot().Recent.Features!.Select(f => f.Drift!)];

        Assert.Multiple(() =>
        {
            Assert.That(json, Does.Contain("\"format\": \"ModelMetrics.FeatureReference\"").And.Contain("\"version\": 1"));
            Assert.That(json.Length, Is.LessThan(20_000), "a small file");
            for (int f = 0; f < 2; f++)
            {
                Assert.That(after[f].ReferenceCount, Is.EqualTo(before[f].ReferenceCount));
                Assert.That(after[f].Psi, Is.EqualTo(before[f].Psi));
                Assert.That(after[f].JensenShannon, Is.EqualTo(before[f].JensenShannon));
                Assert.That(after[f].KolmogorovSmirnov, Is.EqualTo(before[f].KolmogorovSmirnov));
                Assert.That(after[f].Wasserstein, Is.EqualTo(before[f].Wasserstein));
                Assert.That(after[f].ChiSquare, Is.EqualTo(before[f].ChiSquare));
                Assert.That(after[f].BinEdges, Is.EqualTo(before[f].BinEdges));
            }

            Assert.That(() => Load(Definitions(), json.Replace("\"version\": 1", "\"version\": 2", StringComparison.Ordinal)), Throws.TypeOf<InvalidDataException>().With.Message.Contains("version 2"));
            Assert.That(() => Load(Definitions(), "{\"hello\": 1}"), Throws.TypeOf<InvalidDataException>());
            Assert.That(() => Load(Definitions(), "not json"), Throws.TypeOf<InvalidDataException>());
            Assert.That(() => Load([FeatureDefinition.Numeric("amount"), FeatureDefinition.Categorical("country", ["fr", "it"])], json), Throws.TypeOf<InvalidDataException>().With.Message.Contains("categories"));
            Assert.That(() => Load([FeatureDefinition.Numeric("country")], json), Throws.TypeOf<InvalidDataException>().With.Message.Contains("categorical"));
            Assert.That(Load([FeatureDefinition.Numeric("other"), FeatureDefinition.Numeric("amount")], json).Features!.HasReference, Is.True, "features matched by name");
        });

        static void RecordShifted(ModelMonitor monitor)
        {
            double[] amounts = FeatureData.LogNormal(9, 1_000, scale: 1.3);
            double[] countries = FeatureData.Categories(10, 1_000, 0.4, 0.6);
            for (int i = 0; i < amounts.Length; i++)
            {
                monitor.RecordFeatures([amounts[i], countries[i]]);
            }
        }

        static ModelMonitor Load(FeatureDefinition[] definitions, string json)
        {
            ModelMonitor monitor = NewMonitor(definitions);
            monitor.Features!.LoadReference(new MemoryStream(Encoding.UTF8.GetBytes(json)));
            return monitor;
        }
    }

    [Test]
    public void Predictor_WithExtractor_RecordsEachInputsFeatures_AndSurvivesAFaultyExtractor()
    {
        FeatureDefinition color = FeatureDefinition.Categorical("color", ["red", "blue"]);
        using ModelMonitor monitor = NewMonitor([FeatureDefinition.Numeric("size"), color]);
        using IPredictor<(double Size, string? Color), double> predictor = Predictor.Create<(double Size, string? Color), double>(i => i.Size * 2)
            .AsBuilder()
            .UseMetrics(monitor, (input, values) =>
            {
                if (input.Size < 0)
                {
                    throw new InvalidOperationException("bad input");
                }

                values[0] = input.Size;
                values[1] = color.ValueOf(input.Color);
            })
            .Build();

        Assert.Multiple(() =>
        {
            Assert.That(predictor.Predict((3, "red")), Is.EqualTo(6));
            Assert.That(predictor.Predict((4, null)), Is.EqualTo(8));
            Assert.That(predictor.Predict((-1, "blue")), Is.EqualTo(-2), "a faulty extractor never fails the call");
        });

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Calls, Is.EqualTo(3));
            Assert.That(snapshot.Features![0].Count, Is.EqualTo(2));
            Assert.That(snapshot.Features[1].CategoryCounts, Is.EqualTo(new long[] { 1, 0, 0 }));
            Assert.That(snapshot.Features[1].Missing, Is.EqualTo(1));
            Assert.That(snapshot.Rejected["feature_extractor_fault"], Is.EqualTo(1));
            using ModelMonitor plain = new(new ModelMonitorOptions { ModelName = "no-features" });
            Assert.That(() => Predictor.Create<int, int>(i => i).AsBuilder().UseMetrics(plain, (int _, Span<double> _) => { }).Build(), Throws.ArgumentException.With.Property("ParamName").EqualTo("monitor"));
        });
    }

    [Test]
    public void Predictor_OwnMonitorWithExtractor_RecordsFeatures_AndWithoutFeaturesFailsAtBuildLeavingNothing()
    {
        string name = "own-" + Guid.NewGuid();
        using (IPredictor<double, double> predictor = Predictor.Create<double, double>(x => -x).AsBuilder()
            .UseMetrics(o => { o.ModelName = name; o.Features = [FeatureDefinition.Numeric("x")]; }, (double x, Span<double> values) => values[0] = x)
            .Build())
        {
            predictor.Predict(2.5);
            Assert.That(predictor.GetService<ModelMonitor>()!.GetSnapshot().Features![0].Count, Is.EqualTo(1));
        }

        PredictorBuilder<double, double> withoutFeatures = Predictor.Create<double, double>(x => -x).AsBuilder()
            .UseMetrics(o => o.ModelName = name, (double x, Span<double> values) => values[0] = x);
        Assert.That(() => withoutFeatures.Build(), Throws.ArgumentException.With.Property("ParamName").EqualTo("monitor"));
        Assert.That(ModelMonitorRegistry.Default.Find(name, null), Is.Null, "the monitor made for the failed build was disposed");
    }

    [Test]
    public void Instruments_PublishDriftPerFeatureAndWindow_AndCountsPerFeature()
    {
        string meter = "ModelMetrics.Tests.Features." + Guid.NewGuid();
        using var collector = new MeasurementCollector(meter);
        FeatureDefinition country = FeatureDefinition.Categorical("country", ["fr", "de"]);
        using var monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = "featured",
            MeterName = meter,
            Windows = [Minute, TimeSpan.FromMinutes(5)],
            Features = [FeatureDefinition.Numeric("amount"), country],
        });

        foreach (double v in FeatureData.Normal(12, 500))
        {
            monitor.RecordFeatures([v, v > 0 ? 0 : 1]);
        }

        monitor.Features!.CaptureReference();
        monitor.RecordFeatures([double.NaN, 0]);
        List<Observed> observed = collector.Collect("featured");
        double Value(string instrument, string feature, string? window) =>
            observed.Single(o => o.Instrument == instrument && o.Tag("model.feature") == feature && o.Tag("window") == window).Value;

        Assert.Multiple(() =>
        {
            Assert.That(Value("model.feature.values", "amount", null), Is.EqualTo(500));
            Assert.That(Value("model.feature.missing", "amount", null), Is.EqualTo(1));
            Assert.That(Value("model.feature.values", "country", null), Is.EqualTo(501));
            Assert.That(Value("model.feature.missing.ratio", "amount", "60"), Is.EqualTo(1 / 501.0).Within(1e-12));
            Assert.That(Value("model.feature.drift.psi", "amount", "300"), Is.EqualTo(0).Within(1e-3), "the window is the reference plus one missing value");
            Assert.That(Value("model.feature.drift.ks", "amount", "60"), Is.Zero);
            Assert.That(Value("model.feature.drift.chi_square.p_value", "country", "60"), Is.GreaterThan(0.9));
            Assert.That(observed.Where(o => o.Instrument == "model.feature.drift.ks" && o.Tag("model.feature") == "country"), Is.Empty, "KS is numeric only");
            Assert.That(observed.Where(o => o.Instrument == "model.feature.drift.chi_square" && o.Tag("model.feature") == "amount"), Is.Empty, "chi-square is categorical only");
            Assert.That(observed.Where(o => o.Instrument.StartsWith("model.feature.", StringComparison.Ordinal)).Select(o => o.Tag("model.feature")).Distinct(), Is.EquivalentTo(new[] { "amount", "country" }), "names, never values, as attributes");
        });
    }

    internal static ModelMonitor NewMonitor(FeatureDefinition[] features, TimeProvider? clock = null) => new(new ModelMonitorOptions
    {
        ModelName = "features-" + Guid.NewGuid(),
        Windows = [Minute],
        Features = features,
        TimeProvider = clock ?? new FakeTimeProvider(),
    });

    /// <summary>Counts values per bin: bin i is [edges[i − 1], edges[i]).</summary>
    internal static long[] Bin(double[] values, double[] edges)
    {
        long[] bins = new long[edges.Length + 1];
        foreach (double v in values)
        {
            int i = 0;
            while (i < edges.Length && v >= edges[i])
            {
                i++;
            }

            bins[i]++;
        }

        return bins;
    }

    /// <summary>Moves the monitor's clock past its window, so what follows is alone in it.</summary>
    private static void Skip(ModelMonitor monitor, FakeTimeProvider? clock = null)
    {
        clock ??= (FakeTimeProvider)monitor.Context.Time;
        monitor.GetSnapshot();
        clock.Advance(TimeSpan.FromMinutes(2));
        monitor.GetSnapshot();
        clock.Advance(TimeSpan.FromSeconds(61));
        monitor.GetSnapshot();
    }
}
