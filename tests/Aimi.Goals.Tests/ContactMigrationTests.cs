using Aimi.Goals.Api.Data;
using Aimi.ServiceDefaults;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Xunit;

namespace Aimi.Goals.Tests;

/// <summary>Addresses stored before verification existed were never proven: the migration makes them pending, it grandfathers none.</summary>
public sealed class ContactMigrationTests
{
    [Fact]
    public async Task Stored_addresses_become_pending_and_a_profile_without_them_stays_without_a_status()
    {
        await using var database = await TestInfrastructure.CreateDatabaseAsync(ResourceNames.GoalsDb);
        await using var db = new GoalsDbContext(new DbContextOptionsBuilder<GoalsDbContext>()
            .UseNpgsql(database.ConnectionString).UseSnakeCaseNamingConvention().Options);
        var migrator = db.GetService<IMigrator>();
        await migrator.MigrateAsync("20261202061118_IdempotencyKeys");
        var (withAddresses, without) = (Guid.NewGuid(), Guid.NewGuid());
        var now = DateTimeOffset.UtcNow;
        await db.Database.ExecuteSqlAsync($$"""
            INSERT INTO users (id, external_subject, time_zone, locale, notify_in_app, notify_email, notify_webhook_url, settings, version, created_at, updated_at)
            VALUES ({{withAddresses}}, 'old-user', 'UTC', 'en', true, 'old@example.org', 'https://hooks.example.org/old', '{}'::jsonb, 1, {{now}}, {{now}}),
                   ({{without}}, 'plain-user', 'UTC', 'en', true, NULL, NULL, '{}'::jsonb, 1, {{now}}, {{now}})
            """);

        await migrator.MigrateAsync();

        var users = await db.Users.AsNoTracking().ToDictionaryAsync(u => u.Id);
        Assert.Equal((Api.Domain.ContactStatus.Pending, Api.Domain.ContactStatus.Pending), (users[withAddresses].EmailStatus, users[withAddresses].WebhookStatus));
        Assert.Equal(("old@example.org", "https://hooks.example.org/old"), (users[withAddresses].NotifyEmail, users[withAddresses].NotifyWebhookUrl));
        Assert.Null(users[without].EmailStatus);
        Assert.Null(users[without].WebhookStatus);
        // Nothing proven, so nothing announced would carry them.
        Assert.Null(users[withAddresses].ToContract(now).Channels.Email);
    }
}
