// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;

namespace ModelMetrics;

/// <summary>
/// A threshold on one signal of one window, judged on every evaluation of a <see cref="ModelRuleSet"/> for each
/// monitor it applies to: warning and critical thresholds, a minimum sample count, and a number of consecutive
/// breaches to fire and of clear evaluations to resolve, so that an alert does not flap.
/// </summary>
/// <remarks>
/// <para>
/// The severity of one evaluation is the worst threshold the value breaches. The rule's state moves up only after
/// <see cref="BreachesToFire"/> consecutive evaluations worse than it (to the least severe of them), and down only
/// after <see cref="ClearsToResolve"/> consecutive evaluations better than it (to the most severe of them). A window
/// with fewer than <see cref="MinSamples"/> samples, or without a value, is not judged: the state stays as it was.
/// </para>
/// <para>
/// With <see cref="BaselineWindow"/> set the thresholds are relative: the value compared is the signal over
/// <see cref="Window"/> divided by the same signal over the baseline window (for example "p99 latency over 5 minutes
/// is more than 2× the hour's").
/// </para>
/// </remarks>
public sealed class ModelRule
{
    /// <summary>Gets the rule's name (attribute <c>model.rule</c>): short, fixed, low-cardinality.</summary>
    public required string Name { get; init; }

    /// <summary>Gets the signal the rule watches (see the built-in signals of <see cref="ModelSignal"/>).</summary>
    public required ModelSignal Signal { get; init; }

    /// <summary>Gets which side of the thresholds is a breach.</summary>
    /// <value>The default value is <see cref="RuleDirection.Above"/>.</value>
    public RuleDirection Direction { get; init; }

    /// <summary>Gets the threshold that makes the rule a warning, or <see langword="null"/> for none.</summary>
    public double? Warning { get; init; }

    /// <summary>Gets the threshold that makes the rule critical, or <see langword="null"/> for none.</summary>
    public double? Critical { get; init; }

    /// <summary>Gets the window the signal is read over: one of the monitor's <see cref="ModelMonitorOptions.Windows"/>.</summary>
    /// <value>The default value is <see langword="null"/>: the monitor's shortest window. A monitor without this window is not judged.</value>
    public TimeSpan? Window { get; init; }

    /// <summary>Gets the window whose value divides the value of <see cref="Window"/> (relative thresholds), or <see langword="null"/>.</summary>
    /// <value>The default value is <see langword="null"/>: absolute thresholds.</value>
    public TimeSpan? BaselineWindow { get; init; }

    /// <summary>Gets the fewest samples (calls, labelled predictions… see <see cref="ModelSignal"/>) a window needs to be judged.</summary>
    /// <value>The default value is 100. At least 0.</value>
    public long MinSamples { get; init; } = 100;

    /// <summary>Gets the number of consecutive evaluations worse than the current state that raise it.</summary>
    /// <value>The default value is 3. From 1 to 1,000.</value>
    public int BreachesToFire { get; init; } = 3;

    /// <summary>Gets the number of consecutive evaluations better than the current state that lower it.</summary>
    /// <value>The default value is 3. From 1 to 1,000.</value>
    public int ClearsToResolve { get; init; } = 3;

    /// <summary>Gets the model the rule applies to (<see cref="ModelMonitor.ModelName"/>, every version), or <see langword="null"/> for every monitor.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? ModelName { get; init; }

    /// <summary>Returns the severity of one value against the thresholds.</summary>
    internal RuleSeverity Judge(double value)
    {
        if (Critical is { } critical && Breaches(value, critical))
        {
            return RuleSeverity.Critical;
        }

        return Warning is { } warning && Breaches(value, warning) ? RuleSeverity.Warning : RuleSeverity.Ok;
    }

    /// <summary>Returns the threshold of <paramref name="severity"/>, or <see langword="null"/> for <see cref="RuleSeverity.Ok"/>.</summary>
    internal double? ThresholdOf(RuleSeverity severity) => severity switch
    {
        RuleSeverity.Critical => Critical,
        RuleSeverity.Warning => Warning,
        _ => null,
    };

    /// <summary>Throws when the rule cannot be evaluated; <paramref name="parameter"/> names the collection it came from.</summary>
    internal void Validate(string parameter)
    {
        string Where(string property) => $"{parameter}: rule '{Name}': {property}";

        if (string.IsNullOrWhiteSpace(Name))
        {
            throw new ArgumentException($"{parameter}: every rule needs a Name.", parameter);
        }

        if (Signal is null)
        {
            throw new ArgumentException(Where("Signal is required."), parameter);
        }

        if (Warning is null && Critical is null)
        {
            throw new ArgumentException(Where("set Warning, Critical or both."), parameter);
        }

        if (Warning is { } w && !double.IsFinite(w) || Critical is { } c && !double.IsFinite(c))
        {
            throw new ArgumentException(Where("thresholds must be finite numbers."), parameter);
        }

        if (Warning is { } warning && Critical is { } crit && (Direction == RuleDirection.Above ? crit < warning : crit > warning))
        {
            throw new ArgumentException(Where($"Critical ({crit}) must be at least as far past the threshold as Warning ({warning}) for Direction {Direction}."), parameter);
        }

        if (Window is { } window && window <= TimeSpan.Zero || BaselineWindow is { } baseline && baseline <= TimeSpan.Zero)
        {
            throw new ArgumentException(Where("Window and BaselineWindow must be positive."), parameter);
        }

        if (MinSamples < 0)
        {
            throw new ArgumentException(Where($"MinSamples ({MinSamples}) must be at least 0."), parameter);
        }

        if (BreachesToFire is < 1 or > 1000 || ClearsToResolve is < 1 or > 1000)
        {
            throw new ArgumentException(Where($"BreachesToFire ({BreachesToFire}) and ClearsToResolve ({ClearsToResolve}) must be from 1 to 1,000."), parameter);
        }
    }

    private bool Breaches(double value, double threshold) => Direction == RuleDirection.Above ? value > threshold : value < threshold;
}
