using Aimi.Testing;
using System.Collections.Concurrent;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Aimi.Gateway.Tests;

/// <summary>
/// A real HTTP service on a free loopback port standing in for one of Aimi's services: it records every request it
/// receives (path, query, headers, body size), echoes WebSocket messages at <c>/ws/chat</c>, serves an OpenAPI
/// document at <c>/openapi/v1.json</c>, and answers a bare 404 for any path ending in <c>/empty-404</c>.
/// </summary>
public sealed class FakeService : IAsyncDisposable
{
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private WebApplication _app = null!;

    private FakeService(string name) => Name = name;

    public string Name { get; }
    public string Url => _app.Urls.Single();
    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public IReadOnlyList<RecordedRequest> RequestsTo(string path) => [.. _requests.Where(r => r.Path == path)];

    public static async Task<FakeService> StartAsync(string name)
    {
        var service = new FakeService(name);
        service._app = await LoopbackApp.StartAsync(
            app =>
            {
                app.UseWebSockets();
                app.Run(service.HandleAsync);
            },
            new WebApplicationOptions { EnvironmentName = "Testing" });
        return service;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        long bodyLength = 0;
        if (!context.WebSockets.IsWebSocketRequest)
        {
            var buffer = new byte[8192];
            int read;
            while ((read = await request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
            {
                bodyLength += read;
            }
        }

        _requests.Enqueue(new RecordedRequest(
            request.Method,
            request.Path.Value ?? "",
            request.QueryString.Value ?? "",
            request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            bodyLength));

        if (request.Path == "/ws/chat" && context.WebSockets.IsWebSocketRequest)
        {
            await EchoAsync(await context.WebSockets.AcceptWebSocketAsync());
        }
        else if (request.Path == "/openapi/v1.json")
        {
            await context.Response.WriteAsJsonAsync(new { openapi = "3.1.1", info = new { title = Name, version = "v1" } });
        }
        else if (request.Path.Value?.EndsWith("/empty-404", StringComparison.Ordinal) == true)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
        }
        else
        {
            await context.Response.WriteAsJsonAsync(new ServiceReply(Name, request.Path.Value ?? "", bodyLength));
        }
    }

    private static async Task EchoAsync(WebSocket socket)
    {
        var buffer = new byte[4096];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, CancellationToken.None);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                return;
            }
            await socket.SendAsync(buffer.AsMemory(0, received.Count), received.MessageType, received.EndOfMessage, CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, long BodyLength)
{
    public string? Header(string name) => Headers.TryGetValue(name, out var value) ? value : null;
}

public sealed record ServiceReply(string Service, string Path, long BodyLength);
