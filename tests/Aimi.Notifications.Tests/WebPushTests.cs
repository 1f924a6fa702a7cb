using System.Net;
using Aimi.Notifications.Api.Channels;
using Aimi.Notifications.Api.Domain;
using Aimi.Notifications.Api.Endpoints;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Notifications.Tests;

public sealed class WebPushTests(ChannelsHost host) : IClassFixture<ChannelsHost>
{
    private async Task<(string UserId, HttpClient Client, PushServiceEndpoint.Browser Browser, Guid SubscriptionId)> SubscribedUserAsync()
    {
        var userId = TestAuth.NewUserId();
        var client = host.ClientFor(userId);
        await host.PublishAsync(Events.Profile(userId, inApp: false));
        var browser = host.Push.NewBrowser();
        var created = await (await client.PostJsonAsync("/notifications/push-subscriptions",
            new { endpoint = browser.Endpoint.ToString(), keys = new { p256dh = browser.P256dh, auth = browser.Auth } })).ReadAsync<PushSubscriptionResponse>(HttpStatusCode.Created);
        return (userId, client, browser, created.Id);
    }

    private async Task<Reminder> DueReminderAsync(string userId)
    {
        var eventId = Guid.NewGuid();
        await host.PublishAsync(Events.Changed(userId, eventId, host.Time.GetUtcNow().AddMinutes(20), title: "Flight"));
        host.Time.Advance(TimeSpan.FromMinutes(5));
        return (await host.RemindersAsync(eventId)).Single(r => r.Kind == ReminderKind.Event && r.Channel == Channel.WebPush);
    }

    private async Task DrainAsync()
    {
        var dispatcher = host.NewDispatcher();
        while (await dispatcher.DispatchDueAsync(CancellationToken.None) > 0)
        {
        }
    }

    [Fact]
    public async Task A_push_carries_a_valid_vapid_token_and_a_payload_the_browser_decrypts()
    {
        var (_, client, browser, _) = await SubscribedUserAsync();
        var reminder = await DueReminderAsync((await host.WithDbAsync(db => db.PushSubscriptions.SingleAsync(s => s.Endpoint == browser.Endpoint.ToString()))).UserId);
        await DrainAsync();

        Assert.Empty(host.Push.Rejected);
        var message = Assert.Single(host.Push.Messages, m => m.BrowserId == browser.Id);
        Assert.Equal("Reminder: Flight in 15 minutes", message.Payload.GetProperty("title").GetString());
        Assert.Equal(reminder.IdempotencyKey, message.Payload.GetProperty("tag").GetString());
        Assert.Equal(reminder.Id, message.Payload.GetProperty("reminderId").GetGuid());
        Assert.Equal(WebPushChannel.Topic(reminder.IdempotencyKey), message.Topic);
        Assert.Equal("high", message.Urgency);
        Assert.InRange(message.Ttl, 60, 15 * 60);
        Assert.Equal(ReminderStatus.Sent, (await host.RemindersAsync(reminder.EventId)).Single(r => r.Id == reminder.Id).Status);

        var key = await (await client.GetAsync("/notifications/push-subscriptions/public-key")).ReadAsync<VapidKeyResponse>(HttpStatusCode.OK);
        Assert.Equal(host.Vapid.PublicKey, key.PublicKey);
    }

    [Fact]
    public async Task A_gone_subscription_is_removed_and_the_reminder_fails_without_retries()
    {
        var (userId, client, browser, _) = await SubscribedUserAsync();
        var reminder = await DueReminderAsync(userId);
        browser.Answer = HttpStatusCode.Gone;
        await DrainAsync();

        Assert.False(await host.WithDbAsync(db => db.PushSubscriptions.AnyAsync(s => s.UserId == userId)));
        var row = (await host.RemindersAsync(reminder.EventId)).Single(r => r.Id == reminder.Id);
        Assert.Equal((ReminderStatus.Failed, 1), (row.Status, row.Attempts));
        Assert.Empty(await (await client.GetAsync("/notifications/push-subscriptions")).ReadAsync<List<PushSubscriptionResponse>>(HttpStatusCode.OK));
    }

    [Fact]
    public async Task Subscriptions_are_validated_and_scoped_to_their_user()
    {
        var (userId, client, _, subscriptionId) = await SubscribedUserAsync();
        var bad = await (await client.PostJsonAsync("/notifications/push-subscriptions", new { endpoint = "not a url", keys = new { p256dh = "AAAA", auth = "" } }))
            .ProblemAsync(HttpStatusCode.BadRequest);
        var errors = bad.GetProperty("errors");
        Assert.True(errors.TryGetProperty("endpoint", out _));
        Assert.True(errors.TryGetProperty("keys.p256dh", out _));
        Assert.True(errors.TryGetProperty("keys.auth", out _));

        var stranger = host.ClientFor(TestAuth.NewUserId());
        Assert.Equal(HttpStatusCode.NotFound, (await stranger.DeleteAsync($"/notifications/push-subscriptions/{subscriptionId}")).StatusCode);
        Assert.True(await host.WithDbAsync(db => db.PushSubscriptions.AnyAsync(s => s.Id == subscriptionId)));
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/notifications/push-subscriptions/{subscriptionId}")).StatusCode);
        Assert.False(await host.WithDbAsync(db => db.PushSubscriptions.AnyAsync(s => s.UserId == userId)));
    }
}
