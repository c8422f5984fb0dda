// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System.Collections.Generic;
using ModelMetrics.Resources;

namespace ModelMetrics.Tests.Resources;

/// <summary>A fake <c>/proc</c> and cgroup tree: path → text; a path not set is a missing file.</summary>
internal sealed class FakeFiles
{
    private readonly Dictionary<string, string> _files = new(System.StringComparer.Ordinal);

    public string this[string path]
    {
        set
        {
            lock (_files)
            {
                _files[path] = value;
            }
        }
    }

    public FileReader Reader => path =>
    {
        lock (_files)
        {
            return _files.TryGetValue(path, out string? text) ? text : null;
        }
    };

    /// <summary>A <c>/proc/self/stat</c> line with these CPU ticks, threads, virtual bytes and resident pages (a command name with spaces and parentheses, as the kernel allows).</summary>
    public static string Stat(long utime, long stime, int threads, long vsize, long rssPages) =>
        $"4242 (my (odd) model) S 1 4242 4242 0 -1 4194560 100 0 0 0 {utime} {stime} 0 0 20 0 {threads} 0 12345 {vsize} {rssPages} 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
}
