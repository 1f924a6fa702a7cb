using System.Net;
using Aimi.Contracts.Goals;
using Aimi.Goals.Api.Domain;
using Aimi.Goals.Api.Endpoints;
using Aimi.Testing;
using Xunit;

namespace Aimi.Goals.Tests;

public sealed class ProfileAndPlanTests(GoalsHost host) : IClassFixture<GoalsHost>
{
    [Fact]
    public async Task First_request_creates_the_user_with_defaults_and_announces_the_profile()
    {
        var userId = TestAuth.NewUserId();

        var me = await (await host.ClientFor(userId).GetAsync("/me")).ReadAsync<MeResponse>(HttpStatusCode.OK);

        Assert.Equal(userId, me.Id);
        Assert.Equal("UTC", me.TimeZone);
        Assert.True(me.Channels.InApp);
        await host.Bus.WaitForAsync<UserProfileChanged>(p => p.UserId == userId);
    }

    [Fact]
    public async Task Concurrent_first_requests_create_one_user()
    {
        var client = host.ClientFor(TestAuth.NewUserId());

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => client.GetAsync("/me")));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var ids = await Task.WhenAll(responses.Select(async r => (await r.ReadAsync<MeResponse>(HttpStatusCode.OK)).Id));
        Assert.Single(ids.Distinct());
    }

    [Fact]
    public async Task Profile_update_validates_and_publishes_the_new_settings()
    {
        var userId = TestAuth.NewUserId();
        var client = host.ClientFor(userId);

        var me = await (await client.PutJsonAsync("/me", new
        {
            displayName = "Anna",
            timeZone = "Europe/Moscow",
            locale = "ru-RU",
            quietHoursStart = "22:30",
            quietHoursEnd = "07:00",
            channels = new { inApp = true, email = "anna@example.org", webhookUrl = "https://hooks.example.org/aimi" },
        })).ReadAsync<MeResponse>(HttpStatusCode.OK);

        Assert.Equal(("Anna", "Europe/Moscow", "ru-RU", "22:30", "07:00"), (me.DisplayName, me.TimeZone, me.Locale, me.QuietHoursStart, me.QuietHoursEnd));
        var published = await host.Bus.WaitForAsync<UserProfileChanged>(p => p.UserId == userId && p.TimeZone == "Europe/Moscow");
        Assert.Equal(new TimeOnly(22, 30), published[0].QuietHoursStart);
        Assert.Equal("anna@example.org", published[0].Channels.Email);
    }

    [Theory]
    [InlineData("""{"timeZone":"Mars/Olympus"}""", "timeZone")]
    [InlineData("""{"locale":"xx-NOPE"}""", "locale")]
    [InlineData("""{"quietHoursStart":"25:00","quietHoursEnd":"07:00"}""", "quietHoursStart")]
    [InlineData("""{"quietHoursStart":"22:00"}""", "quietHours")]
    [InlineData("""{"channels":{"inApp":true,"email":"not-an-address"}}""", "channels.email")]
    [InlineData("""{"channels":{"inApp":true,"webhookUrl":"ftp://x"}}""", "channels.webhookUrl")]
    public async Task Invalid_profile_is_a_400_naming_the_field_and_changes_nothing(string body, string field)
    {
        var client = host.ClientFor(TestAuth.NewUserId());
        var before = await (await client.GetAsync("/me")).ReadAsync<MeResponse>(HttpStatusCode.OK);

        var problem = await (await client.PutAsync("/me", new StringContent(body, System.Text.Encoding.UTF8, "application/json"))).ProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        var after = await (await client.GetAsync("/me")).ReadAsync<MeResponse>(HttpStatusCode.OK);
        Assert.Equal(before, after);
    }

    [Fact]
    public async Task Goals_can_be_created_listed_updated_and_deleted()
    {
        var userId = TestAuth.NewUserId();
        var client = host.ClientFor(userId);

        var goal = await (await client.PostJsonAsync("/goals", new { title = "Run a marathon", importance = 5, dueDate = "2027-05-01" })).ReadAsync<GoalResponse>(HttpStatusCode.Created);
        var updated = await (await client.PutJsonAsync($"/goals/{goal.Id}", new { status = "paused", expectedVersion = goal.Version })).ReadAsync<GoalResponse>(HttpStatusCode.OK);
        var stale = await (await client.PutJsonAsync($"/goals/{goal.Id}", new { title = "x", expectedVersion = goal.Version })).ProblemAsync(HttpStatusCode.Conflict);
        var paused = await (await client.GetAsync("/goals?status=paused")).ReadAsync<List<GoalResponse>>(HttpStatusCode.OK);
        var deleted = await client.DeleteAsync($"/goals/{goal.Id}");

        Assert.Equal(GoalStatus.Paused, updated.Status);
        Assert.Equal(updated.Version, stale.GetProperty("currentVersion").GetInt32());
        Assert.Equal([goal.Id], paused.Select(g => g.Id));
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await (await client.GetAsync($"/goals/{goal.Id}")).ProblemAsync(HttpStatusCode.NotFound);
        var changes = await host.Bus.WaitForAsync<GoalChanged>(g => g.GoalId == goal.Id, count: 3);
        Assert.Equal(["created", "updated", "deleted"], changes.OrderBy(c => c.Version).ThenBy(c => c.OccurredAt).Select(c => c.Change));
    }

    [Fact]
    public async Task Habits_validate_their_cadence_and_goal()
    {
        var client = host.ClientFor(TestAuth.NewUserId());
        var goal = await (await client.PostJsonAsync("/goals", new { title = "Be flexible" })).ReadAsync<GoalResponse>(HttpStatusCode.Created);

        var habit = await (await client.PostJsonAsync("/habits", new { title = "Stretch", cadence = "0 7 * * 1-5", goalId = goal.Id })).ReadAsync<HabitResponse>(HttpStatusCode.Created);
        var badCron = await (await client.PostJsonAsync("/habits", new { title = "Stretch", cadence = "every day" })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await client.PostJsonAsync("/habits", new { title = "Stretch", cadence = "0 7 * * *", goalId = Guid.NewGuid() })).ProblemAsync(HttpStatusCode.NotFound);

        Assert.Equal(goal.Id, habit.GoalId);
        Assert.Contains("cron", badCron.GetProperty("errors").GetProperty("cadence")[0].GetString());
    }
}

