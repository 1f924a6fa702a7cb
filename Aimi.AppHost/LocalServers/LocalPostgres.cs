using System.Security.Cryptography;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Aimi.AppHost.LocalServers;

/// <summary>A PostgreSQL server the AppHost runs from the machine's installation, on its own data folder and port.</summary>
public sealed class LocalPostgresServerResource(string name, string command, string workingDirectory, string password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    public EndpointReference Endpoint => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"Host={Endpoint.Property(EndpointProperty.Host)};Port={Endpoint.Property(EndpointProperty.Port)};Username=postgres;Password={password}");

    internal List<LocalPostgresDatabaseResource> Databases { get; } = [];
}

/// <summary>A database on a <see cref="LocalPostgresServerResource"/>, created (with the pgvector extension) once the server is ready.</summary>
public sealed class LocalPostgresDatabaseResource(string name, LocalPostgresServerResource parent)
    : Resource(name), IResourceWithParent<LocalPostgresServerResource>, IResourceWithConnectionString
{
    public LocalPostgresServerResource Parent => parent;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{parent};Database={Name}");
}

public static class LocalPostgresExtensions
{
    private const int Version = 15;

    /// <summary>
    /// PostgreSQL <see cref="Version"/> with pgvector: <c>initdb</c> on first start (as the postgres user: PostgreSQL refuses root),
    /// then <c>postgres</c> itself under DCP, so its log is the resource's console and Ctrl-C reaches it.
    /// </summary>
    public static IResourceBuilder<LocalPostgresServerResource> AddLocalPostgres(this IDistributedApplicationBuilder builder, string name)
    {
        var host = LocalServerHost.For(builder);
        var options = host.Options;
        var data = host.DataPath(name);
        var sockets = host.DataPath($"{name}-sockets");
        var bin = $"/usr/lib/postgresql/{Version}/bin";
        var (command, args) = LocalProcesses.AsPostgresUser(
            $"{bin}/postgres",
            ["-D", data, "-p", $"{options.PostgresPort}", "-k", sockets, "-c", "listen_addresses=localhost", "-c", "max_connections=300",
             // Throw-away data needs no durability; this keeps test runs quick.
             .. options.Ephemeral ? (string[])["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"] : [],
             .. options.StatementStatistics
                ? (string[])["-c", "shared_preload_libraries=pg_stat_statements", "-c", "pg_stat_statements.track_planning=on"]
                : []]);

        var password = Password(host, name);
        var server = new LocalPostgresServerResource(name, command, options.DataDirectory, password);
        return builder.AddResource(server)
            .WithArgs(args)
            .WithEndpoint(LocalPostgresServerResource.EndpointName, e =>
            {
                // Not proxied: the services talk to PostgreSQL directly, as they would to any server.
                e.Port = options.PostgresPort;
                e.TargetPort = options.PostgresPort;
                e.IsProxied = false;
                e.UriScheme = "tcp";
            })
            .OnBeforeResourceStarted(async (resource, @event, cancellationToken) =>
            {
                var log = @event.Services.GetRequiredService<ResourceLoggerService>().GetLogger(resource);
                await InitializeAsync(data, sockets, bin, password, log, cancellationToken);
            })
            .WithReadinessProbe(async (resource, cancellationToken) =>
            {
                await using var connection = new NpgsqlConnection(await resource.ConnectionStringExpression.GetValueAsync(cancellationToken));
                await connection.OpenAsync(cancellationToken);
            })
            .OnResourceReady(async (resource, @event, cancellationToken) =>
            {
                var notifications = @event.Services.GetRequiredService<ResourceNotificationService>();
                foreach (var database in resource.Databases)
                {
                    await CreateDatabaseAsync(resource, database.Name, cancellationToken);
                    // A database is no process of its own: DCP reports nothing for it, so its state is published here.
                    await notifications.PublishUpdateAsync(database, s => s with
                    {
                        State = KnownResourceStates.Running,
                        StartTimeStamp = DateTime.UtcNow,
                    });
                }
            });
    }

    public static IResourceBuilder<LocalPostgresDatabaseResource> AddDatabase(this IResourceBuilder<LocalPostgresServerResource> server, string name)
    {
        var database = new LocalPostgresDatabaseResource(name, server.Resource);
        server.Resource.Databases.Add(database);
        return server.ApplicationBuilder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "PostgresDatabase",
                State = KnownResourceStates.Waiting,
                Properties = [],
            })
            .WithReadinessProbe(async (resource, cancellationToken) =>
            {
                await using var connection = new NpgsqlConnection(await resource.ConnectionStringExpression.GetValueAsync(cancellationToken));
                await connection.OpenAsync(cancellationToken);
            });
    }

    private static async Task InitializeAsync(string data, string sockets, string bin, string password, ILogger log, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(sockets);
        await LocalProcesses.ChownToPostgresAsync(sockets, log, cancellationToken);
        if (File.Exists(Path.Combine(data, "PG_VERSION")))
        {
            return;
        }
        Directory.CreateDirectory(data);
        var passwordFile = Path.Combine(data, "..", $".{Path.GetFileName(data)}-initdb-password");
        await File.WriteAllTextAsync(passwordFile, password, cancellationToken);
        try
        {
            await LocalProcesses.ChownToPostgresAsync(data, log, cancellationToken);
            await LocalProcesses.ChownToPostgresAsync(passwordFile, log, cancellationToken);
            var (command, args) = LocalProcesses.AsPostgresUser(
                $"{bin}/initdb",
                "-D", data, "-U", "postgres", $"--pwfile={passwordFile}", "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale");
            await LocalProcesses.RunAsync(command, args, log, cancellationToken);
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    private static async Task CreateDatabaseAsync(LocalPostgresServerResource server, string database, CancellationToken cancellationToken)
    {
        var connectionString = await server.ConnectionStringExpression.GetValueAsync(cancellationToken);
        await using (var connection = new NpgsqlConnection(connectionString))
        {
            await connection.OpenAsync(cancellationToken);
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database } } };
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
        }
        await using var target = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Database = database }.ConnectionString);
        await target.OpenAsync(cancellationToken);
        await using var vector = new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS vector", target);
        await vector.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>The superuser password: generated once per data folder and kept beside it (readable by this user only).</summary>
    private static string Password(LocalServerHost host, string name)
    {
        if (host.Options.Ephemeral)
        {
            return NewSecret();
        }
        var path = host.DataPath($".{name}-password");
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var password = NewSecret();
        File.WriteAllText(path, password);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return password;
    }

    private static string NewSecret() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
}
