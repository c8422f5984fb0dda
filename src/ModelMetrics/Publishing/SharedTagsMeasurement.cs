// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ModelMetrics.Publishing;

/// <summary>
/// Builds <see cref="Measurement{T}"/>s that share the caller's attribute array instead of copying it.
/// </summary>
/// <remarks>
/// <para>
/// Every public constructor of <see cref="Measurement{T}"/> copies its attributes, so that a caller who changes its
/// array afterwards cannot change a measurement a listener still holds. ModelMetrics builds each attribute set once
/// per monitor and never changes it, and a collection pass over 1,000 monitors reports ~110,000 measurements: those
/// copies were nearly all of a pass's garbage (~10 MB), whether or not anything changed.
/// </para>
/// <para>
/// A measurement is two fields, the attribute array and the value. This writes both into a struct of the same two
/// fields and reinterprets it. The layout is checked once, by finding the value a constructor wrote at the offset of
/// our value field (raw bytes only: nothing is read as a reference before the layout is known to match); where it
/// differs (another runtime, a future DiagnosticSource) every measurement is built by the constructor, as before.
/// </para>
/// </remarks>
/// <typeparam name="T">The measurement's value type (<see cref="long"/> or <see cref="double"/>).</typeparam>
internal static class SharedTagsMeasurement<T>
    where T : struct, INumberBase<T>
{
    /// <summary>Gets whether measurements share their attribute arrays (the layout matched).</summary>
    public static bool Shares { get; } = LayoutMatches();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Measurement<T> Create(T value, KeyValuePair<string, object?>[] tags)
    {
        if (!Shares)
        {
            return new Measurement<T>(value, tags);
        }

        var fields = new Fields { Tags = tags, Value = value };
        return Unsafe.As<Fields, Measurement<T>>(ref fields);
    }

    private static bool LayoutMatches()
    {
        if (Unsafe.SizeOf<Fields>() != Unsafe.SizeOf<Measurement<T>>() || Unsafe.SizeOf<T>() != sizeof(long))
        {
            return false;
        }

        // A value whose bytes cannot be an array's address or part of one (odd, with a high bit set).
        T probe = T.CreateTruncating(-0x3A5B_6C7D_1E2F_4031L);
        var built = new Measurement<T>(probe, [new("probe", null)]);
        var fields = default(Fields);
        int valueOffset = (int)Unsafe.ByteOffset(ref Unsafe.As<Fields, byte>(ref fields), ref Unsafe.As<T, byte>(ref fields.Value));
        for (int offset = 0; offset + Unsafe.SizeOf<T>() <= Unsafe.SizeOf<Measurement<T>>(); offset += sizeof(long))
        {
            T found = Unsafe.ReadUnaligned<T>(ref Unsafe.Add(ref Unsafe.As<Measurement<T>, byte>(ref built), offset));
            if (found.Equals(probe) != (offset == valueOffset))
            {
                return false;
            }
        }

        // The layout matches: check the round trip both ways on a shared measurement.
        KeyValuePair<string, object?>[] tags = [new("probe", null)];
        var shared = new Fields { Tags = tags, Value = probe };
        Measurement<T> measurement = Unsafe.As<Fields, Measurement<T>>(ref shared);
        return measurement.Value.Equals(probe)
            && measurement.Tags.Length == 1
            && Unsafe.AreSame(ref MemoryMarshal.GetReference(measurement.Tags), ref tags[0])
            && built.Tags.Length == 1 && built.Tags[0].Key == "probe";
    }

    /// <summary>The fields of <see cref="Measurement{T}"/>, in its order.</summary>
    [StructLayout(LayoutKind.Auto)]
    private struct Fields
    {
        public KeyValuePair<string, object?>[] Tags;
        public T Value;
    }
}
