namespace Aimi.Contracts.Goals;

// Enum-like values travel as snake_case strings so consumers never depend on the producer's enum types.

/// <summary>A task or event was created or changed. Carries the whole current state so a consumer can act without calling back.</summary>
public sealed record EventChanged
{
    public required Guid EventId { get; init; }
    /// <summary>The user's id everywhere in Aimi: the authenticated token subject.</summary>
    public required string UserId { get; init; }
    /// <summary><c>created</c>, <c>updated</c> or <c>status_changed</c>.</summary>
    public required string Change { get; init; }
    /// <summary><c>task</c>, <c>event</c>, <c>habit_occurrence</c> or <c>check_in</c>.</summary>
    public required string Type { get; init; }
    public required string Title { get; init; }
    public string? Notes { get; init; }
    public required string Status { get; init; }
    public string? PreviousStatus { get; init; }
    public DateTimeOffset? StartsAt { get; init; }
    public DateTimeOffset? EndsAt { get; init; }
    public DateTimeOffset? DueAt { get; init; }
    public required bool AllDay { get; init; }
    public Guid? GoalId { get; init; }
    public Guid? HabitId { get; init; }
    /// <summary>The user's IANA timezone at the time of the change.</summary>
    public required string TimeZone { get; init; }
    /// <summary>Increases with every change of the event; consumers ignore a version older than one they applied.</summary>
    public required int Version { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}

public sealed record GoalChanged
{
    public required Guid GoalId { get; init; }
    public required string UserId { get; init; }
    /// <summary><c>created</c>, <c>updated</c> or <c>deleted</c>.</summary>
    public required string Change { get; init; }
    public required string Title { get; init; }
    public string? Description { get; init; }
    /// <summary><c>active</c>, <c>paused</c>, <c>achieved</c> or <c>abandoned</c>.</summary>
    public required string Status { get; init; }
    public DateOnly? DueDate { get; init; }
    public required int Importance { get; init; }
    public required int Version { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}

public sealed record HabitChanged
{
    public required Guid HabitId { get; init; }
    public required string UserId { get; init; }
    /// <summary><c>created</c>, <c>updated</c> or <c>deleted</c>.</summary>
    public required string Change { get; init; }
    public required string Title { get; init; }
    /// <summary>A five-field cron expression in the user's timezone (e.g. <c>0 7 * * 1-5</c>).</summary>
    public required string Cadence { get; init; }
    public Guid? GoalId { get; init; }
    /// <summary><c>active</c>, <c>paused</c> or <c>archived</c>.</summary>
    public required string Status { get; init; }
    public required int Streak { get; init; }
    public required string TimeZone { get; init; }
    public required int Version { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}

public sealed record UserProfileChanged
{
    public required string UserId { get; init; }
    public string? DisplayName { get; init; }
    public required string TimeZone { get; init; }
    public required string Locale { get; init; }
    /// <summary>Local time of day ("22:00") from which no reminder is delivered; null when the user set none.</summary>
    public TimeOnly? QuietHoursStart { get; init; }
    public TimeOnly? QuietHoursEnd { get; init; }
    public required NotificationChannels Channels { get; init; }
    public required int Version { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}

/// <summary>Where reminders may go: only addresses their owner confirmed and URLs that answered the verification challenge.</summary>
public sealed record NotificationChannels
{
    public required bool InApp { get; init; }
    public string? Email { get; init; }
    public string? WebhookUrl { get; init; }
}

/// <summary>The words of <see cref="EventChanged.Change"/>, <see cref="GoalChanged.Change"/> and <see cref="HabitChanged.Change"/>.</summary>
public static class ChangeKinds
{
    public const string Created = "created";
    public const string Updated = "updated";
    public const string StatusChanged = "status_changed";
    public const string Deleted = "deleted";
}

/// <summary>The words of <see cref="EventChanged.Status"/> and <see cref="EventChanged.PreviousStatus"/>: the event status machine's states.</summary>
public static class EventStatuses
{
    public const string PendingConfirmation = "pending_confirmation";
    public const string Planned = "planned";
    public const string Scheduled = "scheduled";
    public const string AwaitingFeedback = "awaiting_feedback";
    public const string Done = "done";
    public const string Missed = "missed";
    public const string Postponed = "postponed";
    public const string Cancelled = "cancelled";
}

/// <summary>
/// A profile got a new e-mail address: nothing is sent there until its owner types this code back (<c>POST
/// /me/email/confirm</c>). Notifications mails it once, unless it has expired by then; Goals keeps only its hash.
/// </summary>
public sealed record EmailConfirmationRequested
{
    public required Guid ConfirmationId { get; init; }
    public required string UserId { get; init; }
    public required string Email { get; init; }
    public required string Code { get; init; }
    /// <summary>The language of the mail.</summary>
    public required string Locale { get; init; }
    public required DateTimeOffset ExpiresAt { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}

/// <summary>
/// A profile got a new webhook URL (or the user asked for a re-check): Notifications posts a challenge there and answers
/// with <see cref="Aimi.Contracts.Notifications.WebhookVerificationCompleted"/>; reminders go there only once it passed.
/// </summary>
public sealed record WebhookVerificationRequested
{
    public required Guid VerificationId { get; init; }
    public required string UserId { get; init; }
    public required string WebhookUrl { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}
