// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using NUnit.Framework;

namespace ModelMetrics.Tests.Signals.Labels;

/// <summary>
/// <see cref="PredictionId"/>: exact equality within a kind, never across kinds, ordinal strings, invalid ids
/// that never throw, and hash codes that spread sequential ids.
/// </summary>
public class PredictionIdTests
{
    [Test]
    public void FromInt64_SameValue_EqualWithSameHash()
    {
        PredictionId a = 42L;
        PredictionId b = PredictionId.FromInt64(42);

        Assert.That(a, Is.EqualTo(b));
        Assert.That(a == b, Is.True);
        Assert.That(a != b, Is.False);
        Assert.That(a.GetHashCode(), Is.EqualTo(b.GetHashCode()));
        Assert.That(a.IsValid, Is.True);
        Assert.That(a, Is.Not.EqualTo((PredictionId)43L));
    }

    [Test]
    public void FromInt64_ZeroAndExtremes_AreValidAndDistinct()
    {
        PredictionId[] ids = [0L, -1L, long.MinValue, long.MaxValue, 1L << 32];

        Assert.That(ids.All(id => id.IsValid), Is.True);
        Assert.That(ids.Distinct().Count(), Is.EqualTo(ids.Length));
    }

    [Test]
    public void DifferentKinds_SameText_AreNotEqual()
    {
        var guid = Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff");

        Assert.That((PredictionId)5L, Is.Not.EqualTo((PredictionId)"5"));
        Assert.That((PredictionId)guid, Is.Not.EqualTo((PredictionId)guid.ToString()));
        Assert.That((PredictionId)guid, Is.Not.EqualTo((PredictionId)guid.ToString("D")));
    }

    [Test]
    public void GuidAndLong_SameBytes_AreNotEqual()
    {
        // A Guid whose first 8 bytes are the little-endian long 5 and the rest zero is stored with the same two
        // longs as the long 5: only the kind tells them apart.
        byte[] bytes = new byte[16];
        bytes[0] = 5;
        PredictionId fromGuid = new Guid(bytes);
        PredictionId fromLong = 5L;

        Assert.That(fromGuid, Is.Not.EqualTo(fromLong));
        Assert.That(fromGuid == fromLong, Is.False);
        Assert.That(fromGuid.ToString(), Does.StartWith("guid:"));
    }

    [Test]
    public void FromString_ComparesByOrdinalValueNotReference()
    {
        string original = "order-1234";
        string copy = new(original.AsSpan()); // same characters, another instance

        Assert.That(ReferenceEquals(original, copy), Is.False);
        Assert.That((PredictionId)original, Is.EqualTo((PredictionId)copy));
        Assert.That(((PredictionId)original).GetHashCode(), Is.EqualTo(((PredictionId)copy).GetHashCode()));
    }

    [TestCase("a", "A")]
    [TestCase("\u00e9", "e\u0301")] // é precomposed and decomposed: equal under culture rules, not ordinally
    [TestCase("stra\u00dfe", "strasse")]
    [TestCase("id ", "id")]
    [TestCase("\u0131", "i")] // dotless i
    public void FromString_CultureEqualButOrdinallyDifferent_AreNotEqual(string left, string right)
    {
        Assert.That((PredictionId)left, Is.Not.EqualTo((PredictionId)right));
        Assert.That((PredictionId)left == right, Is.False);
    }

    [Test]
    public void FromString_NullEmptyAndDefault_AreInvalidEqualAndDoNotThrow()
    {
        string? none = null;
        PredictionId fromNull = none;
        PredictionId fromEmpty = string.Empty;
        PredictionId fromDefault = default;

        Assert.That(fromNull.IsValid, Is.False);
        Assert.That(fromEmpty.IsValid, Is.False);
        Assert.That(fromDefault.IsValid, Is.False);
        Assert.That(PredictionId.FromString(null).IsValid, Is.False);
        Assert.That(fromNull, Is.EqualTo(fromEmpty));
        Assert.That(fromNull, Is.EqualTo(fromDefault));
        Assert.That(fromNull.GetHashCode(), Is.EqualTo(fromEmpty.GetHashCode()));
        Assert.That(fromNull.ToString(), Is.EqualTo("invalid"));
        Assert.That(fromNull, Is.Not.EqualTo((PredictionId)0L), "the long 0 is a valid id, not the invalid one");
    }

