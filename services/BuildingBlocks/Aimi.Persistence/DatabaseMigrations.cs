using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aimi.Persistence;

/// <summary>
/// Schema changes are EF Core migrations: applied at start-up in Development and Testing (or when
/// <c>Database:MigrateOnStartup</c> is true), and by a Kubernetes job that runs the service with <c>--migrate</c>, which
/// migrates and exits. EF Core takes a database lock while migrating, so replicas starting together are safe.
/// </summary>
public static partial class DatabaseMigrations
{
    public const string MigrateArgument = "--migrate";

    /// <summary>A migration may rewrite or backfill a large table; requests keep the connection's shorter timeout.</summary>
    public static readonly TimeSpan MigrationCommandTimeout = TimeSpan.FromMinutes(15);

    public static async Task<bool> MigrateIfRequestedAsync<TDbContext>(this WebApplication app, string[] args) where TDbContext : DbContext
    {
        var migrateOnly = args.Contains(MigrateArgument);
        var onStartup = app.Configuration.GetValue<bool?>("Database:MigrateOnStartup")
            ?? app.Environment.IsDevelopmentOrTesting();
        if (migrateOnly || onStartup)
        {
            await using var scope = app.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TDbContext>();
            db.Database.SetCommandTimeout(MigrationCommandTimeout);
            await db.Database.MigrateAsync();
            LogMigrated(app.Logger, typeof(TDbContext).Name);
        }
        return migrateOnly;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Database of {Context} is migrated")]
    private static partial void LogMigrated(ILogger logger, string context);
}
