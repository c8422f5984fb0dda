// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

namespace ModelMetrics.Publishing;

/// <summary>
/// The attribute names and units every signal family shares. Instrument names live with their family
/// (<c>Signals/&lt;Family&gt;/&lt;Family&gt;Instruments.cs</c>, name, unit and description together). They follow
/// the OpenTelemetry naming rules: lower case, dot-separated, UCUM units, durations in seconds. The README's
/// instrument table lists every instrument.
/// </summary>
internal static class MetricNames
{
    // Attributes.
    public const string ModelName = "model.name";
    public const string ModelVersion = "model.version";
    public const string ErrorType = "error.type";
    public const string Quantile = "quantile";
    public const string LessOrEqual = "le";
    public const string Reason = "reason";
    public const string Window = "window";

    // Units (UCUM; curly braces are annotations for counts).
    public const string Seconds = "s";
    public const string Ratio = "1";
}
