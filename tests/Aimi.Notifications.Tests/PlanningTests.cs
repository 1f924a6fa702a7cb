using Aimi.Contracts.Notifications;
using Aimi.Notifications.Api.Domain;
using Aimi.Notifications.Api.Data;
using Aimi.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Aimi.Notifications.Tests;

/// <summary>EventChanged over the real broker into reminder_queue, with the dispatcher off so rows stay as planned.</summary>
public sealed class PlanningTests(ManualDispatchHost host) : IClassFixture<ManualDispatchHost>
{
    private readonly string _userId = TestAuth.NewUserId();

    [Fact]
    public async Task A_planned_event_gets_its_three_reminders_and_Goals_hears_RemindersScheduled_once()
    {
        var eventId = Guid.NewGuid();
        var start = host.Time.GetUtcNow().AddDays(2);
        await host.PublishAsync(Events.Changed(_userId, eventId, start));

        var rows = await host.RemindersAsync(eventId);
        var reminders = rows.Where(r => r.Kind == ReminderKind.Event).ToList();
        Assert.Equal([start.AddHours(-24), start.AddHours(-2), start.AddMinutes(-15)], reminders.Select(r => r.TriggerAt));
        Assert.All(reminders, r => Assert.Equal((ReminderStatus.Scheduled, Channel.InApp, _userId), (r.Status, r.Channel, r.UserId)));
        Assert.Equal(start.AddMinutes(NotificationSettings.DefaultFollowUpMinutes), rows.Single(r => r.Kind == ReminderKind.FollowUp).TriggerAt);

        var scheduled = await host.Bus.WaitForAsync<RemindersScheduled>(m => m.EventId == eventId);
        Assert.Equal(3, scheduled[0].ReminderCount);
        Assert.Equal(start.AddHours(-24), scheduled[0].FirstTriggerAt);
    }

