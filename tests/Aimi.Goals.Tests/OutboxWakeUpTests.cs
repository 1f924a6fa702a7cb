using Aimi.Contracts.Accounts;
using Aimi.Messaging;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Goals.Tests;

/// <summary>
/// The relay is woken by a commit that wrote outbox rows, and by nothing else: most saves (a consumer recording what it
/// handled, the relay marking rows sent) write none, and each needless wake-up cost a query and a transaction (issue 17).
/// </summary>
public sealed class OutboxWakeUpTests(GoalsHost host) : IClassFixture<GoalsHost>
{
    /// <summary>Only the messaging tables, on the service's database, with an interceptor and signal of the test's own.</summary>
    private sealed class MessagingOnly(DbContextOptions<MessagingOnly> options) : DbContext(options)
    {
        protected override void OnModelCreating(ModelBuilder modelBuilder) => modelBuilder.AddMessagingTables();
    }

    [Fact]
    public async Task Only_a_committed_outbox_row_wakes_the_relay()
    {
        using var signal = new OutboxSignal();
        var connectionString = await host.WithDbAsync(db => Task.FromResult(db.Database.GetConnectionString()));
        var options = new DbContextOptionsBuilder<MessagingOnly>().UseNpgsql(connectionString).AddInterceptors(new OutboxNotifyInterceptor(signal)).Options;
        await using var db = new MessagingOnly(options);

        await using (var handled = await db.Database.BeginTransactionAsync())
        {
            db.Add(new ProcessedMessage { Consumer = "test-outbox-wake-up", MessageId = Guid.NewGuid(), ProcessedAt = host.Time.GetUtcNow() });
            await db.SaveChangesAsync();
            await handled.CommitAsync();
        }
        Assert.False(signal.TryTake(), "a commit without outbox rows");

        await using (var rolledBack = await db.Database.BeginTransactionAsync())
        {
            AddSentOutboxRow(db);
            await db.SaveChangesAsync();
            Assert.False(signal.TryTake(), "saved, not yet committed");
            await rolledBack.RollbackAsync();
        }
        Assert.False(signal.TryTake(), "rolled back");
        db.ChangeTracker.Clear();

        await using (var published = await db.Database.BeginTransactionAsync())
        {
            AddSentOutboxRow(db);
            await db.SaveChangesAsync();
            Assert.False(signal.TryTake(), "saved, not yet committed");
            await published.CommitAsync();
        }
        Assert.True(signal.TryTake(), "committed");
        Assert.False(signal.TryTake(), "once per commit");

        AddSentOutboxRow(db);
        await db.SaveChangesAsync();
        Assert.True(signal.TryTake(), "saved outside a transaction");
    }

    /// <summary>A real outbox row, marked sent so the service's own relay leaves it alone.</summary>
    private void AddSentOutboxRow(DbContext db)
    {
        var now = host.Time.GetUtcNow();
        db.AddOutboxMessage(new AccountErased { ErasureId = Guid.NewGuid(), UserId = "test-outbox-wake-up", CompletedAt = now }, now);
        db.ChangeTracker.Entries<OutboxMessage>().Single(e => e.State == EntityState.Added).Entity.SentAt = now;
    }
}
