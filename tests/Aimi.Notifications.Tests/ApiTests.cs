using System.Net;
using Aimi.Contracts.Notifications;
using Aimi.Notifications.Api.Domain;
using Aimi.Notifications.Api.Endpoints;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Notifications.Tests;

public sealed class ApiTests(ManualDispatchHost host) : IClassFixture<ManualDispatchHost>
{
    private static readonly string[] UnknownChannel = ["carrier_pigeon"];
    private static readonly int[] NegativeOffset = [-5];
    private static readonly int[] NewOffsets = [30, 2 * 24 * 60];
    private static readonly string[] EmailOnly = ["email"];
    private readonly string _userId = TestAuth.NewUserId();
    private HttpClient Client => host.ClientFor(_userId);

    [Fact]
    public async Task Reminders_are_listed_by_event_and_status_for_their_owner_only()
    {
        var eventId = Guid.NewGuid();
        var start = host.Time.GetUtcNow().AddDays(2);
        await host.PublishAsync(Events.Changed(_userId, eventId, start));

        var all = await (await Client.GetAsync($"/notifications/reminders?eventId={eventId}")).ReadAsync<List<ReminderResponse>>(HttpStatusCode.OK);
        Assert.Equal(4, all.Count);
        Assert.Equal([24 * 60, 2 * 60, 15], all.Where(r => r.Kind == ReminderKind.Event).Select(r => r.OffsetMinutes).OrderDescending());
        var scheduled = await (await Client.GetAsync($"/notifications/reminders?eventId={eventId}&status=scheduled")).ReadAsync<List<ReminderResponse>>(HttpStatusCode.OK);
        Assert.Equal(4, scheduled.Count);
        Assert.Empty(await (await Client.GetAsync($"/notifications/reminders?eventId={eventId}&status=sent")).ReadAsync<List<ReminderResponse>>(HttpStatusCode.OK));

        var stranger = host.ClientFor(TestAuth.NewUserId());
        await (await stranger.GetAsync($"/notifications/reminders?eventId={eventId}")).ProblemAsync(HttpStatusCode.NotFound);
        Assert.Empty(await (await stranger.GetAsync("/notifications/reminders")).ReadAsync<List<ReminderResponse>>(HttpStatusCode.OK));
    }

    [Theory]
    [InlineData("/notifications/reminders?status=delivered", "status")]
    [InlineData("/notifications/reminders?limit=0", "limit")]
    [InlineData("/notifications/log?limit=1000", "limit")]
    public async Task Bad_queries_are_problem_details_with_the_field(string url, string field)
    {
        var problem = await (await Client.GetAsync(url)).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Malformed_ids_and_bodies_are_400_never_500()
    {
        await (await Client.GetAsync("/notifications/reminders?eventId=nope")).ProblemAsync(HttpStatusCode.BadRequest);
        await (await Client.PutAsync("/notifications/settings", new StringContent("{\"offsetsMinutes\": \"x\"}", System.Text.Encoding.UTF8, "application/json"))).ProblemAsync(HttpStatusCode.BadRequest);
        await (await Client.PutJsonAsync("/notifications/settings", new { channels = UnknownChannel })).ProblemAsync(HttpStatusCode.BadRequest);
        await (await Client.PutJsonAsync("/notifications/settings", new { userId = "someone-else" })).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(HttpStatusCode.Unauthorized, (await host.CreateClient().GetAsync("/notifications/settings")).StatusCode);
    }

    [Fact]
    public async Task Settings_change_offsets_and_channels_and_re_plan_upcoming_reminders()
    {
        await host.PublishAsync(Events.Profile(_userId, email: "me@example.com"));
        var eventId = Guid.NewGuid();
        var start = host.Time.GetUtcNow().AddDays(3);
        await host.PublishAsync(Events.Changed(_userId, eventId, start));

        var defaults = await (await Client.GetAsync("/notifications/settings")).ReadAsync<SettingsResponse>(HttpStatusCode.OK);
        Assert.Equal(NotificationSettings.DefaultOffsetsMinutes, defaults.OffsetsMinutes);
        Assert.Equal([Channel.InApp, Channel.Email], defaults.ReachableChannels);

        var invalid = await (await Client.PutJsonAsync("/notifications/settings", new { offsetsMinutes = NegativeOffset, followUpAfterMinutes = 100_000 })).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(invalid.GetProperty("errors").TryGetProperty("offsetsMinutes", out _));
        Assert.True(invalid.GetProperty("errors").TryGetProperty("followUpAfterMinutes", out _));

        var updated = await (await Client.PutJsonAsync("/notifications/settings", new { offsetsMinutes = NewOffsets, channels = EmailOnly }))
            .ReadAsync<SettingsResponse>(HttpStatusCode.OK);
        Assert.Equal([2 * 24 * 60, 30], updated.OffsetsMinutes);
        Assert.Equal([Channel.Email], updated.ReachableChannels);

        var rows = await host.RemindersAsync(eventId);
        var open = rows.Where(r => r.Status == ReminderStatus.Scheduled && r.Kind == ReminderKind.Event).ToList();
        Assert.Equal([(start.AddDays(-2), Channel.Email), (start.AddMinutes(-30), Channel.Email)], open.Select(r => (r.TriggerAt, r.Channel)));
        Assert.All(rows.Where(r => r.Channel == Channel.InApp && r.Kind == ReminderKind.Event), r => Assert.Equal(ReminderStatus.Cancelled, r.Status));
    }

    [Fact]
    public async Task A_test_notification_goes_out_on_every_reachable_channel_and_shows_in_the_log()
    {
        var userId = TestAuth.NewUserId();
        var client = host.ClientFor(userId);
        var test = await (await client.PostAsync("/notifications/test", null)).ReadAsync<TestResponse>(HttpStatusCode.Accepted);
        var queued = Assert.Single(test.Reminders);
        Assert.Equal((Channel.InApp, ReminderKind.Test), (queued.Channel, queued.Kind));

        await host.NewDispatcher().DispatchDueAsync(CancellationToken.None);
        var delivered = await host.Bus.WaitForAsync<ReminderDelivered>(m => m.ReminderId == queued.Id);
        Assert.Contains("test notification", delivered[0].Text, StringComparison.Ordinal);
        var log = await (await client.GetAsync($"/notifications/log?reminderId={queued.Id}")).ReadAsync<List<LogResponse>>(HttpStatusCode.OK);
        Assert.Equal("sent", Assert.Single(log).Outcome);
        Assert.Empty(await (await host.ClientFor(TestAuth.NewUserId()).GetAsync($"/notifications/log?reminderId={queued.Id}")).ReadAsync<List<LogResponse>>(HttpStatusCode.OK));

        // Nobody to reach: a clear 400, nothing queued.
        var mute = TestAuth.NewUserId();
        await host.PublishAsync(Events.Profile(mute, inApp: false));
        var problem = await (await host.ClientFor(mute).PostAsync("/notifications/test", null)).ProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("channels", out _));
    }

