using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aimi.Chat.Api.Clients;
using Aimi.Chat.Api.Data;
using Aimi.Chat.Api.Sessions;
using Aimi.Contracts.Goals;
using Aimi.Contracts.Notifications;
using Aimi.Testing;
using Microsoft.AspNetCore.Hosting;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Xunit;

namespace Aimi.Chat.Tests;

/// <summary>
/// Loses Goals' answers on purpose, between Chat's resilience handler and the network: the request reaches Goals and does
/// its work, and Chat is told 503 — what a slow Goals looks like once the attempt has timed out. The resilience handler
/// then retries the write. Every write attempt is recorded with its <c>Idempotency-Key</c>.
/// </summary>
public sealed class LostAnswers
{
    private int _toLose;

    public ConcurrentQueue<(string Path, string? Key)> Writes { get; } = new();

    /// <summary>Goals' answer to the next write is lost (once).</summary>
    public void LoseNextAnswer() => Interlocked.Exchange(ref _toLose, 1);

    internal bool TakeLoss() => Interlocked.Exchange(ref _toLose, 0) == 1;

    internal sealed class Handler(LostAnswers lost) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var write = request.Method != HttpMethod.Get;
            if (write)
            {
                lost.Writes.Enqueue((request.RequestUri!.AbsolutePath, request.Headers.TryGetValues(GoalsClient.IdempotencyHeader, out var keys) ? keys.Single() : null));
            }
            var response = await base.SendAsync(request, cancellationToken);
            if (write && lost.TakeLoss())
            {
                response.Dispose();
                return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { RequestMessage = request };
            }
            return response;
        }
    }
}

/// <summary>A Chat host whose calls to Goals can lose their answers (<see cref="LostAnswers"/>) and whose database path carries <see cref="ChatFaults"/>.</summary>
public sealed class LossyGoalsChatHost : ChatHost
{
    public LostAnswers Lost { get; } = new();
    public ChatFaults Faults { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services =>
        {
            // Added after the service defaults' resilience handler, so it sits inside it: each retry passes it again.
            services.AddHttpClient<GoalsClient>().AddHttpMessageHandler(() => new LostAnswers.Handler(Lost));
            // The pause before a retry runs on the host's clock, which the tests move by hand: retry at once instead. What
            // is tested is what a retry does, not when it comes.
            services.ConfigureAll<HttpStandardResilienceOptions>(options => options.Retry.Delay = TimeSpan.Zero);
            services.ConfigureDbContext<ChatDbContext>(options => options.AddInterceptors(Faults));
        });
    }
}

/// <summary>
/// Chat's writes to Goals are retried (by the resilience handler after a lost answer, or by a turn run again after it
/// died); each carries one <c>Idempotency-Key</c> for all its attempts, so Goals does the work once.
/// </summary>
public sealed class RetriedWriteTests(LossyGoalsChatHost host) : IClassFixture<LossyGoalsChatHost>
{
    private sealed record ItemDto(Guid Id, string Title);

    private sealed record HistoryDto(string To);

    private async Task<(HttpClient Chat, HttpClient Goals, string UserId)> UserAsync()
    {
        var userId = TestAuth.NewUserId();
        var goals = host.GoalsClientFor(userId);
        (await goals.PutAsJsonAsync("/me", new { timeZone = "Europe/Berlin" })).EnsureSuccessStatusCode();
        return (host.ClientFor(userId), goals, userId);
    }

    // The attempts of the write to this path since the test began: all with one key, and more than one (it was retried).
    private void AssertRetriedWithOneKey(string path, int writesBefore)
    {
        var attempts = host.Lost.Writes.Skip(writesBefore).Where(w => w.Path == path).ToList();
        Assert.True(attempts.Count >= 2, $"The write to {path} was not retried ({attempts.Count} attempt(s)).");
        Assert.NotNull(attempts[0].Key);
        Assert.All(attempts, a => Assert.Equal(attempts[0].Key, a.Key));
    }

    [Fact]
    public async Task A_goal_whose_answer_was_lost_is_created_once()
    {
        var (chat, goals, _) = await UserAsync();
        var before = host.Lost.Writes.Count;
        host.Lost.LoseNextAnswer();

        var sent = await (await chat.SendAsync("my goal is to run a marathon by June 1")).ReadAsync<SendResult>(HttpStatusCode.OK);

        var goal = Assert.Single(await (await goals.GetAsync("/goals")).ReadAsync<List<ItemDto>>(HttpStatusCode.OK));
        Assert.Equal(goal.Id, sent.Reply.Metadata.GetProperty("toolCalls")[0].GetProperty("goalId").GetGuid());
        AssertRetriedWithOneKey("/goals", before);
    }

    [Fact]
    public async Task A_habit_whose_answer_was_lost_is_created_once()
    {
        var (chat, goals, _) = await UserAsync();
        var before = host.Lost.Writes.Count;
        host.Lost.LoseNextAnswer();

        await (await chat.SendAsync("every weekday at 7 go for a run")).ReadAsync<SendResult>(HttpStatusCode.OK);

        Assert.Single(await (await goals.GetAsync("/habits")).ReadAsync<List<ItemDto>>(HttpStatusCode.OK));
        AssertRetriedWithOneKey("/habits", before);
    }

