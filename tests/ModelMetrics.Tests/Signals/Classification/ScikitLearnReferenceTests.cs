// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Classification;

/// <summary>
/// Quality metrics against scikit-learn, the reference implementation: each test draws data from a fixed-seed
/// <see cref="Random"/> that nobody tuned the library for, records it into a <see cref="ModelMonitor"/>, runs
/// <c>sklearn_reference.py</c> (next to the tests) with Debian's <c>/usr/bin/python3</c> on the same data, and
/// compares. Without Python or scikit-learn (Debian package <c>python3-sklearn</c>) the tests are ignored with
/// an install hint, never passed.
/// </summary>
public class ScikitLearnReferenceTests
{
    private const string Python = "/usr/bin/python3";
    private const string InstallHint = "scikit-learn not found: apt-get install python3-sklearn (.ci/run installs it)";

    /// <summary>The script exits with this code when scikit-learn (or numpy) cannot be imported.</summary>
    private const int ScikitLearnMissing = 3;

    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromSeconds(60);

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>
    /// Five classes with skewed priors (class 4 is 3% of the rows, class 3 8%), a model right 35–80% of the time
    /// per class that never predicts class 4: every label metric, both <c>zero_division</c> values.
    /// </summary>
    [TestCase(0.0)]
    [TestCase(1.0)]
    public async Task Multiclass_LabelMetrics_MatchScikitLearn(double zeroDivision)
    {
        const int Classes = 5;
        const int Rows = 4000;
        double[] priors = [0.42, 0.30, 0.17, 0.08, 0.03];
        double[] rightShare = [0.80, 0.60, 0.50, 0.35, 0.0];
        var random = new Random(20240607);
        int[] actual = new int[Rows];
        int[] predicted = new int[Rows];
        for (int i = 0; i < Rows; i++)
        {
            actual[i] = Draw(random, priors);

            // Wrong (or never-right) predictions are drawn from the priors of classes 0..3, so 4 is never predicted.
            predicted[i] = random.NextDouble() < rightShare[actual[i]] ? actual[i] : Draw(random, priors.AsSpan(0, Classes - 1));
        }

        using ModelMonitor monitor = NewMonitor(Classes, zeroDivision);
        for (int i = 0; i < Rows; i++)
        {
            monitor.RecordGroundTruth(predicted[i], actual[i]);
        }

        ClassificationSnapshot ours = monitor.GetSnapshot().Classification!;
        JsonElement reference = await RunScikitLearnAsync(new { Kind = "classification", Classes, YTrue = actual, YPred = predicted });
        JsonElement expected = reference.GetProperty(zeroDivision == 0 ? "zero_division_0" : "zero_division_1");

        Assert.Multiple(() =>
        {
            Assert.That(ours.Total, Is.EqualTo(Rows));
            Assert.That(ours.Classes[Classes - 1].TruePositives + ours.Classes[Classes - 1].FalsePositives, Is.Zero, "class 4 is never predicted");
            Assert.That(ours.Accuracy, Is.EqualTo(Number(reference, "accuracy")).Within(1e-12), "accuracy_score");
            Assert.That(ours.BalancedAccuracy, Is.EqualTo(Number(reference, "balanced_accuracy")).Within(1e-12), "balanced_accuracy_score");
            Assert.That(ours.MatthewsCorrelation, Is.EqualTo(Number(reference, "mcc")).Within(1e-12), "matthews_corrcoef");
            for (int c = 0; c < Classes; c++)
            {
                Assert.That(ours.Classes[c].Precision, Is.EqualTo(expected.GetProperty("precision")[c].GetDouble()).Within(1e-12), $"precision of class {c}");
                Assert.That(ours.Classes[c].Recall, Is.EqualTo(expected.GetProperty("recall")[c].GetDouble()).Within(1e-12), $"recall of class {c}");
                Assert.That(ours.Classes[c].F1, Is.EqualTo(expected.GetProperty("f1")[c].GetDouble()).Within(1e-12), $"F1 of class {c}");
                Assert.That(ours.Classes[c].Support, Is.EqualTo(expected.GetProperty("support")[c].GetInt64()), $"support of class {c}");
            }

            Assert.That(ours.MacroPrecision, Is.EqualTo(Number(expected, "macro", "precision")).Within(1e-12), "macro precision");
            Assert.That(ours.MacroRecall, Is.EqualTo(Number(expected, "macro", "recall")).Within(1e-12), "macro recall");
            Assert.That(ours.MacroF1, Is.EqualTo(Number(expected, "macro", "f1")).Within(1e-12), "macro F1");
            Assert.That(ours.WeightedPrecision, Is.EqualTo(Number(expected, "weighted", "precision")).Within(1e-12), "weighted precision");
            Assert.That(ours.WeightedRecall, Is.EqualTo(Number(expected, "weighted", "recall")).Within(1e-12), "weighted recall");
            Assert.That(ours.WeightedF1, Is.EqualTo(Number(expected, "weighted", "f1")).Within(1e-12), "weighted F1");

            // confusion_matrix(y_true, y_pred, labels=range(K)): rows are the true class: matrix[actual][predicted] is GetCount(predicted, actual).
            JsonElement matrix = reference.GetProperty("confusion_matrix");
            for (int a = 0; a < Classes; a++)
            {
                for (int p = 0; p < Classes; p++)
                {
                    Assert.That(ours.GetCount(predicted: p, actual: a), Is.EqualTo(matrix[a][p].GetInt64()), $"cell actual {a}, predicted {p}");
                }
            }
        });
    }

