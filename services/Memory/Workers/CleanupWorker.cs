using Aimi.Memory.Api.Data;
using Aimi.ServiceDefaults.Workers;
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
/// pass at a time (a session-scoped advisory lock held for the pass); the others skip it. The pass works in small
/// transactions (each statement, then one user's statistics at a time), so it never holds one user's rows while it
/// works through everyone else's, and what it finished stays done if it stops half-way.
/// </summary>
public sealed partial class CleanupWorker(IServiceScopeFactory scopes, TimeProvider time, IOptions<CleanupOptions> options, ILogger<CleanupWorker> logger)
    : BackgroundLoop(time, logger)
{
    /// <summary>The advisory lock key ("memory-cleanup").</summary>
    public const long LockKey = 0x6D656D_636C6E;

    protected override string LoopName => "Memory cleanup";

    protected override async Task<LoopWait> RunPassAsync(CancellationToken stoppingToken)
    {
        await RunOnceAsync(stoppingToken);
        return LoopWait.For(options.Value.Interval);
    }

    public async Task<CleanupResult> RunOnceAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MemoryDbContext>();
        // One connection for the whole pass: the advisory lock belongs to its session.
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var locked = await db.Database.SqlQuery<bool>($"SELECT pg_try_advisory_lock({LockKey}) AS \"Value\"").SingleAsync(cancellationToken);
            if (!locked)
            {
                return new CleanupResult(false, 0, 0, 0, 0);
            }
            try
            {
                return await CleanAsync(db, scope.ServiceProvider.GetRequiredService<StatsCalculator>(), cancellationToken);
            }
            finally
            {
                await db.Database.SqlQuery<bool>($"SELECT pg_advisory_unlock({LockKey}) AS \"Value\"").SingleAsync(CancellationToken.None);
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private async Task<CleanupResult> CleanAsync(MemoryDbContext db, StatsCalculator calculator, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = Time.GetUtcNow();
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

        var users = await db.Memories.Select(m => m.UserId).Union(db.Nodes.Select(n => n.UserId)).Distinct().OrderBy(u => u).ToListAsync(cancellationToken);
        foreach (var user in users)
        {
            // One user's figures, one short transaction; none for a user being forgotten or erased meanwhile.
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            if (await db.AdmitAsync(user, now, cancellationToken))
            {
                await calculator.RecomputeAsync(user, now, cancellationToken);
                await db.SaveChangesAsync(cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
            db.ChangeTracker.Clear();
        }
        LogPass(logger, expired, nodes, edges, users.Count);
        return new CleanupResult(true, expired, nodes, edges, users.Count);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cleanup: {Expired} memories expired, {Nodes} nodes and {Edges} edges decayed, statistics of {Users} users")]
    private static partial void LogPass(ILogger logger, int expired, int nodes, int edges, int users);
}
