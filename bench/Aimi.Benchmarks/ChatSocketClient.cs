using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Aimi.Benchmarks;

/// <summary>A frame the server sent, with the benchmark clock's reading when it was read off the socket.</summary>
public readonly record struct ServerFrame(int Socket, string Type, string? ClientMessageId, string? SessionId, string? Code, double AtMs);

/// <summary>
/// One user's <c>/ws/chat</c> connection through the gateway: sends message frames, and a receive loop that hands every
/// server frame to <c>onFrame</c> as soon as it arrives.
/// </summary>
public sealed class ChatSocketClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly int _index;
    private readonly Func<double> _now;
    private readonly Action<ServerFrame> _onFrame;
    private Task _receiving = Task.CompletedTask;

    private ChatSocketClient(int index, Func<double> now, Action<ServerFrame> onFrame)
    {
        _index = index;
        _now = now;
        _onFrame = onFrame;
    }

    /// <summary>Why the server closed the socket, once it has.</summary>
    public string? ClosedBecause { get; private set; }

    /// <summary>
    /// Opens the socket as a browser does: a single-use ticket from <c>POST /chat/socket-tickets</c>, then <c>/ws/chat?ticket=…</c>.
    /// The upgrade carries no token, so the gateway budgets it by client address (<c>Gateway:RateLimit</c>), and every socket of
    /// this benchmark comes from one address: an upgrade refused with 429 waits for the <c>Retry-After</c> it names and asks again
    /// with a new ticket, as a browser's reconnect would.
    /// </summary>
    public static async Task<ChatSocketClient> ConnectAsync(int index, HttpClient gateway, string token, Func<double> now, Action<ServerFrame> onFrame, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var client = new ChatSocketClient(index, now, onFrame);
            client._socket.Options.CollectHttpResponseDetails = true;
            var ticket = await TicketAsync(gateway, token, cancellationToken);
            var url = new UriBuilder(gateway.BaseAddress!)
            {
                Scheme = gateway.BaseAddress!.Scheme == Uri.UriSchemeHttps ? "wss" : "ws",
                Path = "/ws/chat",
                Query = $"ticket={Uri.EscapeDataString(ticket)}",
            }.Uri;
            try
            {
                await client._socket.ConnectAsync(url, cancellationToken);
                client._receiving = client.ReceiveLoopAsync();
                return client;
            }
            catch (WebSocketException) when (client._socket.HttpStatusCode == HttpStatusCode.TooManyRequests && attempt < MaxConnectAttempts)
            {
                var wait = client._socket.HttpResponseHeaders?.TryGetValue("Retry-After", out var values) == true
                    && int.TryParse(values.FirstOrDefault(), out var seconds) ? seconds : 1;
                await client.DisposeAsync();
                await Task.Delay(TimeSpan.FromSeconds(wait), cancellationToken);
            }
        }
    }

    private const int MaxConnectAttempts = 10;

    private static async Task<string> TicketAsync(HttpClient gateway, string token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/chat/socket-tickets", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await gateway.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        return body.GetProperty("ticket").GetString() ?? throw new InvalidOperationException("POST /chat/socket-tickets answered without a ticket.");
    }

    /// <summary>Sends one message frame; false when the socket is no longer open.</summary>
    public async Task<bool> SendAsync(string clientMessageId, string content, CancellationToken cancellationToken)
    {
        var frame = JsonSerializer.SerializeToUtf8Bytes(new { type = "message", content, clientMessageId });
        // ClientWebSocket allows one send at a time.
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            if (_socket.State != WebSocketState.Open)
            {
                return false;
            }
            await _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            return true;
        }
        catch (WebSocketException)
        {
            return false;
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    ClosedBecause = $"{_socket.CloseStatus}: {_socket.CloseStatusDescription}";
                    return;
                }
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }
                var at = _now();
                _onFrame(Parse(_index, message.GetBuffer().AsSpan(0, (int)message.Length), at));
                message.SetLength(0);
            }
        }
        catch (WebSocketException e)
        {
            ClosedBecause = e.Message;
        }
    }

    private static ServerFrame Parse(int socket, ReadOnlySpan<byte> json, double at)
    {
        try
        {
            using var frame = JsonDocument.Parse(json.ToArray());
            var root = frame.RootElement;
            string? Text(string name) => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
            return new ServerFrame(socket, Text("type") ?? "unknown", Text("clientMessageId"), Text("sessionId"), Text("code"), at);
        }
        catch (JsonException)
        {
            return new ServerFrame(socket, $"malformed: {Encoding.UTF8.GetString(json)}", null, null, null, at);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "benchmark done", timeout.Token);
                await _receiving.WaitAsync(timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException or TimeoutException)
            {
                // The server went away first; nothing left to close.
            }
        }
        _socket.Dispose();
        _sendLock.Dispose();
    }
}
