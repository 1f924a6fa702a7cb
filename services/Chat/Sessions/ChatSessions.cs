using Aimi.Chat.Api.Data;
using Aimi.Chat.Api.Domain;
using Aimi.Contracts.Chat;
using Aimi.Messaging;
using Aimi.ServiceDefaults;
using Aimi.ServiceDefaults.Errors;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Chat.Api.Sessions;

/// <summary>
/// Sessions and their messages in PostgreSQL (the source of truth) mirrored into the Redis cache. Safe with any number
/// of replicas: one active session per user is a unique index, and ending is a conditional update, so a session is
/// ended (and announced) exactly once whoever tries.
/// </summary>
public sealed partial class ChatSessions(ChatDbContext db, SessionCache cache, OutboxNotifyInterceptor outbox, TimeProvider time, ILogger<ChatSessions> logger)
{
    private readonly List<Func<Task>> _afterCommit = [];

    // Sessions are read untracked: their counters change only through the atomic updates below.
    public Task<ChatSession?> FindActiveAsync(string userId, CancellationToken cancellationToken) => ActiveSessionQuery(db, userId, cancellationToken);

    /// <summary>Compiled once, as every turn reads it (issue 17: EF Core otherwise walks and hashes a LINQ query's expression each run).</summary>
    private static readonly Func<ChatDbContext, string, CancellationToken, Task<ChatSession?>> ActiveSessionQuery = EF.CompileAsyncQuery(
        (ChatDbContext db, string userId, CancellationToken _) => db.Sessions.AsNoTracking().SingleOrDefault(s => s.UserId == userId && s.Status == SessionStatus.Active));

    /// <summary>The user's active session, a fresh one if there is none or the last went idle.</summary>
    public async Task<(ChatSession Session, bool IsNew)> GetOrStartAsync(string userId, CancellationToken cancellationToken)
    {
        var active = await FindActiveAsync(userId, cancellationToken);
        var now = time.GetUtcNow();
        if (active is not null && now - active.LastActivityAt < ChatSession.IdleTimeout)
        {
            return (active, false);
        }
        if (active is not null)
        {
            await EndAsync(active.Id, EndReason.Idle, cancellationToken);
        }

        // An account being erased starts no conversation until every service is done; afterwards it is a fresh one.
        if (await db.IsErasedAsync(userId, now, cancellationToken))
        {
            throw RequestException.Conflict("Account erasure in progress", "This account is being erased; it can chat again once that is done.");
        }

        // INSERT … ON CONFLICT rather than catching the unique violation: inside a consumer's transaction a failed
        // statement would abort the whole transaction. A concurrent start (another request, another replica) wins; join it.
        var id = Guid.CreateVersion7(now);
        var inserted = await db.Database.ExecuteSqlAsync($"""
            INSERT INTO chat_sessions (id, user_id, status, started_at, last_activity_at, message_count, starting_context)
            VALUES ({id}, {userId}, 'active', {now}, {now}, 0, {"{}"}::jsonb)
            ON CONFLICT (user_id) WHERE status = 'active' DO NOTHING
            """, cancellationToken);
        if (inserted == 1)
        {
            await AfterCommitAsync(() => cache.ClearAsync(id));
            return (new ChatSession { Id = id, UserId = userId, StartedAt = now, LastActivityAt = now }, true);
        }
        var winner = await FindActiveAsync(userId, cancellationToken)
            ?? throw new InvalidOperationException($"The active session of {userId} ended while another request started it; try again.");
        return (winner, false);
    }

