using System.Net;
using System.Text.Json;
using Aimi.Chat.Api.Domain;
using Aimi.Chat.Api.Sessions;
using Aimi.Contracts.Notifications;
using Aimi.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Chat.Tests;

/// <summary>
/// "How did it go?" from Notifications into the conversation: stored once, asked first when the user next speaks, and the
/// answer (the local model, English and Russian) recorded as feedback in the real Goals service.
/// </summary>
public sealed class FollowUpTests(ChatHost host) : IClassFixture<ChatHost>
{
    private async Task<EventDto> ConfirmedEventAsync(string userId, string title)
    {
        // From the API an event is confirmed at once (planned).
        var created = await (await host.GoalsClientFor(userId).PostJsonAsync("/events", new { title, startsAt = host.Time.GetUtcNow().AddMinutes(30) }))
            .ReadAsync<EventDto>(HttpStatusCode.Created);
        Assert.Equal("planned", created.Status);
        return created;
    }

    private FollowUpDue FollowUp(string userId, EventDto item, string question, string locale) => new()
    {
        FollowUpId = Guid.NewGuid(), EventId = item.Id, UserId = userId, EventTitle = item.Title, EventStartsAt = item.StartsAt,
        EventEndsAt = item.StartsAt?.AddHours(1), Question = question, Locale = locale, DueAt = host.Time.GetUtcNow(), OccurredAt = host.Time.GetUtcNow(),
    };

    private Task<ChatMessage> StoredAsync(string userId, string content) =>
        Eventually.GetAsync(
            () => host.WithDbAsync(db => db.Messages.AsNoTracking().SingleOrDefaultAsync(m => m.UserId == userId && m.Content == content)),
            m => m is not null, because: $"'{content}' to be stored")!;

    private async Task<string> StatusAsync(string userId, Guid eventId) =>
        (await (await host.GoalsClientFor(userId).GetAsync($"/events/{eventId}")).ReadAsync<EventDto>(HttpStatusCode.OK)).Status;

    [Fact]
    public async Task A_follow_up_is_stored_once_per_follow_up_id_even_sent_again_under_a_new_message_id()
    {
        var userId = TestAuth.NewUserId();
        var item = await ConfirmedEventAsync(userId, "Dentist");
        var followUp = FollowUp(userId, item, "How did the dentist go?", "en");

        // Two sends of one follow-up, each with its own message id (a re-published outbox row), racing on one queue.
        Guid[] copies = [Guid.NewGuid(), Guid.NewGuid()];
        await Task.WhenAll(copies.Select(id => host.Bus.Bus.Publish(followUp, c => c.MessageId = id)));
        // Both copies have had their chance once each is in the inbox (a copy that lost a race on the user's session retries
        // first, so a later message on the queue is no marker for them).
        await Eventually.GetAsync(
            () => host.WithDbAsync(db => db.Set<Aimi.Messaging.ProcessedMessage>().AsNoTracking()
                .CountAsync(m => copies.Contains(m.MessageId) && m.Consumer == "chat-follow-up-due")),
            count => count == copies.Length, because: "both copies to be consumed");

        var stored = await host.WithDbAsync(db => db.Messages.AsNoTracking().Where(m => m.UserId == userId && m.Content == "How did the dentist go?").ToListAsync());
        var message = Assert.Single(stored);
        Assert.Equal(MessageRole.Assistant, message.Role);
        var metadata = JsonDocument.Parse(message.Metadata).RootElement;
        Assert.Equal("follow_up", metadata.GetProperty("kind").GetString());
        Assert.Equal(["follow_up"], metadata.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal([item.Id], metadata.GetProperty("linkedEventIds").EnumerateArray().Select(t => t.GetGuid()));
        Assert.Equal(followUp.FollowUpId, metadata.GetProperty("followUpId").GetGuid());
    }

    [Fact]
    public async Task The_next_session_asks_how_it_went_first_and_the_answer_marks_the_event_done()
    {
        var userId = TestAuth.NewUserId();
        var client = host.ClientFor(userId);
        var item = await ConfirmedEventAsync(userId, "Dentist");
        await host.Bus.Bus.Publish(FollowUp(userId, item, "How did the dentist go?", "en"));
        var stored = await StoredAsync(userId, "How did the dentist go?");

        var greeted = await (await client.SendAsync("hi")).ReadAsync<SendResult>(HttpStatusCode.OK);
        var answered = await (await client.SendAsync("it went well")).ReadAsync<SendResult>(HttpStatusCode.OK);

        Assert.Equal(stored.SessionId, greeted.SessionId); // the follow-up opened the session the user then spoke in
        Assert.StartsWith("Hi! How did “Dentist”", greeted.Reply.Content);
        Assert.Equal("Great! I've noted that “Dentist” went well.", answered.Reply.Content);
        Assert.Equal("done", await StatusAsync(userId, item.Id));
        var call = answered.Reply.Metadata.GetProperty("toolCalls").EnumerateArray().Single();
        Assert.Equal(("record_feedback", "done"), (call.GetProperty("name").GetString(), call.GetProperty("arguments").GetProperty("outcome").GetString()));
    }

    [Fact]
    public async Task A_russian_answer_that_it_did_not_work_out_marks_the_event_missed()
    {
        var userId = TestAuth.NewUserId();
        var client = host.ClientFor(userId);
        var item = await ConfirmedEventAsync(userId, "Стоматолог");
        await host.Bus.Bus.Publish(FollowUp(userId, item, "Как прошёл визит к стоматологу?", "ru"));
        await StoredAsync(userId, "Как прошёл визит к стоматологу?");

        var greeted = await (await client.SendAsync("привет")).ReadAsync<SendResult>(HttpStatusCode.OK);
        var answered = await (await client.SendAsync("не получилось")).ReadAsync<SendResult>(HttpStatusCode.OK);

        Assert.StartsWith("Привет! Как прошло «Стоматолог»", greeted.Reply.Content);
        Assert.StartsWith("Понятно, «Стоматолог» не получилось", answered.Reply.Content);
        Assert.Equal("missed", await StatusAsync(userId, item.Id));
    }

    [Fact]
    public async Task Partly_is_done_with_the_users_words_as_the_note()
    {
        var userId = TestAuth.NewUserId();
        var client = host.ClientFor(userId);
        var item = await ConfirmedEventAsync(userId, "Spring cleaning");
        await host.Bus.Bus.Publish(FollowUp(userId, item, "How did the spring cleaning go?", "en"));
        await StoredAsync(userId, "How did the spring cleaning go?");

        var answered = await (await client.SendAsync("partly, the windows are left")).ReadAsync<SendResult>(HttpStatusCode.OK);

        Assert.Equal("done", await StatusAsync(userId, item.Id));
        var history = await (await host.GoalsClientFor(userId).GetAsync($"/events/{item.Id}/history")).Content.ReadAsStringAsync();
        Assert.Contains("partly, the windows are left", history);
        Assert.Contains("record_feedback", answered.Reply.Metadata.GetRawText());
    }
}
