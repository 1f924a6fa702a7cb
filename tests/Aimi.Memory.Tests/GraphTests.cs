using Aimi.Memory.Api.Data;
using Aimi.Memory.Api.Domain;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Aimi.Memory.Tests;

public sealed class GraphTests(MemoryHost host) : IClassFixture<MemoryHost>
{
    [Fact]
    public async Task Goals_habits_and_tasks_are_mirrored_and_traversals_answer_what_supports_and_what_affects()
    {
        var user = TestAuth.NewUserId();
        var goalId = Guid.NewGuid();
        var habitId = Guid.NewGuid();
        var taskId = Guid.NewGuid();
        await host.PublishAsync(Contracts.Goal(user, goalId, "Run a marathon", 1));
        await host.PublishAsync(Contracts.Habit(user, habitId, "Morning run", goalId));
        await host.PublishAsync(Contracts.Event(user, taskId, "Buy running shoes", "planned", null, 1, goalId));
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Nodes.CountAsync(n => n.UserId == user && n.Label != "")), n => n == 3);
        await host.RememberAsync(user, "I'm so tired. Training for the marathon is hard. My friend Tom runs with me for the marathon.");

        var (goal, tired, tom) = await host.WithDbAsync(async db => (
            await db.Nodes.SingleAsync(n => n.UserId == user && n.ExternalId == goalId),
            await db.Nodes.SingleAsync(n => n.UserId == user && n.Kind == NodeKind.State && n.Key == "tired"),
            await db.Nodes.SingleAsync(n => n.UserId == user && n.Kind == NodeKind.Person && n.Key == "tom")));
        Assert.Equal("Tom (friend)", tom.Label);
        var client = host.ClientFor(user);

        var supporters = await client.GetJsonAsync($"/memory/graph/nodes/{goal.Id}/incoming?label=supports");
        Assert.Equal(["Buy running shoes", "Morning run", "Tom (friend)"], supporters.Items().Select(n => n.Str("label")).Order(StringComparer.Ordinal).ToArray());

        var affecting = await client.GetJsonAsync($"/memory/graph/nodes/{goal.Id}/incoming?label=affects");
        Assert.Equal("tired", Assert.Single(affecting.Items()).Str("label"));

        var neighbourhood = await client.GetJsonAsync("/memory/context");
        var labels = neighbourhood.GetProperty("goals").Items().Select(n => n.Str("label")).ToList();
        Assert.Contains("Run a marathon", labels);
        Assert.Contains("tired", labels);
        Assert.Contains("Morning run", labels);
        Assert.Equal(0, neighbourhood.GetProperty("goals").Items().First().GetProperty("depth").GetInt32());
    }

    [Fact]
    public async Task An_older_version_of_a_goal_changes_nothing()
    {
        var user = TestAuth.NewUserId();
        var goalId = Guid.NewGuid();
        await host.PublishAsync(Contracts.Goal(user, goalId, "Learn Spanish", 2));
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Nodes.AnyAsync(n => n.ExternalId == goalId)), found => found);
        await host.PublishAsync(Contracts.Goal(user, goalId, "Learn Spanish (old title)", 1));
        // Marker: a newer version after the old one; once it shows, the old one has been handled.
        await host.PublishAsync(Contracts.Goal(user, goalId, "Learn Spanish", 3, status: "achieved"));
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Nodes.Where(n => n.ExternalId == goalId).Select(n => n.SourceVersion).SingleAsync()), v => v == 3);

        var node = await host.WithDbAsync(db => db.Nodes.SingleAsync(n => n.ExternalId == goalId));
        Assert.Equal("Learn Spanish", node.Label);
        Assert.Equal("achieved", node.Status);
    }

    [Fact]
    public async Task Outcomes_are_remembered_and_count_towards_goal_success_and_reminder_response()
    {
        var user = TestAuth.NewUserId();
        var goalId = Guid.NewGuid();
        var done = Guid.NewGuid();
        var missed = Guid.NewGuid();
        await host.PublishAsync(Contracts.Goal(user, goalId, "Get fit", 1));
        await host.PublishAsync(Contracts.Event(user, done, "Gym session", "awaiting_feedback", "scheduled", 3, goalId));
        await host.PublishAsync(Contracts.Event(user, missed, "Swimming", "planned", null, 1, goalId));
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Nodes.CountAsync(n => n.UserId == user && n.Kind == NodeKind.Task)), n => n == 2);
        await host.PublishAsync(Contracts.Event(user, done, "Gym session", "done", "awaiting_feedback", 4, goalId));
        await host.PublishAsync(Contracts.Event(user, missed, "Swimming", "missed", "planned", 2, goalId));
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Memories.CountAsync(m => m.UserId == user && m.Kind == MemoryKind.Note)), n => n == 2);

        var notes = await host.WithDbAsync(db => db.Memories.Where(m => m.UserId == user && m.Kind == MemoryKind.Note).Select(m => m.Content).OrderBy(c => c).ToListAsync());
        Assert.Equal(["Done: Gym session", "Missed: Swimming"], notes);

        var stats = await host.ClientFor(user).GetJsonAsync("/memory/stats");
        var goal = Assert.Single(stats.GetProperty("goals").Items());
        Assert.Equal(1, goal.GetProperty("done").GetInt32());
        Assert.Equal(1, goal.GetProperty("missed").GetInt32());
        Assert.Equal(0.5, goal.GetProperty("successRate").GetDouble());
        Assert.Equal(1.0, stats.GetProperty("reminderResponseRate").GetDouble());
        var state = await host.ClientFor(user).GetJsonAsync("/memory/state");
        Assert.Empty(state.GetProperty("pendingItems").Items());
    }

    [Fact]
    public async Task Cleanup_expires_stale_states_decays_weights_and_stores_statistics()
    {
        var user = TestAuth.NewUserId();
        await host.RememberAsync(user, "I'm exhausted. My sister Anna helps me. I live in Riga.");
        var weightBefore = await host.WithDbAsync(db => db.Nodes.Where(n => n.UserId == user && n.Key == "anna").Select(n => n.Weight).SingleAsync());

        host.Time.Advance(TimeSpan.FromDays(30));
        var worker = host.Services.GetRequiredService<Aimi.Memory.Api.Workers.CleanupWorker>();
        // The worker's own timer may take this pass (the clock moved); either way one pass runs at the new time.
        await Eventually.GetAsync(() => worker.RunOnceAsync(default), r => r.Ran);

        var facts = await host.ClientFor(user).GetJsonAsync("/memory/facts");
        Assert.DoesNotContain(facts.Items(), f => f.Str("predicate") == Predicates.Feels);
        Assert.Contains(facts.Items(), f => f.Str("predicate") == Predicates.LivesIn);
        var weightAfter = await host.WithDbAsync(db => db.Nodes.Where(n => n.UserId == user && n.Key == "anna").Select(n => n.Weight).SingleAsync());
        Assert.Equal(weightBefore / 2, weightAfter, precision: 3);
        var stored = await host.WithDbAsync(db => db.Stats.SingleAsync(s => s.UserId == user));
        Assert.Equal(host.Time.GetUtcNow(), stored.ComputedAt);
    }

    [Fact]
    public async Task Only_one_cleanup_pass_runs_at_a_time()
    {
        var worker = host.Services.GetRequiredService<Aimi.Memory.Api.Workers.CleanupWorker>();
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<MemoryDbContext>();
        await using var transaction = await db.Database.BeginTransactionAsync();
        // Another replica holds the pass. Waited for, not tried: the worker's own timer may be running a pass right now (an earlier
        // test of this class moved the clock a month), and it lets go when done.
        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({Aimi.Memory.Api.Workers.CleanupWorker.LockKey})");

        var result = await worker.RunOnceAsync(default);

        Assert.False(result.Ran);
    }

    [Fact]
    public async Task A_cleanup_pass_commits_user_by_user_so_one_locked_user_holds_back_nobody_else()
    {
        var (first, second) = (TestAuth.NewUserId(), TestAuth.NewUserId());
        if (string.CompareOrdinal(first, second) > 0)
        {
            (first, second) = (second, first); // the pass goes through users in order
        }
        await host.RememberAsync(first, "My brother Tom lives in Oslo.");
        await host.RememberAsync(second, "My sister Anna lives in Riga.");
        var worker = host.Services.GetRequiredService<Aimi.Memory.Api.Workers.CleanupWorker>();
        await Eventually.GetAsync(() => worker.RunOnceAsync(default), r => r.Ran); // both have figures now

        // A writer holds the second user's figures, as a long transaction of the second user's would; only then does the
        // clock move, so no pass at the new time (the worker's own included) can get past that row before the test lets go.
        await using var scope = host.Services.CreateAsyncScope();
        var holder = scope.ServiceProvider.GetRequiredService<MemoryDbContext>();
        await using var held = await holder.Database.BeginTransactionAsync();
        await holder.Stats.FromSql($"SELECT * FROM memory_stats WHERE user_id = {second} FOR UPDATE").ToListAsync();
        host.Time.Advance(TimeSpan.FromDays(1));
        var passAt = host.Time.GetUtcNow();

        // This pass, or the worker's own now that the clock moved: whichever holds the pass waits for the second user's row.
        var pass = Task.Run(() => worker.RunOnceAsync(default));
        Task<MemoryStats> StatsOf(string user) => host.WithDbAsync(db => db.Stats.AsNoTracking().SingleAsync(s => s.UserId == user));
        // The first user's figures are committed while the pass still waits for the second user's row.
        await Eventually.GetAsync(() => StatsOf(first), s => s.ComputedAt == passAt, because: "each user's figures commit on their own");
        Assert.NotEqual(passAt, (await StatsOf(second)).ComputedAt);

        await held.RollbackAsync();
        await pass;
        await Eventually.GetAsync(() => StatsOf(second), s => s.ComputedAt == passAt, because: "the pass goes on once the row is free");
    }
}
