using System.Collections.Concurrent;
using System.Globalization;
using Aimi.Contracts.Goals;
using Aimi.Contracts.Notifications;
using Aimi.Messaging;
using Aimi.Notifications.Api.Data;
using Aimi.Notifications.Api.Domain;
using Aimi.Notifications.Api.Workers;
using Microsoft.Extensions.DependencyInjection;
using Aimi.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Xunit;

namespace Aimi.Notifications.Tests;

/// <summary>Dispatchers driven by hand as replicas of one service, on one database, with the clock moved by the test.</summary>
public sealed class DispatcherTests(ManualDispatchHost host) : IClassFixture<ManualDispatchHost>
{
    private readonly string _userId = TestAuth.NewUserId();

    private async Task<List<Guid>> PlanEventsAsync(int count, TimeSpan startsIn)
    {
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var id = Guid.NewGuid();
            ids.Add(id);
            await host.Bus.Bus.Publish(Events.Changed(_userId, id, host.Time.GetUtcNow() + startsIn, title: $"Event {i}"));
        }
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Events.CountAsync(e => ids.Contains(e.EventId))), n => n == count, because: "all events planned");
        return ids;
    }

    private Task<List<OutboxMessage>> DeliveredAsync(IReadOnlyCollection<Guid> eventIds) => host.WithDbAsync(async db =>
        (await db.Set<OutboxMessage>().AsNoTracking().Where(m => m.MessageType == typeof(ReminderDelivered).FullName).ToListAsync())
            .Where(m => eventIds.Any(id => m.Payload.Contains(id.ToString(), StringComparison.Ordinal))).ToList());

    [Fact]
    public async Task Two_dispatchers_racing_send_each_reminder_exactly_once()
    {
        // 60 events starting in 20 minutes: only T-15m ahead → 60 in-app reminders due at once.
        var ids = await PlanEventsAsync(60, TimeSpan.FromMinutes(20));
        host.Time.Advance(TimeSpan.FromMinutes(5));
        var a = host.NewDispatcher();
        var b = host.NewDispatcher();

        async Task<int> Drain(ReminderDispatcher d)
        {
            var total = 0;
            for (var round = 0; round < 20; round++)
            {
                total += await d.DispatchDueAsync(CancellationToken.None);
            }
            return total;
        }
        var claimed = await Task.WhenAll(Task.Run(() => Drain(a)), Task.Run(() => Drain(b)));

        Assert.Equal(60, claimed.Sum());
        var rows = await host.WithDbAsync(db => db.Reminders.AsNoTracking().Where(r => ids.Contains(r.EventId) && r.Kind == ReminderKind.Event).ToListAsync());
        Assert.Equal(60, rows.Count);
        Assert.All(rows, r => Assert.Equal((ReminderStatus.Sent, 1), (r.Status, r.Attempts)));
        var delivered = await DeliveredAsync(ids);
        Assert.Equal(60, delivered.Count);
        var logs = await host.WithDbAsync(db => db.ReminderLogs.AsNoTracking().Where(l => ids.Contains(l.EventId)).ToListAsync());
        Assert.Equal(60, logs.Count);
        Assert.All(logs, l => Assert.Equal(LogOutcomes.Sent, l.Outcome));
        // And over the real broker, each exactly once.
        var received = await host.Bus.WaitForAsync<ReminderDelivered>(m => ids.Contains(m.EventId), count: 60);
        Assert.Equal(60, received.Select(m => m.ReminderId).Distinct().Count());
    }

    [Fact]
    public async Task A_dispatcher_killed_mid_send_loses_nothing_and_sends_nothing_twice()
    {
        var ids = await PlanEventsAsync(5, TimeSpan.FromMinutes(20));
        host.Time.Advance(TimeSpan.FromMinutes(5));

        // Replica A claims the batch and dies before completing: its rows stay `sending` under its lease.
        var killed = host.NewDispatcher();
        var (_, claimed) = await host.WithDbAsync(db => killed.ClaimAsync(db, CancellationToken.None));
        Assert.Equal(5, claimed.Count(r => ids.Contains(r.EventId)));

        // Replica B sees nothing while the lease holds…
        var survivor = host.NewDispatcher();
        Assert.Equal(0, await survivor.DispatchDueAsync(CancellationToken.None));
        // …and takes the rows over once it ran out.
        host.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(5, await survivor.DispatchDueAsync(CancellationToken.None));
        Assert.Equal(0, await survivor.DispatchDueAsync(CancellationToken.None));

        var rows = await host.WithDbAsync(db => db.Reminders.AsNoTracking().Where(r => ids.Contains(r.EventId) && r.Kind == ReminderKind.Event).ToListAsync());
        Assert.All(rows, r => Assert.Equal((ReminderStatus.Sent, 2), (r.Status, r.Attempts)));
        Assert.Equal(5, (await DeliveredAsync(ids)).Count);
    }

    [Fact]
    public async Task A_reminder_whose_event_already_started_is_missed_not_sent_late()
    {
        var ids = await PlanEventsAsync(1, TimeSpan.FromMinutes(20));
        // The service was down: it comes back 3 minutes after the start (grace is 2 minutes).
        host.Time.Advance(TimeSpan.FromMinutes(23));
        var dispatcher = host.NewDispatcher();
        await dispatcher.DispatchDueAsync(CancellationToken.None);

        var reminder = (await host.RemindersAsync(ids[0])).Single(r => r.Kind == ReminderKind.Event);
        Assert.Equal(ReminderStatus.Missed, reminder.Status);
        Assert.Null(reminder.SentAt);
        Assert.Empty(await DeliveredAsync(ids));
        var log = await host.WithDbAsync(db => db.ReminderLogs.AsNoTracking().SingleAsync(l => l.ReminderId == reminder.Id));
        Assert.Equal(LogOutcomes.Missed, log.Outcome);
    }

    [Fact]
    public async Task A_late_reminder_within_the_grace_is_still_sent()
    {
        var ids = await PlanEventsAsync(1, TimeSpan.FromMinutes(20));
        host.Time.Advance(TimeSpan.FromMinutes(21));
        await host.NewDispatcher().DispatchDueAsync(CancellationToken.None);
        Assert.Equal(ReminderStatus.Sent, (await host.RemindersAsync(ids[0])).Single(r => r.Kind == ReminderKind.Event).Status);
    }

    [Fact]
    public async Task The_follow_up_goes_out_once_after_the_end_unless_feedback_came_first()
    {
        var eventId = Guid.NewGuid();
        var otherId = Guid.NewGuid();
        var start = host.Time.GetUtcNow().AddMinutes(20);
        await host.PublishAsync(Events.Changed(_userId, eventId, start, endsAt: start.AddHours(1), title: "Dentist"));
        await host.PublishAsync(Events.Changed(_userId, otherId, start, endsAt: start.AddHours(1), title: "Gym"));
        // The gym got its feedback before the end: no follow-up for it.
        await host.PublishAsync(Events.Changed(_userId, otherId, start, endsAt: start.AddHours(1), version: 2, status: "done", change: "status_changed", title: "Gym"));

        host.Time.Advance(TimeSpan.FromMinutes(20 + 61));
        var dispatcher = host.NewDispatcher();
        while (await dispatcher.DispatchDueAsync(CancellationToken.None) > 0)
        {
        }

        var followUps = await host.Bus.WaitForAsync<FollowUpDue>(f => f.UserId == _userId);
        var followUp = Assert.Single(followUps);
        Assert.Equal((eventId, "Dentist", "en"), (followUp.EventId, followUp.EventTitle, followUp.Locale));
        Assert.Contains("How did \"Dentist\" go?", followUp.Question, StringComparison.Ordinal);
        Assert.Equal(start.AddHours(1), followUp.DueAt);
        Assert.Equal((start, start.AddHours(1)), (followUp.EventStartsAt, followUp.EventEndsAt));
        // Not a ReminderDelivered: Goals must not take it for a reminder.
        Assert.DoesNotContain(host.Bus.Received<ReminderDelivered>(), m => m.ReminderId == followUp.FollowUpId);
    }
}

