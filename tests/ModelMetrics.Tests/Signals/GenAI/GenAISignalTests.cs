// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading;
using ModelMetrics.Tests.Publishing;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.GenAI;

public class GenAISignalTests
{
    [Test]
    public void StreamedCall_ScriptedOnTheClock_GivesExactTimeToFirstTokenTimePerOutputTokenInterChunkLatencyAndTokensPerSecond()
    {
        var time = new FakeTimeProvider();
        string meter = MeterName();
        using var collector = new MeasurementCollector(meter);
        using ModelMonitor monitor = Create(time, meter, new GenAIOptions { ProviderName = "openai" });

        // First chunk after 250 ms, then chunks 40, 60, 50 and 50 ms apart, and the end 10 ms after the last:
        // duration 460 ms, time per output token (460 - 250) / (5 - 1) = 52.5 ms, 5 / 0.46 tokens per second.
        GenAICall call = monitor.GenAI!.StartCall("gpt-4o");
        Assert.That(monitor.GetSnapshot().GenAI!.InFlight, Is.EqualTo(1));
        time.Advance(TimeSpan.FromMilliseconds(250));
        call.RecordChunk();
        foreach (int gap in new[] { 40, 60, 50, 50 })
        {
            time.Advance(TimeSpan.FromMilliseconds(gap));
            call.RecordChunk();
        }

        time.Advance(TimeSpan.FromMilliseconds(10));
        call.Complete(new GenAIUsage(InputTokens: 12, OutputTokens: 5), GenAIFinishReason.Stop, "gpt-4o-2024-08-06");

        GenAISnapshot g = monitor.GetSnapshot().GenAI!;
        Assert.Multiple(() =>
        {
            Assert.That(g.Calls, Is.EqualTo(1));
            Assert.That(g.InFlight, Is.Zero);
            Assert.That(g.FinishReasons, Is.EqualTo(new Dictionary<string, long> { ["stop"] = 1 }));
            Assert.That(g.InputTokens, Is.EqualTo(12));
            Assert.That(g.OutputTokens, Is.EqualTo(5));
            Assert.That(g.UnknownInputTokens + g.UnknownOutputTokens, Is.Zero);
            Assert.That(g.OutputTokensPerSecond, Is.EqualTo(5 / 0.46).Within(1e-9));

            // HDR quantiles (precision 5: 0.001% relative error) and exact le counts at the conventions' boundaries.
            Assert.That(g.TimeToFirstToken.Count, Is.EqualTo(1));
            Assert.That(g.TimeToFirstToken.P50, Is.EqualTo(0.25).Within(0.25e-5));
            Assert.That(g.Duration.P50, Is.EqualTo(0.46).Within(0.46e-5));
            Assert.That(g.TimePerOutputToken.P50, Is.EqualTo(0.0525).Within(0.0525e-5));
            Assert.That(g.InterChunkLatency.Count, Is.EqualTo(4));
            Assert.That(g.InterChunkLatency.P50, Is.EqualTo(0.05).Within(0.05e-5));
            Assert.That(g.InterChunkLatency.Max, Is.EqualTo(0.06).Within(0.06e-5));
            Assert.That(g.InterChunkLatency.GetQuantile(0), Is.EqualTo(0.04).Within(0.04e-5));
            Assert.That(g.InterChunkLatency.CountAtOrBelow(0.05), Is.EqualTo(3));
            Assert.That(g.TimeToFirstToken.CountAtOrBelow(0.16), Is.Zero);
            Assert.That(g.TimeToFirstToken.CountAtOrBelow(0.32), Is.EqualTo(1));

            // The shortest window holds the same call.
            Assert.That(monitor.GetSnapshot().Recent.GenAI!.TimePerOutputToken.Count, Is.EqualTo(1));
        });

        // The semantic-convention histograms get the exact values.
        List<Observed> recorded = collector.Recorded(monitor.ModelName);
        Assert.Multiple(() =>
        {
            Observed duration = recorded.Single(o => o.Instrument == "gen_ai.client.operation.duration");
            Assert.That(duration.Value, Is.EqualTo(0.46));
            Assert.That(duration.Unit, Is.EqualTo("s"));
            Assert.That(duration.Tag("gen_ai.operation.name"), Is.EqualTo("chat"));
            Assert.That(duration.Tag("gen_ai.provider.name"), Is.EqualTo("openai"));
            Assert.That(duration.Tag("gen_ai.request.model"), Is.EqualTo("gpt-4o"));
            Assert.That(duration.Tag("gen_ai.response.model"), Is.EqualTo("gpt-4o-2024-08-06"));
            Assert.That(duration.Tag("error.type"), Is.Null);
            Assert.That(recorded.Single(o => o.Instrument == "gen_ai.client.operation.time_to_first_chunk").Value, Is.EqualTo(0.25));
            Assert.That(
                recorded.Where(o => o.Instrument == "gen_ai.client.operation.time_per_output_chunk").Select(o => o.Value),
                Is.EqualTo(new[] { 0.04, 0.06, 0.05, 0.05 }));
            List<Observed> tokens = recorded.Where(o => o.Instrument == "gen_ai.client.token.usage").ToList();
            Assert.That(tokens.Single(o => o.Tag("gen_ai.token.type") == "input").Value, Is.EqualTo(12));
            Assert.That(tokens.Single(o => o.Tag("gen_ai.token.type") == "output").Value, Is.EqualTo(5));
            Assert.That(tokens.All(o => o.Unit == "{token}" && o.InstrumentType == typeof(Histogram<>)), Is.True);
        });
    }

