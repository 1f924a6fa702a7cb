using Aimi.Contracts.Goals;
using Aimi.Goals.Api.Data;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Aimi.Goals.Tests;

/// <summary>
/// Writers racing for one unique key, inside a caller's transaction (as a consumer would call): the loser must
/// recover in a transaction that still works, and the winner's record is announced once.
/// </summary>
public sealed class RacingWriterTests(GoalsHost host) : IClassFixture<GoalsHost>
{
    [Fact]
    public async Task First_requests_racing_inside_transactions_create_and_announce_one_user()
    {
        var subject = TestAuth.NewUserId();

        var users = await Task.WhenAll(Enumerable.Range(0, 6).Select(async _ =>
        {
            await using var scope = host.Services.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GoalsDbContext>();
            await using var transaction = await db.Database.BeginTransactionAsync();
            var user = await scope.ServiceProvider.GetRequiredService<UserDirectory>().GetOrCreateAsync(subject, CancellationToken.None);
            // The transaction must still be usable after the race: a later statement in it works.
            var count = await db.Users.CountAsync(u => u.ExternalSubject == subject);
            await transaction.CommitAsync();
            return (user.Id, count);
        }));

        Assert.Single(users.Select(u => u.Id).Distinct());
        Assert.All(users, u => Assert.Equal(1, u.count));
        // Absence of a second announcement, proved by a marker: a later change of the same user on the same path.
        var client = host.ClientFor(subject);
        (await client.PutJsonAsync("/me", new { displayName = "Marker" })).EnsureSuccessStatusCode();
        await host.Bus.WaitForAsync<UserProfileChanged>(p => p.UserId == subject && p.DisplayName == "Marker");
        Assert.Single(host.Bus.Received<UserProfileChanged>(p => p.UserId == subject && p.Version == 1));
    }
}