/// <summary>The background dispatcher of the service itself: it sleeps to the next due time and a NOTIFY wakes it early.</summary>
public sealed class WakeUpTests(WakeUpTests.Host host) : IClassFixture<WakeUpTests.Host>
{
    public sealed class Host : NotificationsHost
    {
        // A safety wake far away, so only the due time and the notification can explain a prompt delivery.
        protected override IEnumerable<KeyValuePair<string, string?>> HostSettings() => [new("Notifications:Dispatcher:SafetyWake", "1.00:00:00")];
    }

    [Fact]
    public async Task It_sleeps_until_the_next_reminder_and_a_nearer_plan_wakes_it()
    {
        var userId = TestAuth.NewUserId();
        var dispatcher = host.Services.GetRequiredService<ReminderDispatcher>();
        var now = host.Time.GetUtcNow();
        await host.PublishAsync(Events.Changed(userId, Guid.NewGuid(), now.AddDays(2), title: "Far"));
        await Eventually.GetAsync(() => Task.FromResult(dispatcher.SleepingUntil), until => until == now.AddDays(1), because: "asleep until the T-24h");
        var passes = dispatcher.Passes;

        // Planned further away than it sleeps: its NOTIFY (delivered before the next one, on the same connection) wakes nothing.
        var farther = Guid.NewGuid();
        await host.PublishAsync(Events.Changed(userId, farther, now.AddDays(3), title: "Farther"));
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Reminders.CountAsync(r => r.EventId == farther)), count => count > 0, because: "the farther event planned");

        var near = Guid.NewGuid();
        await host.PublishAsync(Events.Changed(userId, near, now.AddMinutes(16), title: "Near"));
        await Eventually.GetAsync(() => Task.FromResult(dispatcher.SleepingUntil), until => until == now.AddMinutes(1), because: "woken by NOTIFY, asleep until the nearer T-15m");
        Assert.Equal(passes + 1, dispatcher.Passes); // one pass, for the nearer plan only

        host.Time.Advance(TimeSpan.FromMinutes(1));
        var delivered = await host.Bus.WaitForAsync<ReminderDelivered>(m => m.EventId == near);
        Assert.Equal(now.AddMinutes(1), Assert.Single(delivered).DeliveredAt);
    }

    [Fact]
    public async Task Only_a_plan_due_before_the_safety_wake_is_notified()
    {
        var userId = TestAuth.NewUserId();
        var now = host.Time.GetUtcNow();
        await using var listener = await PlannedListener.StartAsync(host);

        // Its first reminder (T-24h) is due in two days, after the host's safety wake of one day: every dispatcher wakes before then.
        var far = Guid.NewGuid();
        await host.PublishAsync(Events.Changed(userId, far, now.AddDays(3), title: "Far"));
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Reminders.CountAsync(r => r.EventId == far)), count => count > 0, because: "the far event planned");
        var near = Guid.NewGuid();
        await host.PublishAsync(Events.Changed(userId, near, now.AddMinutes(16), title: "Near"));

        // One connection gets notifications in commit order: once the near plan's has come, the far plan's would have come before it.
        await listener.WaitForAsync(now.AddMinutes(1));
        Assert.DoesNotContain(listener.Notified, due => due is null || due >= now.AddDays(1));
    }

    [Fact]
    public async Task An_event_moved_nearer_notifies_its_re_planned_reminders()
    {
        var userId = TestAuth.NewUserId();
        var now = host.Time.GetUtcNow();
        await using var listener = await PlannedListener.StartAsync(host);

        var moved = Guid.NewGuid();
        await host.PublishAsync(Events.Changed(userId, moved, now.AddDays(3), title: "Moved"));
        var planned = await Eventually.GetAsync(() => host.WithDbAsync(db => db.Reminders.Where(r => r.EventId == moved).Select(r => r.Id).ToListAsync()),
            ids => ids.Count > 0, because: "planned far ahead");
        // The same rows get new due times: the T-15m row is modified, not added, and is now due in a minute.
        await host.PublishAsync(Events.Changed(userId, moved, now.AddMinutes(16), version: 2, title: "Moved"));

        var nearDue = now.AddMinutes(1);
        await listener.WaitForAsync(nearDue);
        var near = await host.WithDbAsync(db => db.Reminders.Where(r => r.EventId == moved && r.DueAt == nearDue).Select(r => r.Id).ToListAsync());
        Assert.Contains(Assert.Single(near), planned);
    }

    /// <summary>A connection of the test's own listening on the dispatchers' channel, with the due times it was told of.</summary>
    private sealed class PlannedListener : IAsyncDisposable
    {
        private readonly NpgsqlConnection _connection;

        private PlannedListener(NpgsqlConnection connection)
        {
            _connection = connection;
            _connection.Notification += (_, e) => Notified.Enqueue(ReminderScheduler.DueOf(e.Payload));
        }

        public ConcurrentQueue<DateTimeOffset?> Notified { get; } = new();

        public static async Task<PlannedListener> StartAsync(NotificationsHost host)
        {
            var connectionString = await host.WithDbAsync(db => Task.FromResult(db.Database.GetConnectionString()!));
            var listener = new PlannedListener(new NpgsqlConnection(connectionString));
            await listener._connection.OpenAsync();
            await using var listen = new NpgsqlCommand($"LISTEN {ReminderScheduler.PlannedChannel}", listener._connection);
            await listen.ExecuteNonQueryAsync();
            return listener;
        }

        /// <summary>Waits (30 s at most) until a plan due at <paramref name="due"/> is notified.</summary>
        public async Task WaitForAsync(DateTimeOffset due)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (!Notified.Contains(due))
            {
                await _connection.WaitAsync(timeout.Token);
            }
        }

        public ValueTask DisposeAsync() => _connection.DisposeAsync();
    }
}

