// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML;
using NUnit.Framework;
using WebService;

namespace ModelMetrics.MLNet.Tests.Samples;

/// <summary>The sample service, started for real on a free loopback port and called over HTTP.</summary>
[TestFixture]
public sealed class WebServiceTests
{
    [Test]
    public async Task WebService_PredictionsRepeatsAndLabels_PublishExactCountsAndStayHealthy()
    {
        await using WebApplication app = WebServiceApp.Build(["--urls", "http://127.0.0.1:0"]);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromSeconds(30) };
        IrisModel model = app.Services.GetRequiredService<IrisModel>();
        using PredictionEngine<IrisInput, IrisOutput> engine = model.Context.Model.CreatePredictionEngine<IrisInput, IrisOutput>(model.Transformer);

        // 40 distinct inputs (a grid: no two alike), each predicted once, then the first one 5 more times (cache hits).
        string[] species = ["setosa", "versicolor", "virginica"];
        List<(PredictRequest Request, string Actual)> requests =
        [
            .. Enumerable.Range(0, 40).Select(i => (new PredictRequest(4.5f + (0.1f * i), 3f, 1f + (0.12f * i), 0.2f + (0.05f * i)), species[i % 3])),
        ];
        requests.AddRange(Enumerable.Repeat(requests[0], 5));

        var responses = new List<PredictResponse>();
        foreach ((PredictRequest request, _) in requests)
        {
            using HttpResponseMessage response = await http.PostAsJsonAsync("/predict", request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            responses.Add((await response.Content.ReadFromJsonAsync<PredictResponse>())!);
        }

        // What the service answers is the model's own output, under the model's class names.
        for (int i = 0; i < requests.Count; i++)
        {
            PredictRequest r = requests[i].Request;
            IrisOutput own = engine.Predict(new IrisInput { SepalLength = r.SepalLength, SepalWidth = r.SepalWidth, PetalLength = r.PetalLength, PetalWidth = r.PetalWidth });
            Assert.That(responses[i].Class, Is.EqualTo(model.Classes[(int)own.PredictedLabel - 1]));
            Assert.That(model.Classes.Select(c => responses[i].Probabilities[c]), Is.EqualTo(own.Score));
        }

        Assert.That(responses.Select(r => r.Id).Distinct().Count(), Is.EqualTo(requests.Count), "every response, a cache hit too, has its own id");

        var expected = new Dictionary<(string Predicted, string Actual), int>();
        for (int i = 0; i < requests.Count; i++)
        {
            using HttpResponseMessage label = await http.PostAsJsonAsync("/labels", new LabelRequest(responses[i].Id, requests[i].Actual));
            Assert.That(label.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"label {i}");
            expected[(responses[i].Class, requests[i].Actual)] = expected.GetValueOrDefault((responses[i].Class, requests[i].Actual)) + 1;
        }

        using (HttpResponseMessage again = await http.PostAsJsonAsync("/labels", new LabelRequest(responses[0].Id, "setosa")))
        {
            Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "a second label for one prediction is not joined");
        }

        using (HttpResponseMessage unknown = await http.PostAsJsonAsync("/labels", new LabelRequest("no-such-id", "setosa")))
        {
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        }

        using (HttpResponseMessage invalid = await http.PostAsJsonAsync("/labels", new LabelRequest(responses[1].Id, "rose")))
        {
            Assert.That(invalid.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        }

        string metrics = await http.GetStringAsync("/metrics");
        using HttpResponseMessage health = await http.GetAsync("/health");
        string healthBody = await health.Content.ReadAsStringAsync();
        using HttpResponseMessage report = await http.GetAsync("/modelmetrics/data");

        Assert.Multiple(() =>
        {
            Assert.That(Value(metrics, "model_inference_calls_total", ("model_name", "iris")), Is.EqualTo(45), "calls served");
            Assert.That(Value(metrics, "model_inference_calls_total", ("model_name", WebServiceApp.InferenceModelName)), Is.EqualTo(40), "model inferences: the 5 repeats were cache hits");
            Assert.That(Value(metrics, "model_cache_lookups_total", ("model_name", WebServiceApp.InferenceModelName), ("result", "hit")), Is.EqualTo(5), "the cache reports to the monitor it wraps");
            Assert.That(Value(metrics, "model_cache_lookups_total", ("model_name", WebServiceApp.InferenceModelName), ("result", "miss")), Is.EqualTo(40));
            Assert.That(Value(metrics, "model_cache_entries", ("model_name", WebServiceApp.InferenceModelName)), Is.EqualTo(40));
            Assert.That(Value(metrics, "model_labels_total", ("model_name", "iris"), ("model_label_result", "joined")), Is.EqualTo(45));
            Assert.That(Value(metrics, "model_labels_total", ("model_name", "iris"), ("model_label_result", "duplicate_label")), Is.EqualTo(1));
            Assert.That(Value(metrics, "model_labels_total", ("model_name", "iris"), ("model_label_result", "unknown_id")), Is.EqualTo(1));
            Assert.That(Value(metrics, "model_predictions_pending", ("model_name", "iris")), Is.Zero);
            foreach (string predicted in species)
            {
                foreach (string actual in species)
                {
                    double published = Value(metrics, "model_classification_confusion_total", ("model_name", "iris"), ("model_class_predicted", predicted), ("model_class_actual", actual));
                    Assert.That(double.IsNaN(published) ? 0 : published, Is.EqualTo(expected.GetValueOrDefault((predicted, actual))), $"predicted {predicted}, actual {actual}");
                }
            }

            Assert.That(expected.Keys.Count(k => k.Predicted != k.Actual), Is.GreaterThan(0), "the labels disagree with some predictions: the matrix is not just a diagonal");
            Assert.That(health.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(healthBody, Is.EqualTo("Healthy"));
            Assert.That(report.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });

        await app.StopAsync();
    }

    /// <summary>The value of the one series of <paramref name="name"/> that has these labels (and no error_type), NaN if none.</summary>
    private static double Value(string exposition, string name, params (string Label, string Value)[] labels)
    {
        double[] values =
        [
            .. Regex.Matches(exposition, @"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?<labels>[^}]*)\} (?<value>\S+)", RegexOptions.Multiline)
                .Where(m => m.Groups["name"].Value == name
                    && labels.All(l => m.Groups["labels"].Value.Contains($"{l.Label}=\"{l.Value}\"", StringComparison.Ordinal))
                    && !m.Groups["labels"].Value.Contains("error_type", StringComparison.Ordinal))
                .Select(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)),
        ];
        Assert.That(values, Has.Length.AtMost(1), $"{name} {string.Join(",", labels)}: one series");
        return values.Length == 1 ? values[0] : double.NaN;
    }
}
