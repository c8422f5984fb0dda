// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace ModelMetrics;

/// <summary>
/// A predictor that passes every call to the live model and replaces that model atomically with
/// <see cref="Swap"/> (promote a challenger, roll back to the previous champion) while calls keep coming.
/// </summary>
/// <remarks>
/// <para>
/// Guarantees: each call runs on exactly one model, the one that was live when the call started (a streamed call:
/// when its enumeration started); calls in flight when a swap happens finish on the model they started on; no call is
/// lost or runs twice; a model that was swapped out is disposed exactly once, after the last call that runs on it has
/// ended, and never called after that. The disposal of a replaced model runs on the thread pool: never on a caller's thread
/// (whose call happened to be the model's last), nor in <see cref="Swap"/>, which returns at once. Give each model its own <c>.UseMetrics(monitor)</c> (with its version) and the
/// monitors' counts add up to the calls exactly.
/// </para>
/// <para>
/// The call path takes no lock and allocates nothing for a call that completes synchronously: two interlocked
/// additions on a counter of the live model (one to enter, one to leave). A swap is lock-free too; concurrent swaps
/// are safe (each retires the model it replaced).
/// </para>
/// </remarks>
/// <typeparam name="TInput">The model's input.</typeparam>
/// <typeparam name="TOutput">The model's output.</typeparam>
public sealed class HotSwapPredictor<TInput, TOutput> : IPredictor<TInput, TOutput>
{
    private readonly bool _ownsModels;
    private Entry _current;
    private long _swaps;
    private int _disposed;

    /// <summary>Initializes a new instance whose live model is <paramref name="initialModel"/>.</summary>
    /// <param name="initialModel">The model that serves calls until the first <see cref="Swap"/>.</param>
    /// <param name="ownsModels">
    /// <see langword="true"/> (the default) to dispose each model once it is swapped out and its last call ended, and the
    /// live one when this predictor is disposed; <see langword="false"/> to leave the models to the caller (who keeps the
    /// previous champion to roll back to, and may dispose a swapped-out one once the task <see cref="Swap"/> returned has completed).
    /// </param>
    public HotSwapPredictor(IPredictor<TInput, TOutput> initialModel, bool ownsModels = true)
    {
        ArgumentNullException.ThrowIfNull(initialModel);
        _ownsModels = ownsModels;
        _current = new Entry(initialModel);
    }

    /// <summary>Gets the live model: the one a call starting now runs on.</summary>
    public IPredictor<TInput, TOutput> Current => Volatile.Read(ref _current).Model;

    /// <summary>Gets the number of swaps so far.</summary>
    public long Swaps => Interlocked.Read(ref _swaps);

    /// <summary>
    /// Makes <paramref name="model"/> the live model: calls that start after this returns run on it; calls in flight finish
    /// on the model they started on, which is then retired (disposed when this predictor owns its models).
    /// </summary>
    /// <param name="model">
    /// The new live model. Swapping in the live model itself changes nothing (the task is complete at once). With
    /// <c>ownsModels</c>, do not swap in a model that was swapped out before: it is disposed, or about to be.
    /// </param>
    /// <returns>
    /// A task that completes when the last call on the replaced model has ended (and the model has been disposed, when
    /// owned). It completes with the replaced model; do not call that model while it is disposed.
    /// </returns>
    /// <exception cref="ObjectDisposedException">This predictor was disposed.</exception>
    public Task<IPredictor<TInput, TOutput>> Swap(IPredictor<TInput, TOutput> model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (ReferenceEquals(model, Volatile.Read(ref _current).Model))
        {
            // Retiring the live entry would dispose the model it is about to serve again.
            return Task.FromResult(model);
        }

        var next = new Entry(model);

        // Note: the exchange (a full fence) publishes the new entry before the old one is marked retired below, so a
        // call that sees the retired mark and reads _current again finds the new entry (or a later one).
        Entry replaced = Interlocked.Exchange(ref _current, next);
        Interlocked.Increment(ref _swaps);
        if (Diagnostics.ModelMetricsEventSource.Log.IsEnabled())
        {
            // Before the retirement below, which may dispose the replaced model.
            Diagnostics.ModelMetricsEventSource.Log.Swapped(Describe(replaced.Model), Describe(model));
        }

        Retire(replaced, disposeHere: false);

        // A Dispose that ran between the check above and the exchange retired the replaced entry, not this one: retire
        // it too, so that it is disposed and calls throw (retiring twice is harmless: the disposal is claimed once).
        if (Volatile.Read(ref _disposed) != 0)
        {
            Retire(next, disposeHere: false);
        }

        return replaced.Drained.Task;
    }

