using Aimi.Contracts.Memory;
using Aimi.Memory.Api.Data;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Aimi.Memory.Tests;

public sealed class UserStateTests(MemoryHost host) : IClassFixture<MemoryHost>
{
    [Fact]
    public async Task Two_consumers_refreshing_a_new_users_state_take_turns_instead_of_failing()
    {
        var user = TestAuth.NewUserId();
        var now = host.Time.GetUtcNow();
        await using var first = host.Services.CreateAsyncScope();
        await using var second = host.Services.CreateAsyncScope();
        var firstDb = first.ServiceProvider.GetRequiredService<MemoryDbContext>();
        var secondDb = second.ServiceProvider.GetRequiredService<MemoryDbContext>();

        // Each refresh in its own transaction, as two consumers run them: the first has written the new row, uncommitted.
        await using var firstTransaction = await firstDb.Database.BeginTransactionAsync();
        await first.ServiceProvider.GetRequiredService<UserStates>().RefreshAsync(user, UserStateReasons.OutcomeRecorded, now, CancellationToken.None);
        await firstDb.SaveChangesAsync();

        var secondRefresh = Task.Run(async () =>
        {
            await using var transaction = await secondDb.Database.BeginTransactionAsync();
            await second.ServiceProvider.GetRequiredService<UserStates>().RefreshAsync(user, UserStateReasons.OutcomeRecorded, now, CancellationToken.None);
            await secondDb.SaveChangesAsync();
            await transaction.CommitAsync();
        });
        // The second is now waiting on the first's row; once the first commits it must go on, not fail on the key or a stale version.
        await Eventually.GetAsync(
            () => host.WithDbAsync(db => db.Database.SqlQuery<int>(
                $"SELECT count(*)::int AS \"Value\" FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").SingleAsync()),
            waiting => waiting > 0 || secondRefresh.IsCompleted);
        await firstTransaction.CommitAsync();
        await secondRefresh;

        var version = await host.WithDbAsync(db => db.States.Where(s => s.UserId == user).Select(s => s.Version).SingleAsync());
        Assert.Equal(2, version);
    }
}
