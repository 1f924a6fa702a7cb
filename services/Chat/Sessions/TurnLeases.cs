using StackExchange.Redis;

namespace Aimi.Chat.Api.Sessions;

/// <summary>
/// Who is answering a client message right now: a short Redis lease per user and <c>clientMessageId</c>, renewed while the turn
/// runs and released when it ends, so a resend learns at once whether the first copy is still being answered or died with its
/// request or its process (a cut connection, kill -9). When Redis cannot tell, the caller keeps to the in-flight window.
/// </summary>
public sealed partial class TurnLeases(IConnectionMultiplexer redis, TimeProvider time, ILogger<TurnLeases> logger)
{
    /// <summary>How long a lease outlives a process that died holding it.</summary>
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(15);

    private const string RenewScript = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0";
    private const string ReleaseScript = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0";

    public static RedisKey Key(string userId, string clientMessageId) => $"aimi:chat:turn:{userId}:{clientMessageId}";

    public async Task<TurnLease> ClaimAsync(string userId, string clientMessageId)
    {
        var key = Key(userId, clientMessageId);
        var token = Guid.NewGuid().ToString("N");
        try
        {
            return await redis.GetDatabase().StringSetAsync(key, token, Ttl, When.NotExists)
                ? new TurnLease(TurnLeaseState.Claimed, RenewWhileRunning(key, token))
                : TurnLease.HeldElsewhere;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogUnknown(logger, e);
            return TurnLease.Unknown;
        }
    }

    // Renews until the turn ends, then releases (only its own lease: one that expired and was claimed again is left alone).
    // Disposing the timer ends the wait with false, so a turn's end is no exception (it was a cancelled wait, one a turn).
    private Func<Task> RenewWhileRunning(RedisKey key, string token)
    {
        var timer = new PeriodicTimer(Ttl / 3, time);
        var renewing = RenewAsync(timer, key, token);
        return async () =>
        {
            timer.Dispose();
            await renewing;
            await TryAsync(ReleaseScript, key, token, 0);
        };
    }

    private async Task RenewAsync(PeriodicTimer timer, RedisKey key, string token)
    {
        while (await timer.WaitForNextTickAsync())
        {
            await TryAsync(RenewScript, key, token, (long)Ttl.TotalMilliseconds);
        }
    }

    private async Task TryAsync(string script, RedisKey key, string token, long milliseconds)
    {
        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(script, [key], [token, milliseconds]);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Not renewed: a resend may run the turn again after the lease ran out. Not released: it runs out by itself.
            LogUnknown(logger, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis could not keep a turn's lease; resends fall back to the in-flight window")]
    private static partial void LogUnknown(ILogger logger, Exception exception);
}

public enum TurnLeaseState
{
    /// <summary>This request answers the message; nobody else does.</summary>
    Claimed,

    /// <summary>Another request (here or in another replica) is answering it now.</summary>
    HeldElsewhere,

    /// <summary>Redis did not answer: nobody knows.</summary>
    Unknown,
}

/// <summary>A claimed lease is released when disposed; the others hold nothing.</summary>
public sealed class TurnLease(TurnLeaseState state, Func<Task>? release = null) : IAsyncDisposable
{
    public static readonly TurnLease HeldElsewhere = new(TurnLeaseState.HeldElsewhere);
    public static readonly TurnLease Unknown = new(TurnLeaseState.Unknown);

    public TurnLeaseState State => state;

    public async ValueTask DisposeAsync()
    {
        if (release is not null)
        {
            await release();
        }
    }
}
