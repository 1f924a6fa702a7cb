using System.Net;
using System.Net.WebSockets;
using System.Text;
using Aimi.Testing;

namespace Aimi.Gateway.Tests;

/// <summary>
/// The chat socket opens with a ticket that Chat redeems (<c>POST /chat/socket-tickets</c>, then <c>/ws/chat?ticket=…</c>): the
/// gateway lets the handshake through without a user and names none, and takes no token from a URL.
/// </summary>
public sealed class WebSocketTests(GatewayHost gateway) : IClassFixture<GatewayHost>
{
    [Fact]
    public async Task The_chat_socket_goes_through_with_its_ticket_and_no_identity_the_client_claims()
    {
        var victim = TestAuth.NewUserId();
        var ticket = $"ticket-{Guid.NewGuid():N}";
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("X-User-Id", victim);
        socket.Options.SetRequestHeader("X-Aimi-Actor", "assistant");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        await socket.ConnectAsync(WebSocketUri($"/ws/chat?ticket={ticket}"), timeout.Token);
        await socket.SendAsync(Encoding.UTF8.GetBytes("hello aimi"), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        var buffer = new byte[1024];
        var received = await socket.ReceiveAsync(buffer, timeout.Token);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);

        Assert.Equal("hello aimi", Encoding.UTF8.GetString(buffer, 0, received.Count));
        var handshake = gateway.Chat.RequestsTo("/ws/chat").Single(r => r.Query.Contains(ticket, StringComparison.Ordinal));
        Assert.Null(handshake.Header("X-User-Id"));
        Assert.Null(handshake.Header("X-Aimi-Actor"));
    }

    [Fact]
    public async Task A_token_in_the_sockets_query_authenticates_nobody()
    {
        var user = TestAuth.NewUserId();
        using var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        // The fake Chat accepts any handshake; the real one refuses a socket without a ticket (Aimi.Chat.Tests.SocketTicketTests).
        await socket.ConnectAsync(WebSocketUri($"/ws/chat?access_token={TestAuth.Token(user)}"), timeout.Token);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);

        var handshake = gateway.Chat.RequestsTo("/ws/chat").Single(r => r.Query.Contains("access_token=", StringComparison.Ordinal));
        Assert.Null(handshake.Header("X-User-Id"));
    }

    [Fact]
    public async Task A_socket_ticket_is_only_for_an_authenticated_user()
    {
        var anonymous = await gateway.Anonymous().PostAsync("/chat/socket-tickets", content: null);
        var user = TestAuth.NewUserId();
        var authenticated = await gateway.As(user).PostAsync("/chat/socket-tickets", content: null);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.OK, authenticated.StatusCode);
        Assert.Equal(user, gateway.Chat.RequestsTo("/chat/socket-tickets").Single(r => r.Header("X-User-Id") == user).Header("X-User-Id"));
    }

    [Fact]
    public async Task Access_token_query_is_not_accepted_anywhere()
    {
        var response = await gateway.Anonymous().GetAsync($"/goals?access_token={TestAuth.Token(TestAuth.NewUserId())}");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private Uri WebSocketUri(string pathAndQuery) =>
        new UriBuilder(gateway.BaseAddress) { Scheme = "ws" }.Uri is var root ? new Uri(root, pathAndQuery) : throw new InvalidOperationException();
}
