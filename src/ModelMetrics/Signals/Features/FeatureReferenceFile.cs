// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;

namespace ModelMetrics.Signals;

/// <summary>
/// The feature reference file: a JSON document that holds each feature's reference counts (numeric: the non-empty
/// buckets of <see cref="FeatureLayout"/>; categorical: one count per category, then <c>_OTHER</c>).
/// </summary>
/// <remarks>
/// <code>
/// { "format": "ModelMetrics.FeatureReference", "version": 1,
///   "layout": { "subBucketBits": 5, "minExponent": -20, "maxExponent": 44 },
///   "features": [
///     { "name": "amount", "kind": "numeric", "buckets": [ [bucket, count], … ] },
///     { "name": "country", "kind": "categorical", "categories": [ "fr", "de" ], "counts": [ 120, 80, 3 ] } ] }
/// </code>
/// A numeric bucket is its index in the layout (0 to 4096, the zero bucket 2048). A reader rejects another format, a
/// later version, or another layout; a later version adds members rather than changing these.
/// </remarks>
internal static class FeatureReferenceFile
{
    public const string Format = "ModelMetrics.FeatureReference";
    public const int Version = 1;

    public static void Write(Stream stream, FeatureDefinition[] definitions, FeatureBaseline?[] reference)
    {
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        writer.WriteStartObject();
        writer.WriteString("format", Format);
        writer.WriteNumber("version", Version);
        writer.WriteStartObject("layout");
        writer.WriteNumber("subBucketBits", FeatureLayout.SubBucketBits);
        writer.WriteNumber("minExponent", FeatureLayout.MinExponent);
        writer.WriteNumber("maxExponent", FeatureLayout.MaxExponent);
        writer.WriteEndObject();
        writer.WriteStartArray("features");
        for (int f = 0; f < definitions.Length; f++)
        {
            if (reference[f] is not { } baseline)
            {
                continue;
            }

            FeatureDefinition definition = definitions[f];
            writer.WriteStartObject();
            writer.WriteString("name", definition.Name);
            if (definition.Categories is { } categories)
            {
                writer.WriteString("kind", "categorical");
                writer.WriteStartArray("categories");
                foreach (string category in categories)
                {
                    writer.WriteStringValue(category);
                }

                writer.WriteEndArray();
                writer.WriteStartArray("counts");
                foreach (long count in baseline.Counts)
                {
                    writer.WriteNumberValue(count);
                }

                writer.WriteEndArray();
            }
            else
            {
                writer.WriteString("kind", "numeric");
                writer.WriteStartArray("buckets");
                for (int b = 0; b < baseline.Counts.Length; b++)
                {
                    if (baseline.Counts[b] != 0)
                    {
                        writer.WriteStartArray();
                        writer.WriteNumberValue(b);
                        writer.WriteNumberValue(baseline.Counts[b]);
                        writer.WriteEndArray();
                    }
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    public static FeatureBaseline?[] Read(Stream stream, FeatureDefinition[] definitions)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"The feature reference is not valid JSON: {e.Message}", e);
        }

        using (document)
        {
            try
            {
                return Read(document.RootElement, definitions);
            }
            catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException or OverflowException or IndexOutOfRangeException)
            {
                throw new InvalidDataException($"The feature reference is malformed: {e.Message}", e);
            }
        }
    }

    private static FeatureBaseline?[] Read(JsonElement root, FeatureDefinition[] definitions)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out JsonElement format) || format.GetString() != Format)
        {
            throw new InvalidDataException($"The content is not a feature reference (format '{Format}').");
        }

        int version = root.GetProperty("version").GetInt32();
        if (version != Version)
        {
            throw new InvalidDataException($"The feature reference has version {version}; this version of ModelMetrics reads version {Version}.");
        }

        JsonElement layout = root.GetProperty("layout");
        if (layout.GetProperty("subBucketBits").GetInt32() != FeatureLayout.SubBucketBits
            || layout.GetProperty("minExponent").GetInt32() != FeatureLayout.MinExponent
            || layout.GetProperty("maxExponent").GetInt32() != FeatureLayout.MaxExponent)
        {
            throw new InvalidDataException("The feature reference was written with another bucket layout.");
        }

        var baselines = new FeatureBaseline?[definitions.Length];
        foreach (JsonElement feature in root.GetProperty("features").EnumerateArray())
        {
            string name = feature.GetProperty("name").GetString() ?? string.Empty;
            int f = Array.FindIndex(definitions, d => d.Name == name);
            if (f < 0)
            {
                continue;
            }

            FeatureDefinition definition = definitions[f];
            string? kind = feature.GetProperty("kind").GetString();
            if (kind != (definition.IsCategorical ? "categorical" : "numeric"))
            {
                throw new InvalidDataException($"Feature '{name}' is {kind} in the reference but declared {(definition.IsCategorical ? "categorical" : "numeric")}.");
            }

            long[] counts;
            if (definition.Categories is { } categories)
            {
                string?[] stored = [.. feature.GetProperty("categories").EnumerateArray().Select(c => c.GetString())];
                if (!stored.SequenceEqual(categories))
                {
                    throw new InvalidDataException($"Feature '{name}' has other categories in the reference than declared.");
                }

                counts = [.. feature.GetProperty("counts").EnumerateArray().Select(c => c.GetInt64())];
                if (counts.Length != categories.Count + 1)
                {
                    throw new InvalidDataException($"Feature '{name}' must hold one count per category and one for _OTHER in the reference.");
                }
            }
            else
            {
                counts = new long[FeatureLayout.BucketCount];
                foreach (JsonElement bucket in feature.GetProperty("buckets").EnumerateArray())
                {
                    int index = bucket[0].GetInt32();
                    if ((uint)index >= FeatureLayout.BucketCount)
                    {
                        throw new InvalidDataException($"Feature '{name}' has bucket {index} outside the layout in the reference.");
                    }

                    counts[index] += bucket[1].GetInt64();
                }
            }

            if (counts.Any(c => c < 0))
            {
                throw new InvalidDataException($"Feature '{name}' has a negative count in the reference.");
            }

            baselines[f] = new FeatureBaseline(counts, definition.IsCategorical);
        }

        return baselines;
    }
}
