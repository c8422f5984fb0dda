// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Threading;

namespace ModelMetrics.Recording;

/// <summary>
/// Chooses the stripe a thread writes to, so that threads on different cores write different cache lines.
/// "Stripe" is the one name for this concept: every striped primitive (<see cref="StripedCells"/>,
/// <see cref="StripedHistogram"/>, the confusion and regression counts) picks its stripe here.
/// </summary>
/// <remarks>
/// Stripes are picked by the current processor id, not by thread: a service has far more threads than
/// cores, and per-thread state would cost memory per thread and need merging when threads die. Two
/// threads can still land on one stripe (one was preempted between reading the id and writing, or the
/// container numbers cores sparsely), so every stripe write stays an interlocked operation; it is just
/// an uncontended one almost always. There are twice as many stripes as processors (rounded up to a
/// power of two, at most 64) to spread sparse processor ids, and a stripe's memory is allocated only
/// when a thread first writes to it.
/// </remarks>
internal static class Stripes
{
    /// <summary>Gets the number of stripes: a power of two.</summary>
    public static readonly int Count = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(Environment.ProcessorCount * 2, 2, 64));

    private static readonly int Mask = Count - 1;

    /// <summary>
    /// Longs of padding before and after each stripe's data: 128 bytes, the span of the adjacent-line
    /// prefetcher, so that no two stripes' hot words share a cache line or a prefetched pair.
    /// </summary>
    public const int Padding = 16;

    /// <summary>Gets the stripe for the calling thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Current() => Thread.GetCurrentProcessorId() & Mask;
}

/// <summary>
/// An array of <see cref="long"/> cells, striped per processor. Writers add to their stripe's cell with one
/// uncontended interlocked operation; readers sum a cell over all stripes.
/// </summary>
/// <remarks>
/// Wait-free for writers: a write is one interlocked add, after a one-time, lock-free stripe allocation.
/// Readers never block writers; a read sums stripes one after another, so it sees every write that
/// completed before it started and possibly some that happen during it. Each cell only grows (for
/// non-negative adds), so successive reads of a cell never decrease.
/// </remarks>
internal sealed class StripedCells
{
    /// <summary>
    /// The most memory all stripes of one array may take: 32 MiB. Arrays larger than 1/<see cref="Stripes.Count"/> of
    /// it (only latency histograms at 4 or 5 digits of precision over wide ranges) get fewer stripes, down to one, so
    /// the extreme options cost at most this per histogram instead of 16 MiB per stripe on every core.
    /// </summary>
    public const long MaxBytes = 32L << 20;

    private readonly long[]?[] _stripes;
    private readonly int _mask;

    public StripedCells(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        Length = length;
        long stripeBytes = (length + (2L * Stripes.Padding)) * sizeof(long);
        int count = Stripes.Count;
        while (count > 1 && count * stripeBytes > MaxBytes)
        {
            count /= 2;
        }

        _stripes = new long[count][];
        _mask = count - 1;
    }

    /// <summary>Gets the number of stripes of this array: <see cref="Stripes.Count"/>, or fewer for very large arrays (see <see cref="MaxBytes"/>).</summary>
    public int StripeCount => _stripes.Length;

    public int Length { get; }

    /// <summary>Gets the bytes of the stripes allocated so far (arrays with their headers): for tests and memory budgets.</summary>
    public long AllocatedBytes
    {
        get
        {
            long bytes = 0;
            for (int i = 0; i < _stripes.Length; i++)
            {
                bytes += Volatile.Read(ref _stripes[i]) is { } stripe ? 24 + (8L * stripe.Length) : 0;
            }

            return bytes;
        }
    }

    /// <summary>Gets a value indicating whether no thread ever wrote (no stripe was allocated).</summary>
    public bool IsEmpty => Array.TrueForAll(_stripes, static stripe => Volatile.Read(ref stripe) is null);

    /// <summary>Gets the calling thread's stripe. Cell i lives at index <see cref="Stripes.Padding"/> + i.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public long[] CurrentStripe()
    {
        // Note: masked per array, so a very large array shares its few stripes among processors.
        int index = Stripes.Current() & _mask;
        return _stripes[index] ?? CreateStripe(index);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(int cell, long value)
    {
        unchecked
        {
            Interlocked.Add(ref CurrentStripe()[Stripes.Padding + cell], value);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Increment(int cell)
    {
        unchecked
        {
            Interlocked.Increment(ref CurrentStripe()[Stripes.Padding + cell]);
        }
    }

    /// <summary>Returns the sum of one cell over all stripes.</summary>
    public long Sum(int cell)
    {
        long total = 0;
        foreach (long[]? stripe in _stripes)
        {
            if (stripe is not null)
            {
                total += Volatile.Read(ref stripe[Stripes.Padding + cell]);
            }
        }

        return total;
    }

    /// <summary>Adds cells <paramref name="firstCell"/>.. summed over stripes to <paramref name="target"/>[0..].</summary>
    public void AddTo(long[] target, int firstCell = 0)
    {
        foreach (long[]? stripe in _stripes)
        {
            if (stripe is null)
            {
                continue;
            }

            // Note: several cells per instruction, plain loads of aligned words; the fence orders them before whatever
            // the reader reads next, as volatile reads of each cell would.
            CellSums.AddTo(target, stripe.AsSpan(Stripes.Padding + firstCell, Length - firstCell));
        }

        Interlocked.MemoryBarrier();
    }

    // Note: kept out of line so the write path stays small enough to inline; runs once per stripe.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private long[] CreateStripe(int index)
    {
        long[] created = new long[Length + (2 * Stripes.Padding)];

        // Another thread may have won the race; everyone then uses the winner's stripe, so no write is lost.
        return Interlocked.CompareExchange(ref _stripes[index], created, null) ?? created;
    }
}
