using System.Globalization;
using Aimi.Notifications.Api.Domain;
using NodaTime;
using Xunit;

namespace Aimi.Notifications.Tests;

public sealed class PlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 8, 0, 0, TimeSpan.Zero);

    private static EventSnapshot Event(DateTimeOffset startsAt, string status = "planned", DateTimeOffset? endsAt = null, string type = "event") => new()
    {
        EventId = Guid.NewGuid(), UserId = "u", Type = type, Title = "Dentist", Status = status, StartsAt = startsAt, EndsAt = endsAt, Version = 1,
    };

    private static Recipient Recipient(string zone = "UTC", TimeOnly? quietStart = null, TimeOnly? quietEnd = null, string? email = null, int[]? offsets = null, bool followUp = false)
    {
        var settings = NotificationSettings.Default("u");
        settings.FollowUpEnabled = followUp;
        if (offsets is not null)
        {
            settings.OffsetsMinutes = offsets;
        }
        return new Recipient(new UserProfile { UserId = "u", TimeZone = zone, QuietHoursStart = quietStart, QuietHoursEnd = quietEnd, Email = email }, settings, HasPushSubscription: false);
    }

    [Fact]
    public void An_event_two_days_ahead_gets_all_three_reminders_on_every_reachable_channel()
    {
        var start = Now.AddDays(2);
        var plan = ReminderPlanner.PlanEvent(Event(start), Recipient(email: "a@example.com"), Now);

        Assert.Equal(6, plan.Count);
        Assert.Equal([start.AddHours(-24), start.AddHours(-2), start.AddMinutes(-15)], plan.Where(p => p.Channel == Channel.InApp).Select(p => p.TriggerAt));
        Assert.Equal([Channel.InApp, Channel.Email], plan.Select(p => p.Channel).Distinct());
        Assert.All(plan, p => Assert.Equal(ReminderKind.Event, p.Kind));
    }

    [Theory]
    [InlineData(30, new[] { 15 })]          // only T-15m still ahead
    [InlineData(3 * 60, new[] { 120, 15 })] // T-24h already past
    [InlineData(10, new int[0])]            // all past
    public void Reminders_already_past_are_skipped(int minutesAhead, int[] expectedOffsets)
    {
        var plan = ReminderPlanner.PlanEvent(Event(Now.AddMinutes(minutesAhead)), Recipient(), Now);
        Assert.Equal(expectedOffsets, plan.Select(p => (int)p.Offset.TotalMinutes));
    }

    [Theory]
    [InlineData("pending_confirmation")]
    [InlineData("done")]
    [InlineData("missed")]
    [InlineData("cancelled")]
    public void Events_not_ahead_get_no_reminders(string status) =>
        Assert.Empty(ReminderPlanner.PlanEvent(Event(Now.AddDays(2), status), Recipient(), Now));

    [Fact]
    public void A_deleted_event_gets_no_reminders()
    {
        var e = Event(Now.AddDays(2));
        e.Deleted = true;
        Assert.Empty(ReminderPlanner.PlanEvent(e, Recipient(), Now));
    }

    [Fact]
    public void Per_user_offsets_are_used_largest_first()
    {
        var start = Now.AddDays(3);
        var plan = ReminderPlanner.PlanEvent(Event(start), Recipient(offsets: [30, 2 * 24 * 60, 30]), Now);
        Assert.Equal([start.AddDays(-2), start.AddMinutes(-30)], plan.Select(p => p.TriggerAt));
    }

    [Fact]
    public void A_reminder_in_quiet_hours_moves_to_just_before_they_begin()
    {
        // Quiet 22:00–07:00 in Berlin (UTC+2 in June); the event at 08:00 local: T-2h (06:00) is quiet.
        var start = new DateTimeOffset(2026, 6, 3, 6, 0, 0, TimeSpan.Zero); // 08:00 CEST
        var plan = ReminderPlanner.PlanEvent(Event(start), Recipient("Europe/Berlin", new TimeOnly(22, 0), new TimeOnly(7, 0)), Now);

        Assert.Equal(
            [start.AddHours(-24), new DateTimeOffset(2026, 6, 2, 19, 59, 0, TimeSpan.Zero), start.AddMinutes(-15)],
            plan.Select(p => p.TriggerAt));
    }

    [Fact]
    public void A_daytime_quiet_window_works_too()
    {
        var start = new DateTimeOffset(2026, 6, 3, 14, 0, 0, TimeSpan.Zero);
        var plan = ReminderPlanner.PlanEvent(Event(start), Recipient("UTC", new TimeOnly(13, 0), new TimeOnly(13, 50)), Now);
        Assert.Equal(start.AddHours(-2), plan.Single(p => p.Offset == TimeSpan.FromHours(2)).TriggerAt);
        Assert.Equal(new DateTimeOffset(2026, 6, 3, 12, 59, 0, TimeSpan.Zero), plan.Single(p => p.Offset == TimeSpan.FromMinutes(15)).TriggerAt);
    }

    [Fact]
    public void A_reminder_that_quiet_hours_would_push_into_the_past_is_skipped()
    {
        // Now 23:00 UTC, inside quiet hours 22:00–07:00; the T-15m at 06:45 would move to 21:59 — already past.
        var now = new DateTimeOffset(2026, 6, 1, 23, 0, 0, TimeSpan.Zero);
        var plan = ReminderPlanner.PlanEvent(Event(new DateTimeOffset(2026, 6, 2, 7, 0, 0, TimeSpan.Zero)), Recipient("UTC", new TimeOnly(22, 0), new TimeOnly(7, 0)), now);
        Assert.Empty(plan);
    }

    // Europe/Berlin springs forward on 2026-03-29 (02:00 CET → 03:00 CEST) and falls back on 2026-10-25 (03:00 CEST → 02:00 CET).
    // America/New_York springs forward on 2026-03-08 (02:00 EST → 03:00 EDT) and falls back on 2026-11-01 (02:00 EDT → 01:00 EST).
    [Theory]
    // Quiet from 02:30 (skipped in Berlin): the window begins when the clock jumps to 03:00 CEST = 01:00 UTC.
    [InlineData("Europe/Berlin", "2026-03-29T01:30:00Z", "02:30", "08:00", "2026-03-29T00:59:00Z")]
    // Quiet from 02:30 in the repeated hour (Berlin): it begins at the first 02:30 (CEST, 00:30 UTC); a reminder in the second is moved there.
    [InlineData("Europe/Berlin", "2026-10-25T01:45:00Z", "02:30", "08:00", "2026-10-25T00:29:00Z")]
    // Overnight window across the spring change in New York: 22:00 EST the evening before = 03:00 UTC.
    [InlineData("America/New_York", "2026-03-08T10:30:00Z", "22:00", "07:00", "2026-03-08T02:59:00Z")]
    // A reminder at 01:30 EST (the second 01:30) with quiet from 01:00: the window began at the first 01:00 (EDT) = 05:00 UTC.
    [InlineData("America/New_York", "2026-11-01T06:30:00Z", "01:00", "07:00", "2026-11-01T04:59:00Z")]
    // Same zone, the first 01:30 (EDT): same window.
    [InlineData("America/New_York", "2026-11-01T05:30:00Z", "01:00", "07:00", "2026-11-01T04:59:00Z")]
    // Outside the window on a change day: untouched.
    [InlineData("America/New_York", "2026-11-01T13:00:00Z", "01:00", "07:00", "2026-11-01T13:00:00Z")]
    public void Quiet_hours_are_correct_across_daylight_saving_changes(string zone, string reminder, string quietStart, string quietEnd, string expected)
    {
        var (from, until) = (TimeOnly.Parse(quietStart, CultureInfo.InvariantCulture), TimeOnly.Parse(quietEnd, CultureInfo.InvariantCulture));
        var moved = QuietHours.MoveOutOf(DateTimeOffset.Parse(reminder, CultureInfo.InvariantCulture), from, until, TimeZones.Find(zone));
        Assert.Equal(DateTimeOffset.Parse(expected, CultureInfo.InvariantCulture), moved);
        Assert.False(QuietHours.IsQuiet(moved, from, until, TimeZones.Find(zone)));
    }

    [Fact]
    public void The_reminder_whose_local_time_is_in_the_skipped_hour_is_planned_by_the_instant()
    {
        // An event at 03:30 CEST on the spring-forward day: T-2h is 01:30 CET = 00:30 UTC (02:30 local does not exist).
        var start = new DateTimeOffset(2026, 3, 29, 1, 30, 0, TimeSpan.Zero);
        var plan = ReminderPlanner.PlanEvent(Event(start), Recipient("Europe/Berlin"), new DateTimeOffset(2026, 3, 20, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2026, 3, 28, 23, 30, 0, TimeSpan.Zero), plan.Single(p => p.Offset == TimeSpan.FromHours(2)).TriggerAt);
        Assert.Equal(TimeSpan.FromHours(24), start - plan.Single(p => p.Offset == TimeSpan.FromHours(24)).TriggerAt);
    }

    [Fact]
    public void Quiet_hours_never_make_a_reminder_late()
    {
        var zone = TimeZones.Find("America/New_York");
        var quietStart = new TimeOnly(21, 30);
        var quietEnd = new TimeOnly(6, 45);
        // Every 7 minutes through a year that has both changes.
        for (var t = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero); t.Year == 2026; t = t.AddMinutes(7))
        {
            var moved = QuietHours.MoveOutOf(t, quietStart, quietEnd, zone);
            Assert.True(moved <= t, $"{t:o} moved later to {moved:o}");
            Assert.False(QuietHours.IsQuiet(moved, quietStart, quietEnd, zone), $"{t:o} moved to {moved:o}, still quiet");
            Assert.True(t - moved < TimeSpan.FromHours(10.5), $"{t:o} moved too far, to {moved:o}");
        }
    }

    [Fact]
    public void The_follow_up_is_due_at_the_end_or_a_configured_time_after_the_start()
    {
        var start = Now.AddDays(1);
        var withEnd = ReminderPlanner.PlanEvent(Event(start, endsAt: start.AddHours(1)), Recipient(followUp: true), Now);
        Assert.Equal(start.AddHours(1), withEnd.Single(p => p.Kind == ReminderKind.FollowUp).TriggerAt);

        var withoutEnd = ReminderPlanner.PlanEvent(Event(start), Recipient(followUp: true), Now);
        var followUp = withoutEnd.Single(p => p.Kind == ReminderKind.FollowUp);
        Assert.Equal(start.AddMinutes(NotificationSettings.DefaultFollowUpMinutes), followUp.TriggerAt);
        Assert.Equal(Channel.InApp, followUp.Channel);
    }

    [Fact]
    public void A_habit_occurs_at_its_cron_time_in_the_users_zone_across_a_change()
    {
        var habit = new HabitSnapshot { HabitId = Guid.NewGuid(), UserId = "u", Title = "Run", Cadence = "0 7 * * *", Status = "active", TimeZone = "Europe/Berlin" };
        // 07:00 CET on 28 March is 06:00 UTC; 07:00 CEST on 29 March is 05:00 UTC.
        var first = ReminderPlanner.NextHabitOccurrence(habit, new DateTimeOffset(2026, 3, 28, 0, 0, 0, TimeSpan.Zero));
        Assert.Equal(new DateTimeOffset(2026, 3, 28, 6, 0, 0, TimeSpan.Zero), first);
        Assert.Equal(new DateTimeOffset(2026, 3, 29, 5, 0, 0, TimeSpan.Zero), ReminderPlanner.NextHabitOccurrence(habit, first!.Value));

        habit.Status = "paused";
        Assert.Null(ReminderPlanner.NextHabitOccurrence(habit, first.Value));
        Assert.Equal(ReminderPlanner.OccurrenceId(habit.HabitId, first.Value), ReminderPlanner.OccurrenceId(habit.HabitId, first.Value));
        Assert.NotEqual(ReminderPlanner.OccurrenceId(habit.HabitId, first.Value), ReminderPlanner.OccurrenceId(habit.HabitId, first.Value.AddDays(1)));
    }

    [Fact]
    public void A_habit_occurrence_event_is_reminded_at_its_own_time_only()
    {
        var start = Now.AddHours(5);
        var plan = ReminderPlanner.PlanEvent(Event(start, type: "habit_occurrence"), Recipient(followUp: true), Now);
        Assert.Equal(start, Assert.Single(plan).TriggerAt);
    }

    [Fact]
    public void Zones_resolve_by_iana_id()
    {
        Assert.Equal("America/New_York", TimeZones.Find("America/New_York").Id);
        Assert.Equal(DateTimeZone.Utc, TimeZones.Find("Not/AZone"));
    }
}
