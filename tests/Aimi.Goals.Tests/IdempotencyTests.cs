using System.Net;
using System.Net.Http.Json;
using Aimi.Goals.Api.Endpoints;
using Aimi.Goals.Api.Workers;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace Aimi.Goals.Tests;

/// <summary>
/// <c>Idempotency-Key</c> on Goals' writes: a repeat of a request (a client's retry, Chat's resilience handler retrying
/// after a timeout) is answered with the first response and changes nothing a second time.
/// </summary>
public sealed class IdempotencyTests(GoalsHost host) : IClassFixture<GoalsHost>
{
    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string url, object? body, string key)
    {
        using var request = new HttpRequestMessage(method, url) { Content = body is null ? null : JsonContent.Create(body, options: TestJson.Options) };
        request.Headers.Add(Idempotency.Header, key);
        return await client.SendAsync(request);
    }

    private static bool Replayed(HttpResponseMessage response) =>
        response.Headers.TryGetValues(Idempotency.ReplayedHeader, out var values) && values.Single() == "true";

    private async Task<int> StoredKeysAsync(string subject) => await host.WithDbAsync(db => db.IdempotentRequests.CountAsync(r => r.Subject == subject));

    [Theory]
    [InlineData("/goals", """{"title":"Run a marathon"}""")]
    [InlineData("/habits", """{"title":"Run","cadence":"0 7 * * 1-5"}""")]
    [InlineData("/events", """{"title":"Dentist","startsAt":"2030-01-10T09:00:00Z"}""")]
    public async Task A_repeated_create_with_one_key_creates_once_and_answers_the_same(string path, string body)
    {
        var client = host.ClientFor(TestAuth.NewUserId());
        using var json = System.Text.Json.JsonDocument.Parse(body);

        var first = await SendAsync(client, HttpMethod.Post, path, json.RootElement, "create-1");
        var again = await SendAsync(client, HttpMethod.Post, path, json.RootElement, "create-1");

        var all = await (await client.GetAsync(path)).ReadAsync<List<System.Text.Json.JsonElement>>(HttpStatusCode.OK);
        Assert.Single(all);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.False(Replayed(first));
        Assert.True(Replayed(again));
        Assert.Equal(first.Headers.Location, again.Headers.Location);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await again.Content.ReadAsStringAsync());
        Assert.Equal("application/json", again.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task A_repeated_postpone_with_one_key_moves_the_event_once()
    {
        var client = host.ClientFor(TestAuth.NewUserId());
        var created = await (await client.PostJsonAsync("/events", new { title = "Call mom", startsAt = host.Time.GetUtcNow().AddDays(1) }))
            .ReadAsync<EventResponse>(HttpStatusCode.Created);

        var first = await (await SendAsync(client, HttpMethod.Post, $"/events/{created.Id}/postpone", new { by = "01:00:00" }, "move-1"))
            .ReadAsync<EventResponse>(HttpStatusCode.OK);
        var again = await SendAsync(client, HttpMethod.Post, $"/events/{created.Id}/postpone", new { by = "01:00:00" }, "move-1");

        var now = await (await client.GetAsync($"/events/{created.Id}")).ReadAsync<EventResponse>(HttpStatusCode.OK);
        Assert.Equal(created.StartsAt!.Value.AddHours(1), now.StartsAt);
        Assert.Equal(first.Version, now.Version);
        var history = await (await client.GetAsync($"/events/{created.Id}/history")).ReadAsync<List<HistoryResponse>>(HttpStatusCode.OK);
        Assert.Single(history, h => h.To == Aimi.Goals.Api.Domain.EventStatus.Postponed);
        Assert.True(Replayed(again));
        Assert.Equal(first, await again.ReadAsync<EventResponse>(HttpStatusCode.OK));
    }

    [Fact]
    public async Task A_repeated_delete_with_one_key_answers_no_content_again()
    {
        var client = host.ClientFor(TestAuth.NewUserId());
        var goal = await (await client.PostJsonAsync("/goals", new { title = "Read more" })).ReadAsync<GoalResponse>(HttpStatusCode.Created);

        var first = await SendAsync(client, HttpMethod.Delete, $"/goals/{goal.Id}", null, "delete-1");
        var again = await SendAsync(client, HttpMethod.Delete, $"/goals/{goal.Id}", null, "delete-1");
        var unkeyed = await client.DeleteAsync($"/goals/{goal.Id}");

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, again.StatusCode);
        Assert.True(Replayed(again));
        await unkeyed.ProblemAsync(HttpStatusCode.NotFound); // without the key it is a new request
    }

    [Fact]
    public async Task Requests_racing_with_one_key_do_the_work_once()
    {
        var client = host.ClientFor(TestAuth.NewUserId());

        var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => SendAsync(client, HttpMethod.Post, "/goals", new { title = "Learn Spanish" }, "race-1")));

        var goals = await Task.WhenAll(responses.Select(r => r.ReadAsync<GoalResponse>(HttpStatusCode.Created)));
        Assert.Single(goals.Select(g => g.Id).Distinct());
        Assert.Single(responses, r => !Replayed(r));
        Assert.Single(await (await client.GetAsync("/goals")).ReadAsync<List<GoalResponse>>(HttpStatusCode.OK));
    }

    [Fact]
    public async Task The_same_key_for_another_request_is_a_conflict_and_changes_nothing()
    {
        var client = host.ClientFor(TestAuth.NewUserId());
        await (await SendAsync(client, HttpMethod.Post, "/goals", new { title = "Learn Spanish" }, "reused-1")).ReadAsync<GoalResponse>(HttpStatusCode.Created);

        var otherBody = await SendAsync(client, HttpMethod.Post, "/goals", new { title = "Learn French" }, "reused-1");
        var otherPath = await SendAsync(client, HttpMethod.Post, "/habits", new { title = "Learn Spanish", cadence = "0 7 * * *" }, "reused-1");

        var problem = await otherBody.ProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("reused-1", problem.GetProperty("detail").GetString());
        await otherPath.ProblemAsync(HttpStatusCode.Conflict);
        var goal = Assert.Single(await (await client.GetAsync("/goals")).ReadAsync<List<GoalResponse>>(HttpStatusCode.OK));
        Assert.Equal("Learn Spanish", goal.Title);
        Assert.Empty(await (await client.GetAsync("/habits")).ReadAsync<List<HabitResponse>>(HttpStatusCode.OK));
    }

    [Fact]
    public async Task Keys_are_each_users_own()
    {
        var alice = host.ClientFor(TestAuth.NewUserId());
        var bob = host.ClientFor(TestAuth.NewUserId());

        var hers = await SendAsync(alice, HttpMethod.Post, "/goals", new { title = "Swim" }, "shared-key");
        var his = await SendAsync(bob, HttpMethod.Post, "/goals", new { title = "Swim" }, "shared-key");

        Assert.NotEqual((await hers.ReadAsync<GoalResponse>(HttpStatusCode.Created)).Id, (await his.ReadAsync<GoalResponse>(HttpStatusCode.Created)).Id);
        Assert.False(Replayed(his));
        Assert.Single(await (await bob.GetAsync("/goals")).ReadAsync<List<GoalResponse>>(HttpStatusCode.OK));
    }

    [Fact]
    public async Task A_refused_request_keeps_no_key_and_a_bad_key_is_a_bad_request()
    {
        var subject = TestAuth.NewUserId();
        var client = host.ClientFor(subject);

        var refused = await SendAsync(client, HttpMethod.Post, "/goals", new { title = "" }, "fix-1");
        var fixedUp = await SendAsync(client, HttpMethod.Post, "/goals", new { title = "Sleep by 11" }, "fix-1");
        var tooLong = await SendAsync(client, HttpMethod.Post, "/goals", new { title = "Walk" }, new string('k', Idempotency.MaxKeyLength + 1));

        await refused.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.False(Replayed(fixedUp));
        await fixedUp.ReadAsync<GoalResponse>(HttpStatusCode.Created);
        var problem = await tooLong.ProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(Idempotency.Header, out _));
        Assert.Single(await (await client.GetAsync("/goals")).ReadAsync<List<GoalResponse>>(HttpStatusCode.OK));
        Assert.Equal(1, await StoredKeysAsync(subject));
    }

    [Fact]
    public async Task A_key_expires_after_a_day_and_the_sweep_removes_it()
    {
        var subject = TestAuth.NewUserId();
        var client = host.ClientFor(subject);
        var sweeper = host.Services.GetServices<IHostedService>().OfType<IdempotencyKeySweeper>().Single();
        await SendAsync(client, HttpMethod.Post, "/goals", new { title = "Stretch" }, "daily-1");

        host.Time.Advance(Idempotency.Lifetime - TimeSpan.FromMinutes(1));
        var stillKnown = await SendAsync(client, HttpMethod.Post, "/goals", new { title = "Stretch" }, "daily-1");
        host.Time.Advance(TimeSpan.FromMinutes(2));
        var expired = await SendAsync(client, HttpMethod.Post, "/goals", new { title = "Stretch" }, "daily-1");

        Assert.Equal(2, (await (await client.GetAsync("/goals")).ReadAsync<List<GoalResponse>>(HttpStatusCode.OK)).Count);
        Assert.True(Replayed(stillKnown));
        Assert.False(Replayed(expired)); // a new request: the key was free again
        Assert.Equal(1, await StoredKeysAsync(subject));

        // The sweeper also runs on its own as the clock moves; either run leaves no expired key.
        host.Time.Advance(Idempotency.Lifetime);
        await sweeper.SweepAsync(CancellationToken.None);
        Assert.Equal(0, await StoredKeysAsync(subject));
    }
}
