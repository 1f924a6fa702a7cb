using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using Aimi.Contracts.Notifications;
using Aimi.Messaging;
using Aimi.Notifications.Api.Domain;
using Aimi.Notifications.Api.Endpoints;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Notifications.Tests;

/// <summary>
/// Channels that take long, never finish or answer with far too much (issue 19): replicas driven by hand on one database,
/// the clock moved by the test. A delivery is given up at its deadline while its claim still holds the row, outcomes are
/// recorded one by one as they come, a replica claims no more network rows than it has free slots, and no answer is
/// read beyond 4 KiB.
/// </summary>
public sealed class SlowChannelTests(SlowReceiversHost host) : IClassFixture<SlowReceiversHost>
{
    private static readonly TimeSpan Patience = SlowReceiver.Patience;

    private static string NewId() => Guid.NewGuid().ToString("N");

    /// <summary>A user reached only by a webhook at <paramref name="url"/>, with a secret, and an event of theirs: its T-15m webhook row.</summary>
    private async Task<Reminder> WebhookReminderAsync(Uri url, TimeSpan startsIn)
    {
        var userId = TestAuth.NewUserId();
        await host.PublishAsync(Events.Profile(userId, webhookUrl: url.ToString(), inApp: false));
        await (await host.ClientFor(userId).PostAsync("/notifications/webhook-secret", null)).ReadAsync<WebhookSecretResponse>(HttpStatusCode.Created);
        return await ReminderAsync(userId, startsIn, Channel.Webhook);
    }

    private async Task<Reminder> ReminderAsync(string userId, TimeSpan startsIn, Channel channel)
    {
        var eventId = Guid.NewGuid();
        await host.PublishAsync(Events.Changed(userId, eventId, host.Time.GetUtcNow() + startsIn));
        return (await host.RemindersAsync(eventId)).Single(r => r.Kind == ReminderKind.Event && r.Channel == channel);
    }

    private Task<Reminder> RowAsync(Guid reminderId) => host.WithDbAsync(db => db.Reminders.AsNoTracking().SingleAsync(r => r.Id == reminderId));

    private Task<List<ReminderLog>> LogsAsync(Guid reminderId) =>
        host.WithDbAsync(db => db.ReminderLogs.AsNoTracking().Where(l => l.ReminderId == reminderId).OrderBy(l => l.Id).ToListAsync());

    /// <summary>How many <c>ReminderDelivered</c> the outbox holds for the reminder.</summary>
    private Task<int> AnnouncedAsync(Guid reminderId) => host.WithDbAsync(async db =>
        (await db.Set<OutboxMessage>().AsNoTracking().Where(m => m.MessageType == typeof(ReminderDelivered).FullName).Select(m => m.Payload).ToListAsync())
            .Count(p => p.Contains(reminderId.ToString(), StringComparison.Ordinal)));

    /// <summary>Lets the receivers answer and sends what is still waiting, so no row of this test is left for the next.</summary>
    private async Task FinishAsync(params string[] ids)
    {
        foreach (var id in ids)
        {
            host.Receiver.Release(id);
        }
        host.Time.Advance(TimeSpan.FromMinutes(1)); // past any first back-off and lease
        var dispatcher = host.NewDispatcher();
        while (await dispatcher.DispatchDueAsync(CancellationToken.None) > 0)
        {
        }
    }

    [Theory]
    [InlineData("hold")] // no answer at all
    [InlineData("stall")] // a 503's headers and a few bytes, then silence
    public async Task A_receiver_that_never_finishes_is_given_up_at_the_deadline_while_the_claim_holds_the_row_and_retried_once(string mode)
    {
        var id = NewId();
        var reminder = await WebhookReminderAsync(host.Receiver.Url(mode, id), TimeSpan.FromMinutes(20));
        host.Time.Advance(TimeSpan.FromMinutes(5));

        var replicaA = host.NewDispatcher().DispatchDueAsync(CancellationToken.None);
        var first = await host.Receiver.NextAsync(id);
        // Past the delivery deadline (30 s after the claim), well inside the 60 s lease.
        host.Time.Advance(SlowReceiversHost.DeliveryTimeout + TimeSpan.FromSeconds(1));
        await replicaA.WaitAsync(Patience);

        Assert.True(await first.CutOff.Task.WaitAsync(Patience), "the request was abandoned, not answered");
        var row = await RowAsync(reminder.Id);
        Assert.Equal((ReminderStatus.Scheduled, 1), (row.Status, row.Attempts));
        var log = Assert.Single(await LogsAsync(reminder.Id));
        Assert.Equal(LogOutcomes.Retry, log.Outcome);
        // Recorded by the claim that held the row (not "lease lost before completing").
        Assert.StartsWith("Given up: no answer within the delivery deadline", log.Error, StringComparison.Ordinal);

        // After the back-off another replica sends it, and the receiver answers: sent and announced once.
        host.Receiver.Release(id);
        host.Time.Advance(TimeSpan.FromSeconds(30));
        await host.NewDispatcher().DispatchDueAsync(CancellationToken.None).WaitAsync(Patience);
        Assert.False(await (await host.Receiver.NextAsync(id)).CutOff.Task.WaitAsync(Patience));
        Assert.False(host.Receiver.HasMore(id));
        row = await RowAsync(reminder.Id);
        Assert.Equal((ReminderStatus.Sent, 2), (row.Status, row.Attempts));
        Assert.Equal([LogOutcomes.Retry, LogOutcomes.Sent], (await LogsAsync(reminder.Id)).Select(l => l.Outcome));
        Assert.Equal(1, await AnnouncedAsync(reminder.Id));
    }

