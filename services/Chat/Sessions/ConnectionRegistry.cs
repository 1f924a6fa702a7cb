using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Aimi.Chat.Api.Sessions;

/// <summary>An open chat WebSocket; sends are serialised because a WebSocket allows one writer at a time.</summary>
public sealed class ChatConnection(string userId, WebSocket socket, DateTimeOffset openedAt) : IDisposable
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    public Guid Id { get; } = Guid.NewGuid();
    public string UserId { get; } = userId;
    public DateTimeOffset OpenedAt { get; } = openedAt;
    public WebSocket Socket { get; } = socket;

    public async Task SendAsync(object frame, CancellationToken cancellationToken)
    {
        var bytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(frame, JsonSerializerOptions.Web));
        await _sendLock.WaitAsync(cancellationToken);
        try
        {
            if (Socket.State == WebSocketState.Open)
            {
                await Socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Starts the closing handshake with a reason the client can show; safe beside a running send or receive.</summary>
    public async Task CloseAsync(WebSocketCloseStatus status, string reason, CancellationToken cancellationToken)
    {
        try
        {
            await _sendLock.WaitAsync(cancellationToken);
        }
        catch (ObjectDisposedException)
        {
            return; // the connection is already gone
        }
        try
        {
            if (Socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await Socket.CloseOutputAsync(status, reason, cancellationToken);
            }
        }
        catch (WebSocketException)
        {
            // The client went away first: closed either way.
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public void Dispose() => _sendLock.Dispose();
}

/// <summary>The chat WebSockets open on this replica, by user, for pushing reminders and session ends.</summary>
public sealed partial class ConnectionRegistry(ILogger<ConnectionRegistry> logger)
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Guid, ChatConnection>> _byUser = new();
    private readonly ConcurrentDictionary<Guid, ChatConnection> _byId = new();

    public void Add(ChatConnection connection)
    {
        _byId[connection.Id] = connection;
        _byUser.GetOrAdd(connection.UserId, _ => new()).TryAdd(connection.Id, connection);
    }

    public ChatConnection? Find(Guid connectionId) => _byId.GetValueOrDefault(connectionId);

    public IReadOnlyList<ChatConnection> OpenOf(string userId) =>
        _byUser.TryGetValue(userId, out var connections) ? connections.Values.ToList() : [];

    public void Remove(ChatConnection connection)
    {
        _byId.TryRemove(connection.Id, out _);
        if (_byUser.TryGetValue(connection.UserId, out var connections))
        {
            connections.TryRemove(connection.Id, out _);
        }
    }

    /// <summary>Sends to every open socket of the user here; a socket that fails is skipped (it is closing).</summary>
    public async Task<int> PushAsync(string userId, object frame, CancellationToken cancellationToken)
    {
        if (!_byUser.TryGetValue(userId, out var connections))
        {
            return 0;
        }
        var sent = 0;
        foreach (var connection in connections.Values)
        {
            try
            {
                await connection.SendAsync(frame, cancellationToken);
                sent++;
            }
            catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
            {
                LogPushFailed(logger, e, connection.Id);
            }
        }
        return sent;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Push to chat connection {ConnectionId} failed")]
    private static partial void LogPushFailed(ILogger logger, Exception exception, Guid connectionId);
}
