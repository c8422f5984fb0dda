// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;

namespace ChatSample;

/// <summary>
/// A word trigram language model trained on the text the sample ships (<see cref="Corpus"/>): it picks each next word
/// by the counts of what followed the two words before it in the text (backing off to one word, then to any word),
/// deterministically for a given seed. Small and local, but it streams like an LLM: one token at a time.
/// </summary>
internal sealed class NGramModel
{
    public const string EndOfText = "<end>";

    private readonly Dictionary<(string, string), List<string>> _trigrams = [];
    private readonly Dictionary<string, List<string>> _bigrams = [];
    private readonly string[] _vocabulary;

    public NGramModel(string text)
    {
        string[] words = Tokenize(text);
        for (int i = 0; i < words.Length; i++)
        {
            string next = i + 1 < words.Length ? words[i + 1] : EndOfText;
            Add(_bigrams, words[i], next);
            if (i + 2 < words.Length)
            {
                Add(_trigrams, (words[i], words[i + 1]), words[i + 2]);
            }
        }

        _vocabulary = [.. words.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    /// <summary>Gets the number of distinct words the model knows.</summary>
    public int VocabularySize => _vocabulary.Length;

    /// <summary>Splits text into lower-case words and punctuation tokens.</summary>
    public static string[] Tokenize(string text)
    {
        var tokens = new List<string>();
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            char c = i < text.Length ? text[i] : ' ';
            if (char.IsLetterOrDigit(c) || c == '\'')
            {
                if (start < 0)
                {
                    start = i;
                }

                continue;
            }

            if (start >= 0)
            {
                tokens.Add(text[start..i].ToLowerInvariant());
                start = -1;
            }

            if (c is '.' or ',' or '?' or '!' or ';' or ':')
            {
                tokens.Add(c.ToString());
            }
        }

        return [.. tokens];
    }

    /// <summary>Generates up to <paramref name="maxTokens"/> tokens continuing <paramref name="prompt"/>; stops at a sentence end after <paramref name="minTokens"/>.</summary>
    public IEnumerable<string> Generate(string prompt, int seed, int minTokens, int maxTokens)
    {
        var random = new Random(seed);
        string[] context = Tokenize(prompt);
        string previous = context.Length > 1 ? context[^2] : ".";
        string current = context.Length > 0 ? context[^1] : ".";
        for (int produced = 0; produced < maxTokens; produced++)
        {
            string next = Next(previous, current, random);
            if (next == EndOfText || (next == "." && produced >= minTokens))
            {
                yield return ".";
                yield break;
            }

            yield return next;
            previous = current;
            current = next;
        }
    }

    private static void Add<TKey>(Dictionary<TKey, List<string>> table, TKey key, string next)
        where TKey : notnull
    {
        if (!table.TryGetValue(key, out List<string>? followers))
        {
            table[key] = followers = [];
        }

        followers.Add(next);
    }

    private string Next(string previous, string current, Random random)
    {
        // Followers are kept with repetitions, so a uniform pick is a pick by count.
        if (_trigrams.TryGetValue((previous, current), out List<string>? followers) || _bigrams.TryGetValue(current, out followers))
        {
            return followers[random.Next(followers.Count)];
        }

        return _vocabulary[random.Next(_vocabulary.Length)];
    }
}