    [Fact]
    public async Task A_slow_webhook_holds_back_no_other_outcome_of_its_batch()
    {
        var slowId = NewId();
        var fastId = NewId();
        var slow = await WebhookReminderAsync(host.Receiver.Url("hold", slowId), TimeSpan.FromMinutes(20));
        var fast = await WebhookReminderAsync(host.Receiver.Url("ok", fastId), TimeSpan.FromMinutes(20));
        var inApp = await ReminderAsync(TestAuth.NewUserId(), TimeSpan.FromMinutes(20), Channel.InApp);
        host.Time.Advance(TimeSpan.FromMinutes(5));

        var replica = host.NewDispatcher().DispatchDueAsync(CancellationToken.None);
        var held = await host.Receiver.NextAsync(slowId);

        // While the slow webhook hangs, the in-app reminder and the other webhook are recorded and announced.
        await Eventually.GetAsync(async () => ((await RowAsync(fast.Id)).Status, (await RowAsync(inApp.Id)).Status),
            s => s == (ReminderStatus.Sent, ReminderStatus.Sent), because: "the other outcomes are recorded while one delivery hangs");
        Assert.Equal(ReminderStatus.Sending, (await RowAsync(slow.Id)).Status);
        Assert.False(held.CutOff.Task.IsCompleted, "the slow request is still open");
        Assert.Equal((1, 1, 0), (await AnnouncedAsync(fast.Id), await AnnouncedAsync(inApp.Id), await AnnouncedAsync(slow.Id)));

        host.Receiver.Release(slowId);
        await replica.WaitAsync(Patience);
        Assert.Equal((ReminderStatus.Sent, 1), ((await RowAsync(slow.Id)).Status, (await RowAsync(slow.Id)).Attempts));
        Assert.Equal(LogOutcomes.Sent, Assert.Single(await LogsAsync(slow.Id)).Outcome);
    }

    [Fact]
    public async Task Rows_beyond_a_replicas_free_delivery_slots_are_left_to_another_replica()
    {
        // Two hanging receivers fill replica A's two slots; a third user's webhook, due a second later, must not queue behind them.
        var slowIds = new[] { NewId(), NewId() };
        var slow = new List<Reminder>();
        foreach (var id in slowIds)
        {
            slow.Add(await WebhookReminderAsync(host.Receiver.Url("hold", id), TimeSpan.FromMinutes(20)));
        }
        var fastId = NewId();
        var fast = await WebhookReminderAsync(host.Receiver.Url("ok", fastId), TimeSpan.FromMinutes(20) + TimeSpan.FromSeconds(1));
        host.Time.Advance(TimeSpan.FromMinutes(5) + TimeSpan.FromSeconds(1));

        var replicaA = host.NewDispatcher().DispatchDueAsync(CancellationToken.None);
        var held = new[] { await host.Receiver.NextAsync(slowIds[0]), await host.Receiver.NextAsync(slowIds[1]) };
        Assert.Equal(1, await host.NewDispatcher().DispatchDueAsync(CancellationToken.None).WaitAsync(Patience));

        Assert.Equal((ReminderStatus.Sent, 1), ((await RowAsync(fast.Id)).Status, (await RowAsync(fast.Id)).Attempts));
        Assert.All(held, h => Assert.False(h.CutOff.Task.IsCompleted));
        foreach (var id in slowIds)
        {
            host.Receiver.Release(id);
        }
        await replicaA.WaitAsync(Patience);
        foreach (var reminder in slow.Append(fast))
        {
            Assert.Equal((ReminderStatus.Sent, 1), ((await RowAsync(reminder.Id)).Status, (await RowAsync(reminder.Id)).Attempts));
            Assert.Equal(1, await AnnouncedAsync(reminder.Id));
        }
        await host.Receiver.NextAsync(fastId);
        Assert.All(slowIds.Append(fastId), id => Assert.False(host.Receiver.HasMore(id), "one request each"));
    }

