using System.Net.Http.Headers;
using Aimi.Chat.Api.Data;
using Aimi.Chat.Api.Domain;
using Aimi.Chat.Api.Sessions;
using Aimi.ServiceDefaults;
using Aimi.ServiceDefaults.Auth;
using Aimi.ServiceDefaults.Errors;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Chat.Api.Endpoints;

public sealed record EndRequest(Guid? SessionId);

public sealed record EndResponse(Guid SessionId, bool Ended, string Status);

public sealed record SessionView(Guid Id, string Status, DateTimeOffset StartedAt, DateTimeOffset LastActivityAt, DateTimeOffset? EndedAt, string? EndReason, int MessageCount)
{
    public static SessionView From(ChatSession s) => new(
        s.Id, WireName.Of(s.Status), s.StartedAt, s.LastActivityAt, s.EndedAt, s.EndReason is { } r ? WireName.Of(r) : null, s.MessageCount);
}

public sealed record SessionDetails(SessionView Session, List<MessageView> Messages);

public static class ChatApi
{
    public static IEndpointRouteBuilder MapChatEndpoints(this IEndpointRouteBuilder app)
    {
        var chat = app.MapGroup("/chat").WithTags("Chat");
        chat.MapPost("/send", Send).WithName("SendMessage");
        chat.MapPost("/end", End).WithName("EndSession");
        chat.MapGet("/sessions", ListSessions).WithName("ListSessions");
        chat.MapGet("/sessions/{id:guid}", GetSession).WithName("GetSession");
        return app;
    }

    /// <summary>Stores the message, then answers; a resend with the same <c>clientMessageId</c> returns the first answer.</summary>
    public static async Task<Results<Ok<SendResult>, ProblemHttpResult>> Send(SendRequest request, HttpContext http, ChatTurns turns, CancellationToken cancellationToken)
    {
        try
        {
            return TypedResults.Ok(await turns.SendAsync(http.User.GetUserId(), BearerToken.Of(http), request, null, null, cancellationToken));
        }
        catch (RequestException e)
        {
            return e.ToProblem(http);
        }
    }

    public static async Task<Results<Ok<EndResponse>, ProblemHttpResult>> End(EndRequest? request, HttpContext http, ChatDbContext db, ChatSessions sessions, CancellationToken cancellationToken)
    {
        var userId = http.User.GetUserId();
        var session = request?.SessionId is { } id
            ? await db.Sessions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id && s.UserId == userId, cancellationToken)
            : await sessions.FindActiveAsync(userId, cancellationToken);
        if (session is null)
        {
            return RequestException.NotFound("Session not found",
                request?.SessionId is { } missing ? $"There is no session {missing}." : "There is no active session.").ToProblem();
        }
        var ended = await sessions.EndAsync(session.Id, EndReason.EndedByUser, cancellationToken);
        return TypedResults.Ok(new EndResponse(session.Id, ended, "ended"));
    }

    public static async Task<Results<Ok<List<SessionView>>, ValidationProblem>> ListSessions(int? limit, HttpContext http, ChatDbContext db, CancellationToken cancellationToken)
    {
        if (new Validation().Range("limit", limit, 1, 100) is { IsValid: false } invalid)
        {
            return invalid.ToProblem();
        }
        var userId = http.User.GetUserId();
        var sessions = await db.Sessions.AsNoTracking()
            .Where(s => s.UserId == userId)
            .OrderByDescending(s => s.StartedAt)
            .Take(limit ?? 20)
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(sessions.Select(SessionView.From).ToList());
    }

    public static async Task<Results<Ok<SessionDetails>, ProblemHttpResult>> GetSession(Guid id, HttpContext http, ChatDbContext db, CancellationToken cancellationToken)
    {
        var userId = http.User.GetUserId();
        var session = await db.Sessions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id && s.UserId == userId, cancellationToken);
        if (session is null)
        {
            return Problems.NotFound("Session", id);
        }
        var messages = await db.Messages.AsNoTracking()
            .Where(m => m.SessionId == id && m.UserId == userId)
            .OrderBy(m => m.Sequence)
            .ToListAsync(cancellationToken);
        return TypedResults.Ok(new SessionDetails(SessionView.From(session), messages.Select(MessageView.From).ToList()));
    }
}

/// <summary>The caller's raw bearer token, forwarded to Goals so it scopes the assistant's calls to this user.</summary>
public static class BearerToken
{
    public static string Of(HttpContext http)
    {
        if (AuthenticationHeaderValue.TryParse(http.Request.Headers.Authorization, out var header) && header.Scheme == "Bearer" && header.Parameter is { } token)
        {
            return token;
        }
        throw new InvalidOperationException("An authenticated request without a bearer token.");
    }
}
