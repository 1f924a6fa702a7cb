using System.Net;
using System.Net.Http.Json;
using Aimi.Chat.Api.Data;
using Aimi.Chat.Api.Domain;
using Aimi.Chat.Api.Sessions;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Xunit;

namespace Aimi.Chat.Tests;

/// <summary>Chat on a Redis of its own, with short timeouts, which the tests stall and cut.</summary>
public sealed class StallingRedisChatHost : ChatHost
{
    public PrivateRedisServer Redis { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        Redis = await PrivateRedisServer.StartAsync();
        await base.InitializeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string?>> ChatSettings() =>
        [new("ConnectionStrings:redis", $"127.0.0.1:{Redis.Port},syncTimeout=200,asyncTimeout=200,abortConnect=false")];

    protected override async Task AfterDisposeAsync()
    {
        await base.AfterDisposeAsync();
        await Redis.DisposeAsync();
    }
}

/// <summary>
/// Redis is a cache, also when it is slow: a command that times out (<c>RedisTimeoutException</c>, a TimeoutException and
/// not a RedisException) falls back to PostgreSQL like an unreachable Redis does, and a cache write that never happened
/// leaves no gap in the history a turn reads. The stall is real: <c>CLIENT PAUSE … WRITE</c> on the host's own server holds
/// every write (and whatever the same connection sends after it) until the test lets go.
/// </summary>
public sealed class RedisStallTests(StallingRedisChatHost host) : IClassFixture<StallingRedisChatHost>
{
    private async Task<(HttpClient Chat, HttpClient Goals)> UserAsync()
    {
        var userId = TestAuth.NewUserId();
        var goals = host.GoalsClientFor(userId);
        (await goals.PutAsJsonAsync("/me", new { timeZone = "Europe/Berlin" })).EnsureSuccessStatusCode();
        return (host.ClientFor(userId), goals);
    }

    private SessionCache Cache => host.Services.GetRequiredService<SessionCache>();

    private async Task<List<Guid>> StoredIdsAsync(Guid sessionId) =>
        await host.WithDbAsync(db => db.Messages.AsNoTracking().Where(m => m.SessionId == sessionId).OrderBy(m => m.Sequence).Select(m => m.Id).ToListAsync());

    /// <summary>
    /// The session's turns in the cache before a stall. This host's cache writes time out after 200 ms, which a loaded machine
    /// (the whole suite on two cores) can miss; a history read refills the cache from PostgreSQL, as a turn would.
    /// </summary>
    private Task<IReadOnlyList<CachedMessage>?> CachedAsync(Guid sessionId) => Eventually.GetAsync(async () =>
    {
        if (await Cache.GetAsync(sessionId) is { } cached)
        {
            return cached;
        }
        await using var scope = host.Services.CreateAsyncScope();
        var session = await scope.ServiceProvider.GetRequiredService<ChatDbContext>().Sessions.AsNoTracking().SingleAsync(s => s.Id == sessionId);
        await scope.ServiceProvider.GetRequiredService<ChatSessions>().HistoryAsync(session, CancellationToken.None);
        return await Cache.GetAsync(sessionId);
    }, cached => cached is not null, because: "the session's turns in the cache before the stall");

    [Fact]
    public async Task A_read_that_times_out_is_a_miss()
    {
        var (chat, _) = await UserAsync();
        var sent = await (await chat.SendAsync("hello")).ReadAsync<SendResult>(HttpStatusCode.OK);
        Assert.NotNull(await CachedAsync(sent.SessionId));

        await host.Redis.PauseWritesAsync();
        try
        {
            // A write held by the pause, and the read queued behind it on the same connection: the read times out.
            var redis = host.Services.GetRequiredService<IConnectionMultiplexer>();
            await redis.GetDatabase().StringSetAsync($"aimi:test:{Guid.NewGuid():N}", "held", flags: CommandFlags.FireAndForget);

            Assert.Null(await Cache.GetAsync(sent.SessionId));
        }
        finally
        {
            await host.Redis.UnpauseAsync();
        }
    }

