// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Globalization;
using System.IO;

namespace ModelMetrics.Resources;

/// <summary>Reads a small text file (under <c>/proc</c> or a cgroup mount) whole, or returns <see langword="null"/> when it cannot.</summary>
/// <param name="path">The absolute path.</param>
/// <returns>The file's text, or <see langword="null"/> when it is missing or unreadable.</returns>
/// <remarks>The seam tests use to give the readers a fake <c>/proc</c> or cgroup tree.</remarks>
internal delegate string? FileReader(string path);

/// <summary>The real file system behind <see cref="FileReader"/>, and the parsing helpers the readers share.</summary>
internal static class ProcFiles
{
    public static readonly FileReader Real = static path =>
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            // Note: a missing file is an answer here (no cgroup, no /proc on this OS), never an error.
            return null;
        }
    };

    /// <summary>Parses a non-negative decimal integer field; <see langword="null"/> when it is not one.</summary>
    public static long? Long(ReadOnlySpan<char> text) =>
        long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : null;

    /// <summary>Returns the value of the line <c>key value…</c> (as in <c>cpu.stat</c>) or <c>key: value kB</c> (as in <c>/proc/meminfo</c>).</summary>
    public static long? Field(string text, string key)
    {
        foreach (ReadOnlySpan<char> line in text.AsSpan().EnumerateLines())
        {
            if (line.StartsWith(key, StringComparison.Ordinal) && line.Length > key.Length && (line[key.Length] is ' ' or ':' or '\t'))
            {
                ReadOnlySpan<char> rest = line[(key.Length + 1)..].Trim();
                int end = rest.IndexOf(' ');
                return Long(end < 0 ? rest : rest[..end]);
            }
        }

        return null;
    }
}