/// <summary>One rule for <c>expectedVersion</c> on every update: optional; when sent it must be current, else 409 with nothing written.</summary>
public sealed class ExpectedVersionTests(GoalsHost host) : IClassFixture<GoalsHost>
{
    [Fact]
    public async Task Every_update_takes_expectedVersion_the_same_way()
    {
        var client = host.ClientFor(TestAuth.NewUserId());
        var me = await (await client.GetAsync("/me")).ReadAsync<MeResponse>(HttpStatusCode.OK);
        var goal = await (await client.PostJsonAsync("/goals", new { title = "Read" })).ReadAsync<GoalResponse>(HttpStatusCode.Created);
        var habit = await (await client.PostJsonAsync("/habits", new { title = "Read", cadence = "0 21 * * *" })).ReadAsync<HabitResponse>(HttpStatusCode.Created);
        var item = await (await client.PostJsonAsync("/events", new { title = "Read a chapter", dueAt = host.Time.GetUtcNow().AddDays(1) })).ReadAsync<EventResponse>(HttpStatusCode.Created);

        (string Path, int Version)[] records = [("/me", me.Version), ($"/goals/{goal.Id}", goal.Version), ($"/habits/{habit.Id}", habit.Version), ($"/events/{item.Id}", item.Version)];
        foreach (var (path, version) in records)
        {
            var stale = await (await client.PutJsonAsync(path, new { expectedVersion = version + 7 })).ProblemAsync(HttpStatusCode.Conflict);
            Assert.Equal(version, stale.GetProperty("currentVersion").GetInt32());
            var guarded = await client.PutJsonAsync(path, new { expectedVersion = version });
            Assert.True(guarded.IsSuccessStatusCode, $"{path} with the current version: {(int)guarded.StatusCode}");
            var unguarded = await client.PutJsonAsync(path, new { });
            Assert.True(unguarded.IsSuccessStatusCode, $"{path} without expectedVersion: {(int)unguarded.StatusCode}");
        }
    }
}
