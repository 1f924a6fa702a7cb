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
        // Stored, but pending: nothing goes to an address (or URL) before its owner proved it.
        Assert.Equal(("anna@example.org", "pending", "pending"), (me.Channels.Email, me.Channels.EmailStatus, me.Channels.WebhookStatus));
        Assert.Null(published[0].Channels.Email);
        Assert.Null(published[0].Channels.WebhookUrl);
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
    public async Task Webhook_urls_to_internal_hosts_are_refused_with_one_message_and_change_nothing()
    {
        var client = host.ClientFor(TestAuth.NewUserId());
        var before = await (await client.GetAsync("/me")).ReadAsync<MeResponse>(HttpStatusCode.OK);

        var answers = new List<(string Url, bool Refused, string? Message)>();
        foreach (var url in TestDns.RefusedUrls)
        {
            var response = await client.PutJsonAsync("/me", new { channels = new { inApp = true, webhookUrl = url } });
            answers.Add(response.StatusCode == HttpStatusCode.BadRequest
                ? (url, true, (await response.ProblemAsync(HttpStatusCode.BadRequest)).GetProperty("errors").GetProperty("channels.webhookUrl")[0].GetString())
                : (url, false, null));
        }

        Assert.Empty(answers.Where(a => !a.Refused).Select(a => a.Url));
        // One wording for every refusal: the answer does not tell whether an internal name exists or where it points.
        var message = Assert.Single(answers.Select(a => a.Message).Distinct());
        Assert.DoesNotContain(TestDns.InternalAddress, message, StringComparison.Ordinal);
        Assert.Equal(before, await (await client.GetAsync("/me")).ReadAsync<MeResponse>(HttpStatusCode.OK));
    }

    [Fact]
    public async Task Webhook_urls_to_public_https_hosts_are_accepted()
    {
        var client = host.ClientFor(TestAuth.NewUserId());

        foreach (var url in TestDns.PublicUrls)
        {
            var me = await (await client.PutJsonAsync("/me", new { channels = new { inApp = true, webhookUrl = url } })).ReadAsync<MeResponse>(HttpStatusCode.OK);
            Assert.Equal(url, me.Channels.WebhookUrl);
        }
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

    [Theory]
    [InlineData("* * * * *")]
    [InlineData("*/5 * * * *")]
    [InlineData("0,10 * * * *")]
    [InlineData("0-14 7 * * 1-5")]
    [InlineData("5,55 0,23 * * *")] // 23:55, then 00:05
    [InlineData("@every_minute")]
    public async Task A_habit_cadence_more_frequent_than_every_15_minutes_is_refused_and_changes_nothing(string cadence)
    {
        var client = host.ClientFor(TestAuth.NewUserId());
        var habit = await (await client.PostJsonAsync("/habits", new { title = "Stretch", cadence = "0 7 * * *" })).ReadAsync<HabitResponse>(HttpStatusCode.Created);

        var created = await (await client.PostJsonAsync("/habits", new { title = "Blink", cadence })).ProblemAsync(HttpStatusCode.BadRequest);
        var updated = await (await client.PutJsonAsync($"/habits/{habit.Id}", new { cadence })).ProblemAsync(HttpStatusCode.BadRequest);

        Assert.Contains("15 minutes", created.GetProperty("errors").GetProperty("cadence")[0].GetString(), StringComparison.Ordinal);
        Assert.Contains("15 minutes", updated.GetProperty("errors").GetProperty("cadence")[0].GetString(), StringComparison.Ordinal);
        Assert.Equal([habit], await (await client.GetAsync("/habits")).ReadAsync<List<HabitResponse>>(HttpStatusCode.OK));
    }

    [Theory]
    [InlineData("*/15 * * * *")]
    [InlineData("0,15,30,45 9-17 * * 1-5")]
    [InlineData("@hourly")]
    [InlineData("0 7 * * 1-5")]
    public async Task A_habit_may_fire_every_15_minutes(string cadence)
    {
        var client = host.ClientFor(TestAuth.NewUserId());

        var habit = await (await client.PostJsonAsync("/habits", new { title = "Drink water", cadence })).ReadAsync<HabitResponse>(HttpStatusCode.Created);

        Assert.Equal(cadence, habit.Cadence);
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
