// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

namespace ChatSample;

/// <summary>The text the n-gram model learns from: written for this sample, shipped with it, nothing downloaded.</summary>
internal static class Corpus
{
    public const string Text = """
        A model in production is a promise that keeps changing. The data that reaches it today is not the data it
        learned from, and the people who use it expect an answer in a moment, not in a minute. So we watch it. We
        watch how long it takes to say the first word, because that is what a person waits for. We watch how fast
        the rest of the answer follows, because a slow stream feels broken even when it is right. We count the
        tokens that go in and the tokens that come out, because every token has a price and the bill arrives at the
        end of the month.

        A good answer stops when it is done. A long answer that stops on the length limit is cut in the middle of a
        thought, and the person who asked will ask again. An answer that stops on the content filter says nothing at
        all. An answer that asks for a tool is waiting for the world to reply. Each of these is a reason, and each
        reason is a number worth watching.

        Time to first token measures the queue, the prompt and the first step of the model. Time per output token
        measures the decoding loop, one token after another, and it is the speed a reader feels. Tokens per second
        is the same story told as a rate. The median tells you what most people see; the tail tells you what the
        unlucky ones see, and the unlucky ones write the complaints.

        Feedback is the label that arrives late. A person reads the answer, and minutes later presses a thumb up or a
        thumb down. The monitor keeps the response waiting for that verdict, joins it when it comes, and counts the
        share of answers people liked over the last minute and the last hour. When that share falls, something
        changed: the model, the data, the prompt, or the people.

        The monitor never stops the model. It takes no lock on the way, it keeps no copy of the text, and it never
        throws into the answer. It only counts, and when someone asks, it turns the counts into percentiles, rates
        and costs that any dashboard can show.
        """;
}
