// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace ModelMetrics.Reports.Tests.Zabbix;

/// <summary>One sample of a Prometheus text exposition.</summary>
internal sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value, string Line);

/// <summary>
/// The Prometheus text format (version 0.0.4) read into samples, and the two Zabbix 6.0 preprocessing steps the template
/// uses, written from Zabbix's documentation: "Prometheus pattern" (a metric name and label matchers <c>=</c>, <c>!=</c>,
/// <c>=~</c>, <c>!~</c>; output <c>value</c> of the one matching line, or <c>function</c> <c>sum</c>/<c>min</c>/<c>max</c>/
/// <c>avg</c>/<c>count</c> over all) and "Prometheus to JSON" (every matching line as an object with name, value,
/// labels, line_raw).
/// </summary>
internal static class PrometheusText
{
    public static List<PrometheusSample> Parse(string text)
    {
        var samples = new List<PrometheusSample>();
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            int i = 0;
            while (i < line.Length && line[i] != '{' && line[i] != ' ')
            {
                i++;
            }

            string name = line[..i];
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            if (i < line.Length && line[i] == '{')
            {
                i = ParseLabels(line, i + 1, labels);
            }

            string[] rest = line[i..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            double value = rest[0] switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                "NaN" => double.NaN,
                string v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
            };
            samples.Add(new PrometheusSample(name, labels, value, line));
        }

        return samples;
    }

    /// <summary>The samples a Zabbix Prometheus pattern selects.</summary>
    public static List<PrometheusSample> Select(IEnumerable<PrometheusSample> samples, string pattern)
    {
        int brace = pattern.IndexOf('{', StringComparison.Ordinal);
        string name = brace < 0 ? pattern.Trim() : pattern[..brace].Trim();
        var matchers = new List<(string Label, string Op, string Value)>();
        if (brace >= 0)
        {
            Match m = Regex.Match(pattern[brace..], "^\\{(.*)\\}$");
            foreach (Match matcher in Regex.Matches(m.Groups[1].Value, "\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*(=~|!~|!=|=)\\s*\"((?:[^\"\\\\]|\\\\.)*)\"\\s*,?"))
            {
                matchers.Add((matcher.Groups[1].Value, matcher.Groups[2].Value, Unescape(matcher.Groups[3].Value)));
            }
        }

        return samples.Where(s => (name.Length == 0 || s.Name == name) && matchers.All(x =>
        {
            // As in Prometheus, a missing label reads as the empty string.
            string actual = x.Label == "__name__" ? s.Name : s.Labels.GetValueOrDefault(x.Label, string.Empty);
            return x.Op switch
            {
                "=" => actual == x.Value,
                "!=" => actual != x.Value,
                "=~" => Regex.IsMatch(actual, "^(?:" + x.Value + ")$"),
                _ => !Regex.IsMatch(actual, "^(?:" + x.Value + ")$"),
            };
        })).ToList();
    }

    /// <summary>Zabbix's "Prometheus pattern" step: <c>value</c> needs exactly one line; <c>function</c> aggregates.</summary>
    public static double? Pattern(IEnumerable<PrometheusSample> samples, string pattern, string output, string parameter)
    {
        List<PrometheusSample> selected = Select(samples, pattern);
        if (selected.Count == 0)
        {
            return null;
        }

        return output switch
        {
            "value" when selected.Count == 1 => selected[0].Value,
            "value" => throw new InvalidOperationException($"the pattern {pattern} selects {selected.Count} lines where 'value' needs one"),
            "function" => parameter switch
            {
                "sum" => selected.Sum(s => s.Value),
                "min" => selected.Min(s => s.Value),
                "max" => selected.Max(s => s.Value),
                "avg" => selected.Average(s => s.Value),
                "count" => selected.Count,
                _ => throw new InvalidOperationException("unknown function " + parameter),
            },
            _ => throw new InvalidOperationException("unsupported output " + output),
        };
    }

    /// <summary>Zabbix's "Prometheus to JSON" step.</summary>
    public static string ToJson(IEnumerable<PrometheusSample> samples, string pattern)
    {
        var array = new JsonArray();
        foreach (PrometheusSample s in Select(samples, pattern))
        {
            var labels = new JsonObject();
            foreach ((string key, string value) in s.Labels)
            {
                labels[key] = value;
            }

            array.Add(new JsonObject
            {
                ["name"] = s.Name,
                ["value"] = s.Value.ToString("R", CultureInfo.InvariantCulture),
                ["line_raw"] = s.Line,
                ["labels"] = labels,
                ["type"] = "untyped",
            });
        }

        return array.ToJsonString();
    }

    private static int ParseLabels(string line, int i, Dictionary<string, string> labels)
    {
        while (i < line.Length && line[i] != '}')
        {
            int eq = line.IndexOf('=', i);
            string label = line[i..eq].Trim().TrimStart(',').Trim();
            i = eq + 2; // past ="
            var value = new StringBuilder();
            while (line[i] != '"')
            {
                if (line[i] == '\\')
                {
                    i++;
                    value.Append(line[i] == 'n' ? '\n' : line[i]);
                }
                else
                {
                    value.Append(line[i]);
                }

                i++;
            }

            labels[label] = value.ToString();
            i++; // past the closing quote
            if (i < line.Length && line[i] == ',')
            {
                i++;
            }
        }

        return i + 1;
    }

    private static string Unescape(string value) => value.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);
}