public sealed class HabitTests(ManualDispatchHost host) : IClassFixture<ManualDispatchHost>
{
    [Fact]
    public async Task A_habit_is_reminded_at_its_cron_time_in_the_users_zone_and_the_next_occurrence_follows()
    {
        var userId = TestAuth.NewUserId();
        var habitId = Guid.NewGuid();
        await host.Bus.Bus.Publish(new HabitChanged
        {
            HabitId = habitId, UserId = userId, Change = "created", Title = "Stretch", Cadence = "30 7 * * *", Status = "active", Streak = 0,
            TimeZone = "America/New_York", Version = 1, OccurredAt = DateTimeOffset.UtcNow,
        });
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var first = await Eventually.GetAsync(
            () => host.WithDbAsync(db => db.Reminders.AsNoTracking().Where(r => r.HabitId == habitId).ToListAsync()), rows => rows.Count == 1, because: "habit planned");
        var local = TimeZoneInfo.ConvertTime(first[0].TriggerAt, zone);
        Assert.Equal(new TimeSpan(7, 30, 0), local.TimeOfDay);
        Assert.True(first[0].TriggerAt > host.Time.GetUtcNow() && first[0].TriggerAt <= host.Time.GetUtcNow().AddDays(1));

        host.Time.Advance(first[0].TriggerAt - host.Time.GetUtcNow());
        await host.NewDispatcher().DispatchDueAsync(CancellationToken.None);

        var rows = await host.WithDbAsync(db => db.Reminders.AsNoTracking().Where(r => r.HabitId == habitId).OrderBy(r => r.TriggerAt).ToListAsync());
        Assert.Equal(2, rows.Count);
        Assert.Equal(ReminderStatus.Sent, rows[0].Status);
        Assert.Equal((ReminderStatus.Scheduled, new TimeSpan(7, 30, 0)), (rows[1].Status, TimeZoneInfo.ConvertTime(rows[1].TriggerAt, zone).TimeOfDay));
        Assert.Equal(local.Date.AddDays(1), TimeZoneInfo.ConvertTime(rows[1].TriggerAt, zone).Date);
        await host.Bus.WaitForAsync<ReminderDelivered>(m => m.ReminderId == rows[0].Id);

        // Paused: the planned occurrence is cancelled.
        await host.Bus.Bus.Publish(new HabitChanged
        {
            HabitId = habitId, UserId = userId, Change = "updated", Title = "Stretch", Cadence = "30 7 * * *", Status = "paused", Streak = 1,
            TimeZone = "America/New_York", Version = 2, OccurredAt = DateTimeOffset.UtcNow,
        });
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Reminders.AsNoTracking().SingleAsync(r => r.Id == rows[1].Id)),
            r => r.Status == ReminderStatus.Cancelled, because: "paused habit cancels its next reminder");
    }
}

