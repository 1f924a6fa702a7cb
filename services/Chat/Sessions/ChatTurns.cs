using Aimi.Persistence;
using System.Text.Json;
using Aimi.Chat.Api.Clients;
using Aimi.Chat.Api.Data;
using Aimi.Chat.Api.Domain;
using Aimi.Chat.Api.Orchestration;
using Aimi.Messaging;
using Aimi.ServiceDefaults;
using Aimi.ServiceDefaults.Errors;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Chat.Api.Sessions;

public sealed record SendRequest(string? Content, string? ClientMessageId, Guid? SessionId);

/// <summary>A stored message; <c>clientMessageId</c> is the sender's own id, so a client can match history with what it sent.</summary>
public sealed record MessageView(Guid Id, Guid SessionId, string Role, string Content, DateTimeOffset CreatedAt, JsonElement Metadata, string? ClientMessageId)
{
    public static MessageView From(ChatMessage m) =>
        new(m.Id, m.SessionId, WireName.Of(m.Role), m.Content, m.CreatedAt, JsonDocument.Parse(m.Metadata).RootElement.Clone(), m.ClientMessageId);
}

public sealed record SendResult(Guid SessionId, MessageView Message, MessageView Reply, bool SessionEnded, string? EndReason, bool Duplicate);

/// <summary>
/// One turn of the conversation, the same for REST and WebSocket: the message is stored first (database and cache) and
/// acknowledged, then the orchestrator answers, the reply is stored like any message, and the session ends on a
/// goodbye or at its 30th message. A client message id makes a resend return the first answer.
/// </summary>
public sealed class ChatTurns(
    ChatDbContext db,
    ChatSessions sessions,
    StartingContextAssembler contexts,
    MemoryClient memory,
    ConversationOrchestrator orchestrator,
    TurnBudget budget,
    TurnLeases leases,
    TimeProvider time)
{
    /// <summary>
    /// When Redis cannot tell whether a stored message without a reply is being answered (<see cref="TurnLeases"/>): younger than
    /// this it is taken to be still in progress; older, its turn died and is answered again.
    /// </summary>
    public static readonly TimeSpan InFlightWindow = TimeSpan.FromMinutes(2);

    /// <summary>
    /// A client message's earlier copy, compiled once as every turn looks for one: EF Core otherwise walks, hashes and looks up a
    /// LINQ query's expression on each run, about 0.1 ms of CPU (issue 17).
    /// </summary>
    private static readonly Func<ChatDbContext, string, string, CancellationToken, Task<ChatMessage?>> MessageByClientIdQuery = EF.CompileAsyncQuery(
        (ChatDbContext db, string userId, string clientMessageId, CancellationToken _) =>
            db.Messages.AsNoTracking().SingleOrDefault(m => m.UserId == userId && m.ClientMessageId == clientMessageId));

    public async Task<SendResult> SendAsync(
        string userId, string token, SendRequest request, Func<ChatMessage, Task>? onAccepted, Func<string, Task>? onDelta, CancellationToken cancellationToken)
    {
        var content = Validate(request);
        var clientMessageId = string.IsNullOrWhiteSpace(request.ClientMessageId) ? null : request.ClientMessageId.Trim();

        var earlier = clientMessageId is null ? null
            : await MessageByClientIdQuery(db, userId, clientMessageId, cancellationToken);

        // Whoever answers a client message holds its lease while the turn runs: a resend meets it (still being answered:
        // answering it twice would run its tools twice), or claims it (the first copy died with its request or process).
        await using var lease = clientMessageId is null ? TurnLease.Unknown : await leases.ClaimAsync(userId, clientMessageId);
        // The reply is looked for once the lease is claimed: a first copy that stored its reply and let go of the lease between
        // the two reads is found answered here, not answered again.
        if (earlier is not null && await db.Messages.AsNoTracking().SingleOrDefaultAsync(m => m.ReplyToId == earlier.Id, cancellationToken) is { } earlierReply)
        {
            var earlierSession = await db.Sessions.AsNoTracking().SingleAsync(s => s.Id == earlier.SessionId, cancellationToken);
            return new SendResult(earlier.SessionId, MessageView.From(earlier), MessageView.From(earlierReply),
                earlierSession.Status == SessionStatus.Ended, earlierSession.EndReason is { } r ? WireName.Of(r) : null, Duplicate: true);
        }
        if (lease.State == TurnLeaseState.HeldElsewhere
            || (lease.State == TurnLeaseState.Unknown && earlier is not null && time.GetUtcNow() - earlier.CreatedAt < InFlightWindow))
        {
            throw MessageInProgress();
        }

        // A new turn (not a resend of one already answered or running) takes from the user's budget before anything is stored.
        if (await budget.TryTakeAsync(userId, cancellationToken) is { } retryAfter)
        {
            throw RequestException.TooManyRequests("Too many messages",
                "You have sent more messages in the last minute than the assistant answers for one person.", retryAfter);
        }

        var (session, isNew) = earlier is not null
            ? (await db.Sessions.AsNoTracking().SingleAsync(s => s.Id == earlier.SessionId, cancellationToken), false)
            : await SessionForAsync(userId, request.SessionId, cancellationToken);
        // Stored before anything else, so a failure further on never loses what the user said.
        var message = earlier ?? await StoreOnceAsync(() => sessions.AppendAsync(session, MessageRole.User, content, clientMessageId, null, "{}", cancellationToken));
        if (message is null)
        {
            // The session ended between reading and writing (idle sweep on another replica): start afresh once.
            (session, isNew) = await sessions.GetOrStartAsync(userId, cancellationToken);
            message = await StoreOnceAsync(() => sessions.AppendAsync(session, MessageRole.User, content, clientMessageId, null, "{}", cancellationToken))
                ?? throw RequestException.Conflict("Session ended", "The session ended while the message was being stored; send it again.");
        }
        if (onAccepted is not null)
        {
            await onAccepted(message);
        }

        // What memory recalls for this message, fetched while the rest is gathered (short deadline; null without Memory).
        var recall = memory.GetContextAsync(token, message.Content, session.Id, cancellationToken);

        // A session's first message assembles the starting context, after the message is safe and acknowledged.
        var context = StartingContext.FromJson(session.StartingContext);
        if (context is null)
        {
            context = await contexts.AssembleAsync(token, cancellationToken);
            await sessions.SaveContextAsync(session, context.ToJson(), cancellationToken);
        }

        var history = await sessions.HistoryAsync(session, cancellationToken);
        var turn = new TurnContext(userId, token, session.Id, message, context, history.Where(h => h.Id != message.Id).ToList(), isNew, await recall);
        var answer = await orchestrator.ReplyAsync(turn, onDelta, cancellationToken);

        var metadata = answer.MetadataJson();
        // The user's message gets the turn's metadata too (what it led to), in the reply's transaction.
        var reply = await StoreOnceAsync(() => sessions.AppendAsync(
            session, MessageRole.Assistant, answer.Text, null, message.Id, metadata, cancellationToken, annotateReplyTo: answer.ToolCalls.Count > 0));
        if (reply is null)
        {
            throw RequestException.Conflict("Session ended", "The session ended before the reply was stored.");
        }

        EndReason? end = answer.EndSession ? EndReason.Goodbye
            : session.MessageCount >= ChatSession.MessageLimit ? EndReason.MessageLimit
            : null;
        var ended = end is { } reason && await sessions.EndAsync(session.Id, reason, cancellationToken);
        return new SendResult(session.Id, MessageView.From(message), MessageView.From(reply), ended, ended ? WireName.Of(end!.Value) : null, Duplicate: false);
    }

    // Two copies of one client message racing: the unique indexes let one through; the other is told to ask again,
    // and that retry then returns the first one's answer.
    private static async Task<ChatMessage?> StoreOnceAsync(Func<Task<ChatMessage?>> store)
    {
        try
        {
            return await store();
        }
        catch (Exception e) when (e.IsUniqueViolation())
        {
            throw MessageInProgress();
        }
    }

    private static RequestException MessageInProgress() => RequestException.Conflict("Message in progress",
        "This message is already being answered; send it again with the same clientMessageId to get the answer.");

    private async Task<(ChatSession Session, bool IsNew)> SessionForAsync(string userId, Guid? sessionId, CancellationToken cancellationToken)
    {
        if (sessionId is { } id)
        {
            var named = await db.Sessions.AsNoTracking().SingleOrDefaultAsync(s => s.Id == id && s.UserId == userId, cancellationToken)
                ?? throw RequestException.NotFound("Session not found", $"There is no session {id}.");
            if (named.Status == SessionStatus.Ended || time.GetUtcNow() - named.LastActivityAt >= ChatSession.IdleTimeout)
            {
                throw RequestException.Conflict("Session ended", $"Session {id} has ended; send without a sessionId to start a new one.");
            }
            return (named, false);
        }
        return await sessions.GetOrStartAsync(userId, cancellationToken);
    }

    private static string Validate(SendRequest request)
    {
        if (request.Content is { Length: > ChatMessage.MaxContentLength })
        {
            throw RequestException.TooLarge("content", $"A message may be at most {ChatMessage.MaxContentLength} characters (got {request.Content.Length}).");
        }
        new Validation()
            .Text("content", request.Content, ChatMessage.MaxContentLength, required: true)
            .Text("clientMessageId", request.ClientMessageId, 100, required: false)
            .ThrowIfInvalid();
        return request.Content!.Trim();
    }
}
