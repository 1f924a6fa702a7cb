using System.Net;
using System.Net.WebSockets;
using System.Text;
using Aimi.Testing;

namespace Aimi.Gateway.Tests;

public sealed class WebSocketTests(GatewayHost gateway) : IClassFixture<GatewayHost>
{
    [Fact]
    public async Task Chat_websocket_with_token_in_query_echoes_through_the_gateway()
    {
        var user = TestAuth.NewUserId();
        using var socket = new ClientWebSocket();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        await socket.ConnectAsync(WebSocketUri($"/ws/chat?access_token={TestAuth.Token(user)}"), timeout.Token);
        await socket.SendAsync(Encoding.UTF8.GetBytes("hello aimi"), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        var buffer = new byte[1024];
        var received = await socket.ReceiveAsync(buffer, timeout.Token);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);

        Assert.Equal("hello aimi", Encoding.UTF8.GetString(buffer, 0, received.Count));
        var handshake = gateway.Chat.RequestsTo("/ws/chat").Single(r => r.Header("X-User-Id") == user);
        Assert.Contains("access_token=", handshake.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Chat_websocket_without_token_is_refused_with_401()
    {
        using var socket = new ClientWebSocket { Options = { CollectHttpResponseDetails = true } };

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(WebSocketUri("/ws/chat"), CancellationToken.None));

        Assert.Equal(HttpStatusCode.Unauthorized, socket.HttpStatusCode);
    }

    [Fact]
    public async Task Access_token_query_is_not_accepted_outside_ws_paths()
    {
        var response = await gateway.Anonymous().GetAsync($"/goals?access_token={TestAuth.Token(TestAuth.NewUserId())}");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    private Uri WebSocketUri(string pathAndQuery) =>
        new UriBuilder(gateway.BaseAddress) { Scheme = "ws" }.Uri is var root ? new Uri(root, pathAndQuery) : throw new InvalidOperationException();
}