    [Test]
    public void NonStreamedCalls_HaveNoTimeToFirstToken_AndTokensPerSecondIsTokensOverSummedDurations()
    {
        var time = new FakeTimeProvider();
        using ModelMonitor monitor = Create(time, MeterName(), new GenAIOptions());

        // 100 tokens in 1 s and 100 tokens in 4 s: 200 tokens over 5 s is 40 tokens/s (the mean of the per-call rates would be 62.5).
        GenAICall first = monitor.GenAI!.StartCall();
        time.Advance(TimeSpan.FromSeconds(1));
        first.Complete(new GenAIUsage(10, 100), GenAIFinishReason.Length);
        GenAICall second = monitor.GenAI.StartCall();
        time.Advance(TimeSpan.FromSeconds(4));
        second.Complete(new GenAIUsage(20, 100), GenAIFinishReason.ToolCalls);

        GenAISnapshot g = monitor.GetSnapshot().GenAI!;
        Assert.Multiple(() =>
        {
            Assert.That(g.OutputTokensPerSecond, Is.EqualTo(40).Within(1e-9), "200 tokens over 5 s, not the mean of 100/s and 25/s");
            Assert.That(g.TimeToFirstToken.Count, Is.Zero);
            Assert.That(g.TimePerOutputToken.Count, Is.Zero);
            Assert.That(g.InterChunkLatency.Count, Is.Zero);
            Assert.That(g.Duration.Count, Is.EqualTo(2));
            Assert.That(g.FinishReasons, Is.EqualTo(new Dictionary<string, long> { ["length"] = 1, ["tool_calls"] = 1 }));
            Assert.That(g.InputTokens, Is.EqualTo(30));
        });
    }

    [Test]
    public void MissingUsage_IsCountedAsUnknown_AndChunkTokenCountsStandInForMissingOutput()
    {
        var time = new FakeTimeProvider();
        using ModelMonitor monitor = Create(time, MeterName(), new GenAIOptions());

        monitor.GenAI!.StartCall().Complete();
        GenAICall counted = monitor.GenAI.StartCall();
        time.Advance(TimeSpan.FromMilliseconds(100));
        counted.RecordChunk(3);
        time.Advance(TimeSpan.FromMilliseconds(20));
        counted.RecordChunk(4);
        time.Advance(TimeSpan.FromMilliseconds(20));
        counted.Complete(new GenAIUsage(InputTokens: 9));

        GenAISnapshot g = monitor.GetSnapshot().GenAI!;
        Assert.Multiple(() =>
        {
            Assert.That(g.UnknownInputTokens, Is.EqualTo(1));
            Assert.That(g.UnknownOutputTokens, Is.EqualTo(1), "only the call without usage and without counted chunks");
            Assert.That(g.InputTokens, Is.EqualTo(9));
            Assert.That(g.OutputTokens, Is.EqualTo(7));
            Assert.That(g.FinishReasons, Is.EqualTo(new Dictionary<string, long> { ["unknown"] = 2 }));

            // (140 - 100) / (7 - 1) ms.
            Assert.That(g.TimePerOutputToken.P50, Is.EqualTo(0.04 / 6).Within(0.04 / 6 * 1e-5));
            Assert.That(monitor.GetSnapshot().Rejected, Is.Empty);
        });
    }

