using System.Net;
using Aimi.Chat.Api.Domain;
using Aimi.Chat.Api.Sessions;
using Aimi.Contracts.Goals;
using Aimi.Contracts.Notifications;
using Aimi.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Aimi.Chat.Tests;

/// <summary>An in-app reminder on its way into the conversation, with the races around it put in on purpose.</summary>
public sealed class ReminderDeliveryTests(FaultyChatHost host) : IClassFixture<FaultyChatHost>
{
    private ReminderDelivered Reminder(string userId, string text, Guid? eventId = null) => new()
    {
        ReminderId = Guid.NewGuid(), EventId = eventId ?? Guid.NewGuid(), UserId = userId, Channel = ReminderChannels.InApp, Offset = TimeSpan.FromMinutes(15),
        Title = text, Text = text, EventStartsAt = host.Time.GetUtcNow().AddMinutes(15), DeliveredAt = host.Time.GetUtcNow(),
    };

    private Task<ChatMessage> StoredAsync(string userId, string content) =>
        Eventually.GetAsync(
            () => host.WithDbAsync(db => db.Messages.AsNoTracking().SingleOrDefaultAsync(m => m.UserId == userId && m.Content == content)),
            m => m is not null, because: $"'{content}' to be stored")!;

    [Fact]
    public async Task One_reminder_reaches_both_services_sharing_one_virtual_host()
    {
        // Goals and Chat both consume ReminderDelivered on one vhost, as in the running system: each needs its own queue.
        var userId = TestAuth.NewUserId();
        var item = await (await host.GoalsClientFor(userId).PostJsonAsync("/events", new { title = "Dentist", startsAt = host.Time.GetUtcNow().AddMinutes(15) }))
            .ReadAsync<EventDto>(HttpStatusCode.Created);

        await host.Bus.Bus.Publish(Reminder(userId, "Dentist in 15 minutes", item.Id));

        await host.Bus.WaitForAsync<EventChanged>(e => e.EventId == item.Id && e.Status == EventStatuses.AwaitingFeedback); // Goals reacted
        var stored = await StoredAsync(userId, "Dentist in 15 minutes"); // and Chat did
        Assert.Contains(item.Id.ToString(), stored.Metadata);
    }

    [Fact]
    public async Task A_reminder_whose_session_ends_meanwhile_goes_into_a_new_session_rather_than_being_lost()
    {
        var userId = TestAuth.NewUserId();
        var sent = await (await host.ClientFor(userId).SendAsync("hello")).ReadAsync<SendResult>(HttpStatusCode.OK);
        host.Faults.EndSessionBeforeStoring("Lost probe");

        await host.Bus.Bus.Publish(Reminder(userId, "Lost probe"));

        var stored = await StoredAsync(userId, "Lost probe");
        Assert.Equal(1, host.Faults.SessionsEnded);
        Assert.NotEqual(sent.SessionId, stored.SessionId);
    }

    [Fact]
    public async Task A_rolled_back_reminder_leaves_no_phantom_message_in_the_cache()
    {
        var userId = TestAuth.NewUserId();
        var sent = await (await host.ClientFor(userId).SendAsync("hello")).ReadAsync<SendResult>(HttpStatusCode.OK);
        host.Faults.FailStoring("Phantom probe");

        await host.Bus.Bus.Publish(Reminder(userId, "Phantom probe"));

        var stored = await StoredAsync(userId, "Phantom probe"); // the retry after the failed commit stored it
        Assert.Equal(1, host.Faults.StoresFailed);
        var inDatabase = await host.WithDbAsync(db => db.Messages.AsNoTracking().Where(m => m.SessionId == sent.SessionId).OrderBy(m => m.Sequence).Select(m => m.Id).ToListAsync());
        var cached = await host.Services.GetRequiredService<SessionCache>().GetAsync(sent.SessionId);
        Assert.Equal(inDatabase, cached?.Select(m => m.Id));
        Assert.Equal(stored.Id, inDatabase[^1]);
    }

    [Fact]
    public async Task Reminders_racing_to_start_a_session_share_one()
    {
        var userId = TestAuth.NewUserId();
        var texts = Enumerable.Range(1, 5).Select(i => $"Racing reminder {i}").ToList();

        await Task.WhenAll(texts.Select(text => host.Bus.Bus.Publish(Reminder(userId, text))));

        var stored = await Task.WhenAll(texts.Select(text => StoredAsync(userId, text)));
        Assert.Single(stored.Select(m => m.SessionId).Distinct());
        Assert.Equal(1, await host.WithDbAsync(db => db.Sessions.CountAsync(s => s.UserId == userId)));
    }
}
