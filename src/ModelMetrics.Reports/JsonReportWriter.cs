// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;

namespace ModelMetrics.Reports;

/// <summary>
/// Writes a <see cref="ReportData"/> as JSON with <see cref="Utf8JsonWriter"/>: no reflection, so trimming and native
/// AOT keep every field. Durations are in seconds, ratios from 0 to 1, counts raw; a figure that does not apply is
/// absent (never NaN).
/// </summary>
internal static class JsonReportWriter
{
    public static void Write(Stream stream, ReportData data, bool indented)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented });
        json.WriteStartObject();
        json.WriteString("title", data.Title);
        json.WriteString("generated", data.Generated);
        json.WriteStartArray("models");
        foreach (ModelMonitorSnapshot model in data.Models)
        {
            Model(json, model);
        }

        json.WriteEndArray();
        if (data.Rules is not null)
        {
            Rules(json, data.Rules);
        }

        if (data.Resources is not null)
        {
            Resources(json, data.Resources);
        }

        json.WriteEndObject();
    }

    private static void Number(Utf8JsonWriter json, string name, double value)
    {
        // JSON has no NaN or infinity: a figure without a value is left out.
        if (double.IsFinite(value))
        {
            json.WriteNumber(name, value);
        }
    }

    private static void Counts(Utf8JsonWriter json, string name, IReadOnlyDictionary<string, long> counts)
    {
        json.WriteStartObject(name);
        foreach (KeyValuePair<string, long> pair in counts)
        {
            json.WriteNumber(pair.Key, pair.Value);
        }

        json.WriteEndObject();
    }

    private static void Model(Utf8JsonWriter json, ModelMonitorSnapshot model)
    {
        json.WriteStartObject();
        json.WriteString("name", model.ModelName);
        if (model.ModelVersion is not null)
        {
            json.WriteString("version", model.ModelVersion);
        }

        json.WriteString("timestamp", model.Timestamp);
        json.WriteNumber("calls", model.Calls);
        json.WriteNumber("succeeded", model.Succeeded);
        json.WriteNumber("failed", model.Failed);
        Number(json, "failureRatio", model.FailureRate);
        json.WriteNumber("inFlight", model.InFlight);
        json.WriteNumber("items", model.Items);
        json.WriteNumber("chunks", model.Chunks);
        Counts(json, "failures", model.Failures);
        Counts(json, "rejected", model.Rejected);
        json.WritePropertyName("latency");
        Latency(json, model.Latency, buckets: true);
        if (model.TimeToFirstChunk.Count > 0)
        {
            json.WritePropertyName("timeToFirstChunk");
            Latency(json, model.TimeToFirstChunk, buckets: false);
        }

        if (model.Classification is not null)
        {
            json.WritePropertyName("classification");
            Classification(json, model.Classification, full: true);
        }

        if (model.Regression is not null)
        {
            json.WritePropertyName("regression");
            Regression(json, model.Regression);
        }

        if (model.CpuTime is not null)
        {
            json.WritePropertyName("cpuTime");
            CpuTime(json, model.CpuTime);
        }

        if (model.GenAI is not null)
        {
            json.WritePropertyName("genAI");
            GenAI(json, model.GenAI);
        }

        Labels(json, model.Labels);
        json.WriteStartArray("windows");
        foreach (WindowSnapshot w in model.Windows)
        {
            Window(json, w);
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void Window(Utf8JsonWriter json, WindowSnapshot w)
    {
        json.WriteStartObject();
        json.WriteNumber("windowSeconds", w.Window.TotalSeconds);
        json.WriteNumber("calls", w.Calls);
        json.WriteNumber("succeeded", w.Succeeded);
        json.WriteNumber("failed", w.Failed);
        Number(json, "failureRatio", w.FailureRate);
        Number(json, "callsPerSecond", w.Calls / w.Window.TotalSeconds);
        json.WriteNumber("items", w.Items);
        json.WriteNumber("chunks", w.Chunks);
        Counts(json, "failures", w.Failures);
        json.WritePropertyName("latency");
        Latency(json, w.Latency, buckets: false);
        if (w.TimeToFirstChunk.Count > 0)
        {
            json.WritePropertyName("timeToFirstChunk");
            Latency(json, w.TimeToFirstChunk, buckets: false);
        }

        if (w.Classification is not null)
        {
            json.WritePropertyName("classification");
            Classification(json, w.Classification, full: false);
        }

        if (w.Regression is not null)
        {
            json.WritePropertyName("regression");
            Regression(json, w.Regression);
        }

        if (w.Drift is { } d)
        {
            json.WriteStartObject("drift");
            json.WriteNumber("predictions", d.Predictions);
            Number(json, "classPsi", d.ClassPsi);
            if (d.ScorePsi is { } scorePsi)
            {
                Number(json, "scorePsi", scorePsi);
            }

            Array(json, "classShares", d.ClassShares);
            Array(json, "referenceClassShares", d.ReferenceClassShares);
            if (d.ScoreShares is not null)
            {
                Array(json, "scoreShares", d.ScoreShares);
            }

            if (d.ReferenceScoreShares is not null)
            {
                Array(json, "referenceScoreShares", d.ReferenceScoreShares);
            }

            json.WriteEndObject();
        }

        if (w.CpuTime is not null)
        {
            json.WritePropertyName("cpuTime");
            CpuTime(json, w.CpuTime);
        }

        if (w.GenAI is not null)
        {
            json.WritePropertyName("genAI");
            GenAI(json, w.GenAI);
        }

        if (w.LabelDelay.Count > 0)
        {
            json.WritePropertyName("labelDelay");
            Latency(json, w.LabelDelay, buckets: false);
        }

        json.WriteEndObject();
    }

    private static void Array(Utf8JsonWriter json, string name, IReadOnlyList<double> values)
    {
        json.WriteStartArray(name);
        foreach (double value in values)
        {
            if (double.IsFinite(value))
            {
                json.WriteNumberValue(value);
            }
            else
            {
                json.WriteNullValue();
            }
        }

        json.WriteEndArray();
    }

    private static void Latency(Utf8JsonWriter json, LatencySnapshot latency, bool buckets)
    {
        json.WriteStartObject();
        json.WriteNumber("count", latency.Count);
        Number(json, "sum", latency.Sum);
        Number(json, "mean", latency.Mean);
        Number(json, "p50", latency.P50);
        Number(json, "p90", latency.P90);
        Number(json, "p95", latency.P95);
        Number(json, "p99", latency.P99);
        Number(json, "p999", latency.P999);
        Number(json, "max", latency.Max);
        if (buckets)
        {
            // [lower, upper, count] per non-empty HDR bucket, in seconds.
            json.WriteStartArray("buckets");
            foreach (LatencyBucket bucket in latency.GetBuckets())
            {
                json.WriteStartArray();
                json.WriteNumberValue(bucket.LowerBound);
                json.WriteNumberValue(bucket.UpperBound);
                json.WriteNumberValue(bucket.Count);
                json.WriteEndArray();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    private static void Classification(Utf8JsonWriter json, ClassificationSnapshot c, bool full)
    {
        json.WriteStartObject();
        json.WriteNumber("total", c.Total);
        json.WriteNumber("correct", c.Correct);
        Number(json, "accuracy", c.Accuracy);
        Number(json, "macroPrecision", c.MacroPrecision);
        Number(json, "macroRecall", c.MacroRecall);
        Number(json, "macroF1", c.MacroF1);
        Number(json, "microF1", c.MicroF1);
        Number(json, "weightedF1", c.WeightedF1);
        Number(json, "balancedAccuracy", c.BalancedAccuracy);
        Number(json, "mcc", c.MatthewsCorrelation);
        json.WriteNumber("scored", c.ScoredCount);
        if (c.ScoredCount > 0)
        {
            Number(json, "logLoss", c.LogLoss);
        }

        json.WriteStartArray("classes");
        foreach (ClassMetrics m in c.Classes)
        {
            json.WriteStartObject();
            json.WriteString("label", m.Label);
            json.WriteNumber("support", m.Support);
            json.WriteNumber("truePositives", m.TruePositives);
            json.WriteNumber("falsePositives", m.FalsePositives);
            json.WriteNumber("falseNegatives", m.FalseNegatives);
            Number(json, "precision", m.Precision);
            Number(json, "recall", m.Recall);
            Number(json, "f1", m.F1);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (full && c.HasMatrix)
        {
            // matrix[actual][predicted], in the order of "labels".
            json.WriteStartArray("labels");
            foreach (string label in c.Labels)
            {
                json.WriteStringValue(label);
            }

            json.WriteEndArray();
            json.WriteStartArray("matrix");
            for (int actual = 0; actual < c.Labels.Count; actual++)
            {
                json.WriteStartArray();
                for (int predicted = 0; predicted < c.Labels.Count; predicted++)
                {
                    json.WriteNumberValue(c.GetCount(predicted, actual));
                }

                json.WriteEndArray();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    private static void Regression(Utf8JsonWriter json, RegressionSnapshot r)
    {
        json.WriteStartObject();
        json.WriteNumber("count", r.Count);
        Number(json, "meanAbsoluteError", r.MeanAbsoluteError);
        Number(json, "rootMeanSquaredError", r.RootMeanSquaredError);
        Number(json, "meanError", r.MeanError);
        Number(json, "rSquared", r.RSquared);
        Number(json, "meanAbsolutePercentageError", r.MeanAbsolutePercentageError);
        json.WriteEndObject();
    }

    private static void CpuTime(Utf8JsonWriter json, CpuTimeSnapshot c)
    {
        json.WriteStartObject();
        json.WriteNumber("samples", c.Samples);
        Number(json, "cpuSecondsPerCall", c.CpuSecondsPerCall);
        Number(json, "processShare", c.ProcessShare);
        json.WriteEndObject();
    }

    private static void GenAI(Utf8JsonWriter json, GenAISnapshot g)
    {
        json.WriteStartObject();
        json.WriteNumber("calls", g.Calls);
        json.WriteNumber("succeeded", g.Succeeded);
        json.WriteNumber("failed", g.Failed);
        json.WriteNumber("inputTokens", g.InputTokens);
        json.WriteNumber("outputTokens", g.OutputTokens);
        json.WriteNumber("cachedInputTokens", g.CachedInputTokens);
        json.WriteNumber("reasoningTokens", g.ReasoningTokens);
        Number(json, "outputTokensPerSecond", g.OutputTokensPerSecond);
        json.WritePropertyName("duration");
        Latency(json, g.Duration, buckets: false);
        json.WritePropertyName("timeToFirstToken");
        Latency(json, g.TimeToFirstToken, buckets: false);
        json.WritePropertyName("timePerOutputToken");
        Latency(json, g.TimePerOutputToken, buckets: false);
        Counts(json, "finishReasons", g.FinishReasons);
        Counts(json, "failures", g.Failures);
        Number(json, "cost", g.Cost);
        json.WriteString("currency", g.Currency);
        json.WriteEndObject();
    }

    private static void Labels(Utf8JsonWriter json, LabelSnapshot l)
    {
        json.WriteStartObject("labels");
        json.WriteNumber("pending", l.Pending);
        json.WriteNumber("joined", l.Joined);
        json.WriteNumber("expired", l.Expired);
        json.WriteNumber("evicted", l.Evicted);
        json.WriteNumber("replaced", l.Replaced);
        json.WriteNumber("unknownId", l.UnknownId);
        json.WriteNumber("duplicateLabel", l.DuplicateLabel);
        json.WriteNumber("lateLabel", l.LateLabel);
        json.WriteNumber("invalidId", l.InvalidId);
        json.WritePropertyName("delay");
        Latency(json, l.Delay, buckets: false);
        json.WriteEndObject();
    }

    private static void Rules(Utf8JsonWriter json, IReadOnlyList<RuleStatus> statuses)
    {
        json.WriteStartArray("rules");
        foreach (RuleStatus status in statuses)
        {
            json.WriteStartObject();
            json.WriteString("rule", status.Rule);
            json.WriteBoolean("objective", status.IsObjective);
            json.WriteString("model", status.ModelName);
            if (status.ModelVersion is { } version)
            {
                json.WriteString("version", version);
            }

            json.WriteString("severity", status.Severity.ToString().ToLowerInvariant());
            if (status.Value is { } value)
            {
                Number(json, "value", value);
            }

            if (status.Threshold is { } threshold)
            {
                Number(json, "threshold", threshold);
            }

            Number(json, "windowSeconds", status.Window.TotalSeconds);
            json.WriteNumber("samples", status.Samples);
            if (status.ErrorBudgetRemaining is { } budget)
            {
                Number(json, "errorBudgetRemaining", budget);
            }

            json.WriteString("description", status.Description);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void Resources(Utf8JsonWriter json, ResourceSnapshot r)
    {
        json.WriteStartObject("resources");
        json.WriteString("timestamp", r.Timestamp);
        if (r.ProcessCpuUtilization is { } cpu)
        {
            Number(json, "processCpuUtilization", cpu);
        }

        json.WriteNumber("processResidentMemoryBytes", r.ProcessResidentMemoryBytes);
        json.WriteNumber("processThreads", r.ProcessThreads);
        json.WriteNumber("gcHeapSizeBytes", r.GcHeapSizeBytes);
        json.WriteNumber("gcAllocatedBytes", r.GcAllocatedBytes);
        json.WriteNumber("threadPoolThreads", r.ThreadPoolThreads);
        json.WriteNumber("threadPoolQueueLength", r.ThreadPoolQueueLength);
        Number(json, "availableCpus", r.AvailableCpus);
        if (r.SystemCpuUtilization is { } sys)
        {
            Number(json, "systemCpuUtilization", sys);
        }

        if (r.SystemMemoryUtilization is { } mem)
        {
            Number(json, "systemMemoryUtilization", mem);
        }

        json.WriteString("gpuStatus", r.GpuStatus.ToString());
        json.WriteStartArray("gpus");
        foreach (GpuSnapshot g in r.Gpus)
        {
            json.WriteStartObject();
            json.WriteNumber("index", g.Index);
            json.WriteString("name", g.Name);
            if (g.Utilization is { } u)
            {
                Number(json, "utilization", u);
            }

            if (g.MemoryUsedBytes is { } m)
            {
                json.WriteNumber("memoryUsedBytes", m);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    }
}
