using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Aimi.Chat.Api.Endpoints;
using Aimi.Chat.Api.Sessions;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Xunit;

namespace Aimi.Chat.Tests;

/// <summary>The chat socket opens with a single-use ticket that names its user; never with a token in the URL.</summary>
public sealed class SocketTicketTests(ChatHost host) : IClassFixture<ChatHost>
{
    [Fact]
    public async Task A_ticket_is_issued_to_an_authenticated_user_and_opens_a_socket_that_is_theirs()
    {
        var userId = TestAuth.NewUserId();
        using var response = await host.ClientFor(userId).PostAsync("/chat/socket-tickets", content: null);
        var issued = await response.ReadAsync<SocketTicketResponse>(HttpStatusCode.OK);
        Assert.Equal(32, Base64Url.DecodeFromChars(issued.Ticket).Length);
        Assert.Equal(host.Time.GetUtcNow() + SocketTickets.Lifetime, issued.ExpiresAt);

        using var socket = await host.ConnectWithTicketAsync(issued.Ticket);
        await socket.SendTextAsync("""{"type":"message","content":"hello","clientMessageId":"t1"}""");
        await socket.ReceiveUntilAsync("reply");

        Assert.Equal(2, await host.WithDbAsync(db => db.Messages.CountAsync(m => m.UserId == userId)));
    }

    [Fact]
    public async Task Only_an_authenticated_user_gets_a_ticket()
    {
        using var response = await host.CreateClient().PostAsync("/chat/socket-tickets", content: null);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_ticket_opens_one_socket_only()
    {
        var ticket = await host.TicketAsync(TestAuth.Token(TestAuth.NewUserId()));
        using var first = await host.ConnectWithTicketAsync(ticket);
        await first.PingAsync();

        await AssertRefusedAsync($"ticket={Uri.EscapeDataString(ticket)}");
        await first.PingAsync();
    }

    [Fact]
    public async Task A_ticket_expires_after_thirty_seconds()
    {
        var ticket = await host.TicketAsync(TestAuth.Token(TestAuth.NewUserId()));

        host.Time.Advance(SocketTickets.Lifetime + TimeSpan.FromSeconds(1));

        await AssertRefusedAsync($"ticket={Uri.EscapeDataString(ticket)}");
    }

    [Fact]
    public async Task The_socket_is_the_tickets_user_whoever_else_the_handshake_names()
    {
        var owner = TestAuth.NewUserId();
        var other = TestAuth.NewUserId();
        var ticket = await host.TicketAsync(TestAuth.Token(owner));

        var client = host.Server.CreateWebSocketClient();
        client.ConfigureRequest = request =>
        {
            request.Headers.Authorization = $"Bearer {TestAuth.Token(other)}";
            request.Headers["X-User-Id"] = other;
        };
        using var socket = await client.ConnectAsync(new Uri(host.Server.BaseAddress, $"ws/chat?ticket={Uri.EscapeDataString(ticket)}"), CancellationToken.None);
        await socket.SendTextAsync("""{"type":"message","content":"hello","clientMessageId":"i1"}""");
        await socket.ReceiveUntilAsync("reply");

        Assert.Equal(2, await host.WithDbAsync(db => db.Messages.CountAsync(m => m.UserId == owner)));
        Assert.Equal(0, await host.WithDbAsync(db => db.Messages.CountAsync(m => m.UserId == other)));
    }

    [Theory]
    [InlineData("access_token")]
    [InlineData("bearer")]
    [InlineData("forged-ticket")]
    [InlineData("none")]
    public async Task Without_a_valid_ticket_the_socket_is_refused_even_with_a_valid_token(string way)
    {
        var token = TestAuth.Token(TestAuth.NewUserId());
        var forged = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

        await AssertRefusedAsync(way switch
        {
            "access_token" => $"access_token={token}",
            "forged-ticket" => $"ticket={forged}",
            _ => "",
        }, way == "bearer" ? token : null);
    }

    [Fact]
    public async Task Redis_holds_neither_the_ticket_nor_the_token()
    {
        var token = TestAuth.Token(TestAuth.NewUserId());
        var ticket = await host.TicketAsync(token);
        var key = $"aimi:chat:socket-ticket:{Convert.ToHexStringLower(SHA256.HashData(Base64Url.DecodeFromChars(ticket)))}";

        var stored = (string?)await host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase().StringGetAsync(key);

        Assert.NotNull(stored);
        Assert.DoesNotContain(ticket, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(token, stored, StringComparison.Ordinal);
        Assert.DoesNotContain(token.Split('.')[1], stored, StringComparison.Ordinal);
    }

    /// <summary>The handshake is answered 401 (the test server reports a refused upgrade as an incomplete handshake).</summary>
    private async Task AssertRefusedAsync(string query, string? bearer = null)
    {
        var client = host.Server.CreateWebSocketClient();
        if (bearer is not null)
        {
            client.ConfigureRequest = request => request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer).ToString();
        }
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            client.ConnectAsync(new Uri(host.Server.BaseAddress, $"ws/chat?{query}"), CancellationToken.None));
        Assert.Contains("401", refused.Message, StringComparison.Ordinal);
    }
}
