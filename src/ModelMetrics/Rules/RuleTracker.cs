// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Globalization;

namespace ModelMetrics.Rules;

/// <summary>The state of one <see cref="ModelRule"/> for one monitor: its severity and the streaks that move it.</summary>
internal sealed class RuleTracker
{
    private readonly ModelRule _rule;
    private RuleSeverity _severity;
    private int _worseStreak;
    private RuleSeverity _worseLeast;
    private int _betterStreak;
    private RuleSeverity _betterMost;
    private double? _value;
    private long _samples;

    public RuleTracker(ModelRule rule) => _rule = rule;

    public RuleSeverity Severity => _severity;

    /// <summary>Judges the rule on <paramref name="snapshot"/> and returns its status.</summary>
    public RuleStatus Evaluate(ModelMonitor monitor, ModelMonitorSnapshot snapshot)
    {
        TimeSpan windowLength = _rule.Window ?? snapshot.Recent.Window;
        string? skipped = Read(snapshot, windowLength, out double value, out long samples);
        if (skipped is null)
        {
            _value = value;
            _samples = samples;
            Step(_rule.Judge(value));
        }

        double? threshold = _rule.ThresholdOf(_severity) ?? _rule.Warning ?? _rule.Critical;
        string what = _rule.BaselineWindow is { } baseline
            ? $"{_rule.Signal.Name} over {Format(windowLength)} ÷ over {Format(baseline)}"
            : $"{_rule.Signal.Name} over {Format(windowLength)}";
        string description = skipped is not null
            ? $"{_rule.Name}: {_severity}; {what} not judged: {skipped}."
            : $"{_rule.Name}: {_severity}; {what} = {Format(value)} ({(_rule.Direction == RuleDirection.Above ? "breach above" : "breach below")} {Format(threshold)}), {samples} samples.";
        return new RuleStatus(_rule.Name, isObjective: false, monitor, _severity, _value, threshold, windowLength, _samples, snapshot.Timestamp, description);
    }

    internal static string Format(double? value) => value is { } v ? v.ToString("G4", CultureInfo.InvariantCulture) : "n/a";

    internal static string Format(TimeSpan window) =>
        window.TotalDays >= 1 && window.TotalDays % 1 == 0 ? $"{window.TotalDays}d"
        : window.TotalHours >= 1 && window.TotalHours % 1 == 0 ? $"{window.TotalHours}h"
        : window.TotalMinutes >= 1 && window.TotalMinutes % 1 == 0 ? $"{window.TotalMinutes}m"
        : $"{window.TotalSeconds.ToString(CultureInfo.InvariantCulture)}s";

    /// <summary>Moves the state by one judged evaluation: up after enough worse ones, down after enough better ones.</summary>
    private void Step(RuleSeverity judged)
    {
        if (judged > _severity)
        {
            _betterStreak = 0;
            _worseLeast = _worseStreak == 0 ? judged : (RuleSeverity)Math.Min((int)_worseLeast, (int)judged);
            if (++_worseStreak >= _rule.BreachesToFire)
            {
                _severity = _worseLeast;
                _worseStreak = 0;
            }
        }
        else if (judged < _severity)
        {
            _worseStreak = 0;
            _betterMost = _betterStreak == 0 ? judged : (RuleSeverity)Math.Max((int)_betterMost, (int)judged);
            if (++_betterStreak >= _rule.ClearsToResolve)
            {
                _severity = _betterMost;
                _betterStreak = 0;
            }
        }
        else
        {
            _worseStreak = 0;
            _betterStreak = 0;
        }
    }

    /// <summary>Reads the value to judge; returns why it cannot be judged, or <see langword="null"/>.</summary>
    private string? Read(ModelMonitorSnapshot snapshot, TimeSpan windowLength, out double value, out long samples)
    {
        value = double.NaN;
        samples = 0;
        if (Find(snapshot, windowLength) is not { } window)
        {
            return $"the monitor has no {Format(windowLength)} window";
        }

        (double? read, samples) = _rule.Signal.Read(window);
        if (samples < _rule.MinSamples)
        {
            return $"{samples} samples, fewer than {_rule.MinSamples}";
        }

        if (read is not { } v || double.IsNaN(v))
        {
            return "no value";
        }

        value = v;
        if (_rule.BaselineWindow is { } baselineLength)
        {
            if (Find(snapshot, baselineLength) is not { } baselineWindow)
            {
                return $"the monitor has no {Format(baselineLength)} window";
            }

            (double? baseline, long baselineSamples) = _rule.Signal.Read(baselineWindow);
            if (baselineSamples < _rule.MinSamples || baseline is not { } b || !(b != 0 && double.IsFinite(b)))
            {
                return $"no baseline over {Format(baselineLength)}";
            }

            value = v / b;
        }

        return null;
    }

    private static WindowSnapshot? Find(ModelMonitorSnapshot snapshot, TimeSpan length)
    {
        foreach (WindowSnapshot window in snapshot.Windows)
        {
            if (window.Window == length)
            {
                return window;
            }
        }

        return null;
    }
}