    /// <summary>
    /// "Tree-like" probabilities: the class shares of an 8-sample leaf (multiples of 1/8), full of ties (with this
    /// seed 468 of the 4000 rows tie for the maximum, and more tie below it). The predicted class is the first maximum, so accuracy is scikit-learn's
    /// <c>accuracy_score(y, argmax(p))</c> (numpy's argmax returns the first maximum) and top-1 must equal it.
    /// </summary>
    /// <remarks>
    /// The top-k rule checked: the true class a is within the top k when fewer than k classes rank before it,
    /// where class j ranks before a if p_j &gt; p_a, or p_j = p_a and j &lt; a (ties go to the lower index, as
    /// the predicted class does). scikit-learn's <c>top_k_accuracy_score</c> breaks ties the other way: it sorts
    /// with a stable ascending argsort and reverses it, so the higher index ranks first, and its k = 1 is then not
    /// <c>accuracy_score(y, argmax(p))</c> on ties. The expected values are therefore scikit-learn's
    /// <c>top_k_accuracy_score</c> on the columns in reverse order (class j becomes K − 1 − j, which turns its
    /// tie-break into ours), checked against the rule computed directly in numpy; scikit-learn's value on the
    /// original order is only written to the test output.
    /// </remarks>
    [Test]
    public async Task TreeLikeProbabilities_AccuracyAndTopK_MatchScikitLearn()
    {
        const int Classes = 5;
        const int Rows = 4000;
        const int LeafSize = 8;
        int[] topKs = [1, 2, 3];
        double[] priors = [0.35, 0.25, 0.20, 0.12, 0.08];
        var random = new Random(8675309);
        int[] actual = new int[Rows];
        float[][] probabilities = new float[Rows][];
        for (int i = 0; i < Rows; i++)
        {
            actual[i] = Draw(random, priors);

            // Each leaf sample is the true class 40% of the time, otherwise a class drawn from the priors.
            int[] counts = new int[Classes];
            for (int s = 0; s < LeafSize; s++)
            {
                counts[random.NextDouble() < 0.4 ? actual[i] : Draw(random, priors)]++;
            }

            probabilities[i] = counts.Select(n => n / (float)LeafSize).ToArray();
        }

        using ModelMonitor monitor = NewMonitor(Classes);
        for (int i = 0; i < Rows; i++)
        {
            monitor.RecordGroundTruth(probabilities[i], actual[i]);
        }

        ClassificationSnapshot ours = monitor.GetSnapshot().Classification!;
        JsonElement reference = await RunScikitLearnAsync(new
        {
            Kind = "probabilities",
            Classes,
            YTrue = actual,
            Probabilities = ToDoubles(probabilities),
            K = topKs,
        });

        double accuracy = Number(reference, "accuracy");
        TestContext.Out.WriteLine($"scikit-learn {reference.GetProperty("sklearn_version").GetString()}: {Number(reference, "tied_maximum_rows")} of {Rows} rows tie for the maximum; accuracy_score(y, argmax(p)) = {accuracy:R}, ours {ours.Accuracy:R}");
        foreach (int k in topKs)
        {
            JsonElement topK = reference.GetProperty("top_k").GetProperty($"{k}");
            TestContext.Out.WriteLine($"k = {k}: first-index rule {Number(topK, "first_index_rule"):R}, top_k_accuracy_score on reversed columns {Number(topK, "sklearn_reversed_columns"):R}, as is {Number(topK, "sklearn_as_is"):R}; ours {ours.GetTopKAccuracy(k):R}");
        }

        Assert.Multiple(() =>
        {
            Assert.That(ours.ScoredCount, Is.EqualTo(Rows));
            Assert.That(Number(reference, "tied_maximum_rows"), Is.GreaterThan(Rows / 20), "the data must have many ties for the maximum");
            Assert.That(ours.Accuracy, Is.EqualTo(accuracy).Within(1e-12), "accuracy vs accuracy_score(y, argmax(p))");
            Assert.That(ours.GetTopKAccuracy(1), Is.EqualTo(ours.Accuracy).Within(1e-12), "top-1 accuracy must equal accuracy: a tie for the maximum is a hit only when the true class is the first maximum");
            foreach (int k in topKs)
            {
                JsonElement topK = reference.GetProperty("top_k").GetProperty($"{k}");
                double expected = Number(topK, "sklearn_reversed_columns");
                Assert.That(Number(topK, "first_index_rule"), Is.EqualTo(expected), $"reference self-check: the first-index rule is top_k_accuracy_score on reversed columns (k = {k})");
                Assert.That(ours.GetTopKAccuracy(k), Is.EqualTo(expected).Within(1e-12), $"top-{k} accuracy (ties to the lower class index; scikit-learn as is: {Number(topK, "sklearn_as_is"):R})");
            }

            Assert.That(Number(reference.GetProperty("top_k").GetProperty("1"), "first_index_rule"), Is.EqualTo(accuracy).Within(1e-12), "reference self-check: top-1 by the rule is accuracy");
        });
    }

