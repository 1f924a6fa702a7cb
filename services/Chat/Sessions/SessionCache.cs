using System.Text.Json;
using Aimi.Chat.Api.Domain;
using StackExchange.Redis;

namespace Aimi.Chat.Api.Sessions;

/// <summary>One message as the orchestrator sees it.</summary>
public sealed record CachedMessage(Guid Id, MessageRole Role, string Content, DateTimeOffset At);

/// <summary>
/// The Redis session cache: the last 30 messages of the active session, so a reply never waits on PostgreSQL for
/// its history. PostgreSQL stays the source of truth: a miss or an unreachable Redis falls back to the database, so
/// a Redis restart loses nothing.
/// </summary>
public sealed partial class SessionCache(IConnectionMultiplexer redis, ILogger<SessionCache> logger)
{
    private static readonly TimeSpan Ttl = TimeSpan.FromHours(1);

    private static RedisKey MessagesKey(Guid sessionId) => $"aimi:chat:session:{sessionId}:messages";

    public async Task<IReadOnlyList<CachedMessage>?> GetAsync(Guid sessionId)
    {
        try
        {
            var values = await redis.GetDatabase().ListRangeAsync(MessagesKey(sessionId));
            return values.Length == 0 ? null : values.Select(v => JsonSerializer.Deserialize<CachedMessage>((string)v!)!).ToList();
        }
        catch (RedisException e)
        {
            LogUnavailable(logger, e);
            return null;
        }
    }

    public async Task AppendAsync(Guid sessionId, params CachedMessage[] messages)
    {
        try
        {
            var db = redis.GetDatabase();
            var key = MessagesKey(sessionId);
            var batch = db.CreateBatch();
            var push = batch.ListRightPushAsync(key, messages.Select(m => (RedisValue)JsonSerializer.Serialize(m)).ToArray());
            var trim = batch.ListTrimAsync(key, -ChatSession.MessageLimit, -1);
            var expire = batch.KeyExpireAsync(key, Ttl);
            batch.Execute();
            await Task.WhenAll(push, trim, expire);
        }
        catch (RedisException e)
        {
            LogUnavailable(logger, e);
        }
    }

    /// <summary>Replaces the cached history (after a miss, from the database).</summary>
    public async Task FillAsync(Guid sessionId, IReadOnlyList<CachedMessage> messages)
    {
        await ClearAsync(sessionId);
        if (messages.Count > 0)
        {
            await AppendAsync(sessionId, [.. messages]);
        }
    }

    public async Task ClearAsync(Guid sessionId)
    {
        try
        {
            await redis.GetDatabase().KeyDeleteAsync(MessagesKey(sessionId));
        }
        catch (RedisException e)
        {
            LogUnavailable(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis session cache unavailable; using the database")]
    private static partial void LogUnavailable(ILogger logger, Exception exception);
}
