// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

namespace WebService;

/// <summary>
/// The sample's own client: predictions (some repeated, so that the cache answers them), their labels, then what the
/// service publishes: calls served and inferences made on /metrics, the confusion matrix, the health endpoint.
/// </summary>
internal static partial class SelfTest
{
    public static async Task<bool> RunAsync(Uri address, TextWriter log, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        var requests = IrisModel.Generate(90, new Random(42)).ToList();
        requests.AddRange(requests.Take(30)); // asked again: served from the cache
        var distinct = new HashSet<(float, float, float, float)>();
        var confusion = new Dictionary<(string Predicted, string Actual), int>();
        var labels = new List<LabelRequest>();
        foreach (TrainingRow row in requests)
        {
            distinct.Add((row.SepalLength, row.SepalWidth, row.PetalLength, row.PetalWidth));
            using HttpResponseMessage response = await http.PostAsJsonAsync("/predict", new PredictRequest(row.SepalLength, row.SepalWidth, row.PetalLength, row.PetalWidth), cancellationToken);
            response.EnsureSuccessStatusCode();
            PredictResponse prediction = (await response.Content.ReadFromJsonAsync<PredictResponse>(cancellationToken))!;
            labels.Add(new LabelRequest(prediction.Id, row.Label));
            confusion[(prediction.Class, row.Label)] = confusion.GetValueOrDefault((prediction.Class, row.Label)) + 1;
        }

        int joined = 0;
        foreach (LabelRequest label in labels)
        {
            using HttpResponseMessage response = await http.PostAsJsonAsync("/labels", label, cancellationToken);
            joined += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
        }

        string metrics = await http.GetStringAsync("/metrics", cancellationToken);
        using HttpResponseMessage health = await http.GetAsync("/health", cancellationToken);
        string healthText = await health.Content.ReadAsStringAsync(cancellationToken);
        using HttpResponseMessage report = await http.GetAsync("/modelmetrics", cancellationToken);

        double served = Sample(metrics, "model_inference_calls_total", WebServiceApp.ServedMonitor);
        double inferences = Sample(metrics, "model_inference_calls_total", WebServiceApp.InferenceModelName);
        int correct = confusion.Where(c => c.Key.Predicted == c.Key.Actual).Sum(c => c.Value);
        bool matrix = confusion.All(c => Sample(metrics, "model_classification_confusion_total", WebServiceApp.ServedMonitor, ("model_class_predicted", c.Key.Predicted), ("model_class_actual", c.Key.Actual)) == c.Value);

        log.WriteLine($"predictions: {requests.Count} served ({served} on /metrics), {distinct.Count} distinct inputs, {inferences} model inferences on /metrics (cache hits: {served - inferences})");
        log.WriteLine($"labels: {joined} of {labels.Count} joined; accuracy {(double)correct / requests.Count:P1}; confusion matrix on /metrics {(matrix ? "matches" : "DIFFERS")}");
        log.WriteLine($"health: {(int)health.StatusCode} {healthText}; report: {(int)report.StatusCode}");
        return served == requests.Count && inferences == distinct.Count && joined == labels.Count && matrix
            && health.StatusCode == HttpStatusCode.OK && report.StatusCode == HttpStatusCode.OK;
    }

    /// <summary>The value of the series of <paramref name="name"/> for the model with the given extra labels, or NaN.</summary>
    private static double Sample(string exposition, string name, string model, params (string Label, string Value)[] labels)
    {
        foreach (Match match in SeriesPattern().Matches(exposition))
        {
            if (match.Groups["name"].Value != name)
            {
                continue;
            }

            string set = match.Groups["labels"].Value;
            if (set.Contains($"model_name=\"{model}\"", StringComparison.Ordinal)
                && labels.All(l => set.Contains($"{l.Label}=\"{l.Value}\"", StringComparison.Ordinal))
                && !set.Contains("error_type", StringComparison.Ordinal))
            {
                return double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return double.NaN;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\{(?<labels>[^}]*)\} (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex SeriesPattern();
}
