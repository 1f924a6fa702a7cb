using System.Data.Common;
using Aimi.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;

namespace Aimi.Persistence;

public static class ServiceDatabase
{
    /// <summary>
    /// Connections a service process keeps to its database at most, unless its connection string says otherwise
    /// (<c>Maximum Pool Size=N</c>). Npgsql's own default is 100 a process: under load Goals and Chat each grew to 100, and
    /// with four services on one server of 300 connections the next one to connect was refused ("too many clients") instead of
    /// waiting. At this size a request waits for a free connection (up to the connection string's <c>Timeout</c>, 15 s).
    /// </summary>
    public const int DefaultMaxPoolSize = 40;

    /// <summary>
    /// A service's own PostgreSQL database through Aspire's client integration (connection string <paramref name="connectionName"/>,
    /// health check, traces, metrics): snake_case tables, the outbox interceptor, and <paramref name="npgsql"/> for provider
    /// extras such as pgvector (<c>npgsql =&gt; npgsql.UseVector()</c>).
    /// </summary>
    public static IHostApplicationBuilder AddServiceDatabase<TDbContext>(
        this IHostApplicationBuilder builder,
        string connectionName,
        Action<NpgsqlDbContextOptionsBuilder>? npgsql = null) where TDbContext : DbContext
    {
        builder.AddNpgsqlDbContext<TDbContext>(
            connectionName,
            // Aspire's retrying execution strategy refuses the explicit transactions the outbox and idempotent consumers open;
            // MassTransit's retry policy re-runs a failed message instead.
            settings =>
            {
                settings.DisableRetry = true;
                settings.ConnectionString = WithPoolLimit(settings.ConnectionString);
            },
            options =>
            {
                options.UseSnakeCaseNamingConvention();
                if (npgsql is not null)
                {
                    options.UseNpgsql(npgsql);
                }
            });
        builder.Services.ConfigureDbContext<TDbContext>((services, options) => options.AddOutboxInterceptor(services));
        return builder;
    }

    /// <summary>The connection string with <see cref="DefaultMaxPoolSize"/> unless it sets a maximum pool size itself.</summary>
    public static string? WithPoolLimit(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return connectionString;
        }
        // Npgsql's builder answers ContainsKey for every keyword it knows; the keys actually written come from the generic parser.
        var written = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>();
        if (written.Any(key => key.Equals("Maximum Pool Size", StringComparison.OrdinalIgnoreCase) || key.Equals("MaxPoolSize", StringComparison.OrdinalIgnoreCase)))
        {
            return connectionString;
        }
        return new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = DefaultMaxPoolSize }.ConnectionString;
    }
}
