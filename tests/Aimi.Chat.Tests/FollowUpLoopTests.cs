using System.Net;
using Aimi.Chat.Api.Data;
using Aimi.Chat.Api.Sessions;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Aimi.Chat.Tests;

/// <summary>
/// Issue 9's loop through the gateway with the local model, only the clock moved: an event made and confirmed in chat,
/// its reminder planned (scheduled) and delivered, the follow-up after it, asked first in the next session, and the
/// answer recorded as feedback.
/// </summary>
public sealed class FollowUpLoopTests(FollowUpLoop loop) : IClassFixture<FollowUpLoop>
{
    private async Task<string> StatusAsync(string userId, Guid eventId) =>
        (await (await loop.ClientFor(userId).GetAsync($"/events/{eventId}")).ReadAsync<EventDto>(HttpStatusCode.OK)).Status;

    private Task<string> WaitForStatusAsync(string userId, Guid eventId, string status) =>
        Eventually.GetAsync(() => StatusAsync(userId, eventId), s => s == status, because: $"event {eventId} to become {status}");

    private async Task<bool> ChatHasAsync(string userId, string tag)
    {
        await using var scope = loop.Chat.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ChatDbContext>();
        var kind = $$"""{"kind":"{{tag}}"}""";
        return await db.Messages.AnyAsync(m => m.UserId == userId && EF.Functions.JsonContains(m.Metadata, kind));
    }

    [Fact]
    public async Task An_event_made_in_chat_is_reminded_followed_up_asked_about_first_and_marked_done()
    {
        var userId = TestAuth.NewUserId();
        var chat = loop.ClientFor(userId);

        var created = await (await chat.SendAsync("remind me to see the dentist in 30 minutes")).ReadAsync<SendResult>(HttpStatusCode.OK);
        var eventId = created.Reply.Metadata.GetProperty("linkedEventIds")[0].GetGuid();
        await (await chat.SendAsync("yes")).ReadAsync<SendResult>(HttpStatusCode.OK);
        // Notifications planned the 15-minute reminder and the follow-up (the 24 h and 2 h ones are past): scheduled.
        await WaitForStatusAsync(userId, eventId, "scheduled");
        var bye = await (await chat.SendAsync("bye")).ReadAsync<SendResult>(HttpStatusCode.OK);
        Assert.True(bye.SessionEnded);

        loop.Time.Advance(TimeSpan.FromMinutes(16));
        await WaitForStatusAsync(userId, eventId, "awaiting_feedback"); // the last reminder went out in-app
        await Eventually.GetAsync(() => ChatHasAsync(userId, "reminder"), stored => stored, because: "the reminder to be in the conversation");

        // No end time: the follow-up is due an hour after the start.
        loop.Time.Advance(TimeSpan.FromMinutes(76));
        await Eventually.GetAsync(() => ChatHasAsync(userId, "follow_up"), stored => stored, because: "the follow-up to be in the conversation");

        chat = loop.ClientFor(userId); // a token of the later now
        var greeted = await (await chat.SendAsync("hi")).ReadAsync<SendResult>(HttpStatusCode.OK);
        var answered = await (await chat.SendAsync("it went well")).ReadAsync<SendResult>(HttpStatusCode.OK);

        Assert.StartsWith("Hi! How did “See the dentist”", greeted.Reply.Content);
        Assert.Equal("Great! I've noted that “See the dentist” went well.", answered.Reply.Content);
        Assert.Equal("done", await StatusAsync(userId, eventId));
    }
}
