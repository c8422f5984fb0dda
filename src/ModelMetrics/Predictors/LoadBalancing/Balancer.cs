// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Runtime.CompilerServices;
using System.Threading;
using ModelMetrics.Signals;

namespace ModelMetrics;

/// <summary>
/// The load balancer's decisions, apart from the predictors' types: which instance serves a call, how its end is counted,
/// and when an instance is ejected, probed and readmitted.
/// </summary>
/// <remarks>
/// <para>
/// A choice reads only the instances' own state (calls in flight, recent latency) and, while every instance is admitted,
/// one shared field: it takes no lock and allocates nothing. Power of two choices draws its two instances from a
/// thread-local xorshift generator (no shared state); round-robin takes one interlocked increment of a shared counter.
/// </para>
/// <para>
/// Ejections, probes and readmissions are rare: they change an instance's mode under one lock, and publish how many
/// instances are out and when the next probe is due in two fields that the choice reads. While some instance is out, a
/// call whose start is past the next probe time tries to claim that probe (without waiting on the lock); the others go
/// to admitted instances. When none is admitted, the call goes to the instance ejected longest ago rather than failing.
/// </para>
/// </remarks>
internal sealed class Balancer
{
    /// <summary>The most instances one balancer takes (each is a value of the <c>model.instance</c> attribute).</summary>
    public const int MaxInstances = 64;

    private static int s_seeds;

    [ThreadStatic]
    private static ulong t_random;

    private readonly InstanceState[] _instances;
    private readonly LoadBalancingStrategy _strategy;
    private readonly int _failuresToEject;
    private readonly long _timeout;
    private readonly long _baseEjection;
    private readonly long _maxEjection;
    private readonly LoadBalancingSignal? _signal; // marked changed after every call (its reading is then taken again)
    private readonly ulong _turnDivider;
    private readonly object _gate = new();
    private int _turn;
    private int _out;
    private long _nextProbeAt = long.MaxValue;

    public Balancer(string[] names, LoadBalancerOptions options, LoadBalancingSignal? signal)
    {
        Time = options.TimeProvider;
        _strategy = options.Strategy;
        _failuresToEject = options.FailuresToEject;
        _timeout = options.Timeout is { } timeout ? ToTimestampUnits(timeout) : 0;
        _baseEjection = ToTimestampUnits(options.BaseEjectionTime);
        _maxEjection = ToTimestampUnits(options.MaxEjectionTime);
        _signal = signal;
        _turnDivider = (ulong.MaxValue / (uint)names.Length) + 1;
        _instances = new InstanceState[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            _instances[i] = new InstanceState(names[i], i, signal is null ? null : new InstanceTags(signal.Context.ModelTags, names[i]), Time.TimestampFrequency);
        }
    }

    public TimeProvider Time { get; }

    /// <summary>Gets the timeout in the clock's timestamp units, or 0 for none.</summary>
    public long Timeout => _timeout;

    public InstanceState[] Instances => _instances;

    /// <summary>
    /// Returns the index of the instance that serves a call starting at <paramref name="now"/>, without counting it in
    /// flight (<see cref="Start"/> does). <paramref name="probe"/> says the call is the instance's probe.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Choose(long now, out bool probe)
    {
        // Acquire: an ejection's mode writes happen before the count that makes callers look at modes.
        if (Volatile.Read(ref _out) != 0)
        {
            return ChooseAroundEjected(now, out probe);
        }

        probe = false;
        return _strategy switch
        {
            LoadBalancingStrategy.RoundRobin => NextInTurn(),
            LoadBalancingStrategy.LeastInFlight => FewestInFlight(),
            _ => TwoChoices(now),
        };
    }

    /// <summary>Counts a call in flight on instance <paramref name="index"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Start(int index) => _instances[index].Start();

    /// <summary>
    /// Counts the end of a call that started at <paramref name="start"/> on instance <paramref name="index"/>, and ejects,
    /// readmits or re-ejects the instance as the outcome says. Never throws: it runs on the caller's path.
    /// </summary>
    public void End(int index, bool probe, long start, CallOutcome outcome)
    {
        long end = Time.GetTimestamp();
        long duration = Math.Max(0, end - start);
        if (outcome != CallOutcome.Cancelled && _timeout != 0 && duration >= _timeout)
        {
            outcome = CallOutcome.TimedOut;
        }

        InstanceState instance = _instances[index];
        int failures = instance.End(outcome, start, end);
        if (probe)
        {
            EndProbe(instance, outcome, end);
        }
        else if (failures >= _failuresToEject && instance.Mode == InstanceMode.Admitted)
        {
            Eject(instance, end);
        }

        _signal?.MarkChanged();
    }

