// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.IO;
using System.Linq;
using NUnit.Framework;

namespace ModelMetrics.Tests.Resources;

/// <summary>
/// The README's resource instrument table lists exactly the instruments a <see cref="ResourceMonitor"/> creates, with
/// their units and types (whatever this machine can measure: instruments exist even when a figure is absent).
/// </summary>
[TestFixture]
public sealed class ResourceReadmeTests
{
    [Test]
    public void Resource_instrument_table_matches_the_instruments_created()
    {
        string meter = "ResourceReadme." + Guid.NewGuid().ToString("N");
        var created = new Dictionary<string, Instrument>(StringComparer.Ordinal);
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == meter)
                {
                    lock (created)
                    {
                        created[instrument.Name] = instrument;
                    }
                }
            },
        };
        listener.Start();
        using var resources = new ResourceMonitor(new ResourceMonitorOptions { MeterName = meter });

        Dictionary<string, (string Type, string Unit)> documented = ReadTable();

        Assert.Multiple(() =>
        {
            Assert.That(documented.Keys.Except(created.Keys), Is.Empty, "documented but not created");
            Assert.That(created.Keys.Except(documented.Keys), Is.Empty, "created but not documented");
            foreach ((string name, Instrument instrument) in created)
            {
                if (documented.TryGetValue(name, out var row))
                {
                    Assert.That(row.Unit, Is.EqualTo(instrument.Unit), $"unit of {name}");
                    Assert.That(instrument.GetType().Name, Does.StartWith(row.Type), $"type of {name}");
                }
            }
        });
    }

    /// <summary>Reads the table of the README's resources section: names joined by " / " share a row, units too when as many.</summary>
    private static Dictionary<string, (string Type, string Unit)> ReadTable()
    {
        string[] lines = File.ReadAllLines(FindReadme());
        int start = Array.FindIndex(lines, l => l.StartsWith("## Resources", StringComparison.Ordinal));
        Assert.That(start, Is.GreaterThanOrEqualTo(0), "the README has a Resources section");
        var rows = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        foreach (string line in lines.Skip(start + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal)).Where(l => l.StartsWith("| `", StringComparison.Ordinal)))
        {
            string[] cells = line.Split('|');
            if (cells.Length < 6 || !cells[2].Trim().StartsWith("Observable", StringComparison.Ordinal))
            {
                continue; // the snapshot table, not the instrument table
            }

            string[] names = Backticked(cells[1]);
            string[] units = Backticked(cells[3]);
            for (int i = 0; i < names.Length; i++)
            {
                rows[names[i]] = (cells[2].Trim(), units.Length == names.Length ? units[i] : units[0]);
            }
        }

        return rows;
    }

    private static string[] Backticked(string cell) =>
        [.. cell.Split('`').Where((_, i) => i % 2 == 1)];

    private static string FindReadme()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "README.md");
            if (File.Exists(candidate) && File.Exists(Path.Combine(directory.FullName, "ModelMetrics.sln")))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("README.md of the repository (next to ModelMetrics.sln) not found above " + AppContext.BaseDirectory);
    }
}
