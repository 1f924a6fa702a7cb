using System.Data.Common;
using Aimi.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
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
    /// The services' sessions start without parallel query. Their statements are short and many run at once on a few cores, where a
    /// worker process costs more than it shares: Memory's vector half, with a generic plan, gathered its bit scan from a worker in
    /// 96 ms against 8 ms on its own (10k memories a user).
    /// </summary>
    public const string NoParallelQuery = "-c max_parallel_workers_per_gather=0";

    /// <summary>Statements each connection keeps prepared once used five times (Npgsql's automatic preparation).</summary>
    public const int DefaultMaxAutoPrepare = 64;

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
                settings.ConnectionString = ForService(settings.ConnectionString);
            },
            options =>
            {
                options.UseSnakeCaseNamingConvention();
                if (npgsql is not null)
                {
                    options.UseNpgsql(npgsql);
                }
            });
        builder.Services.ConfigureDbContext<TDbContext>((services, options) => options.AddOutboxInterceptor(services).AddInterceptors(NoSavepoints.Instance));
        return builder;
    }

    /// <summary>
    /// The connection string a service uses, with what the string does not set itself:
    /// <list type="bullet">
    /// <item>at most <see cref="DefaultMaxPoolSize"/> connections;</item>
    /// <item><c>No Reset On Close</c>: a connection going back to the pool is not reset with <c>DISCARD ALL</c>, a statement on
    /// every next use (nine of the 66 statements a created event cost, issue 17). The services keep no session state across
    /// uses: their settings are <c>SET LOCAL</c> and their locks are transaction-scoped, except Memory's cleanup lock, which it
    /// releases itself.</item>
    /// <item>statements prepared once used five times (<see cref="DefaultMaxAutoPrepare"/> per connection): PostgreSQL then
    /// neither parses nor plans the services' few dozen recurring statements again. Possible only without the reset above,
    /// which would drop them.</item>
    /// <item>no parallel query (<see cref="NoParallelQuery"/> in <c>Options</c>, after the string's own options, which may set it
    /// otherwise).</item>
    /// </list>
    /// PostgreSQL plans a prepared statement for its values five times, then keeps one generic plan when that plan looks no
    /// costlier. A generic plan cannot fold an expression of a parameter into a constant: a statement gives its parameters the
    /// types it uses them as (Memory's query vector is a <c>vector</c> parameter, not text cast on every row).
    /// </summary>
    public static string? ForService(string? connectionString)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return connectionString;
        }
        // Npgsql's builder answers ContainsKey for every keyword it knows; the keys actually written come from the generic parser.
        var written = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>().ToList();
        bool Sets(params string[] keys) => written.Any(key => keys.Any(k => key.Equals(k, StringComparison.OrdinalIgnoreCase)));
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!Sets("Maximum Pool Size", "MaxPoolSize"))
        {
            builder.MaxPoolSize = DefaultMaxPoolSize;
        }
        if (!Sets("No Reset On Close", "NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }
        if (!Sets("Max Auto Prepare", "MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = DefaultMaxAutoPrepare;
        }
        if (builder.Options?.Contains("max_parallel_workers_per_gather", StringComparison.Ordinal) != true)
        {
            builder.Options = string.IsNullOrWhiteSpace(builder.Options) ? NoParallelQuery : $"{builder.Options} {NoParallelQuery}";
        }
        return builder.ConnectionString;
    }

    /// <summary>
    /// Turns off EF Core's savepoint around each <c>SaveChanges</c> inside a transaction the code opened (two more statements a
    /// save). Nothing here continues a transaction after a failed save: PostgreSQL aborts it anyway, and the callers start a new
    /// one (<see cref="DbErrors"/>).
    /// </summary>
    private sealed class NoSavepoints : DbTransactionInterceptor
    {
        public static readonly NoSavepoints Instance = new();

        public override DbTransaction TransactionStarted(DbConnection connection, TransactionEndEventData eventData, DbTransaction result)
        {
            Off(eventData.Context);
            return result;
        }

        public override ValueTask<DbTransaction> TransactionStartedAsync(
            DbConnection connection, TransactionEndEventData eventData, DbTransaction result, CancellationToken cancellationToken = default)
        {
            Off(eventData.Context);
            return ValueTask.FromResult(result);
        }

        private static void Off(DbContext? context)
        {
            if (context is not null)
            {
                context.Database.AutoSavepointsEnabled = false;
            }
        }
    }
}
