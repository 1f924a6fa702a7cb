using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Aimi.Gateway.Apis;

/// <summary>The account export's settings, bound from <c>Gateway:Export</c>.</summary>
public sealed class AccountExportOptions
{
    public const string Section = "Gateway:Export";

    /// <summary>Exports a user may start in any hour (each reads everything the user has, in every service).</summary>
    [Range(1, 1000)]
    public int PerHour { get; set; } = 3;

    /// <summary>How long a service may go without sending a byte of its export before the archive is given up.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// At most <see cref="AccountExportOptions.PerHour"/> exports per user in any hour (a sliding hour), kept in this gateway
/// replica's memory: with several replicas a user may get that many from each, which still bounds the work. An export that
/// failed is given back, so the user can try again at once.
/// </summary>
public sealed class ExportQuota(IOptions<AccountExportOptions> options, TimeProvider time)
{
    public static readonly TimeSpan Window = TimeSpan.FromHours(1);
    private const int SweepAbove = 10_000;

    private readonly Dictionary<string, List<DateTimeOffset>> _started = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Takes one of the user's exports for this hour: the moment taken, or null and how long until one is free.</summary>
    public DateTimeOffset? TryTake(string userId, out TimeSpan retryAfter)
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (_started.Count > SweepAbove)
            {
                foreach (var user in _started.Where(u => u.Value.All(at => at <= now - Window)).Select(u => u.Key).ToList())
                {
                    _started.Remove(user);
                }
            }
            var started = _started.TryGetValue(userId, out var list) ? list : _started[userId] = [];
            started.RemoveAll(at => at <= now - Window);
            if (started.Count >= options.Value.PerHour)
            {
                retryAfter = started.Min() + Window - now;
                return null;
            }
            started.Add(now);
            retryAfter = TimeSpan.Zero;
            return now;
        }
    }

    /// <summary>Gives back an export that produced no archive.</summary>
    public void Return(string userId, DateTimeOffset taken)
    {
        lock (_lock)
        {
            if (_started.TryGetValue(userId, out var started))
            {
                started.Remove(taken);
            }
        }
    }
}
