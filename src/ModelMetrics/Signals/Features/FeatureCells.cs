// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using ModelMetrics.Recording;

namespace ModelMetrics.Signals;

/// <summary>
/// The cells of every feature's sketch, in a few stripes that a writer takes for the whole input: one compare-and-swap
/// per input, then a plain increment per feature, instead of an interlocked increment per feature.
/// </summary>
/// <remarks>
/// <para>
/// Lock-free, and no count is lost: a writer tries its processor's stripe and, when another writer holds it, the next
/// ones; when every stripe is held it increments a shared array with interlocked operations. Nobody waits for a holder,
/// so a writer preempted while holding a stripe only sends the others elsewhere. The holder's plain increments are
/// published by its release (a volatile write) to the next holder, whose acquire is a full fence.
/// </para>
/// <para>
/// At most <see cref="MaxStripes"/> stripes (and the shared array), each allocated when first needed: a monitor of 20
/// numeric features has about 657 KB of cells per stripe, so
/// striping per processor (up to 64) would cost megabytes per monitor. Readers sum the stripes and the shared array,
/// reading each cell with a volatile read, like <see cref="StripedCells"/>: they never block writers, see every input
/// recorded before they began and possibly part of one being recorded, and every cell only grows.
/// </para>
/// </remarks>
internal sealed class FeatureCells
{
    /// <summary>The most stripes: writers beyond this many at once fall back to interlocked increments, not to waiting.</summary>
    public const int MaxStripes = 4;

    private const int OwnerSlot = 0; // in the stripe's front padding, a cache line away from its cells

    private readonly long[]?[] _stripes;
    private long[]? _shared;
    private readonly int _mask;

    public FeatureCells(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        Length = length;
        _stripes = new long[Math.Min(Stripes.Count, MaxStripes)][];
        _mask = _stripes.Length - 1;
    }

    public int Length { get; }

    /// <summary>
    /// Takes a stripe for one input's increments: the calling processor's, else the first free one after it; when all
    /// are held, the shared array (<paramref name="owned"/> is then <see langword="false"/> and increments must be interlocked).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long[] Acquire(out bool owned)
    {
        int index = Stripes.Current() & _mask;
        for (int tried = 0; tried <= _mask; tried++)
        {
            long[] stripe = _stripes[index] ?? CreateStripe(index);

            // Acquire: a full fence, so this holder sees the previous holder's increments.
            if (Interlocked.CompareExchange(ref stripe[OwnerSlot], 1, 0) == 0)
            {
                owned = true;
                return stripe;
            }

            index = (index + 1) & _mask;
        }

        owned = false;
        return Volatile.Read(ref _shared) ?? CreateShared();
    }

    /// <summary>Adds one to cell <paramref name="cell"/> of a stripe taken with <see cref="Acquire"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Increment(long[] stripe, int cell, bool owned)
    {
        // Note: no bounds check, 20 times per input: every caller's cell is below Length (a feature's offset plus one of
        // its cells, fixed at construction), and a stripe holds Length cells between its paddings.
        Debug.Assert((uint)cell < (uint)(stripe.Length - (2 * Stripes.Padding)), "a cell of the stripe");
        ref long target = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(stripe), Stripes.Padding + cell);

        // Note: only the holder writes an owned stripe, so a plain increment loses nothing; readers read the cell
        // whole because a 64-bit store is atomic in a 64-bit process (a 32-bit one keeps the interlocked increment).
        if (owned && Environment.Is64BitProcess)
        {
            unchecked
            {
                target++;
            }
        }
        else
        {
            Interlocked.Increment(ref target);
        }
    }

    /// <summary>Releases a stripe taken with <see cref="Acquire"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Release(long[] stripe, bool owned)
    {
        if (owned)
        {
            // Release: the increments above become visible before the stripe is free again.
            Volatile.Write(ref stripe[OwnerSlot], 0);
        }
    }

    /// <summary>Adds cells [<paramref name="start"/>, +<paramref name="target"/>.Length) summed over the stripes to <paramref name="target"/>.</summary>
    public void AddTo(Span<long> target, int start)
    {
        if (Volatile.Read(ref _shared) is { } shared)
        {
            AddStripe(shared, target, start);
        }

        for (int i = 0; i < _stripes.Length; i++)
        {
            if (Volatile.Read(ref _stripes[i]) is { } stripe)
            {
                AddStripe(stripe, target, start);
            }
        }
    }

    private static void AddStripe(long[] stripe, Span<long> target, int start)
    {
        for (int i = 0; i < target.Length; i++)
        {
            target[i] += Volatile.Read(ref stripe[Stripes.Padding + start + i]);
        }
    }

    // Note: allocated only when every stripe was held at once (rare), like a stripe.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long[] CreateShared()
    {
        long[] created = new long[Length + (2 * Stripes.Padding)];
        return Interlocked.CompareExchange(ref _shared, created, null) ?? created;
    }

    // Note: out of line, so that Acquire stays small enough to inline; runs once per stripe.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long[] CreateStripe(int index)
    {
        long[] created = new long[Length + (2 * Stripes.Padding)];

        // Another thread may have won the race; everyone then uses the winner's stripe, so no count is lost.
        return Interlocked.CompareExchange(ref _stripes[index], created, null) ?? created;
    }
}
