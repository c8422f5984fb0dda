// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Diagnostics.Tracing;

namespace ModelMetrics.Reports.Diagnostics;

/// <summary>
/// The exporters' own diagnostics, as an <see cref="EventSource"/> named <c>ModelMetrics.Reports</c>: exports that
/// failed (and were swallowed: an exporter never throws into the service) and requests retried.
/// </summary>
[EventSource(Name = "ModelMetrics.Reports")]
internal sealed class ReportsEventSource : EventSource
{
    public static readonly ReportsEventSource Log = new();

    private ReportsEventSource()
    {
    }

    [NonEvent]
    public void ExportFailed(string exporter, Exception exception)
    {
        if (IsEnabled(EventLevel.Error, EventKeywords.All))
        {
            ExportFailed(exporter, exception.GetType().FullName ?? exception.GetType().Name, exception.Message);
        }
    }

    [Event(80, Level = EventLevel.Error, Message = "{0}: an export failed and was dropped: {1}: {2}")]
    public void ExportFailed(string exporter, string exceptionType, string message) => WriteEvent(80, exporter, exceptionType, message);

    [Event(81, Level = EventLevel.Warning, Message = "{0}: request {1} answered {2}; retry {3} after {4} ms")]
    public void RequestRetried(string exporter, string request, string outcome, int attempt, long delayMilliseconds) =>
        WriteEvent(81, exporter, request, outcome, attempt, delayMilliseconds);
}
