using Aimi.Memory.Api.Consumers;
using Aimi.Memory.Api.Domain;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Memory.Api.Data;

/// <summary>Goal success (done vs missed tasks of each goal) and reminder response rate, from the mirrored graph.</summary>
public sealed class StatsCalculator(MemoryDbContext db)
{
    public async Task<MemoryStats> ComputeAsync(string userId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var goals = await db.Nodes.AsNoTracking().Where(n => n.UserId == userId && n.Kind == NodeKind.Goal).ToListAsync(cancellationToken);
        var tasks = await db.Nodes.AsNoTracking().Where(n => n.UserId == userId && n.Kind == NodeKind.Task).ToDictionaryAsync(n => n.Id, cancellationToken);
        var links = await db.Edges.AsNoTracking().Where(e => e.UserId == userId && e.Label == EdgeLabels.Supports).ToListAsync(cancellationToken);
        var success = goals.Select(g =>
        {
            var own = links.Where(e => e.ToNodeId == g.Id && tasks.ContainsKey(e.FromNodeId)).Select(e => tasks[e.FromNodeId]).ToList();
            var done = own.Count(t => t.Status == EventChangedConsumer.Done);
            var missed = own.Count(t => t.Status == EventChangedConsumer.Missed);
            return new GoalSuccess(g.ExternalId ?? g.Id, g.Label, done, missed, done + missed == 0 ? null : Math.Round(done / (double)(done + missed), 4));
        }).OrderBy(g => g.Title, StringComparer.Ordinal).ToList();
        var asked = tasks.Values.Where(t => t.FeedbackRequested).ToList();
        var answered = asked.Count(t => t.Status is EventChangedConsumer.Done or EventChangedConsumer.Missed);

        var active = await db.Memories.CountAsync(m => m.UserId == userId && m.IsActive, cancellationToken);
        return new MemoryStats
        {
            UserId = userId,
            ActiveMemories = active,
            InactiveMemories = await db.Memories.CountAsync(m => m.UserId == userId, cancellationToken) - active,
            Summaries = await db.Summaries.CountAsync(s => s.UserId == userId, cancellationToken),
            Nodes = goals.Count + await db.Nodes.CountAsync(n => n.UserId == userId && n.Kind != NodeKind.Goal, cancellationToken),
            Edges = await db.Edges.CountAsync(e => e.UserId == userId, cancellationToken),
            Goals = success,
            ReminderResponseRate = asked.Count == 0 ? null : Math.Round(answered / (double)asked.Count, 4),
            ComputedAt = now,
        };
    }

    /// <summary>Stores fresh figures for <c>GET /memory/stats</c>; the caller saves.</summary>
    public async Task RecomputeAsync(string userId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var fresh = await ComputeAsync(userId, now, cancellationToken);
        var stored = await db.Stats.SingleOrDefaultAsync(s => s.UserId == userId, cancellationToken);
        if (stored is null)
        {
            db.Stats.Add(fresh);
            return;
        }
        db.Entry(stored).CurrentValues.SetValues(fresh);
        stored.Goals = fresh.Goals;
    }
}
