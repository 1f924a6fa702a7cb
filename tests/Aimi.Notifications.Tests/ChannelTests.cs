using System.Net;
using System.Text.Json;
using Aimi.Contracts.Notifications;
using Aimi.Notifications.Api.Channels;
using Aimi.Notifications.Api.Domain;
using Aimi.Notifications.Api.Endpoints;
using Aimi.ServiceDefaults.Targets;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MimeKit;
using Xunit;

namespace Aimi.Notifications.Tests;

public sealed class ChannelTests(ChannelsHost host) : IClassFixture<ChannelsHost>
{
    private async Task<(string UserId, HttpClient Client)> WebhookUserAsync()
    {
        var userId = TestAuth.NewUserId();
        var client = host.ClientFor(userId);
        await host.PublishAsync(Events.Profile(userId, webhookUrl: host.Webhook.Url.ToString(), inApp: false));
        var secret = await (await client.PostAsync("/notifications/webhook-secret", null)).ReadAsync<WebhookSecretResponse>(HttpStatusCode.Created);
        host.Webhook.Secret = secret.Secret;
        return (userId, client);
    }

    private async Task<Reminder> DueReminderAsync(string userId, Channel channel, string title = "Dentist")
    {
        var eventId = Guid.NewGuid();
        await host.PublishAsync(Events.Changed(userId, eventId, host.Time.GetUtcNow().AddMinutes(20), title: title));
        host.Time.Advance(TimeSpan.FromMinutes(5));
        return (await host.RemindersAsync(eventId)).Single(r => r.Kind == ReminderKind.Event && r.Channel == channel);
    }

    private async Task DrainAsync()
    {
        var dispatcher = host.NewDispatcher();
        while (await dispatcher.DispatchDueAsync(CancellationToken.None) > 0)
        {
        }
    }

    private Task<List<ReminderLog>> LogsAsync(Guid reminderId) =>
        host.WithDbAsync(db => db.ReminderLogs.AsNoTracking().Where(l => l.ReminderId == reminderId).OrderBy(l => l.Id).ToListAsync());

    [Fact]
    public async Task A_webhook_gets_a_signed_body_with_the_idempotency_key()
    {
        var (userId, _) = await WebhookUserAsync();
        var reminder = await DueReminderAsync(userId, Channel.Webhook);
        await DrainAsync();

        Assert.True(host.Webhook.Accepted.TryGetValue(reminder.IdempotencyKey, out var body), "the receiver verified the signature and accepted it");
        using var json = JsonDocument.Parse(body!);
        Assert.Equal(reminder.Id, json.RootElement.GetProperty("reminderId").GetGuid());
        Assert.Equal("reminder", json.RootElement.GetProperty("type").GetString());
        Assert.Equal(15, json.RootElement.GetProperty("offsetMinutes").GetDouble());
        Assert.Equal(ReminderStatus.Sent, (await host.RemindersAsync(reminder.EventId)).Single(r => r.Id == reminder.Id).Status);
        // Every delivery is announced, whatever the channel.
        await host.Bus.WaitForAsync<ReminderDelivered>(m => m.ReminderId == reminder.Id && m.Channel == ReminderChannels.Webhook);
    }

