using System.Data;
using Aimi.Chat.Api.Data;
using Aimi.Chat.Api.Domain;
using Aimi.ServiceDefaults;
using Aimi.ServiceDefaults.Auth;
using Aimi.ServiceDefaults.Export;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Chat.Api.Endpoints;

/// <summary>A session as the API shows it (<see cref="SessionView"/>), with the starting context it began from.</summary>
public sealed record SessionExport(
    Guid Id, string Status, DateTimeOffset StartedAt, DateTimeOffset LastActivityAt, DateTimeOffset? EndedAt, string? EndReason, int MessageCount,
    RawJson StartingContext)
{
    public static SessionExport From(ChatSession s)
    {
        var view = SessionView.From(s);
        return new(view.Id, view.Status, view.StartedAt, view.LastActivityAt, view.EndedAt, view.EndReason, view.MessageCount, new RawJson(s.StartingContext));
    }
}

public sealed record MessageExport(
    Guid Id, Guid SessionId, long Sequence, string Role, string Content, string? ClientMessageId, Guid? ReplyToId, RawJson Metadata, DateTimeOffset CreatedAt);

/// <summary><c>GET /chat/export</c>: the caller's sessions (each with the starting context it began from) and every message, as one streamed document.</summary>
public static class ChatExportApi
{
    public static readonly IReadOnlyList<string> Omitted =
    [
        "The Redis copy of an active session's recent messages: a cache of the messages below.",
        "Outbox rows: events sent to other services (a session's transcript, a message to classify), copies of the sessions and messages below, deleted after sending.",
    ];

    public static IEndpointRouteBuilder MapChatExportEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/chat/export", Export).WithName("ExportChat").WithTags("Chat").Produces(StatusCodes.Status200OK, contentType: "application/json");
        return app;
    }

    public static JsonExport Export(HttpContext http, ChatDbContext db)
    {
        var userId = http.User.GetUserId();
        return new JsonExport("chat", userId, Omitted, async export =>
        {
            // One snapshot: the messages belong to the sessions listed, whatever is written meanwhile.
            await using var snapshot = await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, export.CancellationToken);

            await export.ArrayAsync("sessions",
                db.Sessions.AsNoTracking().Where(s => s.UserId == userId).OrderBy(s => s.StartedAt).ThenBy(s => s.Id).AsAsyncEnumerable(),
                SessionExport.From);

            var messages =
                from m in db.Messages.AsNoTracking()
                join s in db.Sessions on m.SessionId equals s.Id
                where s.UserId == userId && m.UserId == userId
                orderby s.StartedAt, s.Id, m.Sequence
                select m;
            await export.ArrayAsync("messages", messages.AsAsyncEnumerable(),
                m => new MessageExport(m.Id, m.SessionId, m.Sequence, WireName.Of(m.Role), m.Content, m.ClientMessageId, m.ReplyToId, new RawJson(m.Metadata), m.CreatedAt));
        });
    }
}