    /// <inheritdoc />
    public TOutput Predict(TInput input)
    {
        Entry entry = Acquire();
        try
        {
            return entry.Model.Predict(input);
        }
        finally
        {
            Release(entry);
        }
    }

    /// <inheritdoc />
    public ValueTask<TOutput> PredictAsync(TInput input, CancellationToken cancellationToken = default)
    {
        Entry entry = Acquire();
        ValueTask<TOutput> pending;
        try
        {
            pending = entry.Model.PredictAsync(input, cancellationToken);
        }
        catch
        {
            Release(entry);
            throw;
        }

        // Note: a call that completed synchronously leaves at once, without an async state machine (no allocation).
        if (pending.IsCompleted)
        {
            Release(entry);
            return pending;
        }

        return AwaitAsync(pending, entry);
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<TOutput>> PredictBatchAsync(IReadOnlyList<TInput> inputs, CancellationToken cancellationToken = default)
    {
        Entry entry = Acquire();
        ValueTask<IReadOnlyList<TOutput>> pending;
        try
        {
            pending = entry.Model.PredictBatchAsync(inputs, cancellationToken);
        }
        catch
        {
            Release(entry);
            throw;
        }

        if (pending.IsCompleted)
        {
            Release(entry);
            return pending;
        }

        return AwaitAsync(pending, entry);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<TOutput> PredictStreamingAsync(TInput input, CancellationToken cancellationToken = default) =>
        StreamAsync(input, cancellationToken);

    /// <inheritdoc />
    /// <remarks>This predictor itself when asked for its own type; otherwise the live model is asked (nothing once disposed).</remarks>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is null && serviceType.IsInstanceOfType(this))
        {
            return this;
        }

        if (!TryAcquire(out Entry entry))
        {
            // Disposed: like any pipeline after disposal, it offers nothing (and does not throw).
            return null;
        }

        try
        {
            return entry.Model.GetService(serviceType, serviceKey);
        }
        finally
        {
            Release(entry);
        }
    }

    /// <summary>
    /// Retires the live model: when this predictor owns its models, it is disposed once its calls in flight have ended.
    /// Calls that start after this throw <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Retire(Volatile.Read(ref _current), disposeHere: true);
        }
    }

    private Entry Acquire()
    {
        if (!TryAcquire(out Entry entry))
        {
            ThrowDisposed();
        }

        return entry;
    }

    private bool TryAcquire(out Entry entry)
    {
        while (true)
        {
            entry = Volatile.Read(ref _current);

            // Note: the increment comes first and the retired bit is checked in its result, in one atomic operation
            // on the entry's state word. All operations on that word are totally ordered: if this increment saw no
            // retired bit, it precedes the retiring OR, so the retirer sees this call counted and cannot dispose the
            // model until it is released. If it saw the bit, the call backs off and never touches the model.
            if ((Interlocked.Add(ref entry.State, Entry.OneCall) & Entry.RetiredBit) == 0)
            {
                return true;
            }

            // Retired by a swap after we read _current: give the count back (which may make us the last one out and
            // the disposer) and take the new live model instead.
            Release(entry);

            // A swap publishes its new entry before it retires the old one, so a retired entry that is still current
            // was retired by Dispose.
            if (ReferenceEquals(Volatile.Read(ref _current), entry))
            {
                return false;
            }
        }
    }

    private void Release(Entry entry)
    {
        // Note: Interlocked (a full fence) so that the model's work in this call happens before its disposal by
        // whichever thread brings the count to zero with the retired bit set.
        if (Interlocked.Add(ref entry.State, -Entry.OneCall) == Entry.RetiredBit)
        {
            Finish(entry, disposeHere: false);
        }
    }

    private static string Describe(IPredictor<TInput, TOutput> model) =>
        model.GetService(typeof(ModelMonitor)) is ModelMonitor monitor
            ? $"{monitor.ModelName} {monitor.ModelVersion}".TrimEnd()
            : model.GetType().Name;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowDisposed() => throw new ObjectDisposedException(GetType().FullName);

    private void Retire(Entry entry, bool disposeHere)
    {
        // The count was zero when the bit went on: nobody is inside, and anyone who enters from now on backs off.
        if (Interlocked.Or(ref entry.State, Entry.RetiredBit) == 0)
        {
            Finish(entry, disposeHere);
        }
    }

    private void Finish(Entry entry, bool disposeHere)
    {
        // Note: the count can pass through "zero, retired" more than once (a call that saw the retired bit adds and
        // removes its count), so the disposal is claimed once, by exchange.
        if (Interlocked.Exchange(ref entry.Finished, 1) != 0)
        {
            return;
        }

        if (!disposeHere && _ownsModels)
        {
            // A model's Dispose may wait (a shadow stage drains its queue), so it runs on the thread pool: never on a caller's
            // thread (whose call happened to be the model's last), nor in Swap, which returns at once with a task instead.
            ThreadPool.UnsafeQueueUserWorkItem(static state => state.Owner.Dispose(state.Entry), (Owner: this, Entry: entry), preferLocal: false);
            return;
        }

        Dispose(entry);
    }

    private void Dispose(Entry entry)
    {
        if (_ownsModels)
        {
            try
            {
                entry.Model.Dispose();
            }
#pragma warning disable CA1031 // Note: a model that throws from Dispose must not fail the swap or the thread pool; it is logged.
            catch (Exception exception)
#pragma warning restore CA1031
            {
                Diagnostics.ModelMetricsEventSource.Log.Swallowed(entry.Model.GetType().Name, "HotSwapPredictor dispose of a retired model", exception);
            }
        }

        entry.Drained.TrySetResult(entry.Model);
    }

    private async ValueTask<T> AwaitAsync<T>(ValueTask<T> pending, Entry entry)
    {
        try
        {
            return await pending.ConfigureAwait(false);
        }
        finally
        {
            Release(entry);
        }
    }

    private async IAsyncEnumerable<TOutput> StreamAsync(TInput input, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The model is chosen when the enumeration starts and kept until the enumerator is disposed, however long the
        // stream takes: a swap in the middle of a stream does not cut it.
        Entry entry = Acquire();
        try
        {
            await foreach (TOutput chunk in entry.Model.PredictStreamingAsync(input, cancellationToken).ConfigureAwait(false))
            {
                yield return chunk;
            }
        }
        finally
        {
            Release(entry);
        }
    }

    /// <summary>One model while it is live or retiring, with the count of its calls in flight.</summary>
    private sealed class Entry(IPredictor<TInput, TOutput> model)
    {
        /// <summary>Set in <see cref="State"/> once the model is no longer live.</summary>
        public const int RetiredBit = 1;

        /// <summary>One call in flight, in <see cref="State"/> (the count lives above the retired bit).</summary>
        public const int OneCall = 2;

        public readonly IPredictor<TInput, TOutput> Model = model;

        // Note: RunContinuationsAsynchronously so that an awaiter of Swap never runs on the caller's predict thread.
        public readonly TaskCompletionSource<IPredictor<TInput, TOutput>> Drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Calls in flight × <see cref="OneCall"/>, plus <see cref="RetiredBit"/> once retired.</summary>
        public int State;

        /// <summary>1 once the model was disposed (or, when not owned, handed back): claimed by exchange.</summary>
        public int Finished;

    }
}