    [Fact]
    public async Task A_failing_webhook_is_retried_with_back_off_then_succeeds_once()
    {
        var (userId, _) = await WebhookUserAsync();
        var reminder = await DueReminderAsync(userId, Channel.Webhook);
        host.Webhook.FailNext(2);

        await DrainAsync();
        var afterFirst = (await host.RemindersAsync(reminder.EventId)).Single(r => r.Id == reminder.Id);
        Assert.Equal((ReminderStatus.Scheduled, 1), (afterFirst.Status, afterFirst.Attempts));
        var firstDelay = afterFirst.DueAt - host.Time.GetUtcNow();
        Assert.InRange(firstDelay, TimeSpan.FromSeconds(8), TimeSpan.FromSeconds(12)); // 10 s ± 20 %

        await DrainAsync(); // not due yet: nothing happens
        Assert.Single(host.Webhook.Requests, r => r.Key == reminder.IdempotencyKey);

        host.Time.Advance(TimeSpan.FromSeconds(12));
        await DrainAsync();
        var afterSecond = (await host.RemindersAsync(reminder.EventId)).Single(r => r.Id == reminder.Id);
        Assert.InRange(afterSecond.DueAt - host.Time.GetUtcNow(), TimeSpan.FromSeconds(16), TimeSpan.FromSeconds(24)); // 20 s ± 20 %

        host.Time.Advance(TimeSpan.FromSeconds(24));
        await DrainAsync();
        var logs = await LogsAsync(reminder.Id);
        Assert.Equal([LogOutcomes.Retry, LogOutcomes.Retry, LogOutcomes.Sent], logs.Select(l => l.Outcome));
        Assert.All(logs, l => Assert.Equal(reminder.IdempotencyKey, l.IdempotencyKey));
        Assert.Contains("503", logs[0].Error, StringComparison.Ordinal);
        Assert.Equal(3, host.Webhook.Requests.Count(r => r.Key == reminder.IdempotencyKey));
        Assert.True(host.Webhook.Accepted.ContainsKey(reminder.IdempotencyKey));
    }

    [Fact]
    public async Task Retries_are_bounded_and_the_last_error_is_kept()
    {
        var (userId, _) = await WebhookUserAsync();
        var eventId = Guid.NewGuid();
        await host.PublishAsync(Events.Changed(userId, eventId, host.Time.GetUtcNow().AddDays(2)));
        host.Time.Advance(TimeSpan.FromDays(1));
        var reminder = (await host.RemindersAsync(eventId)).Single(r => r.Offset == TimeSpan.FromDays(1) && r.Channel == Channel.Webhook);
        host.Webhook.FailNext(100);
        for (var i = 0; i < 7; i++)
        {
            await DrainAsync();
            host.Time.Advance(TimeSpan.FromMinutes(3)); // past any back-off (10 s · 2^n ± 20 %, n < 4)
        }
        host.Webhook.FailNext(0);

        var row = (await host.RemindersAsync(eventId)).Single(r => r.Id == reminder.Id);
        Assert.Equal((ReminderStatus.Failed, 5), (row.Status, row.Attempts));
        Assert.Contains("503", row.LastError, StringComparison.Ordinal);
        Assert.Equal([LogOutcomes.Retry, LogOutcomes.Retry, LogOutcomes.Retry, LogOutcomes.Retry, LogOutcomes.Failed], (await LogsAsync(reminder.Id)).Select(l => l.Outcome));
        Assert.DoesNotContain(host.Bus.Received<ReminderDelivered>(), m => m.ReminderId == reminder.Id);
    }

    [Fact]
    public async Task A_refused_webhook_is_not_retried()
    {
        var (userId, _) = await WebhookUserAsync();
        var reminder = await DueReminderAsync(userId, Channel.Webhook);
        host.Webhook.FailureStatus = HttpStatusCode.BadRequest;
        host.Webhook.FailNext(1);
        await DrainAsync();
        host.Webhook.FailureStatus = HttpStatusCode.ServiceUnavailable;

        var row = (await host.RemindersAsync(reminder.EventId)).Single(r => r.Id == reminder.Id);
        Assert.Equal((ReminderStatus.Failed, 1), (row.Status, row.Attempts));
        Assert.Contains("400", row.LastError, StringComparison.Ordinal);
        Assert.Equal(LogOutcomes.Failed, Assert.Single(await LogsAsync(reminder.Id)).Outcome);
    }

