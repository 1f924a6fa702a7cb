using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
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
}
