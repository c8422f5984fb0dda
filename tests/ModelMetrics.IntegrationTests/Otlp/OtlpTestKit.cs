// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ModelMetrics.IntegrationTests.Otlp.Protocol;
using NUnit.Framework;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using AggregationTemporality = ModelMetrics.IntegrationTests.Otlp.Protocol.AggregationTemporality;
using Metric = ModelMetrics.IntegrationTests.Otlp.Protocol.Metric;

namespace ModelMetrics.IntegrationTests.Otlp;

/// <summary>The kind of data an OTLP metric carries.</summary>
internal enum OtlpKind
{
    Gauge,
    Sum,
    Histogram,
    Other,
}

/// <summary>
/// One received data point, flattened: the metric's scope (meter), name, unit and kind, and the point's
/// attributes and value (a histogram point's value is its count).
/// </summary>
internal sealed record OtlpPoint(
    string Scope,
    string Name,
    string Unit,
    OtlpKind Kind,
    bool IsMonotonic,
    AggregationTemporality Temporality,
    IReadOnlyDictionary<string, string> Attributes,
    double Value)
{
    /// <summary>Gets an attribute's value, or null.</summary>
    public string? Attribute(string key) => Attributes.TryGetValue(key, out string? value) ? value : null;

    public override string ToString() =>
        $"{Name} {{{string.Join(", ", Attributes.Select(a => $"{a.Key}={a.Value}"))}}} = {Value.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>Helpers shared by the OTLP tests: a meter provider exporting to the receiver, and flattening of what arrived.</summary>
internal static class OtlpTestKit
{
    /// <summary>The service.name every in-process test provider reports.</summary>
    public const string ServiceName = "modelmetrics-otlp-tests";

    /// <summary>A meter name no other test uses, so that a provider sees only its own test's monitors.</summary>
    public static string NewMeterName() => "ModelMetrics.OtlpTests." + Guid.NewGuid().ToString("N");

    /// <summary>
    /// A meter provider that exports <paramref name="meterName"/> to <paramref name="receiver"/>. Its periodic
    /// reader effectively never fires: tests export with <see cref="MeterProvider.ForceFlush"/> (and at Dispose).
    /// </summary>
    public static MeterProvider CreateProvider(string meterName, OtlpReceiver receiver, OtlpExportProtocol protocol, Action<OtlpExporterOptions, MetricReaderOptions>? configure = null) =>
        Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(r => r.AddService(ServiceName))
            .AddModelMetrics(meterName)
            .AddOtlpExporter((exporter, reader) =>
            {
                exporter.Protocol = protocol;
                exporter.Endpoint = receiver.EndpointFor(protocol);
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)TimeSpan.FromMinutes(30).TotalMilliseconds;
                configure?.Invoke(exporter, reader);
            })
            .Build();

    /// <summary>Every data point of an export, in order.</summary>
    public static List<OtlpPoint> Flatten(ExportMetricsServiceRequest request)
    {
        var points = new List<OtlpPoint>();
        foreach (ResourceMetrics resource in request.ResourceMetrics)
        {
            foreach (ScopeMetrics scope in resource.ScopeMetrics)
            {
                foreach (Metric metric in scope.Metrics)
                {
                    OtlpPoint Point(IEnumerable<KeyValue> attributes, double value, OtlpKind kind, bool monotonic = false, AggregationTemporality temporality = default) =>
                        new(scope.Scope?.Name ?? string.Empty, metric.Name, metric.Unit, kind, monotonic, temporality, ToDictionary(attributes), value);

                    switch (metric.DataCase)
                    {
                        case Metric.DataOneofCase.Gauge:
                            points.AddRange(metric.Gauge.DataPoints.Select(p => Point(p.Attributes, ValueOf(p), OtlpKind.Gauge)));
                            break;
                        case Metric.DataOneofCase.Sum:
                            points.AddRange(metric.Sum.DataPoints.Select(p => Point(p.Attributes, ValueOf(p), OtlpKind.Sum, metric.Sum.IsMonotonic, metric.Sum.AggregationTemporality)));
                            break;
                        case Metric.DataOneofCase.Histogram:
                            points.AddRange(metric.Histogram.DataPoints.Select(p => Point(p.Attributes, p.Count, OtlpKind.Histogram, temporality: metric.Histogram.AggregationTemporality)));
                            break;
                        default:
                            points.Add(Point([], double.NaN, OtlpKind.Other));
                            break;
                    }
                }
            }
        }

        return points;
    }

    /// <summary>The points of one export that belong to <paramref name="model"/> (attribute model.name).</summary>
    public static ModelPoints ForModel(this ReceivedExport export, string model) => new(Flatten(export.Request).Where(p => p.Attribute("model.name") == model).ToList());

    /// <summary>Every value of the resource attribute <paramref name="key"/> in an export (one per resource).</summary>
    public static IEnumerable<string> ResourceAttribute(this ReceivedExport export, string key) =>
        export.Request.ResourceMetrics.SelectMany(r => ToDictionary(r.Resource?.Attributes ?? [])).Where(a => a.Key == key).Select(a => a.Value);

    /// <summary>The exact nearest-rank quantile of <paramref name="sorted"/>, the definition the library documents.</summary>
    public static double NearestRank(IReadOnlyList<double> sorted, double quantile) =>
        sorted[Math.Max(1, (int)Math.Ceiling((quantile * sorted.Count) - 1e-9)) - 1];

    private static double ValueOf(NumberDataPoint point) =>
        point.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? point.AsInt : point.AsDouble;

    private static Dictionary<string, string> ToDictionary(IEnumerable<KeyValue> attributes) =>
        attributes.ToDictionary(a => a.Key, a => a.Value?.ValueCase switch
        {
            AnyValue.ValueOneofCase.StringValue => a.Value.StringValue,
            AnyValue.ValueOneofCase.IntValue => a.Value.IntValue.ToString(CultureInfo.InvariantCulture),
            AnyValue.ValueOneofCase.DoubleValue => a.Value.DoubleValue.ToString(CultureInfo.InvariantCulture),
            AnyValue.ValueOneofCase.BoolValue => a.Value.BoolValue ? "true" : "false",
            _ => a.Value?.ToString() ?? string.Empty,
        }, StringComparer.Ordinal);
}

