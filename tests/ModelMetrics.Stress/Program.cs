// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

// ModelMetrics stress test. T writer threads predict through a MetricsPredictor around a trivial model
// (exactly 1 call in 100 throws a known exception) and record ground truth in a known pattern, while a
// collector thread takes a snapshot about every millisecond and collects the meter with a MeterListener
// about every 10 ms, checking invariants each time. When the time is up the writers stop, and the totals
// must equal, exactly, what the writers counted themselves.
//
//   dotnet run -c Release --project tests/ModelMetrics.Stress -- --seconds 10 --threads 4
//
// Exit code: 0 when every check passes, 1 when one fails, 2 for bad arguments.
// Only the public API is used, as a service would use it.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;

namespace ModelMetrics.Stress;

internal static class Program
{
    private static int Main(string[] args)
    {
        if (args is ["--help"] or ["-h"])
        {
            Console.WriteLine(StressOptions.Usage);
            return 0;
        }

        if (!StressOptions.TryParse(args, out StressOptions? options, out string? error))
        {
            Console.Error.WriteLine("error: " + error);
            Console.Error.WriteLine(StressOptions.Usage);
            return 2;
        }

        using var run = new StressRun(options);
        return run.Execute() ? 0 : 1;
    }
}

/// <summary>The command line: <c>--seconds N</c> and <c>--threads T</c>.</summary>
internal sealed class StressOptions
{
    public const int MaxSeconds = 86_400;
    public const int MaxThreads = 1_024;

    public static readonly string Usage =
        "usage: ModelMetrics.Stress [--seconds N] [--threads T]\n" +
        $"  --seconds N   how long the writers run: 1 to {MaxSeconds} (default 10)\n" +
        $"  --threads T   writer threads: 1 to {MaxThreads} (default: the processor count, here {Environment.ProcessorCount})";

    public int Seconds { get; private set; } = 10;

    public int Threads { get; private set; } = Environment.ProcessorCount;

    public static bool TryParse(string[] args, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out StressOptions? options, out string? error)
    {
        options = new StressOptions();
        error = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i++)
        {
            string name = args[i];
            if (name is not ("--seconds" or "--threads"))
            {
                error = $"unknown argument '{name}'.";
                break;
            }

            if (!seen.Add(name))
            {
                error = $"{name} is given more than once.";
                break;
            }

            int max = name == "--seconds" ? MaxSeconds : MaxThreads;
            if (i + 1 >= args.Length
                || !int.TryParse(args[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out int value)
                || value < 1 || value > max)
            {
                error = $"{name} needs a whole number from 1 to {max}.";
                break;
            }

            i++;
            if (name == "--seconds")
            {
                options.Seconds = value;
            }
            else
            {
                options.Threads = value;
            }
        }

        if (error is not null)
        {
            options = null;
            return false;
        }

        return true;
    }
}

/// <summary>The known exception the model throws on one call in <see cref="StressRun.FailEvery"/>.</summary>
public sealed class StressFaultException : Exception
{
    public StressFaultException()
        : base("stress fault")
    {
    }

    public StressFaultException(string message)
        : base(message)
    {
    }

    public StressFaultException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>One named check: how often it was evaluated, how often it failed, and the first failures.</summary>
internal sealed class Check
{
    private const int MaxDetails = 5;
    private readonly List<string> _details = [];

    public Check(string name) => Name = name;

    public string Name { get; }

    public long Evaluated { get; private set; }

    public long Failures { get; private set; }

    public bool Passed => Evaluated > 0 && Failures == 0;

    public IReadOnlyList<string> Details => _details;

    /// <summary>Counts one evaluation; on failure keeps the first few details (formatted only then).</summary>
    public bool That(bool condition, Func<string> detail)
    {
        Evaluated++;
        if (!condition)
        {
            Failures++;
            if (_details.Count < MaxDetails)
            {
                _details.Add(detail());
            }
        }

        return condition;
    }
}

/// <summary>What one writer did, counted by itself.</summary>
internal sealed class WriterTotals
{
    public long Calls { get; set; }

    public long Succeeded { get; set; }

    public long Failed { get; set; }

    public long WrongOutputs { get; set; }

    public long[] Cells { get; set; } = new long[StressRun.ClassCount * StressRun.ClassCount];