    [Test]
    public void NegativeAbsurdAndInconsistentTokenCounts_AreRejectedCountedAndTreatedAsUnknown()
    {
        using ModelMonitor monitor = Create(new FakeTimeProvider(), MeterName(), new GenAIOptions());

        monitor.GenAI!.StartCall().Complete(new GenAIUsage(InputTokens: -1, OutputTokens: GenAIUsage.MaxTokens + 1));
        monitor.GenAI.StartCall().Complete(new GenAIUsage(InputTokens: 10, OutputTokens: 20, CachedInputTokens: 11, ReasoningTokens: 21));
        monitor.GenAI.StartCall().Complete(new GenAIUsage(InputTokens: 10, OutputTokens: 20, CachedInputTokens: 10, ReasoningTokens: 5));
        GenAICall chunked = monitor.GenAI.StartCall();
        chunked.RecordChunk(-3);
        chunked.Complete();

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        GenAISnapshot g = snapshot.GenAI!;
        Assert.Multiple(() =>
        {
            Assert.That(snapshot.Rejected["invalid_token_count"], Is.EqualTo(5));
            Assert.That(g.UnknownInputTokens, Is.EqualTo(2));
            Assert.That(g.UnknownOutputTokens, Is.EqualTo(2));
            Assert.That(g.InputTokens, Is.EqualTo(20));
            Assert.That(g.OutputTokens, Is.EqualTo(40));
            Assert.That(g.CachedInputTokens, Is.EqualTo(10));
            Assert.That(g.ReasoningTokens, Is.EqualTo(5));
            Assert.That(g.Calls, Is.EqualTo(4));
        });
    }

    [Test]
    public void Failures_AreCountedByErrorType_AbandonedStreamsAsCancelled_AndConventionsCarryErrorType()
    {
        var time = new FakeTimeProvider();
        string meter = MeterName();
        using var collector = new MeasurementCollector(meter);
        using ModelMonitor monitor = Create(time, meter, new GenAIOptions());

        GenAICall failing = monitor.GenAI!.StartCall();
        failing.RecordChunk();
        time.Advance(TimeSpan.FromMilliseconds(30));
        failing.Fail(new InvalidOperationException("mid-stream"));
        failing.Complete(new GenAIUsage(1, 1), GenAIFinishReason.Stop); // ended already: ignored

        GenAICall abandoned = monitor.GenAI.StartCall();
        abandoned.Abandon();

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        monitor.GenAI.StartCall().Fail(new OperationCanceledException(), cancellationToken: cancelled.Token);
        monitor.GenAI.StartCall().Fail(new TimeoutException());
        default(GenAICall).Complete();

        GenAISnapshot g = monitor.GetSnapshot().GenAI!;
        Assert.Multiple(() =>
        {
            Assert.That(g.Succeeded, Is.Zero);
            Assert.That(g.Failed, Is.EqualTo(4));
            Assert.That(g.InFlight, Is.Zero);
            Assert.That(g.Failures, Is.EqualTo(new Dictionary<string, long> { ["System.InvalidOperationException"] = 1, ["cancelled"] = 2, ["timeout"] = 1 }));
            Assert.That(g.Duration.Count, Is.EqualTo(4));
            Assert.That(g.TimeToFirstToken.Count, Is.EqualTo(1));
            Assert.That(g.TimePerOutputToken.Count, Is.Zero);
        });

        List<Observed> durations = collector.Recorded(monitor.ModelName).Where(o => o.Instrument == "gen_ai.client.operation.duration").ToList();
        Assert.That(
            durations.Select(o => o.Tag("error.type")),
            Is.EquivalentTo(new[] { "System.InvalidOperationException", "cancelled", "System.OperationCanceledException", "System.TimeoutException" }),
            "the conventions' error.type is the exception's type name; an abandoned stream has none, so it is cancelled");
        Assert.That(durations.Single(o => o.Tag("error.type") == "System.InvalidOperationException").Value, Is.EqualTo(0.03));

        List<Observed> calls = collector.Collect(monitor.ModelName).Where(o => o.Instrument == "model.genai.calls").ToList();
        Assert.That(calls.All(o => o.Tag("finish_reason") == "error"), Is.True);
        Assert.That(calls.Sum(o => o.Value), Is.EqualTo(4));
    }

