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

    // Note: two independent random evaluation points in [1, Prime - 1], drawn once per process, and their squares
    // (mod Prime), with which two coefficients are taken per step.
    private static readonly ulong Key1 = RandomPoint();
    private static readonly ulong Key2 = RandomPoint();
    private static readonly ulong Key1Squared = Canonical(MultiplyAdd(Key1, Key1, 0));
    private static readonly ulong Key2Squared = Canonical(MultiplyAdd(Key2, Key2, 0));

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

    /// <summary>
    /// Evaluates both polynomials (Horner): the length, then one coefficient per three characters (the last
    /// zero-padded), two coefficients per step (h × key² + w1 × key + w2), so that the multiplications of a step do
    /// not wait for each other.
    /// </summary>
    private static (ulong First, ulong Second) HashString(string text)
    {
        ReadOnlySpan<char> chars = text;
        ulong h1 = (ulong)chars.Length;
        ulong h2 = (ulong)chars.Length;
        int i = 0;
        for (; i + 6 <= chars.Length; i += 6)
        {
            ulong w1 = chars[i] | ((ulong)chars[i + 1] << 16) | ((ulong)chars[i + 2] << 32);
            ulong w2 = chars[i + 3] | ((ulong)chars[i + 4] << 16) | ((ulong)chars[i + 5] << 32);
            h1 = MultiplyAddTwo(h1, Key1Squared, w1, Key1, w2);
            h2 = MultiplyAddTwo(h2, Key2Squared, w1, Key2, w2);
        }

        for (; i < chars.Length; i += 3)
        {
            ulong word = chars[i]
                | (i + 1 < chars.Length ? (ulong)chars[i + 1] << 16 : 0)
                | (i + 2 < chars.Length ? (ulong)chars[i + 2] << 32 : 0);
            h1 = MultiplyAdd(h1, Key1, word);
            h2 = MultiplyAdd(h2, Key2, word);
        }

        return (Canonical(h1), Canonical(h2));
    }

    /// <summary>Returns a value congruent to <paramref name="h"/> × <paramref name="key"/> + <paramref name="word"/> mod 2^61 - 1, below 2^61 + 8.</summary>
    /// <remarks><paramref name="h"/> is below 2^61 + 8, <paramref name="key"/> below 2^61, <paramref name="word"/> below 2^48.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong MultiplyAdd(ulong h, ulong key, ulong word)
    {
        // The product is below 2^123: high * 2^64 + low. As 2^61 = 1 (mod Prime), it is congruent to the sum of its
        // 61-bit parts, (low & Prime) + (high << 3 | low >> 61), below 2^63 with the word; folded once more.
        ulong high = Math.BigMul(h, key, out ulong low);
        return Fold((low & Prime) + ((high << 3) | (low >> 61)) + word);
    }

    /// <summary>Returns a value congruent to <paramref name="h"/> × <paramref name="keySquared"/> + <paramref name="w1"/> × <paramref name="key"/> + <paramref name="w2"/>, below 2^61 + 8.</summary>
    /// <remarks>As <see cref="MultiplyAdd"/>; <paramref name="w1"/> and <paramref name="w2"/> below 2^48.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong MultiplyAddTwo(ulong h, ulong keySquared, ulong w1, ulong key, ulong w2)
    {
        // Both products fit 128 bits and so does their sum (below 2^123 + 2^109).
        ulong high = Math.BigMul(h, keySquared, out ulong low);
        ulong high2 = Math.BigMul(w1, key, out ulong low2);
        low += low2;
        high += high2 + (low < low2 ? 1UL : 0);
        return Fold((low & Prime) + ((high << 3) | (low >> 61)) + w2);
    }

    /// <summary>Folds a value below 2^64 to one congruent mod 2^61 - 1 and below 2^61 + 8.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Fold(ulong value) => (value & Prime) + (value >> 61);

    /// <summary>Returns the representative in [0, 2^61 - 2] of a value below 2^61 + 8, so that congruent values are equal.</summary>
    private static ulong Canonical(ulong value) => value >= Prime ? value - Prime : value;

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