    public Exception? Unexpected { get; set; }
}

/// <summary>One stress run: writers, a collector, the checks and the report.</summary>
internal sealed class StressRun : IDisposable
{
    public const int ClassCount = 3;
    public const long FailEvery = 100;
    public const long FailAt = 37;

    private const string MeterName = "ModelMetrics.Stress";
    private const string ModelName = "stress-model";
    private const int ListenEveryMilliseconds = 10;
    private const long MaxCallsPerThreadPerSecond = 1_000_000_000;
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(60);
    private static readonly string FaultType = typeof(StressFaultException).FullName!;
    private static readonly string[] Labels = ["cat", "dog", "bird"];

    private readonly StressOptions _options;
    private readonly long _maxCallsPerThread;
    private readonly long _maxSnapshots;
    private readonly ModelMonitor _monitor;
    private readonly IPredictor<long, long> _predictor;
    private readonly WriterTotals[] _totals;
    private readonly Barrier _start;
    private int _stopWriters;
    private int _stopCollector;

    // Checks made while the writers run.
    private readonly Check _sums = new("snapshot: Calls == Succeeded + Failed == sum of Failures");
    private readonly Check _monotonic = new("snapshot: Calls, Succeeded, Failed, Items, Latency.Count, Classification.Total never decrease");
    private readonly Check _ordering = new("snapshot: RecentLatency.Count <= Latency.Count <= Calls <= Items");
    private readonly Check _inFlight = new("snapshot: 0 <= InFlight <= threads");
    private readonly Check _quantiles = new("snapshot: latency finite, p50 <= p90 <= p99 <= p99.9 <= Max (cumulative and recent)");
    private readonly Check _quality = new("snapshot: accuracy, precision, recall, F1 in [0, 1], MCC in [-1, 1], no NaN");
    private readonly Check _outcomes = new("snapshot: only the known error type, nothing rejected");
    private readonly Check _counters = new("listener: every observable counter series never decreases");
    private readonly Check _finite = new("listener: every measurement finite; active_calls in [0, threads]; ratio gauges in [0, 1]");
    private readonly Check _buckets = new("listener: buckets cumulative by le, +Inf the largest; quantile gauges ordered");
    private readonly Check _onePass = new("listener: every pass is one snapshot (calls = duration count = +Inf bucket) while a second listener collects items on its own thread");
    private readonly Check _partial = new("second listener (items only, as dotnet-counters): items never decrease; its final pass is exact");

    private readonly Dictionary<string, double> _lastCounterValues = new(StringComparer.Ordinal);
    private readonly List<(Instrument Instrument, double Value, KeyValuePair<string, object?>[] Tags)> _pass = [];
    private readonly MeterListener _listener = new();
    private readonly MeterListener _itemsListener = new();
    private double _items;
    private long _itemsPasses;
    private long _snapshots;
    private long _listenerPasses;
    private long _series;
    private Exception? _collectorError;

    // The previous snapshot's counters.
    private long _lastCalls;
    private long _lastSucceeded;
    private long _lastFailed;
    private long _lastItems;
    private long _lastLatencyCount;
    private long _lastPairs;

    public StressRun(StressOptions options)
    {
        _options = options;
        _maxCallsPerThread = MaxCallsPerThreadPerSecond * options.Seconds;

        // About one snapshot a millisecond; the bound is generous (Thread.Sleep(1) sleeps at least 1 ms).
        _maxSnapshots = (options.Seconds * 2_000L) + 10_000;
        _monitor = new ModelMonitor(new ModelMonitorOptions
        {
            ModelName = ModelName,
            ModelVersion = "1",
            ClassLabels = Labels,
            MeterName = MeterName,
            Windows = [TimeSpan.FromSeconds(1)],
        });
        _predictor = Predictor.Create<long, long>(Model).AsBuilder().UseMetrics(_monitor).Build();
        _totals = new WriterTotals[options.Threads];
        _start = new Barrier(options.Threads + 2); // the writers, the collector and the timing thread

        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => OnMeasurement(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => OnMeasurement(instrument, value, tags));

        // A second listener that enables one instrument, as dotnet-counters does, collecting on its own thread.
        _itemsListener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MeterName && instrument.Name == "model.inference.items")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _itemsListener.SetMeasurementEventCallback<long>((_, value, _, _) => _items += value);
    }