/// <summary>A planned reminder wakes the dispatcher only when it is due before the time the dispatcher sleeps until.</summary>
public sealed class DispatchSignalTests
{
    [Fact]
    public async Task A_plan_due_after_the_dispatchers_sleep_wakes_nothing_and_a_nearer_one_wakes_it()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-03-01T09:00:00Z", CultureInfo.InvariantCulture));
        using var signal = new DispatchSignal();
        var until = time.GetUtcNow().AddHours(1);

        var sleeping = signal.WaitAsync(until, time, CancellationToken.None);

        Assert.False(signal.Wakes(until.AddDays(1)));
        Assert.False(signal.Wakes(until)); // it wakes then anyway
        Assert.True(signal.Wakes(until.AddTicks(-1)));
        signal.Planned(until.AddDays(1));
        Assert.False(sleeping.IsCompleted);
        signal.Planned(until.AddMinutes(-30));
        await sleeping.WaitAsync(TimeSpan.FromSeconds(10)); // woken with the clock still at 09:00
        Assert.Equal(DateTimeOffset.Parse("2026-03-01T09:00:00Z", CultureInfo.InvariantCulture), time.GetUtcNow());
    }

    [Fact]
    public void A_dispatcher_in_a_pass_is_woken_by_any_plan()
    {
        using var signal = new DispatchSignal();
        // Its pass may have read the next due time before this plan committed: the next wait must return at once.
        Assert.True(signal.Wakes(DateTimeOffset.MaxValue));
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5")]
    public void A_payload_without_a_due_time_reads_as_none(string payload) =>
        Assert.Null(ReminderScheduler.DueOf(payload));

    [Fact]
    public void A_due_time_travels_as_its_payload()
    {
        var due = DateTimeOffset.Parse("2026-03-01T10:15:30.1234567+02:00", CultureInfo.InvariantCulture);
        Assert.Equal(due, ReminderScheduler.DueOf(ReminderScheduler.Payload(due)));
    }
}
