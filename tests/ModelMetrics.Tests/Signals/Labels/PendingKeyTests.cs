// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using ModelMetrics.Signals;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Labels;

/// <summary>
/// <see cref="PendingKey"/>, what the pending store keeps of an id (issue 18, item 8): longs and Guids exactly, strings
/// as a 122-bit hash that equal strings share and different ones (at these odds) never do, and kinds that never match.
/// </summary>
public class PendingKeyTests
{
    [Test]
    public void Of_EqualStringsInDistinctInstances_SameKey()
    {
        string id = "request-" + Guid.NewGuid();
        var copy = new string(id.AsSpan());

        Assert.That(copy, Is.Not.SameAs(id));
        Assert.That(PendingKey.Of(copy), Is.EqualTo(PendingKey.Of(id)));
        Assert.That(PendingKey.Of(copy).Hash, Is.EqualTo(PendingKey.Of(id).Hash));
    }

    [Test]
    public void Of_StringsThatDifferOnlyByPaddingOrOneCharacter_DifferentKeys()
    {
        // Three characters make a coefficient, the last zero-padded, and the length leads: "a", "a\0" and "a\0\0" share
        // their coefficient, so only the length tells them apart. One character changed anywhere, in any of the two
        // coefficients of a step or in the tail, must change the key.
        var strings = new List<string>();
        for (int length = 1; length <= 14; length++)
        {
            strings.Add(new string('a', 1) + new string('\0', length - 1));
            string baseline = new('x', length);
            strings.Add(baseline);
            for (int position = 0; position < length; position++)
            {
                char[] chars = baseline.ToCharArray();
                chars[position] = 'y';
                strings.Add(new string(chars));
                chars[position] = '\uffff';
                strings.Add(new string(chars));
            }
        }

        List<string> distinct = strings.Distinct(StringComparer.Ordinal).ToList();
        Assert.That(distinct.Select(s => PendingKey.Of(s)).Distinct().Count(), Is.EqualTo(distinct.Count));
    }

    [Test]
    public void Of_TwoHundredThousandRandomStrings_AllDifferentKeys()
    {
        var random = new Random(18);
        var strings = new HashSet<string>(StringComparer.Ordinal);
        while (strings.Count < 200_000)
        {
            int length = random.Next(1, 40);
            strings.Add(string.Create(length, random, static (chars, r) =>
            {
                for (int i = 0; i < chars.Length; i++)
                {
                    chars[i] = (char)r.Next('0', 'z');
                }
            }));
        }

        Assert.That(strings.Select(s => PendingKey.Of(s)).Distinct().Count(), Is.EqualTo(strings.Count));
    }

    [Test]
    public void Of_LongsAndGuidsKeptExactly_KindsNeverMatch()
    {
        byte[] bytes = new byte[16];
        bytes[0] = 5;
        var guid = new Guid(bytes);

        PendingKey fromLong = PendingKey.Of(5L);
        PendingKey fromGuid = PendingKey.Of(guid);
        PendingKey fromString = PendingKey.Of("5");

        Assert.Multiple(() =>
        {
            Assert.That((fromLong.Kind, fromLong.First, fromLong.Second), Is.EqualTo((IdKind.Int64, 5L, 0L)));
            Assert.That((fromGuid.Kind, fromGuid.First, fromGuid.Second), Is.EqualTo((IdKind.Guid, 5L, 0L)));
            Assert.That(fromString.Kind, Is.EqualTo(IdKind.String));
            Assert.That(new[] { fromLong, fromGuid, fromString }.Distinct().Count(), Is.EqualTo(3));
            Assert.That(PendingKey.Of(long.MinValue).First, Is.EqualTo(long.MinValue));
            Assert.That(PendingKey.Of(default(PredictionId)).Kind, Is.EqualTo(IdKind.Invalid));
            Assert.That(PendingKey.Of(string.Empty), Is.EqualTo(PendingKey.Of(default(PredictionId))));
        });
    }
}