    [Fact]
    public async Task A_turn_while_redis_times_out_is_answered_from_the_database()
    {
        var (chat, goals) = await UserAsync();
        var first = await (await chat.SendAsync("remind me to call mom tomorrow at 6pm")).ReadAsync<SendResult>(HttpStatusCode.OK);

        await host.Redis.PauseWritesAsync();
        SendResult yes;
        try
        {
            yes = await (await chat.SendAsync("yes")).ReadAsync<SendResult>(HttpStatusCode.OK);
        }
        finally
        {
            await host.Redis.UnpauseAsync();
        }

        Assert.Equal(first.SessionId, yes.SessionId);
        // "yes" confirmed the item the first reply proposed: the turn read its history from PostgreSQL.
        var events = await (await goals.GetAsync("/events")).ReadAsync<List<EventDto>>(HttpStatusCode.OK);
        Assert.Equal("planned", Assert.Single(events).Status);
        Assert.Equal(4, (await StoredIdsAsync(yes.SessionId)).Count);
    }

    [Fact]
    public async Task Cache_writes_lost_in_a_stall_leave_no_gap_in_the_history()
    {
        var (chat, _) = await UserAsync();
        var sent = await (await chat.SendAsync("hello")).ReadAsync<SendResult>(HttpStatusCode.OK);
        var firstTurn = (await CachedAsync(sent.SessionId))!;

        // The second turn's cache writes wait in the paused server; cutting the connection drops them unrun, the deletes
        // that would heal the list included. Redis comes back holding the first turn only.
        await host.Redis.PauseWritesAsync();
        try
        {
            await (await chat.SendAsync("thanks")).ReadAsync<SendResult>(HttpStatusCode.OK);
            await host.Redis.KillClientsAsync();
        }
        finally
        {
            await host.Redis.UnpauseAsync();
        }
        // A heal delete can also survive: the client cuts a connection of its own during the stall ("dead socket") and holds
        // what it had not sent yet for the next one, which the test's cut may miss. Then Redis comes back without the list,
        // and the test puts back what a stall that lost the delete too leaves. Commands on the connection run in order, so
        // once a read answers, nothing the stall queued before it is still to come.
        var redis = host.Services.GetRequiredService<IConnectionMultiplexer>();
        var stale = await Eventually.GetAsync(async () =>
        {
            if (!redis.IsConnected)
            {
                return null;
            }
            if (await Cache.GetAsync(sent.SessionId) is { } left)
            {
                return left;
            }
            await Cache.FillAsync(sent.SessionId, firstTurn);
            return await Cache.GetAsync(sent.SessionId);
        }, left => left is not null, because: "Chat to reconnect to Redis, and read the list the stall left");

        var stored = await StoredIdsAsync(sent.SessionId);
        await using var scope = host.Services.CreateAsyncScope();
        var session = await scope.ServiceProvider.GetRequiredService<ChatDbContext>().Sessions.AsNoTracking().SingleAsync(s => s.Id == sent.SessionId);
        var sessions = scope.ServiceProvider.GetRequiredService<ChatSessions>();
        var history = await sessions.HistoryAsync(session, CancellationToken.None);

        Assert.Equal(2, stale!.Count); // the gap is there in Redis...
        Assert.Equal(4, stored.Count);
        Assert.Equal(stored, history.Select(m => m.Id)); // ...and is not read as the history
        // The read rebuilt the list. The stalled turn's own failure may still drop it after that (its delete, queued when its
        // write timed out, reaches Redis late), so read again until the rebuilt list stays: a drop only ever costs a rebuild.
        await Eventually.GetAsync(async () =>
        {
            await sessions.HistoryAsync(session, CancellationToken.None);
            return (await Cache.GetAsync(sent.SessionId))?.Select(m => m.Id).ToList();
        }, cached => cached is not null && cached.SequenceEqual(stored), because: "the history read to rebuild the cached list");
    }
}
