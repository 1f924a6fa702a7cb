using Aimi.Notifications.Api.Data;
using Aimi.ServiceDefaults;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Xunit;

namespace Aimi.Notifications.Tests;

/// <summary>Notifications' copies of addresses nobody proved are dropped; Goals announces them again once proven.</summary>
public sealed class ContactMigrationTests
{
    [Fact]
    public async Task Copies_of_unproven_addresses_are_dropped()
    {
        await using var database = await TestInfrastructure.CreateDatabaseAsync(ResourceNames.NotificationsDb);
        await using var db = new NotificationsDbContext(new DbContextOptionsBuilder<NotificationsDbContext>()
            .UseNpgsql(database.ConnectionString).UseSnakeCaseNamingConvention().Options);
        var migrator = db.GetService<IMigrator>();
        await migrator.MigrateAsync("20261202060801_OutboxQuarantine");
        await db.Database.ExecuteSqlAsync($"""
            INSERT INTO user_profiles (user_id, time_zone, locale, in_app, email, webhook_url, version, updated_at)
            VALUES ('old-user', 'UTC', 'en', true, 'old@example.org', 'https://hooks.example.org/old', 3, {DateTimeOffset.UtcNow})
            """);

        await migrator.MigrateAsync();

        var profile = await db.Users.AsNoTracking().SingleAsync(u => u.UserId == "old-user");
        Assert.Equal((null, null, 3, true), (profile.Email, profile.WebhookUrl, profile.Version, profile.InApp));
    }
}