/// <summary>The received points of one model, looked up by metric name and exact attribute set.</summary>
internal sealed class ModelPoints(IReadOnlyList<OtlpPoint> points)
{
    /// <summary>The attributes every point of a model carries; lookups name only the ones beyond these.</summary>
    private static readonly string[] ModelAttributes = ["model.name", "model.version"];

    /// <summary>Gets every point of the model.</summary>
    public IReadOnlyList<OtlpPoint> All { get; } = points;

    /// <summary>Every point of the metric <paramref name="name"/>.</summary>
    public IReadOnlyList<OtlpPoint> Named(string name) => All.Where(p => p.Name == name).ToList();

    /// <summary>
    /// The one point of <paramref name="name"/> whose attributes are exactly the model's plus <paramref name="extra"/>;
    /// fails the test, listing the points there are, when there is not exactly one.
    /// </summary>
    public OtlpPoint Point(string name, params (string Key, string Value)[] extra)
    {
        List<OtlpPoint> named = [.. Named(name)];
        List<OtlpPoint> matches = named
            .Where(p => p.Attributes.Count(a => !ModelAttributes.Contains(a.Key)) == extra.Length && extra.All(e => p.Attribute(e.Key) == e.Value))
            .ToList();
        if (matches.Count != 1)
        {
            Assert.Fail($"Expected one point {name} {{{string.Join(", ", extra.Select(e => $"{e.Key}={e.Value}"))}}}, found {matches.Count} among:{Environment.NewLine}{string.Join(Environment.NewLine, named)}");
        }

        return matches[0];
    }

    /// <summary>The value of <see cref="Point"/>.</summary>
    public double Value(string name, params (string Key, string Value)[] extra) => Point(name, extra).Value;
}