    [Theory]
    [InlineData("stream", ReminderStatus.Sent)]
    [InlineData("stream-503", ReminderStatus.Scheduled)]
    public async Task A_webhook_answer_with_an_endless_body_is_recorded_without_reading_it(string mode, ReminderStatus expected)
    {
        var id = NewId();
        var reminder = await WebhookReminderAsync(host.Receiver.Url(mode, id), TimeSpan.FromMinutes(20));
        host.Time.Advance(TimeSpan.FromMinutes(5));

        // Recorded while the body (100 MB so far) goes on: nothing waited for its end, which never comes.
        await host.NewDispatcher().DispatchDueAsync(CancellationToken.None).WaitAsync(Patience);

        var request = await host.Receiver.NextAsync(id);
        Assert.True(await request.CutOff.Task.WaitAsync(Patience), "the client let go of the body");
        Assert.Equal(expected, (await RowAsync(reminder.Id)).Status);
        var log = Assert.Single(await LogsAsync(reminder.Id));
        if (expected == ReminderStatus.Scheduled)
        {
            // The start of the refusal's body explains it in the log, cut short.
            Assert.Contains("503", log.Error, StringComparison.Ordinal);
            Assert.Contains("xxxxxxxx", log.Error, StringComparison.Ordinal);
            Assert.InRange(log.Error!.Length, 0, 1000);
        }
        await FinishAsync(id);
    }

    [Theory]
    [InlineData("push-stream", ReminderStatus.Sent)]
    [InlineData("push-stream-503", ReminderStatus.Scheduled)] // the push library reads a refusal's body for its exception
    public async Task A_push_service_answer_with_an_endless_body_is_recorded_without_reading_it(string mode, ReminderStatus expected)
    {
        var id = NewId();
        var userId = TestAuth.NewUserId();
        await host.PublishAsync(Events.Profile(userId, inApp: false));
        using var browser = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        var point = browser.ExportParameters(false).Q;
        await (await host.ClientFor(userId).PostJsonAsync("/notifications/push-subscriptions", new
        {
            endpoint = host.Receiver.Url(mode, id).ToString(),
            keys = new { p256dh = Base64Url.EncodeToString([0x04, .. point.X!, .. point.Y!]), auth = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16)) },
        })).ReadAsync<PushSubscriptionResponse>(HttpStatusCode.Created);
        var reminder = await ReminderAsync(userId, TimeSpan.FromMinutes(20), Channel.WebPush);
        host.Time.Advance(TimeSpan.FromMinutes(5));

        await host.NewDispatcher().DispatchDueAsync(CancellationToken.None).WaitAsync(Patience);

        var request = await host.Receiver.NextAsync(id);
        Assert.True(await request.CutOff.Task.WaitAsync(Patience), "the client let go of the body");
        Assert.Equal(expected, (await RowAsync(reminder.Id)).Status);
        await FinishAsync(id);
    }
}

/// <summary>The service's own dispatch loop, while one delivery hangs.</summary>
public sealed class SlowChannelLoopTests(SlowReceiversLoopHost host) : IClassFixture<SlowReceiversLoopHost>
{
    [Fact]
    public async Task The_loop_sends_a_reminder_that_falls_due_while_another_users_delivery_hangs()
    {
        var slowId = Guid.NewGuid().ToString("N");
        var slowUser = TestAuth.NewUserId();
        await host.PublishAsync(Events.Profile(slowUser, webhookUrl: host.Receiver.Url("hold", slowId).ToString(), inApp: false));
        await (await host.ClientFor(slowUser).PostAsync("/notifications/webhook-secret", null)).ReadAsync<WebhookSecretResponse>(HttpStatusCode.Created);
        var slowEvent = Guid.NewGuid();
        await host.PublishAsync(Events.Changed(slowUser, slowEvent, host.Time.GetUtcNow().AddMinutes(20)));
        host.Time.Advance(TimeSpan.FromMinutes(5)); // the loop wakes at the T-15m and claims it
        var held = await host.Receiver.NextAsync(slowId);

        // Another user's reminder falls due 10 s later, well before the slow delivery's deadline.
        var otherEvent = Guid.NewGuid();
        await host.PublishAsync(Events.Changed(TestAuth.NewUserId(), otherEvent, host.Time.GetUtcNow() + TimeSpan.FromMinutes(15) + TimeSpan.FromSeconds(10)));
        host.Time.Advance(TimeSpan.FromSeconds(10));
        await host.Bus.WaitForAsync<ReminderDelivered>(m => m.EventId == otherEvent);

        Assert.False(held.CutOff.Task.IsCompleted, "the slow request is still open");
        var slowRow = (await host.RemindersAsync(slowEvent)).Single(r => r.Kind == ReminderKind.Event);
        Assert.Equal(ReminderStatus.Sending, slowRow.Status);

        host.Receiver.Release(slowId);
        var delivered = await host.Bus.WaitForAsync<ReminderDelivered>(m => m.EventId == slowEvent);
        Assert.Equal(ReminderChannels.Webhook, Assert.Single(delivered).Channel);
    }
}
