using System.Net;
using Aimi.Contracts.Accounts;
using Aimi.Goals.Api.Endpoints;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Goals.Tests;

public sealed class AccountErasureTests(GoalsHost host) : IClassFixture<GoalsHost>, IAsyncLifetime
{
    private BusRecorder _accounts = null!;

    public async Task InitializeAsync() =>
        _accounts = await BusRecorder.StartAsync(host.VirtualHost.ConnectionString, typeof(AccountErasureRequested), typeof(AccountErased));

    public async Task DisposeAsync() => await _accounts.DisposeAsync();

    [Fact]
    public async Task Delete_me_erases_the_plan_at_once_and_completes_when_every_service_answered()
    {
        var user = TestAuth.NewUserId();
        var other = TestAuth.NewUserId();
        var client = host.ClientFor(user);
        (await client.PutJsonAsync("/me", new { displayName = "Ada", channels = new { inApp = true, email = "ada@example.com" } })).EnsureSuccessStatusCode();
        var goal = await (await client.PostJsonAsync("/goals", new { title = "Run a marathon" })).ReadAsync<GoalResponse>(HttpStatusCode.Created);
        var habit = await (await client.PostJsonAsync("/habits", new { title = "Run", cadence = "0 7 * * *", goalId = goal.Id })).ReadAsync<HabitResponse>(HttpStatusCode.Created);
        var item = await (await client.PostJsonAsync("/events", new { title = "Dentist", startsAt = host.Time.GetUtcNow().AddDays(1) })).ReadAsync<EventResponse>(HttpStatusCode.Created);
        var theirs = await (await host.ClientFor(other).PostJsonAsync("/goals", new { title = "Learn Go" })).ReadAsync<GoalResponse>(HttpStatusCode.Created);

        Assert.True(await OutboxRowsAboutAsync(user) >= 4);

        var deleted = await client.DeleteAsync("/me");
        var accepted = await deleted.ReadAsync<ErasureResponse>(HttpStatusCode.Accepted);

        Assert.EndsWith("/me/erasure", deleted.Headers.Location?.ToString());
        Assert.Equal(ErasureApi.InProgress, accepted.Status);
        Assert.Equal([ErasureServices.Goals], accepted.Erased);
        Assert.Equal([ErasureServices.Chat, ErasureServices.Memory, ErasureServices.Notifications], accepted.Pending);
        var requested = (await _accounts.WaitForAsync<AccountErasureRequested>(r => r.UserId == user)).Single();
        Assert.Equal(accepted.Id, requested.ErasureId);
        // Goals holds nothing of the user, its outbox included (sent rows are kept for days with whole records); the other user keeps theirs.
        Assert.False(await host.WithDbAsync(db => db.Users.AnyAsync(u => u.ExternalSubject == user)));
        Assert.Equal(0, await OutboxRowsAboutAsync(user));
        Assert.False(await host.WithDbAsync(db => db.IdempotentRequests.AnyAsync(r => r.Subject == user)));
        Assert.True(await host.WithDbAsync(db => db.Goals.AnyAsync(g => g.Id == theirs.Id)));
        Assert.False(await host.WithDbAsync(db => db.Goals.AnyAsync(g => g.Id == goal.Id)));
        Assert.False(await host.WithDbAsync(db => db.Habits.AnyAsync(h => h.Id == habit.Id)));
        Assert.False(await host.WithDbAsync(db => db.Events.AnyAsync(e => e.Id == item.Id)));
        Assert.False(await host.WithDbAsync(db => db.EventHistory.AnyAsync(h => h.EventId == item.Id)));

        // Under way: asking again answers the same erasure; the account cannot be used (its plan would reach services still erasing).
        Assert.Equal(accepted.Id, (await (await client.DeleteAsync("/me")).ReadAsync<ErasureResponse>(HttpStatusCode.Accepted)).Id);
        await (await client.GetAsync("/me")).ProblemAsync(HttpStatusCode.Conflict);
        await (await client.PostJsonAsync("/goals", new { title = "Sneak in" })).ProblemAsync(HttpStatusCode.Conflict);

        await AnswerAsync(user, accepted.Id, ErasureServices.Chat);
        await AnswerAsync(user, accepted.Id, ErasureServices.Chat); // a repeat under another message id counts once
        await AnswerAsync(user, accepted.Id, ErasureServices.Memory);
        var partial = await Eventually.GetAsync(() => StatusAsync(client),
            s => s.Erased.Count == 3);
        Assert.Equal(ErasureApi.InProgress, partial.Status);
        Assert.Equal([ErasureServices.Notifications], partial.Pending);

        await AnswerAsync(user, accepted.Id, ErasureServices.Notifications);
        var done = await Eventually.GetAsync(() => StatusAsync(client),
            s => s.Status == ErasureApi.Completed);
        Assert.NotNull(done.CompletedAt);
        Assert.Empty(done.Pending);
        var erased = (await _accounts.WaitForAsync<AccountErased>(e => e.UserId == user)).Single();
        Assert.Equal(accepted.Id, erased.ErasureId);

        // Afterwards a sign-in is a fresh account.
        var fresh = await (await client.GetAsync("/me")).ReadAsync<MeResponse>(HttpStatusCode.OK);
        Assert.Null(fresh.DisplayName);
        Assert.Null(fresh.Channels.Email);
        Assert.Empty(await (await client.GetAsync("/goals")).ReadAsync<List<GoalResponse>>(HttpStatusCode.OK));
    }

    [Fact]
    public async Task Answers_arriving_together_complete_the_erasure_once()
    {
        var user = TestAuth.NewUserId();
        var client = host.ClientFor(user);
        var accepted = await (await client.DeleteAsync("/me")).ReadAsync<ErasureResponse>(HttpStatusCode.Accepted);

        await Task.WhenAll(new[] { ErasureServices.Chat, ErasureServices.Memory, ErasureServices.Notifications }.Select(s => AnswerAsync(user, accepted.Id, s)));

        var done = await Eventually.GetAsync(() => StatusAsync(client), s => s.Status == ErasureApi.Completed || s.Pending.Count == 0);
        Assert.Equal(ErasureApi.Completed, done.Status);
        Assert.Single(await _accounts.WaitForAsync<AccountErased>(e => e.UserId == user));
    }

    [Fact]
    public async Task The_erasure_status_is_the_callers_own()
    {
        var user = TestAuth.NewUserId();
        await (await host.ClientFor(user).DeleteAsync("/me")).ReadAsync<ErasureResponse>(HttpStatusCode.Accepted);

        await (await host.ClientFor(TestAuth.NewUserId()).GetAsync("/me/erasure")).ProblemAsync(HttpStatusCode.NotFound);
        using var anonymous = host.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.DeleteAsync("/me")).StatusCode);
    }

    private Task<int> OutboxRowsAboutAsync(string user) => host.WithDbAsync(db => db.Database.SqlQuery<int>($"""
        SELECT count(*)::int AS "Value" FROM outbox_messages WHERE payload::text LIKE {"%" + user + "%"} AND message_type NOT LIKE 'Aimi.Contracts.Accounts.%'
        """).SingleAsync());

    private static async Task<ErasureResponse> StatusAsync(HttpClient client) =>
        await (await client.GetAsync("/me/erasure")).ReadAsync<ErasureResponse>(HttpStatusCode.OK);

    private Task AnswerAsync(string user, Guid erasureId, string service) => _accounts.Bus.Publish(new AccountErasureCompleted
    {
        ErasureId = erasureId, UserId = user, Service = service, CompletedAt = host.Time.GetUtcNow(),
    });
}
