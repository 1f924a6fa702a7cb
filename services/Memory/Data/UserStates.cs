using Aimi.Contracts.Memory;
using Aimi.Memory.Api.Domain;
using Aimi.Messaging;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Memory.Api.Data;

/// <summary>Rebuilds a user's <c>user_state</c> from what Memory holds and announces it (<see cref="UserStateUpdated"/> through the outbox).</summary>
public sealed class UserStates(MemoryDbContext db, GraphStore graph)
{
    public const int MaxGoals = 10;
    public const int MaxPreferences = 20;
    public const int MaxPending = 20;

    /// <summary>Call after the changes it summarises are saved (it reads the database); the caller saves the result.</summary>
    public async Task<UserState> RefreshAsync(string userId, string reason, DateTimeOffset now, CancellationToken cancellationToken, bool announceOnlyIfChanged = false)
    {
        var state = await LockAsync(userId, now, cancellationToken);

        var summaries = await db.Summaries.AsNoTracking().Where(s => s.UserId == userId)
            .OrderByDescending(s => s.EndedAt).Take(UserState.MoodTrendLength).ToListAsync(cancellationToken);
        var goals = (await graph.ActiveGoalsAsync(userId, cancellationToken)).Take(MaxGoals)
            .Select(g => new StateGoalView(g.ExternalId ?? g.Id, g.Label, Math.Round(g.Weight, 3))).ToList();
        var preferences = await db.Memories.AsNoTracking()
            .Where(m => m.UserId == userId && m.IsActive && m.Subject == Fact.TheUser && (m.Predicate == Predicates.Likes || m.Predicate == Predicates.Dislikes))
            .OrderByDescending(m => m.ReinforcementCount).ThenByDescending(m => m.ValidFrom).Take(MaxPreferences)
            .Select(m => (m.Predicate == Predicates.Likes ? "likes " : "dislikes ") + m.Value).ToListAsync(cancellationToken);
        var pending = await db.Nodes.AsNoTracking()
            .Where(n => n.UserId == userId && n.Kind == NodeKind.Task && n.Status != null && GraphStore.PendingStatuses.Contains(n.Status))
            .OrderBy(n => n.CreatedAt).Take(MaxPending)
            .Select(n => new PendingItemView(n.ExternalId ?? n.Id, n.Label, n.Status!)).ToListAsync(cancellationToken);

        // A summary the user had forgotten keeps its row with an empty narrative: the portrait shows the latest one still there.
        var last = summaries.FirstOrDefault(s => s.Narrative.Length > 0);
        var moods = summaries.Where(s => s.Mood != null).Select(s => s.Mood!).ToList();
        var changed = state.Version == 0 || state.LastSummary != last?.Narrative || !state.MoodTrend.SequenceEqual(moods)
            || !state.ActiveGoals.SequenceEqual(goals) || !state.Preferences.SequenceEqual(preferences) || !state.PendingItems.SequenceEqual(pending);
        if (announceOnlyIfChanged && !changed)
        {
            return state;
        }

        state.LastSummary = last?.Narrative;
        state.LastSessionId = last?.SessionId;
        state.MoodTrend = moods;
        state.ActiveGoals = goals;
        state.Preferences = preferences;
        state.PendingItems = pending;
        Announce(state, reason, now);
        return state;
    }

    /// <summary>
    /// The user's state row, created if missing and locked to the end of the caller's transaction: two consumers refreshing
    /// one user take turns (the second reads what the first committed) instead of racing into a unique violation or a
    /// stale version, which would only end in MassTransit's retry. After a failed statement PostgreSQL has aborted the
    /// transaction, so the row is made with ON CONFLICT rather than recovered from an insert that failed.
    /// </summary>
    private async Task<UserState> LockAsync(string userId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await db.Database.ExecuteSqlAsync(
            $$"""
            INSERT INTO user_state (user_id, mood_trend, active_goals, preferences, pending_items, version, updated_at)
            VALUES ({{userId}}, '{}', '[]', '{}', '[]', 0, {{now}}) ON CONFLICT (user_id) DO NOTHING
            """,
            cancellationToken);
        return await Locked(userId).SingleAsync(cancellationToken);
    }

    /// <summary>The user's state row, locked to the end of the caller's transaction (refreshes and forget-me take turns).</summary>
    private IQueryable<UserState> Locked(string userId) => db.States.FromSql($"SELECT * FROM user_state WHERE user_id = {userId} FOR UPDATE");

    /// <summary>Forget-me: the state is emptied (not deleted) so its version keeps growing for consumers.</summary>
    public async Task ClearAsync(string userId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var state = await Locked(userId).SingleOrDefaultAsync(cancellationToken);
        if (state is null)
        {
            return;
        }
        state.LastSummary = null;
        state.LastSessionId = null;
        state.MoodTrend = [];
        state.ActiveGoals = [];
        state.Preferences = [];
        state.PendingItems = [];
        Announce(state, UserStateReasons.Forgotten, now);
    }

    private void Announce(UserState state, string reason, DateTimeOffset now)
    {
        state.Version++;
        state.UpdatedAt = now;
        db.AddOutboxMessage(new UserStateUpdated
        {
            UserId = state.UserId,
            LastSummary = state.LastSummary,
            Mood = state.MoodTrend.FirstOrDefault(),
            ActiveGoals = state.ActiveGoals.Select(g => new StateGoal { GoalId = g.GoalId, Title = g.Title, Weight = g.Weight }).ToList(),
            Preferences = state.Preferences,
            PendingItems = state.PendingItems.Select(p => new StatePendingItem { EventId = p.EventId, Title = p.Title, Status = p.Status }).ToList(),
            Reason = reason,
            Version = state.Version,
            OccurredAt = now,
        }, now);
    }
}
