using System.Security.Cryptography;
using Cronos;

namespace Aimi.Notifications.Api.Domain;

/// <summary>One reminder the plan wants: its key (kind, offset, channel) and when it should reach the user.</summary>
public sealed record PlannedReminder(ReminderKind Kind, TimeSpan Offset, Channel Channel, DateTimeOffset TriggerAt);

/// <summary>What the planner needs to know about the user.</summary>
public sealed record Recipient(UserProfile Profile, NotificationSettings Settings, bool HasPushSubscription)
{
    /// <summary>Channels the user enabled and the profile can actually reach.</summary>
    public IReadOnlyList<Channel> Channels => Settings.Channels.Distinct().Where(c => c switch
    {
        Channel.InApp => Profile.InApp,
        Channel.Email => !string.IsNullOrWhiteSpace(Profile.Email),
        Channel.Webhook => !string.IsNullOrWhiteSpace(Profile.WebhookUrl),
        Channel.WebPush => HasPushSubscription,
        _ => false,
    }).Order().ToList();
}

/// <summary>
/// Decides which reminders an event (or a habit) should have, from its state, the user's settings and the time now.
/// Pure: no database, no clock of its own; the scheduler applies the result to <c>reminder_queue</c>.
/// </summary>
public static class ReminderPlanner
{
    /// <summary>Statuses in which an event still lies ahead and is reminded of.</summary>
    public static readonly IReadOnlySet<string> ActiveStatuses = new HashSet<string>(StringComparer.Ordinal)
    {
        "planned", "scheduled", "awaiting_feedback", "postponed",
    };

    /// <summary>The status in which Goals waits for <c>RemindersScheduled</c>.</summary>
    public const string PlannedStatus = "planned";

    /// <summary>How far back a delayed change may still plan reminders that fell due while it was on its way.</summary>
    public static readonly TimeSpan CatchUp = TimeSpan.FromMinutes(15);

    /// <summary>The moment from which reminders count as still to come: when the change happened, at most <see cref="CatchUp"/> ago.</summary>
    public static DateTimeOffset PlanFrom(DateTimeOffset? changedAt, DateTimeOffset now) =>
        changedAt is { } at && at < now ? (at > now - CatchUp ? at : now - CatchUp) : now;

    public static bool IsActive(EventSnapshot e) => !e.Deleted && ActiveStatuses.Contains(e.Status);

    /// <summary>
    /// Reminders before the event at each offset and over each channel, moved out of quiet hours, those due before
    /// <paramref name="from"/> left out; then the follow-up.
    /// </summary>
    public static IReadOnlyList<PlannedReminder> PlanEvent(EventSnapshot e, Recipient recipient, DateTimeOffset from)
    {
        if (!IsActive(e) || e.Anchor is not { } anchor)
        {
            return [];
        }
        var profile = recipient.Profile;
        var zone = TimeZones.Find(profile.TimeZone);
        var channels = recipient.Channels;
        var plan = new List<PlannedReminder>();

        // A habit occurrence is reminded of at its own time only: the cadence is the user's chosen moment.
        IEnumerable<TimeSpan> offsets = e.Type == "habit_occurrence"
            ? [TimeSpan.Zero]
            : recipient.Settings.OffsetsMinutes.Where(m => m >= 0).Distinct().OrderDescending().Select(m => TimeSpan.FromMinutes(m));
        foreach (var offset in offsets)
        {
            var trigger = (anchor - offset).ToStored();
            if (offset > TimeSpan.Zero)
            {
                trigger = QuietHours.MoveOutOf(trigger, profile.QuietHoursStart, profile.QuietHoursEnd, zone).ToStored();
            }
            if (trigger <= from)
            {
                continue; // too late for this one; a later offset may still come
            }
            plan.AddRange(channels.Select(channel => new PlannedReminder(ReminderKind.Event, offset, channel, trigger)));
        }

        if (FollowUpAt(e, recipient.Settings) is { } followUp && followUp > from && profile.InApp && e.Type != "habit_occurrence")
        {
            plan.Add(new PlannedReminder(ReminderKind.FollowUp, -(followUp - anchor), Channel.InApp, followUp));
        }
        return plan;
    }

    /// <summary>After the end, or a configured time after the start when the event has no end.</summary>
    public static DateTimeOffset? FollowUpAt(EventSnapshot e, NotificationSettings settings)
    {
        if (!settings.FollowUpEnabled || e.Anchor is not { } anchor)
        {
            return null;
        }
        var at = e.EndsAt is { } end && end > anchor ? end : anchor + TimeSpan.FromMinutes(settings.FollowUpAfterMinutes);
        return at.ToStored();
    }

    /// <summary>The next occurrence of an active habit after <paramref name="after"/>, at its cron time in the user's zone.</summary>
    public static DateTimeOffset? NextHabitOccurrence(HabitSnapshot habit, DateTimeOffset after)
    {
        if (habit.Status != "active" || !CronExpression.TryParse(habit.Cadence, CronFormat.Standard, out var cron))
        {
            return null;
        }
        var next = cron.GetNextOccurrence(after.UtcDateTime, TimeZones.FindInfo(habit.TimeZone));
        return next is { } utc ? new DateTimeOffset(utc, TimeSpan.Zero) : null;
    }

    /// <summary>The habit's reminders at <paramref name="occurrence"/>, one per channel.</summary>
    public static IReadOnlyList<PlannedReminder> PlanHabit(Recipient recipient, DateTimeOffset occurrence) =>
        recipient.Channels.Select(c => new PlannedReminder(ReminderKind.Habit, TimeSpan.Zero, c, occurrence.ToStored())).ToList();

    /// <summary>A stable id for one occurrence of a habit, so planning it twice finds the same rows.</summary>
    public static Guid OccurrenceId(Guid habitId, DateTimeOffset occurrence)
    {
        Span<byte> input = stackalloc byte[24];
        habitId.TryWriteBytes(input);
        BitConverter.TryWriteBytes(input[16..], occurrence.UtcTicks);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input, hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8: a custom, name-based id
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash[..16], bigEndian: true);
    }
}
