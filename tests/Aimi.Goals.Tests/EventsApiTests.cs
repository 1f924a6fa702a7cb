using System.Net.Http.Json;
using System.Net;
using Aimi.Goals.Api.Domain;
using Aimi.Goals.Api.Endpoints;
using Aimi.Testing;
using Xunit;

namespace Aimi.Goals.Tests;

public sealed class EventsApiTests(GoalsHost host) : IClassFixture<GoalsHost>
{
    private readonly HttpClient _client = host.ClientFor(TestAuth.NewUserId());

    private async Task<EventResponse> CreateAsync(object body) =>
        await (await _client.PostJsonAsync("/events", body)).ReadAsync<EventResponse>(HttpStatusCode.Created);

    private DateTimeOffset Now => host.Time.GetUtcNow();

    [Fact]
    public async Task Create_event_from_the_api_is_planned_and_from_chat_awaits_confirmation()
    {
        var mine = await CreateAsync(new { title = "Dentist", startsAt = Now.AddDays(2), endsAt = Now.AddDays(2).AddHours(1) });
        var proposed = await CreateAsync(new { title = "Call mom", startsAt = Now.AddDays(1), source = "chat", sourceMessageId = "m-1" });

        Assert.Equal(EventStatus.Planned, mine.Status);
        Assert.Equal(EventType.Event, mine.Type);
        Assert.Equal(EventStatus.PendingConfirmation, proposed.Status);
        Assert.Equal(EventSource.Chat, proposed.Source);
    }

    [Fact]
    public async Task A_retried_create_with_the_same_source_message_returns_the_same_item()
    {
        var body = new { title = "Gym", startsAt = Now.AddDays(1), source = "chat", sourceMessageId = "msg-42" };
        var first = await CreateAsync(body);

        var again = await (await _client.PostJsonAsync("/events", body)).ReadAsync<EventResponse>(HttpStatusCode.OK);

        Assert.Equal(first.Id, again.Id);
        var all = await (await _client.GetAsync("/events")).ReadAsync<List<EventResponse>>(HttpStatusCode.OK);
        Assert.Single(all, e => e.SourceMessageId == "msg-42");
    }

