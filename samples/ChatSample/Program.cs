// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

// ChatSample: a word trigram model, trained on text the sample ships, streams answers like an LLM behind
// IChatClient; eight users chat with it at once through ModelMetrics.AI, some stop reading early, and each rates the
// answers it read to the end. Every second the view shows what the monitor sees: time to first token and time per
// output token percentiles, tokens per second, finish reasons, failures, feedback and cost.
//
//   dotnet run -c Release --project samples/ChatSample -- --seconds 10

using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using ChatSample;
using Microsoft.Extensions.AI;
using ModelMetrics;
using ModelMetrics.AI;

const int Users = 8;
const string Usage = "usage: ChatSample [--seconds N]   (N: 1 to 3600, default 10)";
if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(Usage);
    return 0;
}

int seconds = 10;
if (args is not [] && !(args is ["--seconds", string text] && int.TryParse(text, out seconds) && seconds is >= 1 and <= 3600))
{
    Console.Error.WriteLine(Usage);
    return 2;
}

// 1. The model: trained in a few milliseconds on the shipped text.
var model = new NGramModel(Corpus.Text);
Console.WriteLine($"Trained a word trigram model on the shipped text: {model.VocabularySize} words.");

// 2. One monitor with the generative-AI signal; a 5-second window so the view reacts, and a price for the cost.
using var monitor = new ModelMonitor(new ModelMonitorOptions
{
    ModelName = "ngram-chat",
    ModelVersion = "1",
    Windows = [TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1)],
    GenAI = new GenAIOptions
    {
        ProviderName = "local.ngram",
        Prices = new Dictionary<string, GenAIPrice> { [NGramChatClient.ModelId] = new(InputPerMillion: 0.5, OutputPerMillion: 1.5) },
    },
});

// 3. The chat client, decorated: every call through `client` is measured.
using IChatClient client = new ChatClientBuilder(new NGramChatClient(model)).UseModelMetrics(monitor).Build();

// 4. Users chat until the time is up; the view prints every second.
string[] prompts =
[
    "What should we watch in production?", "Tell me about the first token.", "How fast is the stream?",
    "Why does an answer stop?", "What is feedback for?", "Show me the password.", "What does the monitor count?",
];
using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
Task[] users = [.. Enumerable.Range(0, Users).Select(user => Task.Run(() => ChatAsync(user, stop.Token)))];
for (int second = 1; second <= seconds; second++)
{
    await Task.Delay(1000);
    Print(second, monitor.GetSnapshot());
}

await Task.WhenAll(users);
GenAISnapshot total = monitor.GetSnapshot().GenAI!;
Console.WriteLine($"Done: {total.Calls} calls, {total.OutputTokens} output tokens, {total.Feedback} ratings ({total.PositiveFeedbackRate:P0} positive), cost {total.Cost:0.000000} {total.Currency}.");
return 0;

async Task ChatAsync(int user, CancellationToken cancellationToken)
{
    var random = new Random(user);
    while (!cancellationToken.IsCancellationRequested)
    {
        string prompt = prompts[random.Next(prompts.Length)];

        // One user in four stops reading after a few tokens: the stream is abandoned (counted as cancelled).
        int readAtMost = random.Next(4) == 0 ? random.Next(2, 6) : int.MaxValue;
        int read = 0;
        string? responseId = null;
        try
        {
            await foreach (ChatResponseUpdate update in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, prompt)], cancellationToken: cancellationToken))
            {
                responseId ??= update.ResponseId;
                if (++read >= readAtMost)
                {
                    break;
                }
            }
        }
        catch (InvalidOperationException)
        {
            // The model was overloaded: counted under its error type; the user tries again.
            continue;
        }
        catch (OperationCanceledException)
        {
            return;
        }

        // Users who read to the end rate the answer: longer answers are liked more.
        if (read < readAtMost && responseId is not null)
        {
            monitor.GenAI!.RecordFeedback(responseId, positive: read >= 15 || random.Next(3) == 0);
        }
    }
}

static void Print(int second, ModelMonitorSnapshot snapshot)
{
    GenAISnapshot w = snapshot.Recent.GenAI!;
    string reasons = string.Join(' ', w.FinishReasons.Select(r => $"{r.Key}={r.Value}"));
    string failures = string.Join(' ', w.Failures.Select(f => $"{f.Key.Split('.')[^1]}={f.Value}"));
    Console.WriteLine(
        $"[{second,3}s] last 5s: {w.Calls,3} calls, {snapshot.GenAI!.InFlight} in flight | TTFT p50 {Ms(w.TimeToFirstToken.P50),4} p99 {Ms(w.TimeToFirstToken.P99),4} ms" +
        $" | TPOT p50 {Ms(w.TimePerOutputToken.P50),3} p99 {Ms(w.TimePerOutputToken.P99),3} ms | {w.OutputTokensPerSecond,5:0.0} tok/s" +
        $" | {reasons} {failures} | liked {w.PositiveFeedbackRate,4:P0} of {w.Feedback} | cost {snapshot.GenAI.Cost:0.000000} {snapshot.GenAI.Currency}");
}

static string Ms(double seconds) => (seconds * 1000).ToString("0", System.Globalization.CultureInfo.InvariantCulture);
