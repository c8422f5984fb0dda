// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Threading.Tasks;
using ModelMetrics.Reports.Diagnostics;
using ModelMetrics.Reports.TensorBoard;

namespace ModelMetrics.Reports;

/// <summary>
/// Writes every monitor's figures as TensorBoard scalars, on an interval: one run directory per model version
/// (<c>logdir/model/version</c>), an <c>events.out.tfevents.*</c> file per run and process, so that
/// <c>tensorboard --logdir</c> shows production next to training.
/// </summary>
/// <remarks>
/// <para>Each file starts with the <c>brain.Event:2</c> file-version event; each export appends one event per run
/// holding all its scalars (latency quantiles in ms, error ratio, calls per second, accuracy, macro and per-class F1,
/// precision and recall, PSI, regression errors, LLM tokens per second and time to first token, label counts), per
/// window (<c>_1m</c>, <c>_5m</c>, <c>_1h</c>) and since start (<c>_all</c>). The step is the export's Unix time in
/// seconds (raised by one when two exports fall in one second), so steps keep growing across restarts.</para>
/// <para>Every export is written as whole records and flushed, so a process killed mid-write leaves every earlier
/// record readable. A failing export (disk full, directory not writable) is reported through the
/// <c>ModelMetrics.Reports</c> EventSource and never thrown. Thread-safe.</para>
/// </remarks>
public sealed class TensorBoardExporter : IDisposable
{
    private const string Name = "TensorBoard";

    private readonly TensorBoardExporterOptions _options;
    private readonly Dictionary<string, RunFile> _runs = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private readonly PeriodicExport _timer;
    private int _files;
    private bool _disposed;

    /// <summary>Initializes an exporter that writes every <see cref="TensorBoardExporterOptions.Interval"/>.</summary>
    /// <param name="options">The log directory, interval and sources (copied).</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An option is invalid; <see cref="ArgumentException.ParamName"/> names it.</exception>
    public TensorBoardExporter(TensorBoardExporterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Validated();
        _timer = new PeriodicExport(Name, _options.TimeProvider, _options.Interval, _ =>
        {
            Export();
            return Task.CompletedTask;
        });
    }

    /// <summary>Writes one step for every monitor now (what the timer does every interval); never throws.</summary>
    public void Export()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            DateTimeOffset now = _options.TimeProvider.GetUtcNow();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (ModelMonitor monitor in _options.Registry.Monitors)
            {
                string run = Path.Combine(Scalars.Clean(monitor.ModelName), Scalars.Clean(monitor.ModelVersion ?? "unversioned"));
                // Two monitors of one model version (on different meters) would share a run: the first one wins.
                if (seen.Add(run))
                {
                    Write(run, now, () => Scalars.Collect(monitor.GetSnapshot()));
                }
            }

            if (_options.Resources is { } resources)
            {
                seen.Add("_resources");
                Write("_resources", now, () => Scalars.Collect(resources.GetSnapshot()));
            }

            // Runs whose monitor left the registry: their file is closed (a new one is started if it comes back).
            foreach (string gone in new List<string>(_runs.Keys))
            {
                if (!seen.Contains(gone))
                {
                    _runs.Remove(gone, out RunFile? file);
                    file!.Stream.Dispose();
                }
            }
        }
    }

    /// <summary>Writes a last step, then closes the files and stops the timer.</summary>
    public void Dispose()
    {
        _timer.Dispose();
        Export();
        lock (_gate)
        {
            _disposed = true;
            foreach (RunFile file in _runs.Values)
            {
                file.Stream.Dispose();
            }

            _runs.Clear();
        }
    }

    private void Write(string run, DateTimeOffset now, Func<List<KeyValuePair<string, double>>> collect)
    {
        try
        {
            List<KeyValuePair<string, double>> scalars = collect();
            double wallTime = now.ToUnixTimeMilliseconds() / 1000.0;
            var buffer = new MemoryStream();
            if (!_runs.TryGetValue(run, out RunFile? file))
            {
                string directory = Path.Combine(_options.LogDirectory, run);
                Directory.CreateDirectory(directory);
                string name = string.Create(CultureInfo.InvariantCulture, $"events.out.tfevents.{now.ToUnixTimeSeconds():D10}.{Scalars.Clean(Environment.MachineName)}.{Environment.ProcessId}.{++_files}");
                file = new RunFile(new FileStream(Path.Combine(directory, name), FileMode.CreateNew, FileAccess.Write, FileShare.Read));
                TfRecordWriter.AppendFileVersion(buffer, wallTime, "brain.Event:2");
                _runs.Add(run, file);
            }

            file.LastStep = Math.Max(file.LastStep + 1, now.ToUnixTimeSeconds());
            var values = new List<KeyValuePair<string, float>>(scalars.Count);
            foreach (KeyValuePair<string, double> scalar in scalars)
            {
                values.Add(new KeyValuePair<string, float>(scalar.Key, (float)scalar.Value));
            }

            TfRecordWriter.AppendScalars(buffer, wallTime, file.LastStep, values);
            // One write of whole records, then to the OS: a process killed after this loses nothing written.
            file.Stream.Write(buffer.GetBuffer(), 0, (int)buffer.Length);
            file.Stream.Flush();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException or InvalidOperationException)
        {
            ReportsEventSource.Log.ExportFailed(Name, e);
            if (_runs.Remove(run, out RunFile? broken))
            {
                // A partly written file is left as it is (readers stop at its last whole record); the next export starts a new one.
                try
                {
                    broken.Stream.Dispose();
                }
                catch (IOException)
                {
                }
            }
        }
    }

    private sealed class RunFile
    {
        public RunFile(FileStream stream) => Stream = stream;

        public FileStream Stream { get; }

        public long LastStep { get; set; } = long.MinValue + 1;
    }
}