    [Fact]
    public async Task Concurrent_creates_with_one_source_message_make_one_item_and_no_error()
    {
        var client = host.ClientFor(TestAuth.NewUserId());
        var body = new { title = "Yoga", startsAt = Now.AddDays(1), source = "chat", sourceMessageId = "racing-1" };

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => client.PostJsonAsync("/events", body)));

        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, r.StatusCode.ToString()));
        var ids = await Task.WhenAll(responses.Select(async r => (await r.Content.ReadFromJsonAsync<EventResponse>(TestJson.Options))!.Id));
        Assert.Single(ids.Distinct());
        Assert.Single(await (await client.GetAsync("/events")).ReadAsync<List<EventResponse>>(HttpStatusCode.OK));
    }

    [Fact]
    public async Task Full_lifecycle_is_recorded_in_history()
    {
        var created = await CreateAsync(new { title = "Interview", startsAt = Now.AddDays(3), source = "chat" });

        var confirmed = await (await _client.PostAsync($"/events/{created.Id}/confirm", null)).ReadAsync<EventResponse>(HttpStatusCode.OK);
        var postponed = await (await _client.PostJsonAsync($"/events/{created.Id}/postpone", new { by = "02:00:00", reason = "traffic" })).ReadAsync<EventResponse>(HttpStatusCode.OK);
        var done = await (await _client.PostJsonAsync($"/events/{created.Id}/feedback", new { outcome = "done", note = "went well" })).ReadAsync<EventResponse>(HttpStatusCode.OK);
        var history = await (await _client.GetAsync($"/events/{created.Id}/history")).ReadAsync<List<HistoryResponse>>(HttpStatusCode.OK);

        Assert.Equal(EventStatus.Planned, confirmed.Status);
        Assert.Equal(EventStatus.Planned, postponed.Status);
        Assert.Equal(created.StartsAt!.Value.AddHours(2), postponed.StartsAt);
        Assert.Equal(EventStatus.Done, done.Status);
        Assert.Equal(created.Version + 3, done.Version);
        Assert.Equal(
            [(null, EventStatus.PendingConfirmation), (EventStatus.PendingConfirmation, EventStatus.Planned),
             (EventStatus.Planned, EventStatus.Postponed), (EventStatus.Postponed, EventStatus.Planned), (EventStatus.Planned, EventStatus.Done)],
            history.Select(h => (h.From, h.To)).ToList());
        Assert.Equal("traffic", history[2].Reason);
        Assert.All(history, h => Assert.Equal("user", h.Actor));
    }

    [Fact]
    public async Task Postpone_to_a_new_time_keeps_the_duration()
    {
        var created = await CreateAsync(new { title = "Run", startsAt = Now.AddHours(5), endsAt = Now.AddHours(6) });
        var target = Now.AddDays(1);

        var moved = await (await _client.PostJsonAsync($"/events/{created.Id}/postpone", new { to = target })).ReadAsync<EventResponse>(HttpStatusCode.OK);

        Assert.Equal(target, moved.StartsAt);
        Assert.Equal(target.AddHours(1), moved.EndsAt);
    }

    [Fact]
    public async Task Postpone_needs_exactly_one_of_to_and_by_and_a_future_target()
    {
        var created = await CreateAsync(new { title = "Run", startsAt = Now.AddHours(5) });

        await (await _client.PostJsonAsync($"/events/{created.Id}/postpone", new { })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await _client.PostJsonAsync($"/events/{created.Id}/postpone", new { to = Now.AddDays(1), by = "01:00:00" })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await _client.PostJsonAsync($"/events/{created.Id}/postpone", new { to = Now.AddMinutes(-1) })).ProblemAsync(HttpStatusCode.BadRequest);

        // The clock moves: a target that was in the future is now in the past.
        var target = Now.AddHours(1);
        host.Time.Advance(TimeSpan.FromHours(2));
        await (await _client.PostJsonAsync($"/events/{created.Id}/postpone", new { to = target })).ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Illegal_transition_is_409_naming_the_current_status()
    {
        var created = await CreateAsync(new { title = "Taxes", dueAt = Now.AddDays(5) });
        await (await _client.PostAsync($"/events/{created.Id}/complete", null)).ReadAsync<EventResponse>(HttpStatusCode.OK);

        var problem = await (await _client.PostAsync($"/events/{created.Id}/cancel", null)).ProblemAsync(HttpStatusCode.Conflict);

        Assert.Equal("done", problem.GetProperty("currentStatus").GetString());
        Assert.Contains("already done", problem.GetProperty("detail").GetString());
        var again = await (await _client.PostAsync($"/events/{created.Id}/confirm", null)).ProblemAsync(HttpStatusCode.Conflict);
        Assert.Equal("done", again.GetProperty("currentStatus").GetString());
    }

    [Fact]
    public async Task Stale_update_is_409_with_the_current_version()
    {
        var created = await CreateAsync(new { title = "Read", dueAt = Now.AddDays(1) });
        var updated = await (await _client.PutJsonAsync($"/events/{created.Id}", new { expectedVersion = created.Version, title = "Read a book" }))
            .ReadAsync<EventResponse>(HttpStatusCode.OK);

        var stale = await (await _client.PutJsonAsync($"/events/{created.Id}", new { expectedVersion = created.Version, title = "Read two books" }))
            .ProblemAsync(HttpStatusCode.Conflict);

        Assert.Equal("Read a book", updated.Title);
        Assert.Equal(updated.Version, stale.GetProperty("currentVersion").GetInt32());
        var current = await (await _client.GetAsync($"/events/{created.Id}")).ReadAsync<EventResponse>(HttpStatusCode.OK);
        Assert.Equal("Read a book", current.Title);
    }

    [Fact]
    public async Task Concurrent_actions_on_one_event_never_both_win()
    {
        var created = await CreateAsync(new { title = "Pay rent", dueAt = Now.AddDays(1) });

        var responses = await Task.WhenAll(
            _client.PostAsync($"/events/{created.Id}/complete", null),
            _client.PostAsync($"/events/{created.Id}/cancel", null));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.OK);
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Conflict);
        var history = await (await _client.GetAsync($"/events/{created.Id}/history")).ReadAsync<List<HistoryResponse>>(HttpStatusCode.OK);
        Assert.Equal(2, history.Count);
    }

    [Fact]
    public async Task List_filters_by_window_status_and_goal()
    {
        var client = host.ClientFor(TestAuth.NewUserId());
        var goal = await (await client.PostJsonAsync("/goals", new { title = "Health" })).ReadAsync<GoalResponse>(HttpStatusCode.Created);
        await (await client.PostJsonAsync("/events", new { title = "Early", startsAt = Now.AddDays(1), goalId = goal.Id })).ReadAsync<EventResponse>(HttpStatusCode.Created);
        await (await client.PostJsonAsync("/events", new { title = "Late", startsAt = Now.AddDays(10) })).ReadAsync<EventResponse>(HttpStatusCode.Created);
        await (await client.PostJsonAsync("/events", new { title = "Proposal", startsAt = Now.AddDays(2), source = "chat" })).ReadAsync<EventResponse>(HttpStatusCode.Created);

        var window = await (await client.GetAsync($"/events?from={Uri.EscapeDataString(Now.ToString("O"))}&to={Uri.EscapeDataString(Now.AddDays(5).ToString("O"))}"))
            .ReadAsync<List<EventResponse>>(HttpStatusCode.OK);
        var pending = await (await client.GetAsync("/events?status=pending_confirmation")).ReadAsync<List<EventResponse>>(HttpStatusCode.OK);
        var byGoal = await (await client.GetAsync($"/events?goalId={goal.Id}")).ReadAsync<List<EventResponse>>(HttpStatusCode.OK);

        Assert.Equal(["Early", "Proposal"], window.Select(e => e.Title));
        Assert.Equal(["Proposal"], pending.Select(e => e.Title));
        Assert.Equal(["Early"], byGoal.Select(e => e.Title));
        await (await client.GetAsync("/events?status=sleeping")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.GetAsync("/events?limit=100000")).ProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Agenda_is_the_local_day_in_the_users_timezone_with_pending_items()
    {
        var client = host.ClientFor(TestAuth.NewUserId());
        await (await client.PutJsonAsync("/me", new { timeZone = "Asia/Tokyo" })).ReadAsync<MeResponse>(HttpStatusCode.OK);
        var zone = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(Now, zone).DateTime);
        DateTimeOffset LocalTime(DateOnly day, int hour) => new DateTimeOffset(day.ToDateTime(new TimeOnly(hour, 0)), TimeSpan.FromHours(9));

        await (await client.PostJsonAsync("/events", new { title = "Breakfast", startsAt = LocalTime(today, 0).AddMinutes(30) })).ReadAsync<EventResponse>(HttpStatusCode.Created);
        await (await client.PostJsonAsync("/events", new { title = "Tomorrow", startsAt = LocalTime(today.AddDays(1), 0).AddMinutes(5) })).ReadAsync<EventResponse>(HttpStatusCode.Created);
        await (await client.PostJsonAsync("/events", new { title = "Proposal", startsAt = LocalTime(today.AddDays(3), 12), source = "chat" })).ReadAsync<EventResponse>(HttpStatusCode.Created);

        var agenda = await (await client.GetAsync("/agenda")).ReadAsync<AgendaResponse>(HttpStatusCode.OK);
        var tomorrow = await (await client.GetAsync($"/agenda?date={today.AddDays(1):yyyy-MM-dd}")).ReadAsync<AgendaResponse>(HttpStatusCode.OK);

        Assert.Equal("Asia/Tokyo", agenda.TimeZone);
        Assert.Equal(["Breakfast"], agenda.Items.Select(i => i.Event.Title));
        Assert.EndsWith("T00:30:00+09:00", agenda.Items[0].LocalStart);
        Assert.Equal(["Proposal"], agenda.Pending.Select(i => i.Event.Title));
        Assert.Equal(["Tomorrow"], tomorrow.Items.Select(i => i.Event.Title));

        // Moving the clock a day moves "today".
        host.Time.Advance(TimeSpan.FromDays(1));
        var nextDay = await (await client.GetAsync("/agenda")).ReadAsync<AgendaResponse>(HttpStatusCode.OK);
        Assert.Equal(["Tomorrow"], nextDay.Items.Select(i => i.Event.Title));
    }

    [Fact]
    public async Task Completing_habit_occurrences_counts_the_streak_and_a_miss_resets_it()
    {
        var habit = await (await _client.PostJsonAsync("/habits", new { title = "Stretch", cadence = "0 7 * * 1-5" })).ReadAsync<HabitResponse>(HttpStatusCode.Created);
        async Task<EventResponse> Occurrence(int day) => await CreateAsync(new { type = "habit_occurrence", title = "Stretch", dueAt = Now.AddDays(day), habitId = habit.Id });

        await _client.PostAsync($"/events/{(await Occurrence(1)).Id}/complete", null);
        await _client.PostAsync($"/events/{(await Occurrence(2)).Id}/complete", null);
        var afterTwo = await (await _client.GetAsync($"/habits/{habit.Id}")).ReadAsync<HabitResponse>(HttpStatusCode.OK);
        await _client.PostJsonAsync($"/events/{(await Occurrence(3)).Id}/feedback", new { outcome = "missed" });
        var afterMiss = await (await _client.GetAsync($"/habits/{habit.Id}")).ReadAsync<HabitResponse>(HttpStatusCode.OK);

        Assert.Equal(2, afterTwo.Streak);
        Assert.Equal(0, afterMiss.Streak);
    }
}
