// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Buffers.Binary;
using System.Globalization;

namespace ModelMetrics;

/// <summary>
/// Identifies one prediction, so that ground truth that arrives later (a click after seconds, a chargeback
/// after days) can be joined to it: a <see cref="string"/>, a <see cref="Guid"/> or a <see cref="long"/>.
/// </summary>
/// <remarks>
/// <para>
/// Equality is exact: string ids compare by ordinal string equality (never by a hash), Guid and long ids by
/// value, and ids of different kinds are never equal (the long <c>5</c> is not the string <c>"5"</c>). Use the
/// same kind for a prediction and its label.
/// </para>
/// <para>
/// A <see langword="null"/> or empty string converts without throwing to an invalid id
/// (<see cref="IsValid"/> is <see langword="false"/>), as does <see langword="default"/>: recording a prediction
/// or a label with it is rejected and counted, never thrown. All invalid ids are equal to each other.
/// </para>
/// <para>
/// 24 bytes in a 64-bit process, copied by value: one reference (the string, or a shared marker that says
/// "Guid" or "long") and two <see cref="long"/> fields (the 16 bytes of a Guid, or the long and a zero). A string
/// id keeps its string alive while the id itself is held; the pending-prediction store does not hold ids, only a
/// fixed-size key (a long or Guid exactly, a string as a 122-bit hash: see <c>PendingKey</c>). Immutable, so safe
/// to share between threads.
/// </para>
/// </remarks>
public readonly struct PredictionId : IEquatable<PredictionId>
{
    // Note: the kind is told by reference identity of _reference, so that no kind field (and its padding, 8
    // bytes) is needed: null = invalid, a string = a string id, one of these two markers = a Guid or a long id.
    private static readonly object GuidKind = new();
    private static readonly object Int64Kind = new();

    private readonly object? _reference;
    private readonly long _first;
    private readonly long _second;

    private PredictionId(object reference, long first, long second)
    {
        _reference = reference;
        _first = first;
        _second = second;
    }

    /// <summary>
    /// Gets a value indicating whether this id can be stored and joined: <see langword="false"/> for an id made
    /// from a <see langword="null"/> or empty string and for <see langword="default"/>.
    /// </summary>
    public bool IsValid => _reference is not null;

    /// <summary>Gets the string of a string id, else <see langword="null"/> (for <see cref="Signals.PendingKey"/>).</summary>
    internal string? Text => _reference as string;

    /// <summary>Gets a value indicating whether this is a <see cref="long"/> id (else a Guid, a string or invalid).</summary>
    internal bool IsInt64 => ReferenceEquals(_reference, Int64Kind);

    /// <summary>Gets the long of a long id, or the first 8 bytes (little-endian) of a Guid id; 0 for a string id.</summary>
    internal long First => _first;

    /// <summary>Gets the last 8 bytes (little-endian) of a Guid id; 0 for the other kinds.</summary>
    internal long Second => _second;

    /// <summary>Creates an id from a string; compared by ordinal equality. Same as the implicit conversion.</summary>
    /// <param name="value">The id. <see langword="null"/> or empty gives an invalid id; it does not throw.</param>
    /// <returns>The id.</returns>
    public static PredictionId FromString(string? value) =>
        string.IsNullOrEmpty(value) ? default : new PredictionId(value, 0, 0);

    /// <summary>Creates an id from a <see cref="Guid"/>; compared by value. Same as the implicit conversion.</summary>
    /// <param name="value">The id. <see cref="Guid.Empty"/> is a valid id like any other.</param>
    /// <returns>The id.</returns>
    public static PredictionId FromGuid(Guid value)
    {
        Span<byte> bytes = stackalloc byte[16];
        _ = value.TryWriteBytes(bytes);
        return new PredictionId(
            GuidKind,
            BinaryPrimitives.ReadInt64LittleEndian(bytes),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]));
    }

    /// <summary>Creates an id from a <see cref="long"/>; compared by value. Same as the implicit conversion.</summary>
    /// <param name="value">The id; every value is valid.</param>
    /// <returns>The id.</returns>
    public static PredictionId FromInt64(long value) => new(Int64Kind, value, 0);

    /// <summary>Converts a string to an id; see <see cref="FromString(string)"/>.</summary>
    /// <param name="value">The id. <see langword="null"/> or empty gives an invalid id; it does not throw.</param>
    public static implicit operator PredictionId(string? value) => FromString(value);

    /// <summary>Converts a <see cref="Guid"/> to an id; see <see cref="FromGuid(Guid)"/>.</summary>
    /// <param name="value">The id.</param>
    public static implicit operator PredictionId(Guid value) => FromGuid(value);

    /// <summary>Converts a <see cref="long"/> to an id; see <see cref="FromInt64(long)"/>.</summary>
    /// <param name="value">The id.</param>
    public static implicit operator PredictionId(long value) => FromInt64(value);

    /// <summary>Returns whether two ids are equal: same kind and same value (ordinal for strings).</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    /// <returns><see langword="true"/> when the ids are equal.</returns>
    public static bool operator ==(PredictionId left, PredictionId right) => left.Equals(right);

    /// <summary>Returns whether two ids differ in kind or value.</summary>
    /// <param name="left">The first id.</param>
    /// <param name="right">The second id.</param>
    /// <returns><see langword="true"/> when the ids are not equal.</returns>
    public static bool operator !=(PredictionId left, PredictionId right) => !left.Equals(right);

    /// <inheritdoc/>
    public bool Equals(PredictionId other)
    {
        // Same reference: both invalid, the same kind marker, or the same string instance (whose longs are 0).
        if (ReferenceEquals(_reference, other._reference))
        {
            return _first == other._first && _second == other._second;
        }

        return _reference is string text
            && other._reference is string otherText
            && string.Equals(text, otherText, StringComparison.Ordinal);
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is PredictionId other && Equals(other);

    /// <summary>
    /// Returns a hash code: the ordinal (randomized per process) string hash for string ids, a seeded mix of the
    /// value for Guid and long ids, so that sequential longs spread over buckets.
    /// </summary>
    /// <returns>The hash code.</returns>
    public override int GetHashCode() => _reference switch
    {
        null => 0,
        string text => text.GetHashCode(StringComparison.Ordinal),
        _ => ReferenceEquals(_reference, Int64Kind) ? HashCode.Combine(_first) : HashCode.Combine(_first, _second),
    };

    /// <summary>Returns the id with its kind, for debugging: <c>long:42</c>, <c>guid:…</c>, <c>string:abc</c> or <c>invalid</c>.</summary>
    /// <returns>The id as text.</returns>
    public override string ToString()
    {
        if (_reference is null)
        {
            return "invalid";
        }

        if (_reference is string text)
        {
            return "string:" + text;
        }

        if (ReferenceEquals(_reference, Int64Kind))
        {
            return "long:" + _first.ToString(CultureInfo.InvariantCulture);
        }

        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, _first);
        BinaryPrimitives.WriteInt64LittleEndian(bytes[8..], _second);
        return "guid:" + new Guid(bytes).ToString("D", CultureInfo.InvariantCulture);
    }
}