    /// <summary>
    /// Log-loss of float32 probabilities (random scores normalized in single precision) of which 50 of 4000 rows
    /// give the true class exactly 0, against <c>sklearn.metrics.log_loss(y, p, labels=range(K))</c> on the float64
    /// values of the same float32 numbers.
    /// </summary>
    /// <remarks>
    /// scikit-learn 1.2.1 (Debian 12's python3-sklearn) clips with <c>eps="auto"</c> = <c>np.finfo(y_pred.dtype).eps</c>
    /// to [eps, 1 − eps] and then renormalizes each row to sum 1. The script passes float64 arrays, so eps is
    /// 2.220446049250313e-16 and a zero true-class probability costs −ln(2.22e-16) = 36.04 nats (with float32 arrays
    /// it would be 1.19e-7, 15.9 nats). Newer versions (1.5+) keep the float64-epsilon clip and drop the
    /// renormalization; on these rows the renormalization moves the mean by 1.4e-9, far below the tolerance.
    /// Tolerance: relative 1e-6, since ours sums in micro-nats (at most 5e-7 nats of rounding per pair).
    /// </remarks>
    [Test]
    public async Task LogLoss_WithZeroTrueClassProbabilities_MatchesScikitLearn()
    {
        const int Classes = 4;
        const int Rows = 4000;
        const int ZeroRows = 50;
        var random = new Random(31337);
        int[] actual = new int[Rows];
        float[][] probabilities = new float[Rows][];
        for (int i = 0; i < Rows; i++)
        {
            // A model right about 60% of the time: uniform scores, the true class boosted, normalized in float32.
            actual[i] = random.Next(Classes);
            float[] scores = Enumerable.Range(0, Classes).Select(_ => (float)random.NextDouble()).ToArray();
            scores[actual[i]] += (float)random.NextDouble() * 1.5f;
            probabilities[i] = Normalize(scores);
        }

        // 50 distinct rows where the model gave the true class exactly 0 (its mass goes to the others).
        foreach (int row in Enumerable.Range(0, Rows).OrderBy(_ => random.Next()).Take(ZeroRows))
        {
            probabilities[row][actual[row]] = 0;
            probabilities[row] = Normalize(probabilities[row]);
        }

        using ModelMonitor monitor = NewMonitor(Classes);
        for (int i = 0; i < Rows; i++)
        {
            monitor.RecordGroundTruth(probabilities[i], actual[i]);
        }

        ClassificationSnapshot ours = monitor.GetSnapshot().Classification!;
        JsonElement reference = await RunScikitLearnAsync(new
        {
            Kind = "probabilities",
            Classes,
            YTrue = actual,
            Probabilities = ToDoubles(probabilities),
            K = new[] { 1 },
        });

        double expected = Number(reference, "log_loss");
        TestContext.Out.WriteLine(
            $"scikit-learn {reference.GetProperty("sklearn_version").GetString()} log_loss = {expected:R} (clip at eps = {Number(reference, "log_loss_eps"):R}); " +
            $"same clip without renormalization {Number(reference, "log_loss_clip_eps_no_renormalization"):R}; clip at 1e-15 {Number(reference, "log_loss_clip_1e-15"):R}; ours {ours.LogLoss:R}");
        Assert.Multiple(() =>
        {
            Assert.That(ours.ScoredCount, Is.EqualTo(Rows));
            Assert.That(Number(reference, "true_class_zero_rows"), Is.EqualTo(ZeroRows));
            Assert.That(Number(reference, "log_loss_eps"), Is.EqualTo(Math.Pow(2, -52)), "the script passes float64 arrays: sklearn clips at float64's epsilon");
            Assert.That(ours.LogLoss, Is.EqualTo(expected).Within(1e-6 * expected), "log_loss (a zero probability is clipped to 2.220446049250313e-16)");
        });
    }