    [Test]
    public void DistinctModelIds_BeyondTheCap_ArePublishedAsOther_AndCounted()
    {
        string meter = MeterName();
        using var collector = new MeasurementCollector(meter);
        using ModelMonitor monitor = Create(new FakeTimeProvider(), meter, new GenAIOptions { MaxModelIds = 16 });

        const int Ids = 100_000;
        for (int i = 0; i < Ids; i++)
        {
            monitor.GenAI!.StartCall("requested").Complete(new GenAIUsage(1, 1), GenAIFinishReason.Stop, "model-" + i);
        }

        List<Observed> recorded = collector.Recorded(monitor.ModelName).Where(o => o.Instrument == "gen_ai.client.operation.duration").ToList();
        string?[] models = recorded.Select(o => o.Tag("gen_ai.response.model")).Distinct().ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(recorded, Has.Count.EqualTo(Ids));
            Assert.That(models, Has.Length.EqualTo(17));
            Assert.That(models, Does.Contain("_OTHER"));
            Assert.That(models, Does.Contain("model-15").And.Not.Contain("model-16"));
            Assert.That(recorded.Count(o => o.Tag("gen_ai.response.model") == "_OTHER"), Is.EqualTo(Ids - 16));
        });

        Observed overflow = collector.Collect(monitor.ModelName).Single(o => o.Instrument == "model.genai.model_ids.overflow");
        Assert.That(overflow.Value, Is.EqualTo(Ids - 16));
        Assert.That(overflow.Tag("attribute"), Is.EqualTo("gen_ai.response.model"));
    }

    [Test]
    public void Feedback_IsJoinedByResponseId_CountedPerWindow_AndUnmatchedFeedbackIsCountedByWhy()
    {
        var time = new FakeTimeProvider();
        using ModelMonitor monitor = Create(time, MeterName(), new GenAIOptions());
        GenAIRecorder genAI = monitor.GenAI!;
        for (int i = 0; i < 4; i++)
        {
            genAI.StartCall().Complete(new GenAIUsage(1, 1), GenAIFinishReason.Stop, responseId: "r" + i);
        }

        Assert.That(monitor.GetSnapshot().GenAI!.PendingResponses, Is.EqualTo(4));
        Assert.That(genAI.RecordFeedback("r0", positive: true), Is.True);
        Assert.That(genAI.RecordFeedback("r1", positive: false), Is.True);
        Assert.That(genAI.RecordFeedback("r0", positive: false), Is.False, "the first feedback wins");
        Assert.That(genAI.RecordFeedback("nobody", positive: true), Is.False);
        Assert.That(genAI.RecordFeedback("r2", 1.5), Is.False, "a score above 1 is rejected");

        // The short window (1 minute) passes; two more feedbacks land in the next one.
        time.Advance(TimeSpan.FromMinutes(2));
        monitor.GetSnapshot();
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.That(genAI.RecordFeedback("r2", 0.75), Is.True);
        Assert.That(genAI.RecordFeedback("r3", 0.25), Is.True);

        ModelMonitorSnapshot snapshot = monitor.GetSnapshot();
        GenAISnapshot g = snapshot.GenAI!;
        GenAISnapshot recent = snapshot.Recent.GenAI!;
        Assert.Multiple(() =>
        {
            Assert.That(g.PositiveFeedback, Is.EqualTo(2));
            Assert.That(g.NegativeFeedback, Is.EqualTo(2));
            Assert.That(g.PositiveFeedbackRate, Is.EqualTo(0.5));
            Assert.That(g.ScoredFeedback, Is.EqualTo(2));
            Assert.That(g.MeanFeedbackScore, Is.EqualTo(0.5).Within(1e-9));
            Assert.That(g.PendingResponses, Is.Zero);
            Assert.That(g.UnmatchedFeedback, Is.EqualTo(new Dictionary<string, long> { ["duplicate"] = 1, ["unknown_id"] = 1 }));
            Assert.That(snapshot.Rejected["invalid_value"], Is.EqualTo(1));
            Assert.That(recent.Feedback, Is.EqualTo(2));
            Assert.That(recent.PositiveFeedbackRate, Is.EqualTo(0.5));
            Assert.That(recent.Calls, Is.Zero, "the calls were made more than a window ago");
        });
    }

    [Test]
    public void Cost_FollowsThePriceOfTheResponseModel_ElseTheRequestModel()
    {
        var prices = new Dictionary<string, GenAIPrice>
        {
            ["big"] = new(InputPerMillion: 2.5, OutputPerMillion: 10, CachedInputPerMillion: 1.25),
            ["small"] = new(InputPerMillion: 0.15, OutputPerMillion: 0.6),
        };
        string meter = MeterName();
        using var collector = new MeasurementCollector(meter);
        using ModelMonitor monitor = Create(new FakeTimeProvider(), meter, new GenAIOptions { Prices = prices, Currency = "EUR" });

        // big: 600 uncached input * 2.5 + 400 cached * 1.25 + 200 output * 10 = 1500 + 500 + 2000 = 4000 per million = 0.004.
        monitor.GenAI!.StartCall("small").Complete(new GenAIUsage(1000, 200, CachedInputTokens: 400), GenAIFinishReason.Stop, "big");

        // small (request model): 1000 * 0.15 + 1000 * 0.6 = 750 per million = 0.00075. An unpriced model costs nothing.
        monitor.GenAI.StartCall("small").Complete(new GenAIUsage(1000, 1000), GenAIFinishReason.Stop);
        monitor.GenAI.StartCall("unpriced").Complete(new GenAIUsage(1000, 1000), GenAIFinishReason.Stop);

        GenAISnapshot g = monitor.GetSnapshot().GenAI!;
        Assert.That(g.Cost, Is.EqualTo(0.00475).Within(1e-12));
        Assert.That(g.Currency, Is.EqualTo("EUR"));
        Observed cost = collector.Collect(monitor.ModelName).Single(o => o.Instrument == "model.genai.cost");
        Assert.That(cost.Value, Is.EqualTo(0.00475).Within(1e-12));
        Assert.That(cost.Tag("currency"), Is.EqualTo("EUR"));
    }

    [Test]
    public void Instruments_PublishTokensCallsQuantilesAndRates()
    {
        var time = new FakeTimeProvider();
        string meter = MeterName();
        using var collector = new MeasurementCollector(meter);
        using ModelMonitor monitor = Create(time, meter, new GenAIOptions());
        GenAICall call = monitor.GenAI!.StartCall();
        time.Advance(TimeSpan.FromMilliseconds(100));
        call.RecordChunk();
        time.Advance(TimeSpan.FromMilliseconds(100));
        call.RecordChunk();
        call.Complete(new GenAIUsage(7, 2, CachedInputTokens: 3, ReasoningTokens: 1), GenAIFinishReason.ContentFilter, responseId: 42L);
        monitor.GenAI.RecordFeedback(42L, positive: true);
        monitor.GenAI.StartCall().Complete();

        List<Observed> observed = collector.Collect(monitor.ModelName);
        double Value(string instrument, string key, string value) => observed.Single(o => o.Instrument == instrument && o.Tag(key) == value).Value;
        Assert.Multiple(() =>
        {
            Assert.That(Value("model.genai.tokens", "gen_ai.token.type", "input"), Is.EqualTo(7));
            Assert.That(Value("model.genai.tokens", "gen_ai.token.type", "output"), Is.EqualTo(2));
            Assert.That(Value("model.genai.tokens", "gen_ai.token.type", "cached_input"), Is.EqualTo(3));
            Assert.That(Value("model.genai.tokens", "gen_ai.token.type", "reasoning"), Is.EqualTo(1));
            Assert.That(Value("model.genai.tokens.unknown", "gen_ai.token.type", "output"), Is.EqualTo(1));
            Assert.That(Value("model.genai.calls", "finish_reason", "content_filter"), Is.EqualTo(1));
            Assert.That(Value("model.genai.calls", "finish_reason", "unknown"), Is.EqualTo(1));
            Assert.That(Value("model.genai.feedback", "feedback", "positive"), Is.EqualTo(1));
            Assert.That(Value("model.genai.feedback.positive_rate", "window", "60"), Is.EqualTo(1));
            Assert.That(Value("model.genai.output_tokens_per_second", "window", "60"), Is.EqualTo(10).Within(1e-9));
            Assert.That(
                observed.Single(o => o.Instrument == "model.genai.time_to_first_token.quantile" && o.Tag("quantile") == "0.5" && o.Tag("window") == "300").Value,
                Is.EqualTo(0.1).Within(1e-6));
            Assert.That(Value("model.genai.inter_chunk_latency.bucket", "le", "0.1"), Is.EqualTo(1));
            Assert.That(Value("model.genai.time_per_output_token.bucket", "le", "0.075"), Is.Zero);
            Assert.That(Value("model.genai.time_per_output_token.bucket", "le", "0.1"), Is.EqualTo(1));
            Assert.That(observed.Single(o => o.Instrument == "model.genai.duration.count").Value, Is.EqualTo(2));
            Assert.That(observed.Single(o => o.Instrument == "model.genai.active_calls").Value, Is.Zero);
        });
    }

    [Test]
    public void ServerSide_RecordsTheServerInstruments_WithTimePerOutputTokenPerCall()
    {
        var time = new FakeTimeProvider();
        string meter = MeterName();
        using var collector = new MeasurementCollector(meter);
        using ModelMonitor monitor = Create(time, meter, new GenAIOptions { ServerSide = true, ProviderName = "local" });
        GenAICall call = monitor.GenAI!.StartCall();
        time.Advance(TimeSpan.FromMilliseconds(20));
        call.RecordChunk(1);
        for (int i = 0; i < 10; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(8));
            call.RecordChunk(1);
        }

        call.Complete(finishReason: GenAIFinishReason.Stop);

        List<Observed> recorded = collector.Recorded(monitor.ModelName);
        Assert.Multiple(() =>
        {
            Assert.That(recorded.Single(o => o.Instrument == "gen_ai.server.request.duration").Value, Is.EqualTo(0.1).Within(1e-12));
            Assert.That(recorded.Single(o => o.Instrument == "gen_ai.server.time_to_first_token").Value, Is.EqualTo(0.02));
            Assert.That(recorded.Single(o => o.Instrument == "gen_ai.server.time_per_output_token").Value, Is.EqualTo(0.008).Within(1e-15));
            Assert.That(recorded.Any(o => o.Instrument.StartsWith("gen_ai.client.", StringComparison.Ordinal)), Is.False);
        });
    }

    [Test]
    public void SemanticConventionInstruments_Off_RecordsNoGenAIHistograms()
    {
        string meter = MeterName();
        using var collector = new MeasurementCollector(meter);
        using ModelMonitor monitor = Create(new FakeTimeProvider(), meter, new GenAIOptions { SemanticConventionInstruments = false });
        monitor.GenAI!.StartCall().Complete(new GenAIUsage(1, 1));
        Assert.That(collector.Recorded(monitor.ModelName), Is.Empty);
        Assert.That(monitor.GetSnapshot().GenAI!.Calls, Is.EqualTo(1));
    }

    [Test]
    public void MonitorWithoutGenAIOptions_HasNoGenAISignal()
    {
        using var monitor = new ModelMonitor(new ModelMonitorOptions { ModelName = nameof(MonitorWithoutGenAIOptions_HasNoGenAISignal), MeterName = MeterName() });
        Assert.That(monitor.GenAI, Is.Null);
        Assert.That(monitor.GetSnapshot().GenAI, Is.Null);
        Assert.That(monitor.GetSnapshot().Recent.GenAI, Is.Null);
    }

    [TestCase("OperationName", "")]
    [TestCase("ProviderName", "")]
    [TestCase("MaxModelIds", 0)]
    [TestCase("MaxModelIds", 1025)]
    [TestCase("Currency", "")]
    public void InvalidOptions_ThrowNamingTheOption(string option, object value)
    {
        var genAI = new GenAIOptions();
        typeof(GenAIOptions).GetProperty(option)!.SetValue(genAI, value);
        ArgumentException error = Assert.Throws<ArgumentException>(() => Create(new FakeTimeProvider(), MeterName(), genAI))!;
        Assert.That(error.ParamName, Is.EqualTo("GenAI." + option));
    }

    [Test]
    public void InvalidPrice_ThrowsNamingPrices()
    {
        var genAI = new GenAIOptions { Prices = new Dictionary<string, GenAIPrice> { ["m"] = new(-1, 1) } };
        ArgumentException error = Assert.Throws<ArgumentException>(() => Create(new FakeTimeProvider(), MeterName(), genAI))!;
        Assert.That(error.ParamName, Is.EqualTo("GenAI.Prices"));
    }

    private static ModelMonitor Create(TimeProvider time, string meter, GenAIOptions genAI) => new(new ModelMonitorOptions
    {
        ModelName = TestContext.CurrentContext.Test.Name,
        MeterName = meter,
        TimeProvider = time,
        LatencyPrecision = 5,
        GenAI = genAI,
    });

    private static string MeterName() => "ModelMetrics.Tests.GenAI." + TestContext.CurrentContext.Test.Name;
}
