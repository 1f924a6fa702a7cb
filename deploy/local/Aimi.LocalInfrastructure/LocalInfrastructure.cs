using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Npgsql;

namespace Aimi.Infrastructure;

/// <summary>
/// The local PostgreSQL (pgvector), Redis and RabbitMQ that the AppHost and the test fixtures use.
/// <see cref="EnsureAsync"/> runs <c>deploy/local/setup.sh</c> (idempotent, serialised by a file lock, so two test
/// assemblies may call it at the same moment). Point at servers you run yourself with <c>AIMI_POSTGRES</c>,
/// <c>AIMI_REDIS</c>, <c>AIMI_RABBITMQ</c> and <c>AIMI_SKIP_SETUP=1</c>.
/// </summary>
public static class LocalInfrastructure
{
    public static string PostgresServer { get; } =
        Environment.GetEnvironmentVariable("AIMI_POSTGRES") ?? "Host=localhost;Port=5432;Username=aimi;Password=aimi";

    public static string Redis { get; } = Environment.GetEnvironmentVariable("AIMI_REDIS") ?? "localhost:6379";

    public static string RabbitMq { get; } = Environment.GetEnvironmentVariable("AIMI_RABBITMQ") ?? "amqp://guest:guest@localhost:5672";

    /// <summary>RabbitMQ's management API, used to create a virtual host per test host so parallel tests never share queues.</summary>
    public static Uri RabbitMqManagement { get; } =
        new(Environment.GetEnvironmentVariable("AIMI_RABBITMQ_MANAGEMENT") ?? "http://guest:guest@localhost:15672/");

    /// <summary>Debian's Chromium for the browser tests (<c>AIMI_CHROMIUM</c> names another executable).</summary>
    public static string Chromium { get; } = Environment.GetEnvironmentVariable("AIMI_CHROMIUM") ?? "/usr/bin/chromium";

    public static async Task EnsureAsync(CancellationToken cancellationToken = default)
    {
        if (Environment.GetEnvironmentVariable("AIMI_SKIP_SETUP") == "1")
        {
            return;
        }
        await RunSetupAsync([], cancellationToken);
    }

    /// <summary>Installs Debian's Chromium if it is missing (<c>setup.sh --browser</c>) and returns its path.</summary>
    public static async Task<string> EnsureChromiumAsync(CancellationToken cancellationToken = default)
    {
        if (Environment.GetEnvironmentVariable("AIMI_SKIP_SETUP") != "1" && !File.Exists(Chromium))
        {
            await RunSetupAsync(["--browser"], cancellationToken);
        }
        return File.Exists(Chromium) ? Chromium : throw new InvalidOperationException($"Chromium is not installed at {Chromium} (apt-get install chromium, or set AIMI_CHROMIUM).");
    }

    private static async Task RunSetupAsync(string[] arguments, CancellationToken cancellationToken)
    {
        var script = Path.Combine(RepositoryRoot.Find(), "deploy", "local", "setup.sh");
        var start = new ProcessStartInfo("bash", [script, .. arguments]) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start bash.");
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"Local infrastructure set-up failed ({script}, exit {process.ExitCode}):{Environment.NewLine}{await stderr}{await stdout}");
        }
    }

    /// <summary>The connection string of <paramref name="database"/> on the local server, creating it (with pgvector) if missing.</summary>
    public static async Task<string> EnsureDatabaseAsync(string database, CancellationToken cancellationToken = default)
    {
        await using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(PostgresServer) { Database = "postgres", Pooling = false }.ConnectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database } } };
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
                try
                {
                    await create.ExecuteNonQueryAsync(cancellationToken);
                }
                catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
                {
                    // created by a concurrent caller
                }
            }
        }
        return new NpgsqlConnectionStringBuilder(PostgresServer) { Database = database }.ConnectionString;
    }

    public static async Task DropDatabaseAsync(string database, CancellationToken cancellationToken = default)
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(PostgresServer) { Database = "postgres", Pooling = false }.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Creates a RabbitMQ virtual host and returns the amqp:// connection string for it.</summary>
    public static async Task<string> EnsureVirtualHostAsync(string virtualHost, CancellationToken cancellationToken = default)
    {
        using var http = CreateManagementClient();
        var name = Uri.EscapeDataString(virtualHost);
        (await http.PutAsync($"api/vhosts/{name}", null, cancellationToken)).EnsureSuccessStatusCode();
        var user = Uri.UnescapeDataString(new Uri(RabbitMq).UserInfo.Split(':')[0]);
        using var permissions = new StringContent("""{"configure":".*","write":".*","read":".*"}""", Encoding.UTF8, "application/json");
        (await http.PutAsync($"api/permissions/{name}/{Uri.EscapeDataString(user)}", permissions, cancellationToken)).EnsureSuccessStatusCode();
        return $"{RabbitMq.TrimEnd('/')}/{name}";
    }

    public static async Task DeleteVirtualHostAsync(string virtualHost, CancellationToken cancellationToken = default)
    {
        using var http = CreateManagementClient();
        await http.DeleteAsync($"api/vhosts/{Uri.EscapeDataString(virtualHost)}", cancellationToken);
    }

    private static HttpClient CreateManagementClient()
    {
        var credentials = Uri.UnescapeDataString(RabbitMqManagement.UserInfo);
        var http = new HttpClient { BaseAddress = new UriBuilder(RabbitMqManagement) { UserName = "", Password = "" }.Uri, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials)));
        return http;
    }
}

public static class RepositoryRoot
{
    /// <summary>The folder holding <c>Aimi.sln</c>, searched upwards from the running assembly and the working directory.</summary>
    public static string Find()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Aimi.sln")))
                {
                    return dir.FullName;
                }
            }
        }
        throw new InvalidOperationException("Could not find the repository root (the folder with Aimi.sln).");
    }
}