    /// <summary>The model: twice the input plus one, and a <see cref="StressFaultException"/> when input % 100 == 37.</summary>
    public static long Model(long input) => input % FailEvery == FailAt ? throw new StressFaultException() : (input * 2) + 1;

    /// <summary>The ground-truth pattern of writer <paramref name="writer"/> at iteration <paramref name="i"/>: every 9 iterations hit each of the 9 cells once.</summary>
    public static (int Actual, int Predicted) Pattern(int writer, long i) => ((int)(i % ClassCount), (int)(((i / ClassCount) + writer) % ClassCount));

    public bool Execute()
    {
        Console.WriteLine($"ModelMetrics stress: {_options.Threads} writer thread(s) for {_options.Seconds} s on {Environment.ProcessorCount} processor(s), .NET {Environment.Version}");
        Console.WriteLine($"  model '{ModelName}': 1 call in {FailEvery} throws {FaultType}; ground truth over {ClassCount} classes in a fixed pattern");
        _listener.Start();
        _itemsListener.Start();

        var writers = new Thread[_options.Threads];
        for (int t = 0; t < writers.Length; t++)
        {
            int id = t;
            _totals[id] = new WriterTotals();
            writers[t] = new Thread(() => Write(id)) { Name = $"writer {id}", IsBackground = true };
            writers[t].Start();
        }

        var collector = new Thread(Collect) { Name = "collector", IsBackground = true };
        collector.Start();
        var itemsCollector = new Thread(CollectItems) { Name = "items collector", IsBackground = true };
        itemsCollector.Start();

        bool started = _start.SignalAndWait(StopGrace);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(_options.Seconds))
        {
            TimeSpan left = TimeSpan.FromSeconds(_options.Seconds) - clock.Elapsed;
            Thread.Sleep(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }

        Volatile.Write(ref _stopWriters, 1);
        bool writersStopped = writers.All(w => w.Join(StopGrace));
        TimeSpan elapsed = clock.Elapsed;
        Volatile.Write(ref _stopCollector, 1);
        bool collectorStopped = collector.Join(StopGrace) && itemsCollector.Join(StopGrace);

        var checks = new List<Check> { _sums, _monotonic, _ordering, _inFlight, _quantiles, _quality, _outcomes, _counters, _finite, _buckets, _onePass, _partial };
        var stopped = new Check("threads: writers and collector started together and stopped within the grace period");
        stopped.That(started && writersStopped && collectorStopped, () => $"all started: {started}, writers stopped: {writersStopped}, collector stopped: {collectorStopped}");
        checks.Add(stopped);
        if (writersStopped && collectorStopped)
        {
            checks.AddRange(CheckFinal());
        }

        Report(checks, elapsed);
        return checks.All(c => c.Passed);
    }

    public void Dispose()
    {
        _listener.Dispose();
        _itemsListener.Dispose();
        _predictor.Dispose();
        _monitor.Dispose();
        _start.Dispose();
    }

    private void Write(int id)
    {
        WriterTotals totals = _totals[id];
        IPredictor<long, long> predictor = _predictor;
        ModelMonitor monitor = _monitor;

        // Locals, written back once: the writers' own counting must not contend (or share cache lines).
        long[] cells = new long[ClassCount * ClassCount];
        long succeeded = 0, failed = 0, wrong = 0, i = 0;
        try
        {
            _start.SignalAndWait();
            for (; i < _maxCallsPerThread; i++)
            {
                if ((i & 255) == 0 && Volatile.Read(ref _stopWriters) != 0)
                {
                    break;
                }

                try
                {
                    if (predictor.Predict(i) != (i * 2) + 1)
                    {
                        wrong++;
                    }

                    succeeded++;
                }
                catch (StressFaultException)
                {
                    failed++;
                }

                (int actual, int predicted) = Pattern(id, i);
                monitor.RecordGroundTruth(predicted, actual);
                cells[(actual * ClassCount) + predicted]++;
            }
        }
#pragma warning disable CA1031 // Note: anything else a writer sees is a failure to report, not to crash on.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            totals.Unexpected = exception;
        }