    [Fact]
    public async Task Before_Goals_announces_the_profile_the_events_own_zone_is_kept_and_a_later_profile_wins()
    {
        var userId = TestAuth.NewUserId();
        await host.PublishAsync(Events.Changed(userId, Guid.NewGuid(), host.Time.GetUtcNow().AddDays(2), timeZone: "Asia/Tokyo"));

        var kept = await host.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.UserId == userId));
        Assert.Equal(("Asia/Tokyo", 0), (kept.TimeZone, kept.Version));

        await host.PublishAsync(Events.Profile(userId, timeZone: "Europe/Berlin"));
        await host.PublishAsync(Events.Changed(userId, Guid.NewGuid(), host.Time.GetUtcNow().AddDays(3), timeZone: "Asia/Tokyo"));
        var profile = await host.WithDbAsync(db => db.Users.AsNoTracking().SingleAsync(u => u.UserId == userId));
        Assert.Equal(("Europe/Berlin", 1), (profile.TimeZone, profile.Version));
    }

    [Fact]
    public async Task A_recipient_is_read_with_what_the_unit_of_work_added_and_has_not_saved()
    {
        var userId = TestAuth.NewUserId();
        await using var scope = host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>();
        var scheduler = scope.ServiceProvider.GetRequiredService<ReminderScheduler>();
        db.Users.Add(new UserProfile { UserId = userId, TimeZone = "Asia/Tokyo", Version = 3 });
        Assert.Equal("Asia/Tokyo", (await scheduler.RecipientAsync(userId, CancellationToken.None)).Profile.TimeZone);
        await db.SaveChangesAsync();

        // The profile is stored, the settings only added.
        db.Settings.Add(new NotificationSettings { UserId = userId, OffsetsMinutes = [30] });
        var unsaved = await scheduler.RecipientAsync(userId, CancellationToken.None);
        Assert.Equal(("Asia/Tokyo", 30), (unsaved.Profile.TimeZone, Assert.Single(unsaved.Settings.OffsetsMinutes)));

        await db.SaveChangesAsync();
        var saved = await scheduler.RecipientAsync(userId, CancellationToken.None);
        Assert.Equal(("Asia/Tokyo", 30, false), (saved.Profile.TimeZone, Assert.Single(saved.Settings.OffsetsMinutes), saved.HasPushSubscription));
    }

    [Fact]
    public async Task A_change_delayed_on_its_way_still_gets_the_reminders_that_fell_due_meanwhile_and_no_older_ones()
    {
        var now = host.Time.GetUtcNow();
        var start = now.AddMinutes(13); // T-15m fell due 2 minutes ago, T-2h and T-24h long before
        var delayed = Guid.NewGuid();
        var onTime = Guid.NewGuid();

        // Created 3 minutes ago (the broker was away, say): its T-15m reminder fell due while the change was on its way.
        await host.PublishAsync(Events.Changed(_userId, delayed, start, occurredAt: now.AddMinutes(-3)));
        // The same event created just now: its T-15m reminder was already past when it was made.
        await host.PublishAsync(Events.Changed(_userId, onTime, start, occurredAt: now));

        var caughtUp = (await host.RemindersAsync(delayed)).Where(r => r.Kind == ReminderKind.Event).ToList();
        Assert.Equal([(start.AddMinutes(-15), ReminderStatus.Scheduled)], caughtUp.Select(r => (r.TriggerAt, r.Status)));
        Assert.DoesNotContain(await host.RemindersAsync(onTime), r => r.Kind == ReminderKind.Event);
    }

    [Theory]
    [InlineData(-3, -3)]
    [InlineData(-60, -15)] // at most CatchUp back
    [InlineData(0, 0)]
    [InlineData(2, 0)] // a clock ahead of ours plans from now
    public void Reminders_are_planned_from_when_the_change_happened_at_most_CatchUp_ago(int changedMinutes, int fromMinutes)
    {
        var now = DateTimeOffset.Parse("2026-05-08T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(now.AddMinutes(fromMinutes), ReminderPlanner.PlanFrom(now.AddMinutes(changedMinutes), now));
        Assert.Equal(now, ReminderPlanner.PlanFrom(null, now));
    }

    [Fact]
    public async Task A_redelivered_or_older_EventChanged_changes_nothing()
    {
        var eventId = Guid.NewGuid();
        var start = host.Time.GetUtcNow().AddDays(2);
        var messageId = Guid.NewGuid();
        var first = Events.Changed(_userId, eventId, start);
        await host.PublishAsync(first, messageId);
        await host.Bus.Bus.Publish(first, c => c.MessageId = messageId); // the broker redelivers the same message
        await host.PublishAsync(first); // the same version again under a new id
        var postponed = Events.Changed(_userId, eventId, start.AddDays(1), version: 3, change: "updated");
        await host.PublishAsync(postponed);
        // An older version arriving late must not drag the plan back.
        await host.Bus.Bus.Publish(Events.Changed(_userId, eventId, start.AddHours(5), version: 2, change: "updated"));
        // Marker: a later message on the same path; once it is applied the stale one has been handled too.
        var marker = Events.Changed(_userId, eventId, start.AddDays(1), version: 4, status: "scheduled", change: "status_changed");
        await host.PublishAsync(marker);

        var rows = await host.RemindersAsync(eventId);
        Assert.Equal(4, rows.Count); // one row per key, never duplicated
        Assert.All(rows.Where(r => r.Kind == ReminderKind.Event), r => Assert.Equal(start.AddDays(1), r.EventStartsAt));
        await host.Bus.WaitForAsync<RemindersScheduled>(m => m.EventId == eventId, count: 2); // relayed after the commit
        Assert.Equal(2, host.Bus.Received<RemindersScheduled>(m => m.EventId == eventId).Count); // v1 and v3 (planned); v4 is scheduled already
    }

    [Fact]
    public async Task A_postponed_event_is_re_planned_and_a_sent_reminder_is_re_armed_for_the_new_time()
    {
        var eventId = Guid.NewGuid();
        var start = host.Time.GetUtcNow().AddHours(3);
        await host.PublishAsync(Events.Changed(_userId, eventId, start));
        var before = await host.RemindersAsync(eventId);
        Assert.Equal([TimeSpan.FromHours(2), TimeSpan.FromMinutes(15)], before.Where(r => r.Kind == ReminderKind.Event).Select(r => r.Offset));

        // T-2h goes out, then the user postpones by a day.
        host.Time.Advance(TimeSpan.FromHours(1));
        await host.NewDispatcher().DispatchDueAsync(CancellationToken.None);
        Assert.Equal(ReminderStatus.Sent, (await host.RemindersAsync(eventId)).Single(r => r.Offset == TimeSpan.FromHours(2)).Status);

        var newStart = start.AddDays(1);
        await host.PublishAsync(Events.Changed(_userId, eventId, newStart, version: 2, change: "updated", status: "planned"));
        var after = (await host.RemindersAsync(eventId)).Where(r => r.Kind == ReminderKind.Event).ToList();
        Assert.Equal([newStart.AddHours(-24), newStart.AddHours(-2), newStart.AddMinutes(-15)], after.Select(r => r.TriggerAt));
        Assert.All(after, r => Assert.Equal(ReminderStatus.Scheduled, r.Status));
        var rearmed = after.Single(r => r.Offset == TimeSpan.FromHours(2));
        Assert.Equal(1, rearmed.Generation); // a new notification at the receiver, not a duplicate of the first
        Assert.Equal(before.Single(r => r.Offset == TimeSpan.FromHours(2)).Id, rearmed.Id);
    }

    [Theory]
    [InlineData("done", "status_changed")]
    [InlineData("cancelled", "status_changed")]
    [InlineData("scheduled", "deleted")]
    public async Task A_done_cancelled_or_deleted_event_cancels_its_reminders(string status, string change)
    {
        var eventId = Guid.NewGuid();
        var start = host.Time.GetUtcNow().AddDays(2);
        await host.PublishAsync(Events.Changed(_userId, eventId, start));
        await host.PublishAsync(Events.Changed(_userId, eventId, start, version: 2, status: status, change: change));

        var rows = await host.RemindersAsync(eventId);
        Assert.Equal(4, rows.Count);
        Assert.All(rows, r => Assert.Equal(ReminderStatus.Cancelled, r.Status));
    }

    [Fact]
    public async Task Quiet_hours_and_channels_from_the_profile_shape_the_plan_and_a_profile_change_re_plans()
    {
        var userId = TestAuth.NewUserId();
        await host.PublishAsync(Events.Profile(userId, timeZone: "America/New_York", email: "ann@example.com"));
        var now = host.Time.GetUtcNow();
        var eventId = Guid.NewGuid();
        // Two days ahead at 07:30 New York time.
        var local = TimeZoneInfo.ConvertTime(now, TimeZoneInfo.FindSystemTimeZoneById("America/New_York")).Date.AddDays(2).AddHours(7.5);
        var start = new DateTimeOffset(local, TimeZoneInfo.FindSystemTimeZoneById("America/New_York").GetUtcOffset(local)).ToUniversalTime();
        await host.PublishAsync(Events.Changed(userId, eventId, start, timeZone: "America/New_York"));
        Assert.Equal(6, (await host.RemindersAsync(eventId)).Count(r => r.Kind == ReminderKind.Event && r.Status == ReminderStatus.Scheduled));

        // Quiet 22:00–07:00 local: T-2h (05:30) moves to 21:59 the evening before; e-mail is turned off.
        await host.PublishAsync(Events.Profile(userId, version: 2, timeZone: "America/New_York", quietStart: new TimeOnly(22, 0), quietEnd: new TimeOnly(7, 0)));
        var rows = (await host.RemindersAsync(eventId)).Where(r => r.Kind == ReminderKind.Event).ToList();
        Assert.All(rows.Where(r => r.Channel == Channel.Email), r => Assert.Equal(ReminderStatus.Cancelled, r.Status));
        var twoHours = rows.Single(r => r.Channel == Channel.InApp && r.Offset == TimeSpan.FromHours(2));
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var movedLocal = TimeZoneInfo.ConvertTime(twoHours.TriggerAt, zone);
        Assert.Equal((local.AddDays(-1).Date, new TimeSpan(21, 59, 0)), (movedLocal.Date, movedLocal.TimeOfDay));
    }

    [Fact]
    public async Task An_event_of_another_user_id_cannot_take_over_an_event()
    {
        var eventId = Guid.NewGuid();
        var start = host.Time.GetUtcNow().AddDays(2);
        await host.PublishAsync(Events.Changed(_userId, eventId, start));
        await host.Bus.Bus.Publish(Events.Changed("intruder", eventId, start, version: 2, status: "cancelled", change: "status_changed"));
        await host.PublishAsync(Events.Changed(_userId, eventId, start, version: 3, status: "scheduled", change: "status_changed"));

        var rows = await host.RemindersAsync(eventId);
        Assert.All(rows, r => Assert.Equal((_userId, ReminderStatus.Scheduled), (r.UserId, r.Status)));
        Assert.Equal(3, await host.WithDbAsync(db => db.Events.Where(e => e.EventId == eventId).Select(e => e.Version).SingleAsync()));
    }
}

public sealed class QueueNameTests(ManualDispatchHost host) : IClassFixture<ManualDispatchHost>
{
    [Fact]
    public async Task The_service_consumes_from_queues_carrying_its_own_name()
    {
        var management = Aimi.Infrastructure.LocalInfrastructure.RabbitMqManagement;
        using var http = new HttpClient { BaseAddress = new UriBuilder(management) { UserName = "", Password = "" }.Uri };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Uri.UnescapeDataString(management.UserInfo))));
        var queues = await Eventually.GetAsync(async () =>
        {
            using var document = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync($"api/queues/{Uri.EscapeDataString(host.VirtualHost.Name)}"));
            return document.RootElement.EnumerateArray().Select(q => q.GetProperty("name").GetString()!).ToList();
        }, names => names.Contains("notifications-event-changed"), because: "the service's queues declared");

        Assert.Contains("notifications-user-profile-changed", queues);
        Assert.Contains("notifications-habit-changed", queues);
        Assert.DoesNotContain("event-changed", queues);
    }
}
