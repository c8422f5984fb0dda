// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace ModelMetrics.Signals;

/// <summary>The kind of a <see cref="PredictionId"/>, kept in a <see cref="PendingKey"/> so that kinds never match.</summary>
internal enum IdKind : byte
{
    /// <summary>No id (<see langword="default"/>, or a null or empty string).</summary>
    Invalid,

    /// <summary>A <see cref="long"/>, kept exactly.</summary>
    Int64,

    /// <summary>A <see cref="Guid"/>, kept exactly.</summary>
    Guid,

    /// <summary>A string, kept as a 122-bit hash.</summary>
    String,
}

/// <summary>
/// What the pending store keeps of a <see cref="PredictionId"/> instead of the id: a kind and two longs, whatever
/// the id's length, so that the store's memory is bounded by its capacity alone.
/// </summary>
/// <remarks>
/// <para>
/// A <see cref="long"/> or <see cref="Guid"/> id is kept exactly. A string id is kept as two independent
/// polynomial hashes of its characters modulo the prime 2^61 - 1, each with its own random key drawn once per
/// process (never published): the string's length is the leading coefficient, then one coefficient per three
/// characters. Two keys are equal when their kind and both longs are equal.
/// </para>
/// <para>
/// Collision rule: two different string ids with equal keys are treated as the same id (a label for one joins
/// the other's prediction, or counts as its duplicate or late label). For two given different strings of at most
/// <c>L</c> characters that do not depend on the keys (ids are not chosen by someone who knows them), each hash is
/// equal with probability at most <c>(L/3 + 1) / (2^61 - 1)</c> (two different polynomials of that degree agree at
/// that few points), so both are with probability at most <c>((L/3 + 1) / (2^61 - 1))^2</c>: about 3e-35 for
/// 36-character ids (a Guid as text), 2e-32 for 1,000 characters. A label or an add is compared with at most twice
/// the capacity ids held at once, so even 10^12 of them against a store of capacity 10^8 meet a wrong id with
/// probability below 10^-11 for ids of up to 1,000 characters.
/// </para>
/// </remarks>
internal readonly struct PendingKey : IEquatable<PendingKey>
{
    /// <summary>The Mersenne prime 2^61 - 1.</summary>
    private const ulong Prime = (1UL << 61) - 1;

    // Note: two independent random evaluation points in [1, Prime - 1], drawn once per process.
    private static readonly ulong Key1 = RandomPoint();
    private static readonly ulong Key2 = RandomPoint();

    private PendingKey(IdKind kind, long first, long second)
    {
        Kind = kind;
        First = first;
        Second = second;
    }

    /// <summary>Gets the kind of the id.</summary>
    public IdKind Kind { get; }

    /// <summary>Gets the long (a long id), the first 8 bytes (a Guid) or the first hash (a string).</summary>
    public long First { get; }

    /// <summary>Gets 0 (a long id), the last 8 bytes (a Guid) or the second hash (a string).</summary>
    public long Second { get; }

    /// <summary>Gets a 32-bit hash of the key (seeded per process), for segments and buckets.</summary>
    public int Hash => HashCode.Combine(First, Second, (byte)Kind);

    /// <summary>Returns the key of <paramref name="id"/>; an invalid id gives a key of kind <see cref="IdKind.Invalid"/>.</summary>
    /// <param name="id">The id.</param>
    /// <returns>The key: exact for a long or Guid, two hashes for a string.</returns>
    public static PendingKey Of(PredictionId id)
    {
        if (!id.IsValid)
        {
            return default;
        }

        if (id.Text is { } text)
        {
            (ulong first, ulong second) = HashString(text);
            return new PendingKey(IdKind.String, (long)first, (long)second);
        }

        return new PendingKey(id.IsInt64 ? IdKind.Int64 : IdKind.Guid, id.First, id.Second);
    }

    /// <inheritdoc/>
    public bool Equals(PendingKey other) => First == other.First && Second == other.Second && Kind == other.Kind;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is PendingKey other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Hash;

    /// <summary>Evaluates both polynomials (Horner): the length, then one coefficient per three characters (the last zero-padded).</summary>
    private static (ulong First, ulong Second) HashString(string text)
    {
        ReadOnlySpan<char> chars = text;
        ulong h1 = (ulong)chars.Length;
        ulong h2 = (ulong)chars.Length;
        int i = 0;
        for (; i + 3 <= chars.Length; i += 3)
        {
            ulong word = chars[i] | ((ulong)chars[i + 1] << 16) | ((ulong)chars[i + 2] << 32);
            h1 = MultiplyAdd(h1, Key1, word);
            h2 = MultiplyAdd(h2, Key2, word);
        }

        if (i < chars.Length)
        {
            ulong word = chars[i] | (i + 1 < chars.Length ? (ulong)chars[i + 1] << 16 : 0);
            h1 = MultiplyAdd(h1, Key1, word);
            h2 = MultiplyAdd(h2, Key2, word);
        }

        return (h1, h2);
    }

    /// <summary>Returns (<paramref name="h"/> × <paramref name="key"/> + <paramref name="word"/>) mod 2^61 - 1, fully reduced.</summary>
    /// <remarks><paramref name="h"/> and <paramref name="key"/> are below 2^61 and <paramref name="word"/> below 2^48.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong MultiplyAdd(ulong h, ulong key, ulong word)
    {
        // The product is below 2^122: high * 2^64 + low. As 2^61 = 1 (mod Prime), it is the sum of its 61-bit
        // halves: (low & Prime) + (high << 3 | low >> 61), each at most Prime.
        ulong high = Math.BigMul(h, key, out ulong low);
        ulong sum = (low & Prime) + ((high << 3) | (low >> 61));
        sum = sum >= Prime ? sum - Prime : sum;
        sum += word;
        return sum >= Prime ? sum - Prime : sum;
    }

    private static ulong RandomPoint()
    {
        Span<byte> bytes = stackalloc byte[8];
        ulong point;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            point = BitConverter.ToUInt64(bytes) & Prime;
        }
        while (point is 0 or Prime);

        return point;
    }
}