    /// <summary>
    /// Regression around a large mean: actuals 1e6 + 50·N(0, 1), predictions actual + 3 + 20·N(0, 1), and
    /// optionally a few actuals of exactly 0 at random rows. MAPE is compared with scikit-learn's on the nonzero
    /// actuals only (scikit-learn divides by machine epsilon for a zero actual). With zero actuals SS_tot is
    /// dominated by them and R² is close to 1; without them R² is about 0.84, and sensitive to any cancellation.
    /// </summary>
    [TestCase(0)]
    [TestCase(6)]
    public async Task Regression_LargeMean_MatchesScikitLearn(int zeroActuals)
    {
        const int Rows = 3000;
        var random = new Random(4242 + zeroActuals);
        double[] actual = new double[Rows];
        double[] predicted = new double[Rows];
        for (int i = 0; i < Rows; i++)
        {
            actual[i] = 1e6 + (50 * Gaussian(random));
        }

        foreach (int row in Enumerable.Range(0, Rows).OrderBy(_ => random.Next()).Take(zeroActuals))
        {
            actual[row] = 0;
        }

        for (int i = 0; i < Rows; i++)
        {
            predicted[i] = actual[i] + 3 + (20 * Gaussian(random));
        }

        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = "sklearn-regression-" + Guid.NewGuid() });
        for (int i = 0; i < Rows; i++)
        {
            monitor.RecordRegression(predicted[i], actual[i]);
        }

        RegressionSnapshot ours = monitor.GetSnapshot().Regression!;
        JsonElement reference = await RunScikitLearnAsync(new { Kind = "regression", YTrue = actual, YPred = predicted });
        TestContext.Out.WriteLine($"R²: scikit-learn {Number(reference, "r2"):R}, ours {ours.RSquared:R}; MAPE: {Number(reference, "mape_nonzero"):R}, ours {ours.MeanAbsolutePercentageError:R}");

        Assert.Multiple(() =>
        {
            Assert.That(ours.Count, Is.EqualTo(Rows));
            Assert.That(ours.ZeroActuals, Is.EqualTo(zeroActuals));
            AssertRelative(ours.MeanAbsoluteError, Number(reference, "mae"), "mean_absolute_error");
            AssertRelative(ours.MeanSquaredError, Number(reference, "mse"), "mean_squared_error");
            AssertRelative(ours.RootMeanSquaredError, Number(reference, "rmse"), "sqrt(mean_squared_error)");
            AssertRelative(ours.RSquared, Number(reference, "r2"), "r2_score");
            AssertRelative(1 - ours.RSquared, 1 - Number(reference, "r2"), "1 - r2_score (the unexplained share)");
            AssertRelative(ours.MeanError, Number(reference, "mean_error"), "mean error, mean(y_pred - y_true)");
            AssertRelative(ours.MeanAbsolutePercentageError, Number(reference, "mape_nonzero"), "mean_absolute_percentage_error over nonzero actuals");
        });

        static void AssertRelative(double ours, double expected, string what) =>
            Assert.That(ours, Is.EqualTo(expected).Within(1e-9 * Math.Abs(expected)), what);
    }

    /// <summary>
    /// A binary classifier with 5% positives, recall about 70% and a 3% false-positive rate: the positive class's
    /// precision, recall and F1 (<c>precision_score</c>, <c>recall_score</c>, <c>f1_score</c> with pos_label=1),
    /// specificity (<c>recall_score</c> with pos_label=0) and <c>matthews_corrcoef</c>.
    /// </summary>
    [Test]
    public async Task Binary_Imbalanced_MatchesScikitLearn()
    {
        const int Rows = 4000;
        var random = new Random(5);
        int[] actual = new int[Rows];
        int[] predicted = new int[Rows];
        for (int i = 0; i < Rows; i++)
        {
            bool positive = random.NextDouble() < 0.05;
            actual[i] = positive ? 1 : 0;
            predicted[i] = random.NextDouble() < (positive ? 0.70 : 0.03) ? 1 : 0;
        }

        using ModelMonitor monitor = NewMonitor(2);
        for (int i = 0; i < Rows; i++)
        {
            monitor.RecordGroundTruth(predicted: predicted[i] == 1, actual: actual[i] == 1);
        }

        ClassificationSnapshot ours = monitor.GetSnapshot().Classification!;
        JsonElement reference = await RunScikitLearnAsync(new { Kind = "classification", Classes = 2, YTrue = actual, YPred = predicted });
        JsonElement binary = reference.GetProperty("zero_division_0").GetProperty("binary");
        ClassMetrics positiveClass = ours.PositiveClass!.Value;

        Assert.Multiple(() =>
        {
            Assert.That(positiveClass.Support, Is.InRange(150, 250), "about 5% positives");
            Assert.That(ours.Accuracy, Is.EqualTo(Number(reference, "accuracy")).Within(1e-12), "accuracy_score");
            Assert.That(positiveClass.Precision, Is.EqualTo(Number(binary, "precision")).Within(1e-12), "precision_score");
            Assert.That(positiveClass.Recall, Is.EqualTo(Number(binary, "recall")).Within(1e-12), "recall_score");
            Assert.That(positiveClass.F1, Is.EqualTo(Number(binary, "f1")).Within(1e-12), "f1_score");
            Assert.That(ours.Specificity, Is.EqualTo(Number(binary, "specificity")).Within(1e-12), "specificity: recall_score(pos_label=0)");
            Assert.That(ours.MatthewsCorrelation, Is.EqualTo(Number(reference, "mcc")).Within(1e-12), "matthews_corrcoef");
        });
    }

    private static ModelMonitor NewMonitor(int classes, double zeroDivision = 0) => new(new ModelMonitorOptions
    {
        ModelName = "sklearn-reference-" + Guid.NewGuid(),
        ClassLabels = Enumerable.Range(0, classes).Select(c => $"c{c}").ToArray(),
        ZeroDivision = zeroDivision == 0 ? ZeroDivision.Zero : ZeroDivision.One,
    });

    /// <summary>
    /// Writes <paramref name="input"/> as JSON to a temporary file, runs the script on it (killed after
    /// <see cref="ScriptTimeout"/>) and returns the JSON it prints. Ignores the calling test when Python or
    /// scikit-learn is missing.
    /// </summary>
    private static async Task<JsonElement> RunScikitLearnAsync(object input)
    {
        if (!File.Exists(Python))
        {
            Assert.Ignore(InstallHint);
        }

        string script = Path.Combine(AppContext.BaseDirectory, "Signals", "Classification", "sklearn_reference.py");
        Assert.That(script, Does.Exist, "the csproj copies the script next to the tests");
        string inputFile = Path.Combine(Path.GetTempPath(), $"sklearn-reference-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(inputFile, JsonSerializer.Serialize(input, JsonOptions));
        try
        {
            var info = new ProcessStartInfo(Python)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            info.ArgumentList.Add(script);
            info.ArgumentList.Add(inputFile);
            using Process process = Process.Start(info)!;
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            using (var cancel = new CancellationTokenSource(ScriptTimeout))
            {
                try
                {
                    await process.WaitForExitAsync(cancel.Token);
                }
                catch (OperationCanceledException)
                {
                    process.Kill(entireProcessTree: true);
                    await process.WaitForExitAsync(CancellationToken.None);
                    Assert.Fail($"{Python} {script} did not finish within {ScriptTimeout}; killed. {await stderr}");
                }
            }

            string output = await stdout;
            string errors = await stderr;
            if (process.ExitCode == ScikitLearnMissing)
            {
                Assert.Ignore($"{InstallHint}. {errors.Trim()}");
            }

            Assert.That(process.ExitCode, Is.Zero, $"{Python} {script} failed:\n{errors}");
            using JsonDocument document = JsonDocument.Parse(output);
            return document.RootElement.Clone();
        }
        finally
        {
            File.Delete(inputFile);
        }
    }

    private static double Number(JsonElement element, params string[] path)
    {
        foreach (string name in path)
        {
            element = element.GetProperty(name);
        }

        return element.GetDouble();
    }

    /// <summary>Draws an index with probability proportional to <paramref name="weights"/>.</summary>
    private static int Draw(Random random, ReadOnlySpan<double> weights)
    {
        double total = 0;
        foreach (double weight in weights)
        {
            total += weight;
        }

        double u = random.NextDouble() * total;
        for (int i = 0; i < weights.Length - 1; i++)
        {
            u -= weights[i];
            if (u < 0)
            {
                return i;
            }
        }

        return weights.Length - 1;
    }

    /// <summary>Divides by the sum in single precision, as a model's normalized float output.</summary>
    private static float[] Normalize(float[] scores)
    {
        float total = 0;
        foreach (float score in scores)
        {
            total += score;
        }

        return scores.Select(score => score / total).ToArray();
    }

    /// <summary>The float64 values of the float32 numbers, so JSON carries them exactly.</summary>
    private static double[][] ToDoubles(float[][] rows) => rows.Select(row => row.Select(p => (double)p).ToArray()).ToArray();

    private static double Gaussian(Random random)
    {
        // Box-Muller; 1 - NextDouble() is in (0, 1], so the logarithm is finite.
        double u1 = 1 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
