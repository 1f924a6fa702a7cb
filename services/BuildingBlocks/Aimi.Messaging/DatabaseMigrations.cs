using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aimi.Messaging;

/// <summary>
/// Schema changes are EF Core migrations: applied at start-up in Development and Testing (or when
/// <c>Database:MigrateOnStartup</c> is true), and by a Kubernetes job that runs the service with <c>--migrate</c>, which
/// migrates and exits. EF Core takes a database lock while migrating, so replicas starting together are safe.
/// </summary>
public static partial class DatabaseMigrations
{
    public const string MigrateArgument = "--migrate";

    public static async Task<bool> MigrateIfRequestedAsync<TDbContext>(this WebApplication app, string[] args) where TDbContext : DbContext
    {
        var migrateOnly = args.Contains(MigrateArgument);
        var onStartup = app.Configuration.GetValue<bool?>("Database:MigrateOnStartup")
            ?? (app.Environment.IsDevelopment() || app.Environment.IsEnvironment("Testing"));
        if (migrateOnly || onStartup)
        {
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
            await db.Database.MigrateAsync();
            LogMigrated(app.Logger, typeof(TDbContext).Name);
        }
        return migrateOnly;
    }

    /// <summary>Readiness includes the database: a replica that cannot reach it should get no traffic.</summary>
    public static IHealthChecksBuilder AddDatabaseCheck<TDbContext>(this IHealthChecksBuilder health) where TDbContext : DbContext =>
        health.Add(new HealthCheckRegistration(
            typeof(TDbContext).Name,
            sp => new DatabaseHealthCheck<TDbContext>(sp.GetRequiredService<IServiceScopeFactory>()),
            HealthStatus.Unhealthy,
            ["ready"],
            TimeSpan.FromSeconds(5)));

    [LoggerMessage(Level = LogLevel.Information, Message = "Database of {Context} is migrated")]
    private static partial void LogMigrated(ILogger logger, string context);

    private sealed class DatabaseHealthCheck<TDbContext>(IServiceScopeFactory scopes) : IHealthCheck where TDbContext : DbContext
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            await using var scope = scopes.CreateAsyncScope();
            return await scope.ServiceProvider.GetRequiredService<TDbContext>().Database.CanConnectAsync(cancellationToken)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("The database is unreachable.");
        }
    }
}

public static class ServiceDatabase
{
    /// <summary>
    /// A service's own PostgreSQL database (connection string <paramref name="connectionName"/>, as Aspire names it):
    /// snake_case tables, the outbox interceptor, and a readiness check.
    /// </summary>
    public static IHostApplicationBuilder AddServiceDatabase<TDbContext>(this IHostApplicationBuilder builder, string connectionName) where TDbContext : DbContext
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName)
            ?? throw new InvalidOperationException($"Connection string '{connectionName}' is missing (set ConnectionStrings__{connectionName}).");
        builder.Services.AddDbContext<TDbContext>((services, options) => options
            .UseNpgsql(connectionString)
            .UseSnakeCaseNamingConvention()
            .AddOutboxInterceptor(services));
        builder.Services.AddHealthChecks().AddDatabaseCheck<TDbContext>();
        return builder;
    }
}
