using System.Diagnostics;
using System.Globalization;
using Aimi.Testing;
using Npgsql;

namespace Aimi.FaultTests;

/// <summary>
/// A PostgreSQL server of a case's own (initdb into a temporary folder, a free loopback port), so a case can stop it hard and
/// start it again without disturbing the shared server every other test uses. Runs as the postgres user when the tests run as root.
/// </summary>
public sealed class PrivatePostgresServer : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _directory;

    private PrivatePostgresServer(string bin, string directory, int port)
    {
        _bin = bin;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }
    private string Data => Path.Combine(_directory, "data");

    public string ConnectionString(string database) =>
        new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = Port, Username = "aimi", Database = database }.ConnectionString;

    public static async Task<PrivatePostgresServer> StartAsync()
    {
        var bin = Directory.GetDirectories("/usr/lib/postgresql")
            .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
            .Select(d => Path.Combine(d, "bin"))
            .FirstOrDefault(d => File.Exists(Path.Combine(d, "initdb")))
            ?? throw new InvalidOperationException("No PostgreSQL server binaries under /usr/lib/postgresql.");
        var directory = Path.Combine(Path.GetTempPath(), $"aimi-pg-{Guid.NewGuid():N}"[..20]);
        Directory.CreateDirectory(directory);
        var server = new PrivatePostgresServer(bin, directory, Ports.Free());
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", "postgres:postgres", directory);
        }
        await server.PgAsync("initdb", "-D", server.Data, "-U", "aimi", "--auth=trust", "--no-sync", "-E", "UTF8");
        await server.StartAgainAsync();
        return server;
    }

    public async Task CreateDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres") + ";Pooling=false");
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await create.ExecuteNonQueryAsync();
    }

    /// <summary>Stops the server as a crash would (no checkpoint; the next start recovers from the WAL).</summary>
    public Task StopHardAsync() => PgAsync("pg_ctl", "-D", Data, "-m", "immediate", "-w", "stop");

    public Task StartAgainAsync() => PgAsync("pg_ctl", "-D", Data, "-w", "-t", "60", "-l", Path.Combine(_directory, "server.log"),
        "-o", string.Create(CultureInfo.InvariantCulture, $"-p {Port} -k {_directory} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"), "start");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopHardAsync();
        }
        catch (InvalidOperationException)
        {
            // already stopped
        }
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private Task PgAsync(string tool, params string[] args) =>
        Environment.UserName == "root"
            ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args])
            : RunAsync(Path.Combine(_bin, tool), args);

    private static async Task RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {await stdout}{await stderr}");
        }
    }

}
