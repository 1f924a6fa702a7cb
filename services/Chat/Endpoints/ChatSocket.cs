using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Aimi.Chat.Api.Sessions;
using Aimi.ServiceDefaults.Auth;
using Aimi.ServiceDefaults.Errors;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Aimi.Chat.Api.Endpoints;

/// <summary>A frame from the client: <c>{"type":"message","content":"…","clientMessageId":"…"}</c> or <c>{"type":"ping"}</c>.</summary>
public sealed record ClientFrame(string? Type, string? Content, string? ClientMessageId, Guid? SessionId);

public sealed class ChatSocketOptions
{
    public int MaxFrameBytes { get; set; } = 32 * 1024;
    /// <summary>
    /// More frames than this in a minute on one socket (any frame: messages, pings, binary, oversized, malformed) close it
    /// with a reason. The turns they ask for are limited per user besides (<see cref="Sessions.ChatLimitsOptions"/>).
    /// </summary>
    public int MaxFramesPerMinute { get; set; } = 60;
}

/// <summary>A ticket that opens one chat socket: <c>/ws/chat?ticket=…</c> before <paramref name="ExpiresAt"/>.</summary>
public sealed record SocketTicketResponse(string Ticket, DateTimeOffset ExpiresAt);

/// <summary>
/// WebSocket <c>/ws/chat</c>, the same protocol as <c>POST /chat/send</c>: message → <c>ack</c> → <c>delta</c>s →
/// <c>reply</c>, many messages per connection. The server also pushes <c>reminder</c> and <c>session_ended</c> frames.
/// A malformed frame gets an <c>error</c> frame and the connection stays usable.
/// </summary>
public static partial class ChatSocket
{
    public static IEndpointRouteBuilder MapChatSocket(this IEndpointRouteBuilder app)
    {
        app.MapPost("/chat/socket-tickets", IssueTicket).WithTags("Chat").WithName("IssueSocketTicket");
        // Opened with a ticket, never with a token: the ticket says who the user is (see SocketTickets).
        app.Map("/ws/chat", Accept).WithTags("Chat").WithName("ChatSocket").AllowAnonymous();
        return app;
    }

    public const string TicketQueryParameter = "ticket";

