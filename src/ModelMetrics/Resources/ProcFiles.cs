// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Globalization;
using System.IO;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace ModelMetrics.Resources;

/// <summary>Reads a small text file (under <c>/proc</c> or a cgroup mount) whole, or returns <see langword="null"/> when it cannot.</summary>
/// <param name="path">The absolute path.</param>
/// <returns>The file's text, or <see langword="null"/> when it is missing or unreadable.</returns>
/// <remarks>The seam tests use to give the readers a fake <c>/proc</c> or cgroup tree.</remarks>
internal delegate string? FileReader(string path);

/// <summary>The real file system behind <see cref="FileReader"/>, and the parsing helpers the readers share.</summary>
internal static class ProcFiles
{
    // /proc/stat holds one "intr" number per interrupt line; 4 MiB is far beyond any machine's, and bounds a bad file.
    private const int MaxFileBytes = 4 * 1024 * 1024;

    [ThreadStatic]
    private static byte[]? t_buffer;

    /// <summary>
    /// Reads through one reused buffer per thread (a collector's thread reads about eight small files a second):
    /// only the text is allocated, not a stream and reader per file. Files under /proc report size 0, so it reads to
    /// the end rather than trusting the length.
    /// </summary>
    public static readonly FileReader Real = static path =>
    {
        try
        {
            using SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            byte[] buffer = t_buffer ??= new byte[16 * 1024];
            int total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (buffer.Length >= MaxFileBytes)
                    {
                        return null;
                    }

                    Array.Resize(ref buffer, buffer.Length * 2);
                    t_buffer = buffer;
                }

                int read = RandomAccess.Read(handle, buffer.AsSpan(total), total);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            return Encoding.UTF8.GetString(buffer, 0, total);
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
