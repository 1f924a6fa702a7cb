using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aimi.Chat.Api.Endpoints;
using Aimi.Chat.Api.Sessions;
using Aimi.Chat.Api.Workers;
using Aimi.Contracts.Chat;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Aimi.Chat.Tests;

public sealed record EventDto(Guid Id, string Title, string Status, DateTimeOffset? StartsAt, string Source);

public sealed class ConversationTests(ChatHost host) : IClassFixture<ChatHost>
{
    private async Task<(HttpClient Chat, HttpClient Goals, string UserId)> UserInAsync(string timeZone)
    {
        var userId = TestAuth.NewUserId();
        var goals = host.GoalsClientFor(userId);
        (await goals.PutAsJsonAsync("/me", new { timeZone })).EnsureSuccessStatusCode();
        return (host.ClientFor(userId), goals, userId);
    }

    private DateTimeOffset TomorrowAt(int hour, string timeZone)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        var tomorrow = TimeZoneInfo.ConvertTime(host.Time.GetUtcNow(), zone).Date.AddDays(1).AddHours(hour);
        return new DateTimeOffset(tomorrow, zone.GetUtcOffset(tomorrow));
    }

    [Theory]
    [InlineData("remind me to call mom tomorrow at 6pm", "Europe/Berlin")]
    [InlineData("напомни позвонить маме завтра в 18:00", "Europe/Moscow")]
    public async Task A_reminder_request_creates_a_pending_event_in_the_goals_service(string text, string timeZone)
    {
        var (chat, goals, _) = await UserInAsync(timeZone);

        var result = await (await chat.SendAsync(text)).ReadAsync<SendResult>(HttpStatusCode.OK);

        var events = await (await goals.GetAsync("/events")).ReadAsync<List<EventDto>>(HttpStatusCode.OK);
        var created = Assert.Single(events);
        Assert.Equal("pending_confirmation", created.Status);
        Assert.Equal("chat", created.Source);
        Assert.Equal(TomorrowAt(18, timeZone), created.StartsAt);
        Assert.Contains(created.Id.ToString(), result.Reply.Metadata.GetProperty("linkedEventIds").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("create_event", result.Reply.Metadata.GetProperty("toolCalls")[0].GetProperty("name").GetString());
        Assert.False(result.SessionEnded);
        var stored = await (await chat.GetAsync($"/chat/sessions/{result.SessionId}")).ReadAsync<SessionDetails>(HttpStatusCode.OK);
        Assert.Contains(created.Id.ToString(), stored.Messages[0].Metadata.GetProperty("linkedEventIds").EnumerateArray().Select(e => e.GetString()));
    }

    /// <summary>
    /// Semantic Kernel writes three Information lines for every tool call ("invoking", "succeeded", "completed. Duration"), most of
    /// what Chat logged under load, each formatted, written to the console and read by whatever collects it (issue 17). Chat keeps
    /// its warnings and errors.
    /// </summary>
    [Fact]
    public void Tool_calls_are_not_logged_line_by_line()
    {
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Microsoft.SemanticKernel.KernelFunction");

        Assert.False(logger.IsEnabled(LogLevel.Information));
        Assert.True(logger.IsEnabled(LogLevel.Warning));
    }

    [Fact]
    public async Task A_resend_with_the_same_client_message_id_returns_the_first_answer()
    {
        var (chat, goals, _) = await UserInAsync("Europe/Berlin");

        var first = await (await chat.SendAsync("remind me to water the plants tomorrow at 9am", "client-1")).ReadAsync<SendResult>(HttpStatusCode.OK);
        var again = await (await chat.SendAsync("remind me to water the plants tomorrow at 9am", "client-1")).ReadAsync<SendResult>(HttpStatusCode.OK);

        Assert.True(again.Duplicate);
        Assert.Equal(first.Reply.Id, again.Reply.Id);
        Assert.Equal(first.Message.Id, again.Message.Id);
        Assert.Single(await (await goals.GetAsync("/events")).ReadAsync<List<EventDto>>(HttpStatusCode.OK));
        Assert.Equal(2, await host.WithDbAsync(db => db.Messages.CountAsync(m => m.SessionId == first.SessionId)));
    }

    [Fact]
    public async Task Goodbye_ends_the_session_and_the_next_session_asks_about_the_pending_item_first()
    {
        var (chat, _, userId) = await UserInAsync("Europe/Berlin");
        var first = await (await chat.SendAsync("remind me to call mom tomorrow at 6pm")).ReadAsync<SendResult>(HttpStatusCode.OK);

        var bye = await (await chat.SendAsync("bye")).ReadAsync<SendResult>(HttpStatusCode.OK);

        Assert.True(bye.SessionEnded);
        Assert.Equal("goodbye", bye.EndReason);
        var ended = (await host.Bus.WaitForAsync<ChatSessionEnded>(e => e.SessionId == first.SessionId))[0];
        Assert.Equal(userId, ended.UserId);
        Assert.Equal("goodbye", ended.Reason);
        Assert.Equal(4, ended.Transcript.Count);
        Assert.Equal(["user", "assistant", "user", "assistant"], ended.Transcript.Select(t => t.Role));
        Assert.Equal("remind me to call mom tomorrow at 6pm", ended.Transcript[0].Content);

        var next = await (await chat.SendAsync("hi")).ReadAsync<SendResult>(HttpStatusCode.OK);

        Assert.NotEqual(first.SessionId, next.SessionId);
        Assert.Contains("call mom", next.Reply.Content, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Ending_by_request_announces_the_session_once()
    {
        var (chat, _, _) = await UserInAsync("UTC");
        var sent = await (await chat.SendAsync("hello")).ReadAsync<SendResult>(HttpStatusCode.OK);

        var end = await (await chat.PostAsJsonAsync("/chat/end", new { })).ReadAsync<EndResponse>(HttpStatusCode.OK);
        var again = await chat.PostAsJsonAsync("/chat/end", new { });

        Assert.True(end.Ended);
        Assert.Equal(sent.SessionId, end.SessionId);
        await again.ProblemAsync(HttpStatusCode.NotFound);
        await host.Bus.WaitForAsync<ChatSessionEnded>(e => e.SessionId == sent.SessionId && e.Reason == "ended_by_user");
        await EndMarkerSessionAsync();
        Assert.Single(host.Bus.Received<ChatSessionEnded>(e => e.SessionId == sent.SessionId));
    }

    [Fact]
    public async Task Ten_idle_minutes_end_the_session_once_even_with_sweeps_racing()
    {
        var (chat, _, _) = await UserInAsync("UTC");
        var sent = await (await chat.SendAsync("hello")).ReadAsync<SendResult>(HttpStatusCode.OK);
        var sweeper = host.Services.GetServices<IHostedService>().OfType<IdleSessionSweeper>().Single();

        host.Time.Advance(TimeSpan.FromMinutes(9));
        await sweeper.SweepAsync(CancellationToken.None);
        Assert.Equal("active", (await SessionAsync(chat, sent.SessionId)).Status);

        host.Time.Advance(TimeSpan.FromMinutes(2));
        var swept = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => sweeper.SweepAsync(CancellationToken.None)));

        var session = await SessionAsync(chat, sent.SessionId);
        Assert.Equal(("ended", "idle"), (session.Status, session.EndReason));
        Assert.True(swept.Sum() >= 1);
        await host.Bus.WaitForAsync<ChatSessionEnded>(e => e.SessionId == sent.SessionId && e.Reason == "idle");
        await EndMarkerSessionAsync();
        Assert.Single(host.Bus.Received<ChatSessionEnded>(e => e.SessionId == sent.SessionId));
        var next = await (await chat.SendAsync("hello again")).ReadAsync<SendResult>(HttpStatusCode.OK);
        Assert.NotEqual(sent.SessionId, next.SessionId);
    }

    [Fact]
    public async Task The_thirtieth_message_ends_the_session()
    {
        var (chat, _, _) = await UserInAsync("UTC");
        SendResult last = null!;
        for (var i = 0; i < 15; i++)
        {
            last = await (await chat.SendAsync($"thanks {i}")).ReadAsync<SendResult>(HttpStatusCode.OK);
            Assert.Equal(i == 14, last.SessionEnded);
        }

        Assert.Equal("message_limit", last.EndReason);
        var ended = await host.Bus.WaitForAsync<ChatSessionEnded>(e => e.SessionId == last.SessionId);
        Assert.Equal(30, ended[0].MessageCount);
    }

    [Fact]
    public async Task Sessions_and_messages_are_listed_for_their_owner_only()
    {
        var (chat, _, _) = await UserInAsync("UTC");
        var sent = await (await chat.SendAsync("hello", clientMessageId: "web-1")).ReadAsync<SendResult>(HttpStatusCode.OK);
        var stranger = host.ClientFor(TestAuth.NewUserId());

        var details = await (await chat.GetAsync($"/chat/sessions/{sent.SessionId}")).ReadAsync<SessionDetails>(HttpStatusCode.OK);
        var list = await (await chat.GetAsync("/chat/sessions")).ReadAsync<List<SessionView>>(HttpStatusCode.OK);

        Assert.Equal(2, details.Messages.Count);
        Assert.Equal(["user", "assistant"], details.Messages.Select(m => m.Role));
        // The sender's own id comes back, so a client can match its unanswered messages with the stored history.
        Assert.Equal(["web-1", null], details.Messages.Select(m => m.ClientMessageId));
        Assert.Contains(list, s => s.Id == sent.SessionId);
        await (await stranger.GetAsync($"/chat/sessions/{sent.SessionId}")).ProblemAsync(HttpStatusCode.NotFound);
        await (await stranger.SendAsync("let me in", sessionId: sent.SessionId)).ProblemAsync(HttpStatusCode.NotFound);
        await (await stranger.PostAsJsonAsync("/chat/end", new { sessionId = sent.SessionId })).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Empty(await (await stranger.GetAsync("/chat/sessions")).ReadAsync<List<SessionView>>(HttpStatusCode.OK));
    }

    // A later session end on the same path (outbox → relay → RabbitMQ): once it arrived, a second announcement of an
    // earlier end would have arrived too.
    private async Task EndMarkerSessionAsync()
    {
        var marker = host.ClientFor(TestAuth.NewUserId());
        var sent = await (await marker.SendAsync("hello")).ReadAsync<SendResult>(HttpStatusCode.OK);
        (await marker.PostAsJsonAsync("/chat/end", new { })).EnsureSuccessStatusCode();
        await host.Bus.WaitForAsync<ChatSessionEnded>(e => e.SessionId == sent.SessionId);
    }

    [Fact]
    public async Task Bad_messages_are_problems_and_store_nothing()
    {
        var userId = TestAuth.NewUserId();
        var chat = host.ClientFor(userId);

        // Every 400 names its fields in `errors`, as Goals' do.
        var empty = await (await chat.SendAsync("   ")).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(JsonValueKind.Array, empty.GetProperty("errors").GetProperty("content").ValueKind);
        var longId = await (await chat.SendAsync("hi", clientMessageId: new string('c', 101))).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(JsonValueKind.Array, longId.GetProperty("errors").GetProperty("clientMessageId").ValueKind);
        var badLimit = await (await chat.GetAsync("/chat/sessions?limit=0")).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(JsonValueKind.Array, badLimit.GetProperty("errors").GetProperty("limit").ValueKind);
        var tooLong = await (await chat.SendAsync(new string('x', 4001))).ProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(JsonValueKind.Array, tooLong.GetProperty("errors").GetProperty("content").ValueKind);
        await (await chat.PostAsync("/chat/send", new StringContent("{\"content\": ", System.Text.Encoding.UTF8, "application/json"))).ProblemAsync(HttpStatusCode.BadRequest);
        await (await chat.PostAsJsonAsync("/chat/send", new { content = "hi", userId = "someone-else" })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await chat.SendAsync("hi", sessionId: Guid.NewGuid())).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.CreateClient().SendAsync("hi")).StatusCode);

        Assert.Equal(0, await host.WithDbAsync(db => db.Messages.CountAsync(m => m.UserId == userId)));
    }

    [Fact]
    public async Task Without_a_configured_memory_service_no_call_is_attempted()
    {
        await using var scope = host.Services.CreateAsyncScope();
        var memory = scope.ServiceProvider.GetRequiredService<Aimi.Chat.Api.Clients.MemoryClient>();

        Assert.False(memory.IsConfigured);
        Assert.Null(await memory.GetContextAsync(TestAuth.Token("x"), null, null, CancellationToken.None));
    }

    private static async Task<SessionView> SessionAsync(HttpClient chat, Guid id) =>
        (await (await chat.GetAsync($"/chat/sessions/{id}")).ReadAsync<SessionDetails>(HttpStatusCode.OK)).Session;
}