    [Fact]
    public async Task A_postpone_whose_answer_was_lost_moves_the_event_once()
    {
        var (chat, goals, userId) = await UserAsync();
        var created = await (await goals.PostJsonAsync("/events", new { title = "Dentist", startsAt = host.Time.GetUtcNow().AddMinutes(15) }))
            .ReadAsync<EventDto>(HttpStatusCode.Created);
        // The last reminder went out: the event awaits feedback, so the assistant knows which one "it" is (and may move it).
        await host.Bus.Bus.Publish(new ReminderDelivered
        {
            ReminderId = Guid.NewGuid(), EventId = created.Id, UserId = userId, Channel = ReminderChannels.InApp, Offset = TimeSpan.FromMinutes(15),
            Title = "Dentist", Text = "Dentist in 15 minutes", EventStartsAt = created.StartsAt, DeliveredAt = host.Time.GetUtcNow(),
        });
        await host.Bus.WaitForAsync<EventChanged>(e => e.EventId == created.Id && e.Status == EventStatuses.AwaitingFeedback);
        var before = host.Lost.Writes.Count;
        host.Lost.LoseNextAnswer();

        await (await chat.SendAsync("can you push it by 30 minutes?")).ReadAsync<SendResult>(HttpStatusCode.OK);

        var moved = await (await goals.GetAsync($"/events/{created.Id}")).ReadAsync<EventDto>(HttpStatusCode.OK);
        Assert.Equal(created.StartsAt!.Value.AddMinutes(30), moved.StartsAt);
        var history = await (await goals.GetAsync($"/events/{created.Id}/history")).ReadAsync<List<HistoryDto>>(HttpStatusCode.OK);
        Assert.Single(history, h => h.To == "postponed"); // one postpone (it passes through postponed back to planned)
        AssertRetriedWithOneKey($"/events/{created.Id}/postpone", before);
    }

    [Fact]
    public async Task A_turn_run_again_after_it_died_sends_the_same_keys_and_creates_nothing_twice()
    {
        var (chat, goals, _) = await UserAsync();
        var before = host.Lost.Writes.Count;
        // The reply's store fails (matched by its role): the goal exists, the message has no answer.
        host.Faults.FailStoring("assistant");
        var died = await chat.SendAsync("my goal is to learn Spanish by June 1", clientMessageId: "rerun-1");
        Assert.Equal(HttpStatusCode.InternalServerError, died.StatusCode);
        Assert.Equal(1, host.Faults.StoresFailed);
        Assert.Single(await (await goals.GetAsync("/goals")).ReadAsync<List<ItemDto>>(HttpStatusCode.OK));

        // Past the in-flight window the resend answers the message again: the same turn, run a second time.
        host.Time.Advance(ChatTurns.InFlightWindow + TimeSpan.FromSeconds(1));
        var again = await (await chat.SendAsync("my goal is to learn Spanish by June 1", clientMessageId: "rerun-1")).ReadAsync<SendResult>(HttpStatusCode.OK);

        var goal = Assert.Single(await (await goals.GetAsync("/goals")).ReadAsync<List<ItemDto>>(HttpStatusCode.OK));
        Assert.Equal(goal.Id, again.Reply.Metadata.GetProperty("toolCalls")[0].GetProperty("goalId").GetGuid());
        // One write from each run, with the key of the message and the write's place in the turn.
        var runs = host.Lost.Writes.Skip(before).Where(w => w.Path == "/goals").ToList();
        Assert.Equal(2, runs.Count);
        Assert.All(runs, r => Assert.Equal($"{again.Message.Id:N}:1", r.Key));
        Assert.Equal(1, await host.WithDbAsync(db => db.Messages.CountAsync(m => m.SessionId == again.SessionId && m.ReplyToId == again.Message.Id)));
    }
    [Fact]
    public async Task A_turn_that_died_is_answered_again_at_once_when_no_one_holds_its_lease()
    {
        var (chat, _, _) = await UserAsync();
        host.Faults.FailStoring("assistant");
        var died = await chat.SendAsync("hello there", clientMessageId: "died-1");
        Assert.Equal(HttpStatusCode.InternalServerError, died.StatusCode);

        // Within the in-flight window: the turn that died released its lease, so the resend answers instead of a 409.
        var again = await (await chat.SendAsync("hello there", clientMessageId: "died-1")).ReadAsync<SendResult>(HttpStatusCode.OK);

        Assert.Equal("died-1", again.Message.ClientMessageId);
        Assert.Equal(1, await host.WithDbAsync(db => db.Messages.CountAsync(m => m.ClientMessageId == "died-1")));
    }

    [Fact]
    public async Task A_resend_while_another_replica_holds_the_turns_lease_is_409()
    {
        var (chat, _, userId) = await UserAsync();
        // Another replica is answering this message right now.
        await host.Services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>().GetDatabase().StringSetAsync(TurnLeases.Key(userId, "held-1"), "another-replica", TimeSpan.FromMinutes(1));

        var response = await chat.SendAsync("hello there", clientMessageId: "held-1");

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal(0, await host.WithDbAsync(db => db.Messages.CountAsync(m => m.ClientMessageId == "held-1")));
    }
}
