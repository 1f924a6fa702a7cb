using System.Net;
using Aimi.Contracts.Goals;
using Aimi.Goals.Api.Endpoints;
using Aimi.Testing;
using Xunit;

namespace Aimi.Goals.Tests;

/// <summary>Deleting a goal or habit unlinks its events and habits; each unlinked record gets a new version and says so.</summary>
public sealed class DeleteAnnouncementTests(GoalsHost host) : IClassFixture<GoalsHost>
{
    [Fact]
    public async Task Deleting_a_goal_announces_the_events_and_habits_that_lose_their_link()
    {
        var client = host.ClientFor(TestAuth.NewUserId());
        var goal = await (await client.PostJsonAsync("/goals", new { title = "Run a marathon" })).ReadAsync<GoalResponse>(HttpStatusCode.Created);
        var habit = await (await client.PostJsonAsync("/habits", new { title = "Run", cadence = "0 7 * * *", goalId = goal.Id })).ReadAsync<HabitResponse>(HttpStatusCode.Created);
        var item = await (await client.PostJsonAsync("/events", new { title = "Long run", startsAt = host.Time.GetUtcNow().AddDays(2), goalId = goal.Id }))
            .ReadAsync<EventResponse>(HttpStatusCode.Created);

        (await client.DeleteAsync($"/goals/{goal.Id}")).EnsureSuccessStatusCode();

        var changed = Assert.Single(await host.Bus.WaitForAsync<EventChanged>(e => e.EventId == item.Id && e.Version == 2));
        Assert.Equal((ChangeKinds.Updated, (Guid?)null), (changed.Change, changed.GoalId));
        var unlinked = Assert.Single(await host.Bus.WaitForAsync<HabitChanged>(h => h.HabitId == habit.Id && h.Version == 2));
        Assert.Null(unlinked.GoalId);
        var current = await (await client.GetAsync($"/events/{item.Id}")).ReadAsync<EventResponse>(HttpStatusCode.OK);
        Assert.Equal((2, (Guid?)null), (current.Version, current.GoalId));
        var history = await (await client.GetAsync($"/events/{item.Id}/history")).ReadAsync<List<HistoryResponse>>(HttpStatusCode.OK);
        Assert.Equal("updated", history[^1].Reason);
    }

    [Fact]
    public async Task Deleting_a_habit_announces_its_events_unlinked()
    {
        var client = host.ClientFor(TestAuth.NewUserId());
        var habit = await (await client.PostJsonAsync("/habits", new { title = "Stretch", cadence = "0 8 * * *" })).ReadAsync<HabitResponse>(HttpStatusCode.Created);
        var item = await (await client.PostJsonAsync("/events", new { title = "Stretch today", dueAt = host.Time.GetUtcNow().AddDays(1), habitId = habit.Id }))
            .ReadAsync<EventResponse>(HttpStatusCode.Created);

        (await client.DeleteAsync($"/habits/{habit.Id}")).EnsureSuccessStatusCode();

        var changed = Assert.Single(await host.Bus.WaitForAsync<EventChanged>(e => e.EventId == item.Id && e.Version == 2));
        Assert.Null(changed.HabitId);
        await host.Bus.WaitForAsync<HabitChanged>(h => h.HabitId == habit.Id && h.Change == ChangeKinds.Deleted);
    }
}