    /// <summary>
    /// Appends to the user's active session, starting one if none is open; if the session ends between finding and
    /// writing (idle sweep, another replica), the message goes into a fresh session rather than being lost.
    /// </summary>
    public async Task<(ChatSession Session, ChatMessage Message)> AppendToActiveAsync(
        string userId, MessageRole role, string content, string metadata, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 2; attempt++)
        {
            var (session, _) = await GetOrStartAsync(userId, cancellationToken);
            if (await AppendAsync(session, role, content, null, null, metadata, cancellationToken) is { } message)
            {
                return (session, message);
            }
        }
        throw new InvalidOperationException($"Sessions of {userId} kept ending while a message was being stored; the message will be retried.");
    }

    public async Task SaveContextAsync(ChatSession session, string startingContext, CancellationToken cancellationToken)
    {
        session.StartingContext = startingContext;
        await db.Sessions.Where(s => s.Id == session.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(s => s.StartingContext, startingContext), cancellationToken);
    }

    /// <summary>
    /// Stores a message, counts it against its session and announces it (<see cref="ChatMessageRecorded"/>) in one statement: one
    /// round trip, atomic on its own (inside a consumer's transaction, part of it). Returns null when the session ended in the
    /// meantime (idle sweep, another replica), so the caller can start a new one; then nothing is written.
    /// </summary>
    /// <param name="annotateReplyTo">When set, the replied-to message gets the same metadata in the same statement.</param>
    public async Task<ChatMessage?> AppendAsync(
        ChatSession session, MessageRole role, string content, string? clientMessageId, Guid? replyTo, string metadata, CancellationToken cancellationToken,
        bool annotateReplyTo = false)
    {
        var now = time.GetUtcNow();
        var message = new ChatMessage
        {
            Id = Guid.CreateVersion7(now),
            SessionId = session.Id,
            UserId = session.UserId,
            Role = role,
            Content = content,
            ClientMessageId = clientMessageId,
            ReplyToId = replyTo,
            Metadata = metadata,
            CreatedAt = now,
        };
        var roleName = WireName.Of(role);
        var annotate = annotateReplyTo && replyTo is not null;
        // Memory classifies and remembers it; a row of the outbox, written only if the message is.
        var recorded = OutboxDbContextExtensions.OutboxRow(new ChatMessageRecorded
        {
            MessageId = message.Id,
            SessionId = session.Id,
            UserId = session.UserId,
            Role = roleName,
            Content = content,
            At = now,
            OccurredAt = now,
            Remember = Orchestration.OrchestratorAnswer.Remembers(metadata),
        }, now);

        // Each part runs only if the session is still active and counts the message. One statement needs no transaction around it:
        // the outbox row's own INSERT and the COMMIT were two more round trips an append, four of a turn's ~21 statements (issue 17).
        var inserted = await db.ScalarsAsync<long>($"""
            WITH counted AS (
                UPDATE chat_sessions SET message_count = message_count + 1, last_activity_at = {now}
                WHERE id = {session.Id} AND status = 'active'
                RETURNING id),
            annotated AS (
                UPDATE chat_messages SET metadata = chat_messages.metadata || {metadata}::jsonb
                WHERE {annotate}::boolean AND id = {replyTo}::uuid AND EXISTS (SELECT 1 FROM counted)),
            announced AS (
                INSERT INTO outbox_messages (id, message_type, payload, created_at, attempts, trace_parent, trace_state)
                SELECT {recorded.Id}::uuid, {recorded.MessageType}::text, {recorded.Payload}::jsonb, {recorded.CreatedAt}::timestamptz, 0,
                       {recorded.TraceParent}::text, {recorded.TraceState}::text
                FROM counted)
            INSERT INTO chat_messages (id, session_id, user_id, role, content, client_message_id, reply_to_id, metadata, created_at)
            SELECT {message.Id}::uuid, counted.id, {session.UserId}::text, {roleName}::text, {content}::text, {clientMessageId}::text, {replyTo}::uuid,
                   {metadata}::jsonb, {now}::timestamptz
            FROM counted
            RETURNING sequence
            """, cancellationToken);
        if (inserted.Count == 0)
        {
            return null;
        }
        outbox.Wrote(db);

        session.MessageCount++;
        session.LastActivityAt = now;
        await AfterCommitAsync(() => cache.AppendAsync(session.Id, ToCached(message)));
        return message;
    }

    /// <summary>
    /// The last messages of the session, from the cache when it holds as many as the session counts, else from the
    /// database (refilling the cache). A cache write that failed (Redis down or timing out) leaves the list short, and a
    /// short list is never read as the history.
    /// </summary>
    public async Task<IReadOnlyList<CachedMessage>> HistoryAsync(ChatSession session, CancellationToken cancellationToken)
    {
        var sessionId = session.Id;
        if (await cache.GetAsync(sessionId) is { } cached && cached.Count == Math.Min(session.MessageCount, ChatSession.MessageLimit))
        {
            return cached;
        }
        var recent = await db.Messages.AsNoTracking()
            .Where(m => m.SessionId == sessionId)
            .OrderByDescending(m => m.Sequence)
            .Take(ChatSession.MessageLimit)
            .ToListAsync(cancellationToken);
        var history = recent.AsEnumerable().Reverse().Select(ToCached).ToList();
        await cache.FillAsync(sessionId, history);
        return history;
    }

    /// <summary>
    /// Ends an active session and announces it with its transcript, in one transaction. Returns false when it was not
    /// active (already ended by someone else), or, with <paramref name="idleSince"/>, when it saw activity after that.
    /// </summary>
    public async Task<bool> EndAsync(Guid sessionId, EndReason reason, CancellationToken cancellationToken, DateTimeOffset? idleSince = null)
    {
        var now = time.GetUtcNow();
        await using var transaction = await BeginUnlessInTransactionAsync(cancellationToken);
        var ended = await db.Sessions
            .Where(s => s.Id == sessionId && s.Status == SessionStatus.Active && (idleSince == null || s.LastActivityAt < idleSince))
            .ExecuteUpdateAsync(u => u
                .SetProperty(s => s.Status, SessionStatus.Ended)
                .SetProperty(s => s.EndedAt, now)
                .SetProperty(s => s.EndReason, reason), cancellationToken);
        if (ended == 0)
        {
            return false;
        }

        var session = await db.Sessions.AsNoTracking().SingleAsync(s => s.Id == sessionId, cancellationToken);
        var transcript = await db.Messages.AsNoTracking()
            .Where(m => m.SessionId == sessionId)
            .OrderBy(m => m.Sequence)
            .Select(m => new TranscriptLine { MessageId = m.Id, Role = WireName.Of(m.Role), Content = m.Content, At = m.CreatedAt, Metadata = m.Metadata })
            .ToListAsync(cancellationToken);
        // A forget turn's messages (the request, annotated with the turn's metadata, and the reply) are not for Memory to keep.
        transcript = transcript.Select(t => Orchestration.OrchestratorAnswer.Remembers(t.Metadata) ? t : t with { Remember = false }).ToList();
        db.AddOutboxMessage(new ChatSessionEnded
        {
            SessionId = sessionId,
            UserId = session.UserId,
            Reason = WireName.Of(reason),
            StartedAt = session.StartedAt,
            EndedAt = now,
            MessageCount = session.MessageCount,
            Transcript = transcript,
            OccurredAt = now,
        }, now);
        await db.SaveChangesAsync(cancellationToken);
        await CommitIfOwnedAsync(transaction, cancellationToken);

        await AfterCommitAsync(() => cache.ClearAsync(sessionId));
        LogEnded(logger, sessionId, reason, session.MessageCount);
        return true;
    }

    /// <summary>Runs the cache writes a caller's transaction held back, once it committed (a consumer's <c>AfterCommitAsync</c>).</summary>
    public async Task FlushCacheAsync()
    {
        var pending = _afterCommit.ToList();
        _afterCommit.Clear();
        foreach (var write in pending)
        {
            await write();
        }
    }

    // The database is the record and the cache follows commits: inside a caller's transaction (a consumer's) a cache
    // write waits for FlushCacheAsync, so a rollback never leaves a phantom message in Redis.
    private async Task AfterCommitAsync(Func<Task> cacheWrite)
    {
        if (db.Database.CurrentTransaction is null)
        {
            await cacheWrite();
        }
        else
        {
            _afterCommit.Add(cacheWrite);
        }
    }

    public static CachedMessage ToCached(ChatMessage m) => new(m.Id, m.Role, m.Content, m.CreatedAt, m.Metadata);

    // A consumer calls in inside its idempotency transaction: join it rather than nest one.
    private async Task<Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction?> BeginUnlessInTransactionAsync(CancellationToken cancellationToken) =>
        db.Database.CurrentTransaction is null ? await db.Database.BeginTransactionAsync(cancellationToken) : null;

    private static async Task CommitIfOwnedAsync(Microsoft.EntityFrameworkCore.Storage.IDbContextTransaction? transaction, CancellationToken cancellationToken)
    {
        if (transaction is not null)
        {
            await transaction.CommitAsync(cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Chat session {SessionId} ended ({Reason}) after {MessageCount} message(s)")]
    private static partial void LogEnded(ILogger logger, Guid sessionId, EndReason reason, int messageCount);
}