        totals.Calls = i;
        totals.Succeeded = succeeded;
        totals.Failed = failed;
        totals.WrongOutputs = wrong;
        totals.Cells = cells;
    }

    /// <summary>The second listener's loop: one items-only pass about every millisecond until the collector stops.</summary>
    private void CollectItems()
    {
        var deadline = Stopwatch.StartNew();
        TimeSpan limit = TimeSpan.FromSeconds(_options.Seconds) + StopGrace;
        double last = 0;
        while (Volatile.Read(ref _stopCollector) == 0 && _itemsPasses < _maxSnapshots && deadline.Elapsed < limit)
        {
            double items = ItemsPass();
            _partial.That(items >= last, () => $"items {items} after {last}");
            last = items;
            Thread.Sleep(1);
        }
    }

    /// <summary>One pass of the items-only listener: the items it saw.</summary>
    private double ItemsPass()
    {
        _items = 0;
        _itemsListener.RecordObservableInstruments();
        _itemsPasses++;
        return _items;
    }

    private void Collect()
    {
        try
        {
            _start.SignalAndWait();
            var sinceListen = Stopwatch.StartNew();
            var deadline = Stopwatch.StartNew();
            TimeSpan limit = TimeSpan.FromSeconds(_options.Seconds) + StopGrace;
            while (Volatile.Read(ref _stopCollector) == 0 && _snapshots < _maxSnapshots && deadline.Elapsed < limit)
            {
                CheckSnapshot(_monitor.GetSnapshot());
                if (sinceListen.ElapsedMilliseconds >= ListenEveryMilliseconds)
                {
                    ListenerPass();
                    sinceListen.Restart();
                }

                Thread.Sleep(1);
            }
        }
#pragma warning disable CA1031 // Note: reported as a failed check.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            _collectorError = exception;
        }
    }

    private void CheckSnapshot(ModelMonitorSnapshot s)
    {
        _snapshots++;
        long failureSum = s.Failures.Values.Sum();
        _sums.That(s.Calls == s.Succeeded + s.Failed && failureSum == s.Failed, () => $"{Describe(s)}: sum of failures {failureSum}");

        ClassificationSnapshot quality = s.Classification!;
        _monotonic.That(
            s.Calls >= _lastCalls && s.Succeeded >= _lastSucceeded && s.Failed >= _lastFailed && s.Items >= _lastItems
                && s.Latency.Count >= _lastLatencyCount && quality.Total >= _lastPairs,
            () => $"{Describe(s)}, pairs {quality.Total}; before: calls {_lastCalls}, succeeded {_lastSucceeded}, failed {_lastFailed}, items {_lastItems}, latency count {_lastLatencyCount}, pairs {_lastPairs}");

        // A failure is counted by type before its duration is recorded, and read in the reverse order, so the
        // latency count can trail the calls, never lead them; the recent window is the cumulative minus a base.
        _ordering.That(
            s.RecentLatency.Count <= s.Latency.Count && s.Latency.Count <= s.Calls && s.Calls <= s.Items,
            () => $"{Describe(s)}, recent latency count {s.RecentLatency.Count}");
        _inFlight.That(s.InFlight >= 0 && s.InFlight <= _options.Threads, () => Describe(s));
        _quantiles.That(QuantilesOrdered(s.Latency) && QuantilesOrdered(s.RecentLatency), () => $"cumulative {Quantiles(s.Latency)}; recent {Quantiles(s.RecentLatency)}");
        _quality.That(QualityInRange(quality) && QualityInRange(s.RecentClassification!), () => $"accuracy {quality.Accuracy}, macro F1 {quality.MacroF1}, MCC {quality.MatthewsCorrelation}; recent accuracy {s.RecentClassification!.Accuracy}");
        _outcomes.That(
            s.Failures.Keys.All(k => k == FaultType) && s.Rejected.Count == 0,
            () => $"failures [{string.Join(", ", s.Failures.Select(p => $"{p.Key}={p.Value}"))}], rejected [{string.Join(", ", s.Rejected.Select(p => $"{p.Key}={p.Value}"))}]");

        _lastCalls = s.Calls;
        _lastSucceeded = s.Succeeded;
        _lastFailed = s.Failed;
        _lastItems = s.Items;
        _lastLatencyCount = s.Latency.Count;
        _lastPairs = quality.Total;
    }

    private static bool QuantilesOrdered(LatencySnapshot l)
    {
        double[] q = [l.P50, l.P90, l.P95, l.P99, l.P999, l.Max];
        if (!double.IsFinite(l.Sum) || l.Sum < 0 || !double.IsFinite(l.Mean) || q.Any(v => !double.IsFinite(v) || v < 0))
        {
            return false;
        }

        for (int i = 1; i < q.Length; i++)
        {
            if (q[i] < q[i - 1])
            {
                return false;
            }
        }

        return l.Count > 0 || (l.Sum == 0 && l.Max == 0);
    }

    private static bool InUnit(double value) => value is >= 0 and <= 1;

    private static bool QualityInRange(ClassificationSnapshot c) =>
        InUnit(c.Accuracy) && InUnit(c.MacroPrecision) && InUnit(c.MacroRecall) && InUnit(c.MacroF1)
        && InUnit(c.WeightedF1) && InUnit(c.BalancedAccuracy) && c.MatthewsCorrelation is >= -1 and <= 1
        && c.Correct <= c.Total && c.Classes.All(k => InUnit(k.Precision) && InUnit(k.Recall) && InUnit(k.F1));

    private static string Quantiles(LatencySnapshot l) =>
        $"count {l.Count}, sum {l.Sum}, p50 {l.P50}, p90 {l.P90}, p95 {l.P95}, p99 {l.P99}, p99.9 {l.P999}, max {l.Max}";

    private static string Describe(ModelMonitorSnapshot s) =>
        $"snapshot at {s.Timestamp:HH:mm:ss.fff}: calls {s.Calls}, succeeded {s.Succeeded}, failed {s.Failed}, items {s.Items}, in flight {s.InFlight}, latency count {s.Latency.Count}";

    private void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        lock (_pass)
        {
            _pass.Add((instrument, value, tags.ToArray()));
        }
    }

    private List<(Instrument Instrument, double Value, KeyValuePair<string, object?>[] Tags)> Listen()
    {
        lock (_pass)
        {
            _pass.Clear();
        }

        _listener.RecordObservableInstruments();
        lock (_pass)
        {
            return [.. _pass];
        }
    }

    private void ListenerPass()
    {
        _listenerPasses++;
        var measurements = Listen();
        var bucketsOf = new List<(double Le, double Value)>();
        var quantilesOf = new List<(double Q, double Value)>();
        double calls = 0;
        double count = 0;
        foreach ((Instrument instrument, double value, KeyValuePair<string, object?>[] tags) in measurements)
        {
            string name = instrument.Name;
            calls += name == "model.inference.calls" ? value : 0;
            count += name == "model.inference.duration.count" ? value : 0;
            string key = SeriesKey(name, tags);
            _finite.That(double.IsFinite(value), () => $"{key} = {value}");
            if (name == "model.inference.active_calls")
            {
                _finite.That(value >= 0 && value <= _options.Threads, () => $"{key} = {value}");
            }

            // Ratios of the classification (MCC is in [-1, 1] and log-loss unbounded; neither is a ratio in [0, 1]).
            if (instrument is ObservableGauge<double> && name.StartsWith("model.classification.", StringComparison.Ordinal)
                && name is not ("model.classification.mcc" or "model.classification.log_loss"))
            {
                _finite.That(InUnit(value), () => $"{key} = {value}");
            }

            if (instrument is ObservableCounter<long> or ObservableCounter<double>)
            {
                if (_lastCounterValues.TryGetValue(key, out double last))
                {
                    _counters.That(value >= last, () => $"{key}: {value} after {last}");
                }

                _lastCounterValues[key] = value;
            }

            if (name == "model.inference.duration.bucket")
            {
                string le = Tag(tags, "le")!;
                bucketsOf.Add((le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture), value));
            }
            else if (name == "model.inference.duration.quantile")
            {
                quantilesOf.Add((double.Parse(Tag(tags, "quantile")!, CultureInfo.InvariantCulture), value));
            }
        }

        _series = _lastCounterValues.Count;
        double infinite = bucketsOf.Where(b => double.IsPositiveInfinity(b.Le)).Sum(b => b.Value);
        _onePass.That(calls == count && count == infinite, () => $"calls {calls}, duration count {count}, +Inf bucket {infinite}");

        // One instrument's measurements come from one snapshot, so within it the order must hold exactly.
        _buckets.That(IsNonDecreasing(bucketsOf), () => "buckets " + string.Join(", ", bucketsOf.Select(b => $"le {b.Le}: {b.Value}")));
        _buckets.That(IsNonDecreasing(quantilesOf), () => "quantiles " + string.Join(", ", quantilesOf.Select(b => $"q {b.Q}: {b.Value}")));
    }

    private static bool IsNonDecreasing(List<(double Key, double Value)> points)
    {
        points.Sort((a, b) => a.Key.CompareTo(b.Key));
        for (int i = 1; i < points.Count; i++)
        {
            if (points[i].Value < points[i - 1].Value)
            {
                return false;
            }
        }

        return true;
    }

    private static string? Tag(KeyValuePair<string, object?>[] tags, string key) =>
        tags.FirstOrDefault(t => t.Key == key).Value?.ToString();

    private static string SeriesKey(string instrument, KeyValuePair<string, object?>[] tags)
    {
        var key = new StringBuilder(instrument);
        foreach (KeyValuePair<string, object?> tag in tags.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            key.Append(CultureInfo.InvariantCulture, $" {tag.Key}={tag.Value}");
        }

        return key.ToString();
    }

    private List<Check> CheckFinal()
    {
        long calls = _totals.Sum(t => t.Calls);
        long succeeded = _totals.Sum(t => t.Succeeded);
        long failed = _totals.Sum(t => t.Failed);
        long[] cells = new long[ClassCount * ClassCount];
        foreach (WriterTotals totals in _totals)
        {
            for (int c = 0; c < cells.Length; c++)
            {
                cells[c] += totals.Cells[c];
            }
        }

        ModelMonitorSnapshot s = _monitor.GetSnapshot();
        var checks = new List<Check>();

        var writers = new Check("writers: no unexpected exception; outputs passed through unchanged; each did what the model's rule says");
        foreach (WriterTotals t in _totals)
        {
            // The model throws exactly for i % 100 == 37, i in [0, calls).
            long expectedFailed = (t.Calls / FailEvery) + (t.Calls % FailEvery > FailAt ? 1 : 0);
            writers.That(
                t.Unexpected is null && t.WrongOutputs == 0 && t.Succeeded + t.Failed == t.Calls && t.Failed == expectedFailed,
                () => $"calls {t.Calls}, succeeded {t.Succeeded}, failed {t.Failed} (rule: {expectedFailed}), wrong outputs {t.WrongOutputs}, exception {t.Unexpected}");
        }

        checks.Add(writers);

        var collector = new Check("collector: no exception; took snapshots and listener passes");
        collector.That(_collectorError is null && _snapshots > 0 && _listenerPasses > 0, () => $"snapshots {_snapshots}, listener passes {_listenerPasses}, exception {_collectorError}");
        checks.Add(collector);

        var succeededCheck = new Check($"final: Succeeded == writers' successes ({succeeded:N0})");
        succeededCheck.That(s.Succeeded == succeeded, () => $"snapshot {s.Succeeded:N0}");
        checks.Add(succeededCheck);

        var failedCheck = new Check($"final: Failed and Failures[{FaultType}] == writers' failures ({failed:N0}), no other error.type");
        failedCheck.That(
            s.Failed == failed && s.Failures.Count == (failed > 0 ? 1 : 0) && s.Failures.GetValueOrDefault(FaultType) == failed,
            () => $"snapshot failed {s.Failed:N0}, failures [{string.Join(", ", s.Failures.Select(p => $"{p.Key}={p.Value}"))}]");
        checks.Add(failedCheck);

        var countCheck = new Check($"final: Calls, Items and Latency.Count == writers' calls ({calls:N0})");
        countCheck.That(s.Calls == calls && s.Items == calls && s.Latency.Count == calls, () => $"calls {s.Calls:N0}, items {s.Items:N0}, latency count {s.Latency.Count:N0}");
        checks.Add(countCheck);

        var inFlightCheck = new Check("final: InFlight == 0");
        inFlightCheck.That(s.InFlight == 0, () => $"in flight {s.InFlight}");
        checks.Add(inFlightCheck);

        var cellsCheck = new Check($"final: confusion cells == writers' counts ({calls:N0} pairs), nothing rejected");
        ClassificationSnapshot quality = s.Classification!;
        for (int a = 0; a < ClassCount; a++)
        {
            for (int p = 0; p < ClassCount; p++)
            {
                int actual = a, predicted = p;
                cellsCheck.That(quality.GetCount(predicted: predicted, actual: actual) == cells[(actual * ClassCount) + predicted], () => $"cell actual {Labels[actual]}, predicted {Labels[predicted]}: {quality.GetCount(predicted: predicted, actual: actual)}, expected {cells[(actual * ClassCount) + predicted]}");
            }
        }

        cellsCheck.That(quality.Total == calls && s.Rejected.Count == 0, () => $"pairs {quality.Total}, rejected {s.Rejected.Count}");
        checks.Add(cellsCheck);

        // The published counters, after the writers stopped, must say exactly the same.
        var published = new Check("final listener pass: calls (by error.type), duration count, +Inf bucket and confusion counters exact; active_calls 0");
        var measurements = Listen().Where(m => Tag(m.Tags, "model.name") == ModelName).ToList();
        double Value(string instrument, Func<KeyValuePair<string, object?>[], bool> where)
        {
            // Exactly one series must match; none or several reads as NaN, which no expected value equals.
            var values = measurements.Where(m => m.Instrument.Name == instrument && where(m.Tags)).Select(m => m.Value).ToList();
            return values.Count == 1 ? values[0] : double.NaN;
        }

        double ok = Value("model.inference.calls", t => Tag(t, "error.type") is null);
        double bad = failed > 0 ? Value("model.inference.calls", t => Tag(t, "error.type") == FaultType) : 0;
        double count = Value("model.inference.duration.count", _ => true);
        double inf = Value("model.inference.duration.bucket", t => Tag(t, "le") == "+Inf");
        double active = Value("model.inference.active_calls", _ => true);
        published.That(ok == succeeded && bad == failed && count == calls && inf == calls && active == 0, () => $"calls ok {ok}, {FaultType} {bad}, duration count {count}, +Inf bucket {inf}, active {active}");
        for (int a = 0; a < ClassCount; a++)
        {
            for (int p = 0; p < ClassCount; p++)
            {
                string actual = Labels[a], predicted = Labels[p];
                long expected = cells[(a * ClassCount) + p];
                double cell = Value("model.classification.confusion", t => Tag(t, "model.class.actual") == actual && Tag(t, "model.class.predicted") == predicted);
                published.That(cell == expected, () => $"confusion actual {actual}, predicted {predicted}: {cell}, expected {expected}");
            }
        }

        checks.Add(published);

        // The second listener's pass after the writers stopped shows the final state too.
        double items = ItemsPass();
        _partial.That(items == calls, () => $"final items-only pass: {items} items, {calls} calls");
        return checks;
    }

    private void Report(List<Check> checks, TimeSpan elapsed)
    {
        long calls = _totals.Sum(t => t.Calls);
        double seconds = elapsed.TotalSeconds;
        Console.WriteLine();
        Console.WriteLine($"throughput: {calls:N0} calls in {seconds:F2} s = {calls / seconds:N0} calls/s total, {calls / seconds / _options.Threads:N0} calls/s per thread");
        Console.WriteLine($"  per thread: {string.Join(", ", _totals.Select((t, i) => $"#{i} {t.Calls / seconds:N0}/s"))} (each call also records one ground-truth pair)");
        Console.WriteLine($"  failed calls (thrown {FaultType}): {_totals.Sum(t => t.Failed):N0}");
        Console.WriteLine($"collector: {_snapshots:N0} snapshots ({_snapshots / seconds:N0}/s), {_listenerPasses:N0} listener passes ({_listenerPasses / seconds:N0}/s) over {_series:N0} counter series");
        Console.WriteLine();
        foreach (Check check in checks)
        {
            Console.WriteLine($"{(check.Passed ? "PASS" : "FAIL")}  {check.Name}  [{check.Evaluated:N0} evaluated, {check.Failures:N0} failed]");
            foreach (string detail in check.Details)
            {
                Console.WriteLine("        " + detail);
            }
        }

        int failedChecks = checks.Count(c => !c.Passed);
        Console.WriteLine();
        Console.WriteLine(failedChecks == 0 ? $"result: PASS ({checks.Count} checks)" : $"result: FAIL ({failedChecks} of {checks.Count} checks failed)");
    }
}