    [Test]
    public void FromString_Whitespace_IsValid()
    {
        PredictionId id = " ";

        Assert.That(id.IsValid, Is.True);
        Assert.That(id, Is.Not.EqualTo((PredictionId)string.Empty));
    }

    [Test]
    public void FromGuid_ByValue_AndEmptyGuidIsValid()
    {
        var guid = Guid.NewGuid();
        var copy = new Guid(guid.ToByteArray());
        byte[] bytes = guid.ToByteArray();
        bytes[15] ^= 1;

        Assert.That((PredictionId)guid, Is.EqualTo(PredictionId.FromGuid(copy)));
        Assert.That(((PredictionId)guid).GetHashCode(), Is.EqualTo(((PredictionId)copy).GetHashCode()));
        Assert.That((PredictionId)guid, Is.Not.EqualTo((PredictionId)new Guid(bytes)), "the last byte differs");
        Assert.That(((PredictionId)Guid.Empty).IsValid, Is.True);
        Assert.That((PredictionId)Guid.Empty, Is.Not.EqualTo(default(PredictionId)));
    }

    [Test]
    public void ImplicitConversions_MatchNamedFactories()
    {
        var guid = Guid.NewGuid();
        PredictionId fromString = "x";
        PredictionId fromGuid = guid;
        PredictionId fromLong = 7L;
        PredictionId fromInt = 7; // an int widens to long

        Assert.That(fromString, Is.EqualTo(PredictionId.FromString("x")));
        Assert.That(fromGuid, Is.EqualTo(PredictionId.FromGuid(guid)));
        Assert.That(fromLong, Is.EqualTo(PredictionId.FromInt64(7)));
        Assert.That(fromInt, Is.EqualTo(fromLong));
    }

    [Test]
    public void ToString_ShowsKindAndValue()
    {
        var guid = Guid.Parse("01234567-89ab-cdef-0123-456789abcdef");

        Assert.That(((PredictionId)(-12L)).ToString(), Is.EqualTo("long:-12"));
        Assert.That(((PredictionId)"abc").ToString(), Is.EqualTo("string:abc"));
        Assert.That(((PredictionId)guid).ToString(), Is.EqualTo("guid:01234567-89ab-cdef-0123-456789abcdef"));
    }

    [Test]
    public void EqualsObject_BoxedIdAndOtherTypes()
    {
        PredictionId id = 9L;

        Assert.That(id.Equals((object)(PredictionId)9L), Is.True);
        Assert.That(id.Equals((object)9L), Is.False, "a boxed long is not a PredictionId");
        Assert.That(id.Equals(null), Is.False);
    }

    [Test]
    public void GetHashCode_SequentialLongs_SpreadOverLowBits()
    {
        // The store picks buckets with the low bits of the hash: sequential ids must not pile up in a few buckets.
        const int Count = 100_000;
        const int Buckets = 1024;
        int[] perBucket = new int[Buckets];
        var distinct = new HashSet<int>();
        for (long i = 0; i < Count; i++)
        {
            int hash = ((PredictionId)i).GetHashCode();
            distinct.Add(hash);
            perBucket[hash & (Buckets - 1)]++;
        }

        // Random 32-bit hashes of 10^5 ids collide about once (birthday bound); ~98 ids per bucket, sd ~10.
        Assert.That(distinct, Has.Count.GreaterThan(Count - 20));
        Assert.That(perBucket.Max(), Is.LessThan(2 * Count / Buckets));
        Assert.That(perBucket.Min(), Is.GreaterThan(Count / Buckets / 2));
    }

    [Test]
    public void GetHashCode_SequentialGuidsAndStrings_AreMostlyDistinct()
    {
        const int Count = 100_000;
        var guids = new HashSet<int>();
        var strings = new HashSet<int>();
        byte[] bytes = new byte[16];
        for (int i = 0; i < Count; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(12), i); // vary only the last 4 bytes (sequential Guids)
            guids.Add(((PredictionId)new Guid(bytes)).GetHashCode());
            strings.Add(((PredictionId)("req-" + i)).GetHashCode());
        }

        Assert.That(guids, Has.Count.GreaterThan(Count - 20));
        Assert.That(strings, Has.Count.GreaterThan(Count - 20));
    }

    [Test]
    public void Size_IsThreeWords()
    {
        Assume.That(Environment.Is64BitProcess, Is.True);

        // Documented: one reference and two longs, 24 bytes; every stored entry carries one.
        Assert.That(Unsafe.SizeOf<PredictionId>(), Is.EqualTo(24));
    }
}
