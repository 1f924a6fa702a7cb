using System.Net;
using System.Text.Json;
using Aimi.Goals.Api.Endpoints;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Goals.Tests;

/// <summary><c>GET /goals/export</c>: everything Goals holds about the caller, and nothing of anyone else's.</summary>
public sealed class ExportTests(GoalsHost host) : IClassFixture<GoalsHost>
{
    [Fact]
    public async Task Export_holds_the_callers_profile_contact_proofs_goals_habits_events_and_their_history_with_feedback_and_nothing_of_another_user()
    {
        var alice = host.ClientFor(TestAuth.NewUserId());
        var bob = host.ClientFor(TestAuth.NewUserId());
        (await alice.PutJsonAsync("/me", new { displayName = "Alice", timeZone = "Europe/Berlin", channels = new { inApp = true, email = "alice@example.com" } })).EnsureSuccessStatusCode();
        var goal = await (await alice.PostJsonAsync("/goals", new { title = "Run a marathon" })).ReadAsync<GoalResponse>(HttpStatusCode.Created);
        var habit = await (await alice.PostJsonAsync("/habits", new { title = "Morning run", cadence = "0 7 * * *", goalId = goal.Id }))
            .ReadAsync<HabitResponse>(HttpStatusCode.Created);
        var run = await (await alice.PostJsonAsync("/events", new { title = "Long run", startsAt = host.Time.GetUtcNow().AddDays(1), goalId = goal.Id }))
            .ReadAsync<EventResponse>(HttpStatusCode.Created);
        (await alice.PostJsonAsync($"/events/{run.Id}/feedback", new { outcome = "missed", note = "knee hurt" })).EnsureSuccessStatusCode();
        var bobsGoal = await (await bob.PostJsonAsync("/goals", new { title = "Bob's secret goal" })).ReadAsync<GoalResponse>(HttpStatusCode.Created);

        var response = await alice.GetAsync("/goals/export");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        var root = document.RootElement;
        Assert.Equal("goals", root.GetProperty("service").GetString());
        Assert.Equal(host.Time.GetUtcNow(), root.GetProperty("exportedAt").GetDateTimeOffset());
        var profile = root.GetProperty("profile");
        Assert.Equal("Alice", profile.GetProperty("displayName").GetString());
        Assert.Equal("Europe/Berlin", profile.GetProperty("timeZone").GetString());
        Assert.Equal("pending", profile.GetProperty("channels").GetProperty("emailStatus").GetString());
        var verification = Assert.Single(root.GetProperty("contactVerifications").EnumerateArray());
        Assert.Equal(("email", "alice@example.com"), (verification.GetProperty("channel").GetString(), verification.GetProperty("target").GetString()));
        Assert.False(verification.TryGetProperty("codeHash", out _));
        Assert.Empty(root.GetProperty("erasures").EnumerateArray());
        Assert.Equal(goal.Id, Assert.Single(root.GetProperty("goals").EnumerateArray()).GetProperty("id").GetGuid());
        var exportedHabit = Assert.Single(root.GetProperty("habits").EnumerateArray());
        Assert.Equal((habit.Id, "0 7 * * *"), (exportedHabit.GetProperty("id").GetGuid(), exportedHabit.GetProperty("cadence").GetString()));
        var exportedEvent = Assert.Single(root.GetProperty("events").EnumerateArray());
        Assert.Equal((run.Id, "missed"), (exportedEvent.GetProperty("id").GetGuid(), exportedEvent.GetProperty("status").GetString()));
        var history = root.GetProperty("eventHistory").EnumerateArray().ToList();
        Assert.All(history, h => Assert.Equal(run.Id, h.GetProperty("eventId").GetGuid()));
        var feedback = Assert.Single(history, h => h.GetProperty("toStatus").GetString() == "missed");
        Assert.Equal("knee hurt", feedback.GetProperty("payload").GetProperty("note").GetString());

        Assert.DoesNotContain(bobsGoal.Id.ToString(), text, StringComparison.Ordinal);
        Assert.DoesNotContain("Bob's secret goal", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_user_goals_never_saw_gets_no_profile_and_is_not_created_by_the_export()
    {
        var stranger = TestAuth.NewUserId();

        var response = await host.ClientFor(stranger).GetAsync("/goals/export");

        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("profile").ValueKind);
        Assert.Empty(document.RootElement.GetProperty("events").EnumerateArray());
        Assert.Equal(0, await host.WithDbAsync(db => db.Users.CountAsync(u => u.ExternalSubject == stranger)));
    }
}
