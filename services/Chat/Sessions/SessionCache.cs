using System.Text.Json;
using Aimi.Chat.Api.Domain;
using StackExchange.Redis;

namespace Aimi.Chat.Api.Sessions;

/// <summary>One message as the orchestrator sees it; <paramref name="Metadata"/> carries the turn's tool calls and their outcomes.</summary>
public sealed record CachedMessage(Guid Id, MessageRole Role, string Content, DateTimeOffset At, string Metadata = "{}");

/// <summary>
/// The Redis session cache: the last 30 messages of the active session, so a reply never waits on PostgreSQL for
/// its history. PostgreSQL stays the source of truth: a miss, an unreachable or a slow Redis falls back to the database,
/// so a Redis restart or stall loses nothing and never fails a turn.
/// </summary>
public sealed partial class SessionCache(IConnectionMultiplexer redis, ILogger<SessionCache> logger)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(1);

    private static RedisKey MessagesKey(Guid sessionId) => $"aimi:chat:session:{sessionId}:messages";

    /// <summary>The cached history, or null on a miss or when Redis failed (the caller reads the database).</summary>
    public async Task<IReadOnlyList<CachedMessage>?> GetAsync(Guid sessionId)
    {
        try
        {
            var values = await redis.GetDatabase().ListRangeAsync(MessagesKey(sessionId));
            return values.Length == 0 ? null : values.Select(v => JsonSerializer.Deserialize<CachedMessage>((string)v!)!).ToList();
        }
        catch (Exception e) when (IsCacheFailure(e))
        {
            LogReadFailed(logger, e, sessionId);
            return null;
        }
    }

    public Task AppendAsync(Guid sessionId, params CachedMessage[] messages) => WriteAsync(sessionId, messages, replace: false);

    /// <summary>Replaces the cached history (after a miss, from the database).</summary>
    public Task FillAsync(Guid sessionId, IReadOnlyList<CachedMessage> messages) => WriteAsync(sessionId, [.. messages], replace: true);

    public async Task ClearAsync(Guid sessionId)
    {
        try
        {
            await redis.GetDatabase().KeyDeleteAsync(MessagesKey(sessionId));
        }
        catch (Exception e) when (IsCacheFailure(e))
        {
            LogClearFailed(logger, e, sessionId);
        }
    }

    // One batch, so a refill's delete and push reach Redis together, in order.
    private async Task WriteAsync(Guid sessionId, CachedMessage[] messages, bool replace)
    {
        var key = MessagesKey(sessionId);
        try
        {
            var batch = redis.GetDatabase().CreateBatch();
            var writes = new List<Task>();
            if (replace)
            {
                writes.Add(batch.KeyDeleteAsync(key));
            }
            if (messages.Length > 0)
            {
                writes.Add(batch.ListRightPushAsync(key, messages.Select(m => (RedisValue)JsonSerializer.Serialize(m)).ToArray()));
                writes.Add(batch.ListTrimAsync(key, -ChatSession.MessageLimit, -1));
                writes.Add(batch.KeyExpireAsync(key, Ttl));
            }
            batch.Execute();
            await Task.WhenAll(writes);
        }
        catch (Exception e) when (IsCacheFailure(e))
        {
            // A timeout says nothing about whether the push happened: a list that may lack this message must not be
            // read as the history. Drop it (without waiting on a Redis that is failing); the next read rebuilds it.
            LogWriteFailed(logger, e, sessionId);
            try
            {
                redis.GetDatabase().KeyDelete(key, CommandFlags.FireAndForget);
            }
            catch (Exception again) when (IsCacheFailure(again))
            {
                // Not even queued: the history's count check (ChatSessions.HistoryAsync) still keeps the gap from being read.
            }
        }
    }

    /// <summary>
    /// What a failing cache throws: a Redis error or lost connection (<see cref="RedisException"/>), a timeout
    /// (<see cref="RedisTimeoutException"/> is a <see cref="TimeoutException"/>, not a RedisException), or a multiplexer
    /// being disposed at shutdown. Cancellation is not among them.
    /// </summary>
    // A cache never fails a turn: whatever the client throws (its own exceptions, a timeout, a pipe read after the
    // connection was torn down, the cancellation of commands queued on a dropped connection: no method here takes a
    // caller's token) means the database answers instead.
    private static bool IsCacheFailure(Exception e) => e is not OutOfMemoryException;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis session cache failed reading session {SessionId}; using the database")]
    private static partial void LogReadFailed(ILogger logger, Exception exception, Guid sessionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis session cache failed writing session {SessionId}; its cached history is dropped and rebuilt from the database")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, Guid sessionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis session cache failed clearing session {SessionId}")]
    private static partial void LogClearFailed(ILogger logger, Exception exception, Guid sessionId);
}
