using System.Collections.Concurrent;
using System.Net.WebSockets;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Aimi.Chat.Api.Sessions;

/// <summary>How much chat one user may cause, across REST and every socket on every replica.</summary>
public sealed class ChatLimitsOptions
{
    /// <summary>Turns (messages answered by the model) per user per minute, REST and sockets together.</summary>
    public int TurnsPerMinute { get; set; } = 20;
    /// <summary>Open chat sockets per user; a new one closes the oldest.</summary>
    public int SocketsPerUser { get; set; } = 5;
}

/// <summary>
/// The per-user budget of chat turns, one for all replicas: a sliding minute kept in Redis (this minute's count plus the
/// last minute's, weighted by how much of it still lies in the window), checked and taken in one script so two replicas
/// cannot both take the last turn. A refused turn takes nothing. If Redis is unreachable, each replica keeps the same
/// budget on its own until it is back.
/// </summary>
public sealed partial class TurnBudget(IConnectionMultiplexer redis, TimeProvider time, IOptions<ChatLimitsOptions> options, ILogger<TurnBudget> logger)
{
    // KEYS: this minute, last minute. ARGV: the share of last minute still in the window, the limit, the key's lifetime.
    private const string TakeScript = """
        local current = tonumber(redis.call('GET', KEYS[1]) or '0')
        local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
        if previous * tonumber(ARGV[1]) + current + 1 > tonumber(ARGV[2]) then return 0 end
        redis.call('INCR', KEYS[1])
        redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
        return 1
        """;

    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> _local = new();

    /// <summary>Takes one turn from the user's budget; when it is spent, says how long until the next turn is likely free.</summary>
    public async Task<TimeSpan?> TryTakeAsync(string userId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var minute = now.ToUnixTimeSeconds() / 60;
        var intoMinute = now - DateTimeOffset.FromUnixTimeSeconds(minute * 60);
        var untilNextMinute = TimeSpan.FromMinutes(1) - intoMinute;
        try
        {
            var taken = (long)await redis.GetDatabase().ScriptEvaluateAsync(TakeScript,
                [Key(userId, minute), Key(userId, minute - 1)],
                [1 - intoMinute / TimeSpan.FromMinutes(1), options.Value.TurnsPerMinute, 120]).WaitAsync(cancellationToken);
            return taken == 1 ? null : Max(untilNextMinute, TimeSpan.FromSeconds(1));
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Any failure of the client (not the caller giving up): the budget is this replica's until Redis answers.
            LogRedisUnavailable(logger, e);
            return TakeLocally(userId, now);
        }
    }

    private static RedisKey Key(string userId, long minute) => $"aimi:chat:turns:{userId}:{minute}";

    private TimeSpan? TakeLocally(string userId, DateTimeOffset now)
    {
        var recent = _local.GetOrAdd(userId, _ => new Queue<DateTimeOffset>());
        lock (recent)
        {
            while (recent.Count > 0 && now - recent.Peek() >= TimeSpan.FromMinutes(1))
            {
                recent.Dequeue();
            }
            if (recent.Count >= options.Value.TurnsPerMinute)
            {
                return Max(recent.Peek() + TimeSpan.FromMinutes(1) - now, TimeSpan.FromSeconds(1));
            }
            recent.Enqueue(now);
            return null;
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unreachable; the chat turn budget is kept by this replica alone")]
    private static partial void LogRedisUnavailable(ILogger logger, Exception exception);
}

/// <summary>
/// At most <see cref="ChatLimitsOptions.SocketsPerUser"/> open chat sockets per user across replicas. Each open socket is
/// listed in Redis under its user in the order opened; opening one more closes the oldest, wherever it is, through a Redis
/// channel every replica listens on. Without Redis the limit holds per replica.
/// </summary>
public sealed partial class SocketLimiter : IDisposable
{
    public const string TooManySocketsReason = "too_many_sockets: a newer connection of yours replaced this one";
    private static readonly RedisChannel CloseChannel = RedisChannel.Literal("aimi:chat:sockets:close");
    private static readonly TimeSpan ListLifetime = TimeSpan.FromDays(1);

    // KEYS: the user's list. ARGV: the new socket, the limit, the list's lifetime. Numbers the socket after the newest (so
    // order never depends on clocks), and takes out and returns the oldest beyond the limit.
    private const string OpenScript = """
        local newest = redis.call('ZREVRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        local order = 1
        if newest[2] then order = tonumber(newest[2]) + 1 end
        redis.call('ZADD', KEYS[1], order, ARGV[1])
        redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
        local excess = redis.call('ZRANGE', KEYS[1], 0, -(tonumber(ARGV[2]) + 1))
        if #excess > 0 then redis.call('ZREM', KEYS[1], unpack(excess)) end
        return excess
        """;

    private readonly IConnectionMultiplexer _redis;
    private readonly ConnectionRegistry _registry;
    private readonly IOptions<ChatLimitsOptions> _options;
    private readonly ILogger<SocketLimiter> _logger;
    private readonly Lazy<Task> _subscribed;

    public SocketLimiter(IConnectionMultiplexer redis, ConnectionRegistry registry, IOptions<ChatLimitsOptions> options, ILogger<SocketLimiter> logger)
    {
        (_redis, _registry, _options, _logger) = (redis, registry, options, logger);
        _subscribed = new Lazy<Task>(() => _redis.GetSubscriber().SubscribeAsync(CloseChannel, (channel, value) =>
        {
            if (Guid.TryParse((string?)value, out var id) && _registry.Find(id) is { } connection)
            {
                _ = connection.CloseAsync(WebSocketCloseStatus.PolicyViolation, TooManySocketsReason, CancellationToken.None);
            }
        }));
    }

    private static RedisKey Key(string userId) => $"aimi:chat:sockets:{userId}";

    /// <summary>Counts a socket just opened; closes the user's oldest ones beyond the limit.</summary>
    public async Task OpenedAsync(ChatConnection connection)
    {
        var limit = _options.Value.SocketsPerUser;
        try
        {
            await _subscribed.Value;
            var excess = (RedisValue[]?)await _redis.GetDatabase().ScriptEvaluateAsync(OpenScript,
                [Key(connection.UserId)], [connection.Id.ToString(), limit, (long)ListLifetime.TotalSeconds]) ?? [];
            foreach (var id in excess)
            {
                await _redis.GetSubscriber().PublishAsync(CloseChannel, id);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogRedisUnavailable(_logger, e);
            foreach (var extra in _registry.OpenOf(connection.UserId).OrderByDescending(c => c.OpenedAt).Skip(limit))
            {
                _ = extra.CloseAsync(WebSocketCloseStatus.PolicyViolation, TooManySocketsReason, CancellationToken.None);
            }
        }
    }

    public async Task ClosedAsync(ChatConnection connection)
    {
        try
        {
            await _redis.GetDatabase().SortedSetRemoveAsync(Key(connection.UserId), connection.Id.ToString());
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogRedisUnavailable(_logger, e); // the entry expires with the list, or is the first closed when the user opens more
        }
    }

    public void Dispose()
    {
        if (_subscribed.IsValueCreated)
        {
            _redis.GetSubscriber().Unsubscribe(CloseChannel);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis is unreachable; the chat socket limit is kept by this replica alone")]
    private static partial void LogRedisUnavailable(ILogger logger, Exception exception);
}