    public LoadBalancerStatistics GetStatistics()
    {
        long frequency = Time.TimestampFrequency;
        return new LoadBalancerStatistics(Array.ConvertAll(_instances, instance => instance.Read(frequency)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong NextRandom()
    {
        // xorshift64: three shifts, thread-local, so two threads never touch one line to draw.
        ulong x = t_random;
        if (x == 0)
        {
            x = Seed();
        }

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        t_random = x;
        return x;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static ulong Seed() => (((ulong)(uint)Interlocked.Increment(ref s_seeds) * 0x9E3779B97F4A7C15UL) ^ (ulong)Environment.TickCount64) | 1;

    /// <summary>Maps 32 random bits onto [0, <paramref name="n"/>) by multiplication (no division, no modulo bias worth a branch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Below(ulong random32, int n) => (int)((random32 * (uint)n) >> 32);

    /// <summary>
    /// (calls in flight + 1) × recent latency. An instance not measured yet, or idle with a stale latency
    /// (<see cref="InstanceState.RemeasureAt"/>), scores 0 while idle, so that it gets one call; one never measured scores
    /// the most while that call runs, so that it does not take every call until its first one ends.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static double Score(InstanceState instance, long now)
    {
        long latency = instance.RecentLatency;
        int inFlight = instance.InFlight;
        if (inFlight == 0)
        {
            return latency == 0 || now >= instance.RemeasureAt ? 0 : latency;
        }

        return latency != 0 ? (inFlight + 1.0) * latency : double.MaxValue;
    }

    private long ToTimestampUnits(TimeSpan duration) => Math.Max(1, (long)(duration.TotalSeconds * Time.TimestampFrequency));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int NextInTurn()
    {
        // Note: one shared interlocked increment per call: the price of an exact 1/N. The counter wraps after 2^32 calls,
        // where the turn skips once unless N divides 2^32.
        uint turn = (uint)Interlocked.Increment(ref _turn) - 1;

        // turn % N by two multiplications instead of a division (Lemire's fastmod, exact for 32-bit values, as the runtime's
        // HashHelpers.FastMod): a division costs about as much as the rest of the choice.
        return (int)(((((_turnDivider * turn) >> 32) + 1) * (uint)_instances.Length) >> 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int TwoChoices(long now)
    {
        InstanceState[] instances = _instances;
        if (instances.Length == 1)
        {
            return 0;
        }

        ulong random = NextRandom();
        int a = Below(random >> 32, instances.Length);
        int b = Below(random & uint.MaxValue, instances.Length - 1);
        if (b >= a)
        {
            b++;
        }

        return Score(instances[b], now) < Score(instances[a], now) ? b : a;
    }

    /// <summary>The instance with the fewest calls in flight, every instance admitted: from a random start to the end, then from 0 to the start.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int FewestInFlight()
    {
        InstanceState[] instances = _instances;
        int n = instances.Length;
        int start = n == 1 ? 0 : Below(NextRandom() >> 32, n);
        int best = start;
        int fewest = instances[start].InFlight;
        for (int i = start + 1; i < n && fewest > 0; i++)
        {
            int inFlight = instances[i].InFlight;
            if (inFlight < fewest)
            {
                best = i;
                fewest = inFlight;
            }
        }

        // None is idle: the same scan over the instances before the start.
        for (int i = 0; i < start && fewest > 0; i++)
        {
            int inFlight = instances[i].InFlight;
            if (inFlight < fewest)
            {
                best = i;
                fewest = inFlight;
            }
        }

        return best;
    }

    /// <summary>The instance with the fewest calls in flight, scanning from a random start; -1 when none qualifies.</summary>
    private int LeastInFlight(bool admittedOnly)
    {
        InstanceState[] instances = _instances;
        int n = instances.Length;
        int i = n == 1 ? 0 : Below(NextRandom() >> 32, n);
        int best = -1;
        int fewest = int.MaxValue;
        for (int k = 0; k < n; k++, i = i + 1 == n ? 0 : i + 1)
        {
            InstanceState instance = instances[i];
            if (admittedOnly && instance.Mode != InstanceMode.Admitted)
            {
                continue;
            }

            int inFlight = instance.InFlight;
            if (inFlight < fewest)
            {
                best = i;
                fewest = inFlight;
            }
        }

        return best;
    }

    /// <summary>The choice while some instance is out: a due probe first, else the strategy among admitted instances.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private int ChooseAroundEjected(long now, out bool probe)
    {
        probe = false;
        if (now >= Volatile.Read(ref _nextProbeAt) && TryClaimProbe(now, out int probed))
        {
            probe = true;
            return probed;
        }

        InstanceState[] instances = _instances;
        int chosen;
        switch (_strategy)
        {
            case LoadBalancingStrategy.RoundRobin:
                chosen = -1;
                int turn = NextInTurn();
                for (int k = 0; k < instances.Length; k++)
                {
                    int i = (turn + k) % instances.Length;
                    if (instances[i].Mode == InstanceMode.Admitted)
                    {
                        chosen = i;
                        break;
                    }
                }

                break;
            case LoadBalancingStrategy.LeastInFlight:
                chosen = LeastInFlight(admittedOnly: true);
                break;
            default:
                chosen = TwoChoices(now);
                if (instances[chosen].Mode != InstanceMode.Admitted)
                {
                    chosen = LeastScoreAdmitted(now);
                }

                break;
        }

        return chosen >= 0 ? chosen : LeastRecentlyEjected();
    }

    private int LeastScoreAdmitted(long now)
    {
        int best = -1;
        double lowest = double.MaxValue;
        for (int i = 0; i < _instances.Length; i++)
        {
            double score = Score(_instances[i], now);
            if (_instances[i].Mode == InstanceMode.Admitted && score < lowest)
            {
                best = i;
                lowest = score;
            }
        }

        return best;
    }

    /// <summary>Every instance is out: the one ejected longest ago serves the call (the one closest to its probe).</summary>
    private int LeastRecentlyEjected()
    {
        lock (_gate)
        {
            int best = 0;
            for (int i = 1; i < _instances.Length; i++)
            {
                if (_instances[i].EjectedAt < _instances[best].EjectedAt)
                {
                    best = i;
                }
            }

            return best;
        }
    }

    /// <summary>Makes the ejected instance whose probe is due (the earliest) the probing one; false when none, or when the lock is busy.</summary>
    private bool TryClaimProbe(long now, out int index)
    {
        index = -1;

        // Note: a call that finds another one claiming or ejecting goes to an admitted instance instead of waiting.
        if (!Monitor.TryEnter(_gate))
        {
            return false;
        }

        try
        {
            for (int i = 0; i < _instances.Length; i++)
            {
                InstanceState instance = _instances[i];
                if (instance.Mode == InstanceMode.Ejected && now >= instance.ProbeAt && (index < 0 || instance.ProbeAt < _instances[index].ProbeAt))
                {
                    index = i;
                }
            }

            if (index >= 0)
            {
                _instances[index].Mode = InstanceMode.Probing;
            }

            UpdateNextProbe();
            return index >= 0;
        }
        finally
        {
            Monitor.Exit(_gate);
        }
    }

    private void Eject(InstanceState instance, long now)
    {
        lock (_gate)
        {
            // Calls that were in flight when it was ejected fail too: only the failure that finds it admitted ejects it.
            if (instance.Mode != InstanceMode.Admitted)
            {
                return;
            }

            instance.BackOff = _baseEjection;
            EjectLocked(instance, now);

            // Release: the mode is written before the count that makes choices look at modes.
            Volatile.Write(ref _out, _out + 1);
            UpdateNextProbe();
        }
    }

    private void EndProbe(InstanceState instance, CallOutcome outcome, long now)
    {
        lock (_gate)
        {
            switch (outcome)
            {
                case CallOutcome.Succeeded:
                    instance.ResetFailures();
                    instance.Mode = InstanceMode.Admitted;
                    Volatile.Write(ref _out, _out - 1);
                    break;
                case CallOutcome.Cancelled:
                    // The caller gave up: the probe told nothing, and the next call probes again.
                    instance.Mode = InstanceMode.Ejected;
                    break;
                default:
                    instance.BackOff = Math.Min(instance.BackOff * 2, _maxEjection);
                    EjectLocked(instance, now);
                    break;
            }

            UpdateNextProbe();
        }
    }

    private static void EjectLocked(InstanceState instance, long now)
    {
        instance.EjectedAt = now;
        instance.ProbeAt = now + instance.BackOff;
        instance.CountEjection();
        instance.Mode = InstanceMode.Ejected;
    }

    /// <summary>Publishes when the earliest probe is due (never when no instance waits for one). Under the lock.</summary>
    private void UpdateNextProbe()
    {
        long next = long.MaxValue;
        foreach (InstanceState instance in _instances)
        {
            if (instance.Mode == InstanceMode.Ejected && instance.ProbeAt < next)
            {
                next = instance.ProbeAt;
            }
        }

        // Release: read without the lock by every choice while some instance is out.
        Volatile.Write(ref _nextProbeAt, next);
    }
}
