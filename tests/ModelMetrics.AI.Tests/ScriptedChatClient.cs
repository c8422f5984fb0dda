// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.AI;
using ModelMetrics.Tests;

namespace ModelMetrics.AI.Tests;

/// <summary>One step of a scripted response: wait, then yield an update (or throw).</summary>
internal sealed record Step(TimeSpan Delay, ChatResponseUpdate? Update = null, Exception? Throw = null);

/// <summary>A chat client that plays scripted steps on a fake clock: the same script for both of its methods.</summary>
internal sealed class ScriptedChatClient(FakeTimeProvider time, Func<IEnumerable<ChatMessage>, IReadOnlyList<Step>> script) : IChatClient
{
    public ChatClientMetadata Metadata { get; } = new("scripted-provider", new Uri("http://localhost:5000"), "scripted-model");

    public int Calls { get; private set; }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (ChatResponseUpdate update in GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            updates.Add(update);
        }

        return updates.ToChatResponse();
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Calls++;
        foreach (Step step in script(messages))
        {
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            time.Advance(step.Delay);
            if (step.Throw is not null)
            {
                throw step.Throw;
            }

            if (step.Update is not null)
            {
                yield return step.Update;
            }
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType == typeof(ChatClientMetadata) ? Metadata : serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    /// <summary>A text update.</summary>
    public static ChatResponseUpdate Text(string text) => new(ChatRole.Assistant, text) { ResponseId = "resp", ModelId = "scripted-model-0613" };

    /// <summary>The last update: usage and finish reason, no text.</summary>
    public static ChatResponseUpdate Usage(long input, long output, ChatFinishReason? finish = null) =>
        new(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = input, OutputTokenCount = output, TotalTokenCount = input + output })])
        {
            FinishReason = finish ?? ChatFinishReason.Stop,
            ResponseId = "resp",
            ModelId = "scripted-model-0613",
        };
}