    [Fact]
    public async Task A_dispatcher_killed_after_the_webhook_answered_causes_no_second_notification()
    {
        var (userId, _) = await WebhookUserAsync();
        var reminder = await DueReminderAsync(userId, Channel.Webhook);

        // Replica A claims, delivers, and dies before recording it.
        var killed = host.NewDispatcher();
        var (_, claimed) = await host.WithDbAsync(db => killed.ClaimAsync(db, CancellationToken.None));
        var mine = claimed.Single(r => r.Id == reminder.Id);
        var webhook = host.Services.GetServices<IReminderChannel>().Single(c => c.Channel == Channel.Webhook);
        var profile = await host.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.UserId == userId));
        await webhook.SendAsync(new Delivery(mine, profile, ReminderText.For(mine, profile), mine.IdempotencyKey, host.Time.GetUtcNow()), CancellationToken.None);

        // Replica B takes it over after the lease and delivers again, with the same key.
        host.Time.Advance(TimeSpan.FromSeconds(61));
        await DrainAsync();

        Assert.Equal(2, host.Webhook.Requests.Count(r => r.Key == reminder.IdempotencyKey));
        Assert.Single(host.Webhook.Accepted, a => a.Key == reminder.IdempotencyKey);
        Assert.Equal(ReminderStatus.Sent, (await host.RemindersAsync(reminder.EventId)).Single(r => r.Id == reminder.Id).Status);
    }

    [Fact]
    public async Task Loopback_and_private_webhook_targets_are_refused_outside_development()
    {
        var (userId, _) = await WebhookUserAsync();
        var reminder = await DueReminderAsync(userId, Channel.Webhook);
        using var strict = ActivatorUtilities.CreateInstance<WebhookChannel>(host.Services, Options.Create(new UserTargetOptions { AllowPrivateTargets = false }));
        var profile = await host.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.UserId == userId));

        var refused = await Assert.ThrowsAsync<ChannelException>(() =>
            strict.SendAsync(new Delivery(reminder, profile, ReminderText.For(reminder, profile), reminder.IdempotencyKey, host.Time.GetUtcNow()), CancellationToken.None));
        Assert.True(refused.Permanent);
        Assert.DoesNotContain(host.Webhook.Requests, r => r.Key == reminder.IdempotencyKey);
    }

    [Fact]
    public async Task An_email_reaches_a_real_smtp_server_in_the_users_language_and_zone()
    {
        var userId = TestAuth.NewUserId();
        await host.PublishAsync(Events.Profile(userId, timeZone: "Asia/Tokyo", locale: "ru", email: "anna@example.com", inApp: false));
        var eventId = Guid.NewGuid();
        var start = host.Time.GetUtcNow().AddMinutes(20);
        await host.PublishAsync(Events.Changed(userId, eventId, start, title: "Стоматолог"));
        host.Time.Advance(TimeSpan.FromMinutes(5));
        var reminder = (await host.RemindersAsync(eventId)).Single(r => r.Kind == ReminderKind.Event && r.Channel == Channel.Email);
        await DrainAsync();

        var raw = host.Smtp.ReceivedEmail.Select(m => m.Data).Single(d => d.Contains(reminder.IdempotencyKey, StringComparison.Ordinal));
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(raw));
        var mail = await MimeMessage.LoadAsync(stream);
        Assert.Equal("Напоминание: Стоматолог через 15 мин", mail.Subject);
        Assert.Equal($"{reminder.IdempotencyKey}@{EmailChannel.MessageIdDomain}", mail.MessageId);
        Assert.Equal("anna@example.com", mail.To.Mailboxes.Single().Address);
        var tokyo = TimeZoneInfo.ConvertTime(start, TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo"));
        Assert.Contains(tokyo.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture), mail.TextBody, StringComparison.Ordinal);
        Assert.Contains("Стоматолог", mail.HtmlBody, StringComparison.Ordinal);
        Assert.Contains("lang=\"ru\"", mail.HtmlBody, StringComparison.Ordinal);
        Assert.Equal(LogOutcomes.Sent, Assert.Single(await LogsAsync(reminder.Id)).Outcome);
    }
}
