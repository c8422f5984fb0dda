// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Threading;
using System.Threading.Tasks;
using ModelMetrics.Reports.Diagnostics;

namespace ModelMetrics.Reports;

/// <summary>
/// Runs an export on a <see cref="TimeProvider"/> timer, one at a time: a tick that finds the previous export still
/// running is skipped, and whatever the export throws is reported through the EventSource, never thrown.
/// </summary>
internal sealed class PeriodicExport : IDisposable
{
    private readonly string _name;
    private readonly Func<CancellationToken, Task> _export;
    private readonly ITimer _timer;
    private readonly CancellationTokenSource _stopping = new();
    private int _running; // 1 while an export runs; Interlocked, so a tick never overlaps an export

    public PeriodicExport(string name, TimeProvider timeProvider, TimeSpan interval, Func<CancellationToken, Task> export)
    {
        _name = name;
        _export = export;
        _timer = timeProvider.CreateTimer(static state => _ = ((PeriodicExport)state!).TickAsync(), this, interval, interval);
    }

    public void Dispose()
    {
        _timer.Dispose();
        // Cancelled, not disposed: a tick already running may still read its token (a source without a timer holds nothing to free).
        _stopping.Cancel();
    }

    private async Task TickAsync()
    {
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            return;
        }

        try
        {
            await _export(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Disposed while exporting.
        }
        catch (Exception e)
        {
            ReportsEventSource.Log.ExportFailed(_name, e);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }
}