    [Fact]
    public async Task Test_notifications_are_capped_per_user_and_hour_with_a_retry_after()
    {
        var userId = TestAuth.NewUserId();
        var client = host.ClientFor(userId);
        async Task SendAsync(int count)
        {
            for (var i = 0; i < count; i++)
            {
                await (await client.PostAsync("/notifications/test", null)).ReadAsync<TestResponse>(HttpStatusCode.Accepted);
            }
        }

        await SendAsync(3);
        host.Time.Advance(TimeSpan.FromMinutes(30));
        await SendAsync(2);
        var refused = await client.PostAsync("/notifications/test", null);

        // Five an hour (README): the sixth waits until the first three leave the hour.
        var problem = await refused.ProblemAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal(TimeSpan.FromMinutes(30), refused.Headers.RetryAfter?.Delta);
        Assert.Equal(30 * 60, problem.GetProperty("retryAfter").GetInt32());
        Assert.Equal(5, await host.WithDbAsync(db => db.Reminders.Where(r => r.UserId == userId && r.Kind == ReminderKind.Test).Select(r => r.EventId).Distinct().CountAsync()));
        await (await host.ClientFor(TestAuth.NewUserId()).PostAsync("/notifications/test", null)).ReadAsync<TestResponse>(HttpStatusCode.Accepted);

        host.Time.Advance(TimeSpan.FromMinutes(30));
        await SendAsync(3);
        await (await client.PostAsync("/notifications/test", null)).ProblemAsync(HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task An_eleventh_push_subscription_replaces_the_oldest()
    {
        var client = host.ClientFor(TestAuth.NewUserId());
        var created = new List<PushSubscriptionResponse>();
        for (var i = 0; i < 11; i++)
        {
            created.Add(await (await client.PostJsonAsync("/notifications/push-subscriptions", TargetTests.Subscription($"https://push.example.net/sub/{i}")))
                .ReadAsync<PushSubscriptionResponse>(HttpStatusCode.Created));
            host.Time.Advance(TimeSpan.FromSeconds(1));
        }
        var renewed = await (await client.PostJsonAsync("/notifications/push-subscriptions", TargetTests.Subscription(created[^1].Endpoint)))
            .ReadAsync<PushSubscriptionResponse>(HttpStatusCode.OK);

        // Ten a user (README): the first one made room; renewing a known browser's keys takes none.
        var listed = await (await client.GetAsync("/notifications/push-subscriptions")).ReadAsync<List<PushSubscriptionResponse>>(HttpStatusCode.OK);
        Assert.Equal(created.Skip(1).Select(s => s.Id), listed.Select(s => s.Id));
        Assert.Equal(created[^1].Id, renewed.Id);
    }

    [Fact]
    public async Task The_webhook_secret_is_shown_once_per_rotation()
    {
        var first = await (await Client.PostAsync("/notifications/webhook-secret", null)).ReadAsync<WebhookSecretResponse>(HttpStatusCode.Created);
        var second = await (await Client.PostAsync("/notifications/webhook-secret", null)).ReadAsync<WebhookSecretResponse>(HttpStatusCode.Created);
        Assert.StartsWith("whsec_", first.Secret, StringComparison.Ordinal);
        Assert.NotEqual(first.Secret, second.Secret);
        var settings = await (await Client.GetAsync("/notifications/settings")).Content.ReadAsStringAsync();
        Assert.DoesNotContain(second.Secret, settings, StringComparison.Ordinal);
        Assert.Contains("\"hasWebhookSecret\":true", settings, StringComparison.Ordinal);
    }
}
