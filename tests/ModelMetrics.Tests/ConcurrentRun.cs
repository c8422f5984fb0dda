// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using NUnit.Framework;

namespace ModelMetrics.Tests;

/// <summary>
/// The one writer/reader harness of the concurrency tests: writer threads and at most one reader thread are
/// released together by a barrier; the reader reads until every writer has finished, it has taken
/// <see cref="MaxReadings"/> readings, it has found <see cref="MaxProblems"/> problems, it calls
/// <see cref="StopReading"/>, or the time limit is up.
/// </summary>
/// <remarks>
/// <para>
/// Every loop is bounded by count and time: writers loop a fixed number of times (and may also stop early on
/// <see cref="InTime"/>); the reader by the bounds above. Threads are background threads joined within the time
/// limit, so a hung run fails with an error instead of hanging the suite. What a thread throws is collected in
/// <see cref="Errors"/>; what the reader finds wrong goes to <see cref="Problem"/>.
/// </para>
/// <para>
/// Usage: create the run, capture it in the writer and reader (to call <see cref="Problem"/> or test
/// <see cref="InTime"/>), <see cref="Execute"/>, then <see cref="AssertClean"/> and the test's own totals.
/// </para>
/// </remarks>
internal sealed class ConcurrentRun
{
    /// <summary>The default time limit of a run: far above what any test needs on two shared cores.</summary>
    public static readonly TimeSpan DefaultTimeLimit = TimeSpan.FromSeconds(60);

    private readonly List<Exception> _errors = [];
    private readonly List<string> _problems = [];
    private readonly Stopwatch _clock = new();
    private int _writersLeft;
    private int _expired;
    private int _readerDone;
    private bool _stopReading;
    private bool _hadReader;

    /// <summary>Initializes a run of <paramref name="writers"/> writer threads.</summary>
    /// <param name="writers">The number of writer threads, at least 1.</param>
    /// <param name="timeLimit">How long the whole run may take; <see cref="DefaultTimeLimit"/> unless given.</param>
    public ConcurrentRun(int writers, TimeSpan? timeLimit = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(writers, 1);
        Writers = writers;
        TimeLimit = timeLimit ?? DefaultTimeLimit;
    }

    /// <summary>Gets the number of writer threads.</summary>
    public int Writers { get; }

    /// <summary>Gets the time limit of the run.</summary>
    public TimeSpan TimeLimit { get; }

    /// <summary>Gets the most readings the reader takes.</summary>
    public int MaxReadings { get; init; } = 10_000;

    /// <summary>Gets the number of problems after which the reader stops (the first few say enough).</summary>
    public int MaxProblems { get; init; } = 10;

    /// <summary>Gets a value indicating whether the time limit is not yet up (a cheap read: writers may test it in their loops).</summary>
    public bool InTime => Volatile.Read(ref _expired) == 0;

    /// <summary>Gets a value indicating whether every writer has finished.</summary>
    public bool WritersDone => Volatile.Read(ref _writersLeft) == 0;

    /// <summary>
    /// Gets a value indicating whether the reader has stopped: writers that load the system for as long as the reader
    /// reads (rather than for a fixed count) loop until then, and no longer than a count.
    /// </summary>
    public bool ReaderDone => Volatile.Read(ref _readerDone) != 0;

    /// <summary>Gets the number of readings the reader took.</summary>
    public int Readings { get; private set; }

    /// <summary>Gets what the threads threw, and the threads that did not finish in time.</summary>
    public IReadOnlyList<Exception> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    /// <summary>Gets the problems the reader (or a writer) reported.</summary>
    public IReadOnlyList<string> Problems
    {
        get
        {
            lock (_problems)
            {
                return [.. _problems];
            }
        }
    }

    private int ProblemCount
    {
        get
        {
            lock (_problems)
            {
                return _problems.Count;
            }
        }
    }

    /// <summary>Gets how long the run took.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>Reports a problem (thread-safe).</summary>
    /// <param name="description">What was wrong, and where.</param>
    public void Problem(string description)
    {
        lock (_problems)
        {
            _problems.Add(description);
        }
    }

    /// <summary>Ends the reader's loop after the current reading (for a reader that has seen enough).</summary>
    public void StopReading() => _stopReading = true;

    /// <summary>
    /// Runs <paramref name="write"/> on each writer thread (with its id, 0 to <see cref="Writers"/> − 1) and
    /// <paramref name="read"/> repeatedly on one reader thread (with the reading's number, from 1), all released
    /// together, and waits for them within the time limit.
    /// </summary>
    /// <param name="write">One writer's work: a loop bounded by count.</param>
    /// <param name="read">One reading, or <see langword="null"/> for a run of writers only.</param>
    /// <returns>This run, to assert on.</returns>
    public ConcurrentRun Execute(Action<int> write, Action<int>? read = null)
    {
        _hadReader = read is not null;
        _writersLeft = Writers;
        using var barrier = new Barrier(Writers + (read is null ? 0 : 1));
        var threads = new List<Thread>();
        for (int t = 0; t < Writers; t++)
        {
            int id = t;
            threads.Add(new Thread(() => Guard(barrier, () => write(id), writer: true)) { IsBackground = true, Name = $"writer {id}" });
        }

        if (read is not null)
        {
            threads.Add(new Thread(() =>
            {
                Guard(barrier, () => ReadUntilDone(read), writer: false);
                Volatile.Write(ref _readerDone, 1);
            })
            { IsBackground = true, Name = "reader" });
        }

        _clock.Start();
        threads.ForEach(t => t.Start());
        foreach (Thread thread in threads)
        {
            TimeSpan left = TimeLimit - _clock.Elapsed;
            if (!thread.Join(left > TimeSpan.Zero ? left : TimeSpan.Zero))
            {
                // Tell writers that test InTime to stop, give them a moment, and fail the run either way.
                Volatile.Write(ref _expired, 1);
                if (!thread.Join(TimeSpan.FromSeconds(5)))
                {
                    AddError(new TimeoutException($"{thread.Name} did not finish within {TimeLimit.TotalSeconds:N0} s"));
                }
            }
        }

        _clock.Stop();
        if (!InTime)
        {
            AddError(new TimeoutException($"the run reached its time limit of {TimeLimit.TotalSeconds:N0} s and stopped early"));
        }

        return this;
    }

    /// <summary>Asserts that nothing was thrown or reported, and that the reader (if any) took at least one reading.</summary>
    public void AssertClean()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Errors, Is.Empty, "thrown by the threads");
            Assert.That(Problems, Is.Empty, "found by the reader");
            if (_hadReader)
            {
                Assert.That(Readings, Is.Positive, "readings taken while the writers ran");
            }
        });
    }

    private void ReadUntilDone(Action<int> read)
    {
        while (!_stopReading && !WritersDone && Readings < MaxReadings && InTime && ProblemCount < MaxProblems)
        {
            if (_clock.Elapsed >= TimeLimit)
            {
                Volatile.Write(ref _expired, 1);
                break;
            }

            Readings++;
            read(Readings);
        }
    }

    private void Guard(Barrier barrier, Action work, bool writer)
    {
        try
        {
            barrier.SignalAndWait();
            work();
        }
        catch (Exception e)
        {
            AddError(e);
        }
        finally
        {
            if (writer)
            {
                Interlocked.Decrement(ref _writersLeft);
            }
        }
    }

    private void AddError(Exception e)
    {
        lock (_errors)
        {
            _errors.Add(e);
        }
    }
}
