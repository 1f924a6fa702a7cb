namespace Aimi.Goals.Api.Domain;

/// <summary>A person using Aimi, created on their first authenticated request from the token's subject.</summary>
/// <summary>What every record a user changes carries: an optimistic-concurrency version and its times.</summary>
public abstract class VersionedEntity
{
    /// <summary>Optimistic-concurrency token: every change increments it; a stale writer gets 409.</summary>
    public int Version { get; private set; } = 1;
    // A new record was last updated when it was created.
    public DateTimeOffset CreatedAt { get; init { field = value; UpdatedAt = value; } }
    public DateTimeOffset UpdatedAt { get; private set; }

    /// <summary>Every change passes here (through <c>PlanChanges</c> or <c>EventLifecycle</c>, which also announce it): a new version for optimistic concurrency, and the time.</summary>
    public void Touch(DateTimeOffset now)
    {
        Version++;
        UpdatedAt = now;
    }
}

public sealed class User : VersionedEntity
{
    public Guid Id { get; init; }
    /// <summary>The token subject: the user's id across Aimi's services.</summary>
    public required string ExternalSubject { get; init; }
    public string? DisplayName { get; set; }
    public string TimeZone { get; set; } = "UTC";
    public string Locale { get; set; } = "en";
    public TimeOnly? QuietHoursStart { get; set; }
    public TimeOnly? QuietHoursEnd { get; set; }
    public bool NotifyInApp { get; set; } = true;
    public string? NotifyEmail { get; set; }
    public string? NotifyWebhookUrl { get; set; }
    /// <summary>Null without an address; reminders go only to a verified one (<see cref="ContactVerification"/>).</summary>
    public ContactStatus? EmailStatus { get; set; }
    public ContactStatus? WebhookStatus { get; set; }
    /// <summary>Free-form preferences (JSON object) the assistant may keep.</summary>
    public string Settings { get; set; } = "{}";
}

public enum GoalStatus
{
    Active,
    Paused,
    Achieved,
    Abandoned,
}

public sealed class Goal : VersionedEntity
{
    public Guid Id { get; init; }
    public Guid UserId { get; init; }
    public required string Title { get; set; }
    public string? Description { get; set; }
    public GoalStatus Status { get; set; } = GoalStatus.Active;
    public DateOnly? DueDate { get; set; }
    /// <summary>1 (nice to have) to 5 (most important).</summary>
    public int Importance { get; set; } = 3;
}

public enum HabitStatus
{
    Active,
    Paused,
    Archived,
}

public sealed class Habit : VersionedEntity
{
    public Guid Id { get; init; }
    public Guid UserId { get; init; }
    public Guid? GoalId { get; set; }
    public required string Title { get; set; }
    /// <summary>Five-field cron expression in the user's timezone, e.g. <c>0 7 * * 1-5</c> for weekdays at 7.</summary>
    public required string Cadence { get; set; }
    public HabitStatus Status { get; set; } = HabitStatus.Active;
    public int Streak { get; set; }
}

/// <summary>A task or an event (one table, as the design note asks), with its place in the status machine.</summary>
public sealed class EventItem : VersionedEntity
{
    public Guid Id { get; init; }
    public Guid UserId { get; init; }
    public EventType Type { get; init; }
    public required string Title { get; set; }
    public string? Notes { get; set; }
    /// <summary>Moves only through <see cref="Apply"/>, the status machine's gate.</summary>
    public EventStatus Status { get; private set; }

    /// <summary>Set at creation: <c>planned</c> when the user agreed to it, else <c>pending_confirmation</c> until they do.</summary>
    public bool Confirmed
    {
        get => Status != EventStatus.PendingConfirmation;
        init => Status = value ? EventStatus.Planned : EventStatus.PendingConfirmation;
    }
    // Kept in UTC at PostgreSQL's microsecond precision whoever writes them, so a write returns what a later read returns.
    public DateTimeOffset? StartsAt { get; set => field = value.ToStored(); }
    public DateTimeOffset? EndsAt { get; set => field = value.ToStored(); }
    public DateTimeOffset? DueAt { get; set => field = value.ToStored(); }
    public bool AllDay { get; set; }
    public Guid? GoalId { get; set; }
    public Guid? HabitId { get; set; }
    public EventSource Source { get; init; }
    /// <summary>The chat message the item came from, when the assistant created it.</summary>
    public string? SourceMessageId { get; init; }
    /// <summary>
    /// Applies <paramref name="action"/> if the status machine allows it: <paramref name="mutate"/> may then move the times,
    /// and status, version and time change together. A refused action changes nothing.
    /// </summary>
    public TransitionResult Apply(EventAction action, DateTimeOffset now, Action<EventItem>? mutate = null)
    {
        var result = EventStatusMachine.Apply(Status, action);
        if (result.Accepted)
        {
            mutate?.Invoke(this);
            Status = result.Final;
            Touch(now);
        }
        return result;
    }

    /// <summary>The instant the item is about: an event's start, else a task's due time.</summary>
    public DateTimeOffset? When => StartsAt ?? DueAt;
}

/// <summary>One status change (or a noted non-change, such as a reminder delivered early), never updated.</summary>
public sealed class EventHistoryEntry
{
    /// <summary>Database-assigned, in write order: several steps of one change share the same <see cref="At"/>.</summary>
    public long Id { get; init; }
    public Guid EventId { get; init; }
    public Guid UserId { get; init; }
    public EventStatus? FromStatus { get; init; }
    public EventStatus ToStatus { get; init; }
    public DateTimeOffset At { get; init; }
    /// <summary><c>user</c>, <c>assistant</c> or <c>system</c>.</summary>
    public required string Actor { get; init; }
    public string? Reason { get; init; }
    public string? Payload { get; init; }
}
