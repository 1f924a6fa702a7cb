using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Aimi.Chat.Api.Sessions;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Chat.Tests;

/// <summary>Chat with small per-user limits: three turns a minute, two sockets.</summary>
public sealed class LimitedChatHost : ChatHost
{
    public const int TurnsPerMinute = 3;
    public const int SocketsPerUser = 2;

    protected override IEnumerable<KeyValuePair<string, string?>> ChatSettings() =>
    [
        new("Chat:Limits:TurnsPerMinute", $"{TurnsPerMinute}"),
        new("Chat:Limits:SocketsPerUser", $"{SocketsPerUser}"),
    ];
}

public sealed class ChatLimitsTests(LimitedChatHost host) : IClassFixture<LimitedChatHost>
{
    [Fact]
    public async Task One_budget_of_turns_a_minute_covers_REST_and_every_socket_and_a_refused_turn_stores_nothing()
    {
        var userId = TestAuth.NewUserId();
        var client = host.ClientFor(userId);
        using var first = await ConnectAsync(userId);
        using var second = await ConnectAsync(userId);

        (await client.PostJsonAsync("/chat/send", new { content = "hello" })).EnsureSuccessStatusCode();
        await first.SendTextAsync("""{"type":"message","content":"how are you","clientMessageId":"s1"}""");
        await first.ReceiveUntilAsync("reply");
        await second.SendTextAsync("""{"type":"message","content":"good morning","clientMessageId":"s2"}""");
        await second.ReceiveUntilAsync("reply");

        // The budget is spent: REST answers 429 with when to come back, a socket an error frame, and neither stores the message.
        var refused = await client.PostJsonAsync("/chat/send", new { content = "one more" });
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        var problem = await refused.ReadAsync<JsonElement>(HttpStatusCode.TooManyRequests);
        Assert.Equal("Too many messages", problem.GetProperty("title").GetString());
        await first.SendTextAsync("""{"type":"message","content":"and another","clientMessageId":"s3"}""");
        var error = await first.ReceiveUntilAsync("error");
        Assert.Equal("too_many_requests", error.GetProperty("code").GetString());
        Assert.True(error.GetProperty("retryAfter").GetInt32() > 0);
        Assert.Equal(6, await host.WithDbAsync(db => db.Messages.CountAsync(m => m.UserId == userId)));

        // A resend of an answered message is no new turn: it still gets its answer.
        await first.SendTextAsync("""{"type":"message","content":"how are you","clientMessageId":"s1"}""");
        Assert.True((await first.ReceiveUntilAsync("reply")).GetProperty("duplicate").GetBoolean());

        // A minute later the budget is back.
        host.Time.Advance(TimeSpan.FromMinutes(2));
        (await client.PostJsonAsync("/chat/send", new { content = "one more" })).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task A_socket_beyond_the_users_limit_closes_the_oldest_with_a_reason()
    {
        var userId = TestAuth.NewUserId();
        using var oldest = await ConnectAsync(userId);
        await oldest.PingAsync();
        using var middle = await ConnectAsync(userId);
        await middle.PingAsync();
        using var newest = await ConnectAsync(userId);
        await newest.PingAsync();

        var closed = await oldest.ReceiveUntilAsync("closed");
        Assert.Equal((int)WebSocketCloseStatus.PolicyViolation, closed.GetProperty("status").GetInt32());
        Assert.Equal(SocketLimiter.TooManySocketsReason, closed.GetProperty("reason").GetString());
        await middle.PingAsync();
        await newest.PingAsync();

        // Another user's sockets are not this user's count.
        using var other = await ConnectAsync(TestAuth.NewUserId());
        await other.PingAsync();
        await middle.PingAsync();
    }

    private Task<WebSocket> ConnectAsync(string userId) => host.ConnectSocketAsync(userId);
}
