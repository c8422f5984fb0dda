// Copyright (c) ModelMetrics contributors. Licensed under the MIT License.

using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NUnit.Framework;

namespace ModelMetrics.Reports.Tests.Zabbix;

/// <summary>
/// A real Zabbix 6.0 server (Debian <c>zabbix-server-pgsql</c>) on a database of its own in the local PostgreSQL cluster,
/// listening on a free loopback port, that runs preprocessing steps as the frontend's "Test" button does: the trapper
/// request <c>preprocessing.test</c> with a session of the built-in Admin user. Started and stopped by the test.
/// </summary>
internal sealed class ZabbixServer : IDisposable
{
    private const string Server = "/usr/sbin/zabbix_server";
    private const string Schema = "/usr/share/zabbix-server-pgsql";
    private const string InstallHint = "install with: apt-get install zabbix-server-pgsql postgresql (.ci/run does)";
    private static readonly TimeSpan CommandLimit = TimeSpan.FromSeconds(120);

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "modelmetrics-zabbix-" + Guid.NewGuid().ToString("N"));
    private readonly string _database = "modelmetrics_zabbix_" + Guid.NewGuid().ToString("N")[..12];
    private readonly string _session = Guid.NewGuid().ToString("N");
    private readonly int _port;

    private ZabbixServer(int port) => _port = port;

    /// <summary>Creates the database, starts the server and waits until its trapper answers; ignores the test when Zabbix or PostgreSQL is missing.</summary>
    public static ZabbixServer Start()
    {
        if (!File.Exists(Server) || !File.Exists(Path.Combine(Schema, "schema.sql.gz")) || Which("psql") is null || Which("pg_ctlcluster") is null)
        {
            Assert.Ignore("A real Zabbix server runs the template's preprocessing here: " + InstallHint);
        }

        if (Environment.UserName != "root")
        {
            Assert.Ignore("Starting PostgreSQL and Zabbix needs root here (CI runs as root); run the tests as root, or " + InstallHint);
        }

        var server = new ZabbixServer(FreePort());
        try
        {
            server.Create();
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="steps"/> (type code, parameters) on <paramref name="value"/>; returns the result, or null with the server's error.</summary>
    public (string? Result, string? Error) Preprocess(string value, int valueType, IEnumerable<(int Type, string Parameters)> steps)
    {
        var request = new JsonObject
        {
            ["request"] = "preprocessing.test",
            ["sid"] = _session,
            ["data"] = new JsonObject
            {
                ["value"] = value,
                ["value_type"] = valueType,
                ["single"] = true,
                ["steps"] = new JsonArray([.. steps.Select(s => (JsonNode)new JsonObject { ["type"] = s.Type, ["params"] = s.Parameters, ["error_handler"] = 0, ["error_handler_params"] = string.Empty })]),
            },
        };
        JsonElement response = Send(request.ToJsonString());
        Assert.That(response.GetProperty("response").GetString(), Is.EqualTo("success"), response.ToString());
        JsonElement data = response.GetProperty("data");
        return data.TryGetProperty("error", out JsonElement error) ? (null, error.GetString()) : (data.GetProperty("result").GetString(), null);
    }

    public void Dispose()
    {
        string pidFile = Path.Combine(_folder, "zabbix_server.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), out int pid))
        {
            try
            {
                using Process process = Process.GetProcessById(pid);
                Run("kill", [pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                process.WaitForExit(15_000);
            }
            catch (ArgumentException)
            {
                // Already gone.
            }
        }

        RunAsPostgres("dropdb", ["--if-exists", "--force", _database], check: false);
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    /// <summary>A free loopback port Zabbix accepts (ListenPort must be 1024–32767, below the ephemeral range).</summary>
    private static int FreePort()
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            int port = Random.Shared.Next(20_000, 32_000);
            try
            {
                var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
                return port;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }

        throw new AssertionException("no free port between 20000 and 32000");
    }

    private static string? Which(string command) =>
        new[] { "/usr/bin", "/usr/sbin" }.Concat((Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
            .Select(d => Path.Combine(d, command)).FirstOrDefault(File.Exists);

    private static (int ExitCode, string Output) Run(string command, IEnumerable<string> arguments, bool check = true)
    {
        var start = new ProcessStartInfo(Which(command) ?? command) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(CommandLimit))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{command} did not finish within {CommandLimit.TotalSeconds} s");
        }

        string text = output.Result + error.Result;
        if (check)
        {
            Assert.That(process.ExitCode, Is.Zero, $"{command} {string.Join(' ', arguments)}: {text}");
        }

        return (process.ExitCode, text);
    }

    private static (int ExitCode, string Output) RunAsPostgres(string command, IEnumerable<string> arguments, bool check = true) =>
        Run("runuser", ["-u", "postgres", "--", command, .. arguments], check);

    private void Create()
    {
        Directory.CreateDirectory(_folder);

        // The Debian cluster (started if it is not), a database of the test's own, Zabbix's schema and data (~20 s).
        string cluster = Run("pg_lsclusters", ["-h"]).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).First();
        string[] columns = cluster.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (columns[3] != "online")
        {
            Run("pg_ctlcluster", [columns[0], columns[1], "start"]);
        }

        string port = columns[2];
        RunAsPostgres("psql", ["-p", port, "-qc", "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'modelmetrics_zabbix') THEN CREATE ROLE modelmetrics_zabbix LOGIN PASSWORD 'modelmetrics'; END IF; END $$;"]);
        RunAsPostgres("createdb", ["-p", port, "-O", "modelmetrics_zabbix", _database]);
        foreach (string part in new[] { "schema", "images", "data" })
        {
            Run("bash", ["-c", $"zcat {Schema}/{part}.sql.gz | PGPASSWORD=modelmetrics psql -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p {port} -U modelmetrics_zabbix {_database} > /dev/null"]);
        }

        // A session of the built-in Admin user (id 1), as the frontend keeps one, so that the server accepts the test request.
        Run("bash", ["-c", $"PGPASSWORD=modelmetrics psql -q -h 127.0.0.1 -p {port} -U modelmetrics_zabbix {_database} -c \"INSERT INTO sessions (sessionid, userid, lastaccess, status) VALUES ('{_session}', 1, extract(epoch from now())::int, 0)\""]);

        string config = Path.Combine(_folder, "zabbix_server.conf");
        File.WriteAllText(config, string.Join('\n',
            $"ListenPort={_port}",
            "ListenIP=127.0.0.1",
            $"LogFile={Path.Combine(_folder, "zabbix_server.log")}",
            $"PidFile={Path.Combine(_folder, "zabbix_server.pid")}",
            $"SocketDir={_folder}",
            "DBHost=127.0.0.1",
            $"DBPort={port}",
            $"DBName={_database}",
            "DBUser=modelmetrics_zabbix",
            "DBPassword=modelmetrics",
            "AllowRoot=1",
            "StartPollers=1",
            "StartPreprocessors=1",
            "StartTrappers=1",
            "Timeout=10") + "\n");
        Run(Server, ["-c", config]);

        // The server daemonizes; it answers once its trapper listens (bounded by count and time).
        var clock = Stopwatch.StartNew();
        for (int attempt = 0; attempt < 300 && clock.Elapsed < TimeSpan.FromSeconds(60); attempt++)
        {
            try
            {
                Preprocess("1", 0, [(22, "x\nvalue\n")]);
                return;
            }
            catch (SocketException)
            {
                System.Threading.Thread.Sleep(200);
            }
        }

        string log = File.Exists(Path.Combine(_folder, "zabbix_server.log")) ? File.ReadAllText(Path.Combine(_folder, "zabbix_server.log")) : "(no log)";
        Assert.Fail("the Zabbix server did not answer within 60 s: " + log[Math.Max(0, log.Length - 2000)..]);
    }

    /// <summary>One request in the Zabbix protocol: "ZBXD", flags 1, a little-endian length, the JSON; the reply alike.</summary>
    private JsonElement Send(string json)
    {
        byte[] body = Encoding.UTF8.GetBytes(json);
        byte[] header = new byte[13];
        "ZBXD\u0001"u8.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(5), body.Length);
        using var client = new TcpClient { ReceiveTimeout = 30_000, SendTimeout = 30_000 };
        client.Connect(IPAddress.Loopback, _port);
        using NetworkStream stream = client.GetStream();
        stream.Write(header);
        stream.Write(body);
        using var reply = new MemoryStream();
        stream.CopyTo(reply);
        byte[] bytes = reply.ToArray();
        Assert.That(bytes.Length, Is.GreaterThan(13), "the server replied");
        return JsonDocument.Parse(bytes.AsMemory(13)).RootElement.Clone();
    }
}
