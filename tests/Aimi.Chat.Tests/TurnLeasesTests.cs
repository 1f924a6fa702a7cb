using Aimi.Chat.Api.Sessions;
using Aimi.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Xunit;

namespace Aimi.Chat.Tests;

/// <summary>A turn's lease in Redis: renewed while the turn runs (the test moves the clock), released when it ends.</summary>
public sealed class TurnLeasesTests(ChatHost host) : IClassFixture<ChatHost>
{
    [Fact]
    public async Task A_lease_is_renewed_while_its_turn_runs_and_released_when_it_ends()
    {
        var redis = host.Services.GetRequiredService<IConnectionMultiplexer>();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var leases = new TurnLeases(redis, time, NullLogger<TurnLeases>.Instance);
        var (userId, clientMessageId) = ($"lease-{Guid.NewGuid():N}", "m-1");
        var key = TurnLeases.Key(userId, clientMessageId);

        var lease = await leases.ClaimAsync(userId, clientMessageId);
        Assert.Equal(TurnLeaseState.Claimed, lease.State);
        Assert.Equal(TurnLeaseState.HeldElsewhere, (await leases.ClaimAsync(userId, clientMessageId)).State);

        // Shorten the lease in Redis, then let a renewal period pass: the renewal sets it back to the full time to live.
        await redis.GetDatabase().KeyExpireAsync(key, TimeSpan.FromSeconds(3));
        time.Advance(TurnLeases.Ttl / 3);
        // The renewal runs on the timer's callback: wait for its effect (the clock is fake; this waits for the work, not for time).
        await Eventually.GetAsync(() => redis.GetDatabase().KeyTimeToLiveAsync(key), ttl => ttl > TimeSpan.FromSeconds(10),
            TimeSpan.FromSeconds(5), because: "the lease was renewed");

        await lease.DisposeAsync();

        Assert.False(await redis.GetDatabase().KeyExistsAsync(key));
        await using var next = await leases.ClaimAsync(userId, clientMessageId);
        Assert.Equal(TurnLeaseState.Claimed, next.State);
    }
}
