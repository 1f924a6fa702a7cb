using System.Net;
using System.Text;
using Aimi.Goals.Api.Endpoints;
using Aimi.Testing;
using Xunit;

namespace Aimi.Goals.Tests;

/// <summary>User B can neither see nor change anything of user A's, on any route; the answer is 404, never 403.</summary>
public sealed class IsolationTests(GoalsHost host) : IClassFixture<GoalsHost>
{
    [Fact]
    public async Task Another_users_records_are_invisible_and_untouchable_on_every_route()
    {
        var alice = host.ClientFor(TestAuth.NewUserId());
        var bob = host.ClientFor(TestAuth.NewUserId());
        var when = host.Time.GetUtcNow().AddDays(2);
        var goal = await (await alice.PostJsonAsync("/goals", new { title = "Alice's goal" })).ReadAsync<GoalResponse>(HttpStatusCode.Created);
        var habit = await (await alice.PostJsonAsync("/habits", new { title = "Alice's habit", cadence = "0 8 * * *" })).ReadAsync<HabitResponse>(HttpStatusCode.Created);
        var item = await (await alice.PostJsonAsync("/events", new { title = "Alice's event", startsAt = when, source = "chat" })).ReadAsync<EventResponse>(HttpStatusCode.Created);

        (string Method, string Url, string? Body)[] attempts =
        [
            ("GET", $"/goals/{goal.Id}", null),
            ("PUT", $"/goals/{goal.Id}", """{"title":"Bob was here"}"""),
            ("DELETE", $"/goals/{goal.Id}", null),
            ("GET", $"/habits/{habit.Id}", null),
            ("PUT", $"/habits/{habit.Id}", """{"title":"Bob was here"}"""),
            ("DELETE", $"/habits/{habit.Id}", null),
            ("GET", $"/events/{item.Id}", null),
            ("PUT", $"/events/{item.Id}", $$"""{"title":"Bob was here","expectedVersion":{{item.Version}}}"""),
            ("POST", $"/events/{item.Id}/confirm", null),
            ("POST", $"/events/{item.Id}/complete", null),
            ("POST", $"/events/{item.Id}/postpone", """{"by":"01:00:00"}"""),
            ("POST", $"/events/{item.Id}/cancel", "{}"),
            ("POST", $"/events/{item.Id}/feedback", """{"outcome":"missed"}"""),
            ("GET", $"/events/{item.Id}/history", null),
            ("POST", "/events", $$"""{"title":"Linked to Alice","dueAt":"2030-01-01T00:00:00Z","goalId":"{{goal.Id}}"}"""),
            ("POST", "/habits", $$"""{"title":"Linked to Alice","cadence":"0 8 * * *","goalId":"{{goal.Id}}"}"""),
        ];
        foreach (var (method, url, body) in attempts)
        {
            var request = new HttpRequestMessage(new HttpMethod(method), url);
            if (body is not null)
            {
                request.Content = new StringContent(body, Encoding.UTF8, "application/json");
            }
            var response = await bob.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.NotFound, $"{method} {url} answered {(int)response.StatusCode} to another user");
        }

        Assert.Empty(await (await bob.GetAsync("/goals")).ReadAsync<List<GoalResponse>>(HttpStatusCode.OK));
        Assert.Empty(await (await bob.GetAsync("/habits")).ReadAsync<List<HabitResponse>>(HttpStatusCode.OK));
        Assert.Empty(await (await bob.GetAsync("/events")).ReadAsync<List<EventResponse>>(HttpStatusCode.OK));
        var bobsAgenda = await (await bob.GetAsync($"/agenda?from={Uri.EscapeDataString(when.AddDays(-1).ToString("O"))}&to={Uri.EscapeDataString(when.AddDays(1).ToString("O"))}"))
            .ReadAsync<AgendaResponse>(HttpStatusCode.OK);
        Assert.Empty(bobsAgenda.Items);
        Assert.Empty(bobsAgenda.Pending);

        // Alice's records are exactly as she left them.
        Assert.Equal(item, await (await alice.GetAsync($"/events/{item.Id}")).ReadAsync<EventResponse>(HttpStatusCode.OK));
        Assert.Equal(goal, await (await alice.GetAsync($"/goals/{goal.Id}")).ReadAsync<GoalResponse>(HttpStatusCode.OK));
        Assert.Equal(habit, await (await alice.GetAsync($"/habits/{habit.Id}")).ReadAsync<HabitResponse>(HttpStatusCode.OK));
        Assert.Single(await (await alice.GetAsync($"/events/{item.Id}/history")).ReadAsync<List<HistoryResponse>>(HttpStatusCode.OK));
    }
}
