using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Aimi.Chat.Api.Endpoints;
using Aimi.Testing;

namespace Aimi.Chat.Tests;

/// <summary>Opens chat sockets the way a browser does: a ticket from <c>POST /chat/socket-tickets</c>, then <c>/ws/chat?ticket=…</c>.</summary>
public static class ChatSockets
{
    public static Task<WebSocket> ConnectSocketAsync(this ChatHost host, string userId) => host.ConnectSocketWithTokenAsync(TestAuth.Token(userId));

    public static async Task<WebSocket> ConnectSocketWithTokenAsync(this ChatHost host, string token) =>
        await host.ConnectWithTicketAsync(await host.TicketAsync(token));

    public static async Task<string> TicketAsync(this ChatHost host, string token)
    {
        using var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.PostAsync("/chat/socket-tickets", content: null);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<SocketTicketResponse>())!.Ticket;
    }

    public static Task<WebSocket> ConnectWithTicketAsync(this ChatHost host, string ticket) =>
        host.Server.CreateWebSocketClient().ConnectAsync(new Uri(host.Server.BaseAddress, $"ws/chat?ticket={Uri.EscapeDataString(ticket)}"), CancellationToken.None);

    public static Task SendTextAsync(this WebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>A ping answered by a pong: the socket is open and served.</summary>
    public static async Task PingAsync(this WebSocket socket)
    {
        await socket.SendTextAsync("""{"type":"ping"}""");
        await socket.ReceiveUntilAsync("pong");
    }

    /// <summary>The next frame, parsed; the server closing the socket reads as <c>{"type":"closed","status":…,"reason":…}</c>.</summary>
    public static async Task<JsonElement> ReceiveFrameAsync(this WebSocket socket)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var buffer = new byte[64 * 1024];
        using var frame = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return JsonSerializer.SerializeToElement(new { type = "closed", status = (int)result.CloseStatus!, reason = result.CloseStatusDescription });
            }
            frame.Write(buffer, 0, result.Count);
        } while (!result.EndOfMessage);
        return JsonDocument.Parse(frame.ToArray()).RootElement;
    }

    /// <summary>Frames until one of <paramref name="type"/> (each added to <paramref name="seen"/>); a close before it throws.</summary>
    public static async Task<JsonElement> ReceiveUntilAsync(this WebSocket socket, string type, List<JsonElement>? seen = null)
    {
        while (true)
        {
            var frame = await socket.ReceiveFrameAsync();
            seen?.Add(frame);
            var received = frame.GetProperty("type").GetString();
            if (received == type)
            {
                return frame;
            }
            if (received == "closed")
            {
                throw new InvalidOperationException($"The socket closed: {frame.GetProperty("reason")}");
            }
        }
    }
}
