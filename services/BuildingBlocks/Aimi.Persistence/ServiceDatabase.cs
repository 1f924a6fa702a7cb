using Aimi.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;

namespace Aimi.Persistence;

public static class ServiceDatabase
{
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
            settings => settings.DisableRetry = true,
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
}