public sealed class ConcurrentResendTests(ChatHost host) : IClassFixture<ChatHost>
{
    [Fact]
    public async Task Racing_copies_of_one_message_store_it_once_and_all_end_with_the_same_answer()
    {
        var userId = TestAuth.NewUserId();
        var chat = host.ClientFor(userId);

        var racing = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => chat.SendAsync("remind me to feed the cat tomorrow at 8am", "same-id")));

        Assert.All(racing, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, r.StatusCode.ToString()));
        var settled = await (await chat.SendAsync("remind me to feed the cat tomorrow at 8am", "same-id")).ReadAsync<SendResult>(HttpStatusCode.OK);
        foreach (var response in racing.Where(r => r.StatusCode == HttpStatusCode.OK))
        {
            Assert.Equal(settled.Reply.Id, (await response.ReadAsync<SendResult>(HttpStatusCode.OK)).Reply.Id);
        }
        Assert.Equal(1, await host.WithDbAsync(db => db.Messages.CountAsync(m => m.UserId == userId && m.Role == Aimi.Chat.Api.Domain.MessageRole.User)));
        Assert.Equal(1, await host.WithDbAsync(db => db.Messages.CountAsync(m => m.UserId == userId && m.Role == Aimi.Chat.Api.Domain.MessageRole.Assistant)));
        var events = await (await host.GoalsClientFor(userId).GetAsync("/events")).ReadAsync<List<EventDto>>(HttpStatusCode.OK);
        Assert.Single(events);
    }
}
