// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;

namespace ChatSample;

/// <summary>
/// The n-gram model behind <see cref="IChatClient"/>, with an LLM's timing: a prefill delay that grows with the prompt,
/// then one token every 10 to 30 ms, usage and a finish reason at the end (<c>length</c> at the token limit,
/// <c>content_filter</c> for a blocked word), and an occasional overload error. Deterministic for a given prompt and
/// request number; the delays are real (Task.Delay), so a sample run looks like a served model.
/// </summary>
internal sealed class NGramChatClient(NGramModel model) : IChatClient
{
    public const string ModelId = "ngram-3";
    private const string BlockedWord = "password";
    private int _requests;

    public ChatClientMetadata Metadata { get; } = new("local.ngram", new Uri("http://localhost"), ModelId);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (ChatResponseUpdate update in GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            updates.Add(update);
        }

        return updates.ToChatResponse();
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        int request = Interlocked.Increment(ref _requests);
        string prompt = string.Join(' ', messages.Select(m => m.Text));
        int promptTokens = NGramModel.Tokenize(prompt).Length;
        string responseId = "resp-" + request;
        var random = new Random(request);

        // Prefill: 30 ms plus 1 ms a prompt token, and now and then a queue of 100-300 ms.
        int queue = request % 7 == 0 ? random.Next(100, 300) : 0;
        await Task.Delay(30 + promptTokens + queue, cancellationToken).ConfigureAwait(false);
        if (request % 41 == 0)
        {
            throw new InvalidOperationException("The model is overloaded; retry later.");
        }

        int maxTokens = options?.MaxOutputTokens ?? 60;
        int produced = 0;
        ChatFinishReason finish = ChatFinishReason.Length;
        if (prompt.Contains(BlockedWord, StringComparison.OrdinalIgnoreCase))
        {
            finish = ChatFinishReason.ContentFilter;
        }
        else
        {
            foreach (string token in model.Generate(prompt, seed: request, minTokens: 12, maxTokens))
            {
                await Task.Delay(random.Next(10, 30), cancellationToken).ConfigureAwait(false);
                produced++;
                yield return new ChatResponseUpdate(ChatRole.Assistant, produced == 1 || token.Length == 1 && !char.IsLetterOrDigit(token[0]) ? token : " " + token)
                {
                    ResponseId = responseId,
                    ModelId = ModelId,
                };
                if (token == ".")
                {
                    finish = ChatFinishReason.Stop;
                }
            }
        }

        yield return new ChatResponseUpdate(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = promptTokens, OutputTokenCount = produced, TotalTokenCount = promptTokens + produced })])
        {
            FinishReason = finish,
            ResponseId = responseId,
            ModelId = ModelId,
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? Metadata : serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