    /// <summary>A single-use ticket for <c>/ws/chat?ticket=…</c>, bound to the caller and the token they asked with.</summary>
    public static async Task<Results<Ok<SocketTicketResponse>, ProblemHttpResult>> IssueTicket(HttpContext http, SocketTickets tickets)
    {
        var issued = await tickets.IssueAsync(http.User.GetUserId(), BearerToken.Of(http));
        if (issued is not { } ticket)
        {
            http.Response.Headers.RetryAfter = "5";
            return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Chat sockets are unavailable",
                detail: "No socket ticket can be issued just now; try again shortly, or send messages with POST /chat/send.");
        }
        return TypedResults.Ok(new SocketTicketResponse(ticket.Ticket, ticket.ExpiresAt));
    }

    private static async Task Accept(HttpContext http, SocketTickets tickets, ConnectionRegistry registry, SocketLimiter limiter, IServiceScopeFactory scopes,
        TimeProvider time, Microsoft.Extensions.Options.IOptions<ChatSocketOptions> options, ILoggerFactory loggers)
    {
        if (!http.WebSockets.IsWebSocketRequest)
        {
            await TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "WebSocket expected",
                detail: "Connect to /ws/chat with a WebSocket upgrade.").ExecuteAsync(http);
            return;
        }

        // Whoever else the request claims to be (a bearer header, an identity header), the socket is the ticket's user's.
        var ticket = await tickets.RedeemAsync(http.Request.Query[TicketQueryParameter] is [{ } value] ? value : null);
        if (ticket is null)
        {
            await TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Socket ticket required",
                detail: $"Open /ws/chat?{TicketQueryParameter}=… with a ticket from POST /chat/socket-tickets; a ticket opens one socket, " +
                    $"within {SocketTickets.Lifetime.TotalSeconds:0} seconds. Tokens are not taken in the URL.").ExecuteAsync(http);
            return;
        }

        var userId = ticket.UserId;
        var token = ticket.AccessToken;
        var expires = ticket.TokenExpiry;
        using var socket = await http.WebSockets.AcceptWebSocketAsync();
        using var connection = new ChatConnection(userId, socket, time.GetUtcNow());
        registry.Add(connection);
        var logger = loggers.CreateLogger("Aimi.Chat.Socket");
        var flood = new FloodGuard(options.Value.MaxFramesPerMinute, time);
        // The socket lives only as long as the token that opened it: at its expiry the server closes it, saying why.
        using var expiry = expires is { } at
            ? time.CreateTimer(_ => _ = connection.CloseAsync(WebSocketCloseStatus.PolicyViolation, TokenExpiredReason, CancellationToken.None),
                null, Max(at - time.GetUtcNow(), TimeSpan.Zero), Timeout.InfiniteTimeSpan)
            : null;
        try
        {
            await limiter.OpenedAsync(connection); // may close this user's oldest socket, here or on another replica
            while (socket.State == WebSocketState.Open)
            {
                var (kind, text) = await ReceiveAsync(socket, options.Value.MaxFrameBytes, http.RequestAborted);
                if (expires <= time.GetUtcNow())
                {
                    // A frame that arrived as the token ran out is not handled: tool calls would go out with an expired token.
                    await connection.CloseAsync(WebSocketCloseStatus.PolicyViolation, TokenExpiredReason, CancellationToken.None);
                    return;
                }
                if (kind == FrameKind.Closed)
                {
                    await connection.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    return;
                }
                // Every frame counts, whatever it carries: a flood of binary or oversized frames costs the server too.
                if (!flood.Allow())
                {
                    await connection.CloseAsync(WebSocketCloseStatus.PolicyViolation, "Too many frames; slow down and reconnect.", CancellationToken.None);
                    return;
                }
                switch (kind)
                {
                    case FrameKind.TooLarge:
                        await connection.SendAsync(Error("too_large", $"A frame may be at most {options.Value.MaxFrameBytes} bytes."), http.RequestAborted);
                        continue;
                    case FrameKind.Binary:
                        await connection.SendAsync(Error("bad_frame", "Send JSON text frames."), http.RequestAborted);
                        continue;
                }
                await HandleFrameAsync(text!, connection, userId, token, scopes, http.RequestAborted);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            LogDisconnected(logger, userId, e.Message);
        }
        finally
        {
            registry.Remove(connection);
            await limiter.ClosedAsync(connection);
        }
    }

    private static async Task HandleFrameAsync(string text, ChatConnection connection, string userId, string token, IServiceScopeFactory scopes, CancellationToken cancellationToken)
    {
        ClientFrame? frame;
        try
        {
            frame = JsonSerializer.Deserialize<ClientFrame>(text, JsonSerializerOptions.Web);
        }
        catch (JsonException e)
        {
            await connection.SendAsync(Error("bad_frame", $"Malformed JSON: {e.Message}"), cancellationToken);
            return;
        }

        switch (frame?.Type)
        {
            case "ping":
                await connection.SendAsync(new { type = "pong" }, cancellationToken);
                return;
            case "message":
                break;
            default:
                await connection.SendAsync(Error("bad_frame", $"Unknown frame type '{frame?.Type}'; use 'message' or 'ping'."), cancellationToken);
                return;
        }

        await using var scope = scopes.CreateAsyncScope();
        var turns = scope.ServiceProvider.GetRequiredService<ChatTurns>();
        try
        {
            var result = await turns.SendAsync(userId, token, new SendRequest(frame.Content, frame.ClientMessageId, frame.SessionId),
                message => connection.SendAsync(new { type = "ack", frame.ClientMessageId, messageId = message.Id, sessionId = message.SessionId }, cancellationToken),
                delta => connection.SendAsync(new { type = "delta", frame.ClientMessageId, text = delta }, cancellationToken),
                cancellationToken);
            if (result.Duplicate)
            {
                await connection.SendAsync(new { type = "ack", frame.ClientMessageId, messageId = result.Message.Id, sessionId = result.SessionId }, cancellationToken);
            }
            await connection.SendAsync(new
            {
                type = "reply",
                frame.ClientMessageId,
                messageId = result.Reply.Id,
                sessionId = result.SessionId,
                content = result.Reply.Content,
                metadata = result.Reply.Metadata,
                result.SessionEnded,
                result.EndReason,
                result.Duplicate,
            }, cancellationToken);
        }
        catch (RequestException e)
        {
            await connection.SendAsync(new
            {
                type = "error", code = e.Code, message = e.Message, errors = e.Errors, frame.ClientMessageId,
                retryAfter = e.RetryAfter is { } after ? (int?)after.TotalSeconds : null,
            }, cancellationToken);
        }
        catch (Exception e) when (e is not (OperationCanceledException or WebSocketException))
        {
            // Whatever failed (the database, say), the message is either stored or not; the socket stays usable.
            LogFrameFailed(scope.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("Aimi.Chat.Socket"), e, userId);
            await connection.SendAsync(Error("internal", "The message could not be handled; send it again with the same clientMessageId.", frame.ClientMessageId), cancellationToken);
        }
    }

    public const string TokenExpiredReason = "token_expired: reconnect with a fresh token";

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static object Error(string code, string message, string? clientMessageId = null) => new { type = "error", code, message, clientMessageId };

    private enum FrameKind { Text, Binary, TooLarge, Closed }

    private static async Task<(FrameKind Kind, string? Text)> ReceiveAsync(WebSocket socket, int maxBytes, CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        using var message = new MemoryStream();
        var tooLarge = false;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (FrameKind.Closed, null);
            }
            if (!tooLarge)
            {
                if (message.Length + result.Count > maxBytes)
                {
                    tooLarge = true; // keep reading to the end of the frame, then report it
                }
                else
                {
                    message.Write(buffer, 0, result.Count);
                }
            }
            if (result.EndOfMessage)
            {
                return tooLarge ? (FrameKind.TooLarge, null)
                    : result.MessageType == WebSocketMessageType.Binary ? (FrameKind.Binary, null)
                    : (FrameKind.Text, Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length));
            }
        }
    }

    /// <summary>A sliding one-minute window of message times on one socket.</summary>
    private sealed class FloodGuard(int perMinute, TimeProvider time)
    {
        private readonly Queue<DateTimeOffset> _recent = new();

        public bool Allow()
        {
            var now = time.GetUtcNow();
            while (_recent.Count > 0 && now - _recent.Peek() > TimeSpan.FromMinutes(1))
            {
                _recent.Dequeue();
            }
            if (_recent.Count >= perMinute)
            {
                return false;
            }
            _recent.Enqueue(now);
            return true;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Chat frame of {UserId} failed")]
    private static partial void LogFrameFailed(ILogger logger, Exception exception, string userId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Chat socket of {UserId} closed: {Reason}")]
    private static partial void LogDisconnected(ILogger logger, string userId, string reason);
}
