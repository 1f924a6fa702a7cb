using Aimi.Memory.Api.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aimi.Memory.Api.Workers;

public sealed class CleanupOptions
{
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);
    /// <summary>Notes (intents, outcomes).</summary>
    public TimeSpan NoteLifetime { get; set; } = TimeSpan.FromDays(180);
    /// <summary>A state ("I'm tired") is about now, not forever.</summary>
    public TimeSpan StateLifetime { get; set; } = TimeSpan.FromDays(14);
    /// <summary>Graph weights halve over this time without mentions.</summary>
    public TimeSpan WeightHalfLife { get; set; } = TimeSpan.FromDays(30);
}

public sealed record CleanupResult(bool Ran, int Expired, int DecayedNodes, int DecayedEdges, int UsersWithStats);

/// <summary>
/// Cleanup: deactivates stale memories by kind and age, decays graph weights, recomputes statistics. One replica runs a
/// pass at a time (a transaction-scoped advisory lock); the others skip it.
/// </summary>
public sealed partial class CleanupWorker(IServiceScopeFactory scopes, TimeProvider time, IOptions<CleanupOptions> options, ILogger<CleanupWorker> logger)
    : BackgroundService
{
    /// <summary>The advisory lock key ("memory-cleanup").</summary>
    public const long LockKey = 0x6D656D_636C6E;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<CleanupResult> RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MemoryDbContext>();
        var settings = options.Value;
        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var locked = await db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_xact_lock({LockKey}) AS \"Value\"").SingleAsync(cancellationToken);
        if (!locked)
        {
            return new CleanupResult(false, 0, 0, 0, 0);
        }

        var expired = await db.Database.ExecuteSqlAsync($"""
            UPDATE memories SET is_active = false, valid_to = COALESCE(valid_to, {now})
            WHERE is_active AND (
                (kind = 'note' AND valid_from < {now - settings.NoteLifetime})
                OR (kind = 'fact' AND predicate = 'feels' AND valid_from < {now - settings.StateLifetime}))
            """, cancellationToken);

        // weight · 0.5^(elapsed / half-life) since the last decay; a floor keeps a node reachable.
        var halfLife = settings.WeightHalfLife.TotalSeconds;
        var nodes = await db.Database.ExecuteSqlAsync($"""
            UPDATE graph_nodes SET weight = GREATEST(0.01, weight * power(0.5, EXTRACT(EPOCH FROM ({now} - decayed_at)) / {halfLife})), decayed_at = {now}
            WHERE decayed_at < {now}
            """, cancellationToken);
        var edges = await db.Database.ExecuteSqlAsync($"""
            UPDATE graph_edges SET weight = GREATEST(0.01, weight * power(0.5, EXTRACT(EPOCH FROM ({now} - decayed_at)) / {halfLife})), decayed_at = {now}
            WHERE decayed_at < {now}
            """, cancellationToken);

        var users = await db.Memories.Select(m => m.UserId).Union(db.Nodes.Select(n => n.UserId)).Distinct().ToListAsync(cancellationToken);
        var calculator = scope.ServiceProvider.GetRequiredService<StatsCalculator>();
        foreach (var user in users)
        {
            await calculator.RecomputeAsync(user, now, cancellationToken);
        }
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogPass(logger, expired, nodes, edges, users.Count);
        return new CleanupResult(true, expired, nodes, edges, users.Count);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Cleanup pass failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cleanup: {Expired} memories expired, {Nodes} nodes and {Edges} edges decayed, statistics of {Users} users")]
    private static partial void LogPass(ILogger logger, int expired, int nodes, int edges, int users);
}
