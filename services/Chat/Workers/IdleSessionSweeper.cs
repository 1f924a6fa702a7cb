using Aimi.Chat.Api.Data;
using Aimi.Chat.Api.Domain;
using Aimi.Chat.Api.Sessions;
using Aimi.ServiceDefaults.Workers;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Chat.Api.Workers;

public sealed class IdleSweepOptions
{
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);
    public int BatchSize { get; set; } = 100;
}

/// <summary>
/// Ends sessions idle for ten minutes. Runs in every replica: each candidate is ended by a conditional update that
/// only one replica can win, and only if no message arrived since the sweep looked, so nothing is ended twice.
/// </summary>
public sealed class IdleSessionSweeper(IServiceScopeFactory scopes, TimeProvider time, Microsoft.Extensions.Options.IOptions<IdleSweepOptions> options, ILogger<IdleSessionSweeper> logger)
    : BackgroundLoop(time, logger)
{
    protected override string LoopName => "Idle-session sweep";

    protected override async Task<LoopWait> RunPassAsync(CancellationToken stoppingToken)
    {
        // A full batch: more sessions are waiting to be ended.
        return await SweepAsync(stoppingToken) >= options.Value.BatchSize ? LoopWait.None : LoopWait.For(options.Value.Interval);
    }

    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatDbContext>();
        var sessions = scope.ServiceProvider.GetRequiredService<ChatSessions>();
        var cutoff = Time.GetUtcNow() - ChatSession.IdleTimeout;
        var idle = await db.Sessions.AsNoTracking()
            .Where(s => s.Status == SessionStatus.Active && s.LastActivityAt < cutoff)
            .OrderBy(s => s.LastActivityAt)
            .Select(s => s.Id)
            .Take(options.Value.BatchSize)
            .ToListAsync(cancellationToken);
        var ended = 0;
        foreach (var id in idle)
        {
            if (await sessions.EndAsync(id, EndReason.Idle, cancellationToken, idleSince: cutoff))
            {
                ended++;
            }
        }
        return ended;
    }
}
