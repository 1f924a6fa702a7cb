namespace Aimi.Notifications.Api.Domain;

/// <summary>What a reminder is for; the wire word is its snake_case name.</summary>
public enum ReminderKind
{
    /// <summary>Before an event or task starts (T-24h, T-2h, T-15m).</summary>
    Event,
    /// <summary>At a habit's cadence time.</summary>
    Habit,
    /// <summary>After an event, asking how it went (in-app, once).</summary>
    FollowUp,
    /// <summary>Sent on request to check the user's channels (<c>POST /notifications/test</c>).</summary>
    Test,
}

/// <summary>The words match <see cref="Aimi.Contracts.Notifications.ReminderChannels"/>.</summary>
public enum Channel
{
    InApp,
    Email,
    WebPush,
    Webhook,
}

public enum ReminderStatus
{
    Scheduled,
    Sending,
    Sent,
    Failed,
    Cancelled,
    Missed,
}

/// <summary>The latest state of a Goals event or task, kept from <c>EventChanged</c>.</summary>
public sealed class EventSnapshot
{
    public Guid EventId { get; init; }
    public required string UserId { get; init; }
    public required string Type { get; set; }
    public required string Title { get; set; }
    public required string Status { get; set; }
    public DateTimeOffset? StartsAt { get; set; }
    public DateTimeOffset? EndsAt { get; set; }
    public DateTimeOffset? DueAt { get; set; }
    public bool AllDay { get; set; }
    public Guid? HabitId { get; set; }
    public bool Deleted { get; set; }
    public int Version { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>When the reminders count down to: the start, or the due time of a task without one.</summary>
    public DateTimeOffset? Anchor => StartsAt ?? DueAt;
}

/// <summary>The user's profile as Goals announces it (<c>UserProfileChanged</c>): where and when to reach them.</summary>
public sealed class UserProfile
{
    public required string UserId { get; init; }
    public string? DisplayName { get; set; }
    public string TimeZone { get; set; } = "UTC";
    public string Locale { get; set; } = "en";
    public TimeOnly? QuietHoursStart { get; set; }
    public TimeOnly? QuietHoursEnd { get; set; }
    public bool InApp { get; set; } = true;
    public string? Email { get; set; }
    public string? WebhookUrl { get; set; }
    public int Version { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }

    /// <summary>Until Goals announced a profile, a user is reached in-app, in UTC, with no quiet hours.</summary>
    public static UserProfile Default(string userId) => new() { UserId = userId };
}

/// <summary>The latest state of a habit, kept from <c>HabitChanged</c>.</summary>
public sealed class HabitSnapshot
{
    public Guid HabitId { get; init; }
    public required string UserId { get; init; }
    public required string Title { get; set; }
    public required string Cadence { get; set; }
    public required string Status { get; set; }
    public required string TimeZone { get; set; }
    public int Version { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>The user's own reminder settings: which offsets and which channels (of those their profile can reach).</summary>
public sealed class NotificationSettings
{
    public static readonly int[] DefaultOffsetsMinutes = [24 * 60, 2 * 60, 15];
    public static readonly Channel[] AllChannels = Enum.GetValues<Channel>();
    public const int DefaultFollowUpMinutes = 60;

    public required string UserId { get; init; }
    /// <summary>Minutes before the start, largest first.</summary>
    public int[] OffsetsMinutes { get; set; } = DefaultOffsetsMinutes;
    public Channel[] Channels { get; set; } = AllChannels;
    /// <summary>For an event without an end: the follow-up is due this long after the start.</summary>
    public int FollowUpAfterMinutes { get; set; } = DefaultFollowUpMinutes;
    public bool FollowUpEnabled { get; set; } = true;
    public DateTimeOffset UpdatedAt { get; set; }

    public static NotificationSettings Default(string userId) => new() { UserId = userId };
}

/// <summary>The key a user's webhook receiver verifies signatures with; shown to the user once, when created.</summary>
public sealed class WebhookSecret
{
    public required string UserId { get; init; }
    public required string Secret { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A browser's Web Push subscription (RFC 8030 endpoint and RFC 8291 keys).</summary>
public sealed class PushSubscription
{
    public Guid Id { get; init; }
    public required string UserId { get; init; }
    public required string Endpoint { get; init; }
    public required string P256dh { get; set; }
    public required string Auth { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>One delivery attempt of a reminder, whatever came of it.</summary>
public sealed class ReminderLog
{
    public long Id { get; init; }
    public Guid ReminderId { get; init; }
    public required string UserId { get; init; }
    public Guid EventId { get; init; }
    public ReminderKind Kind { get; init; }
    public Channel Channel { get; init; }
    public int Attempt { get; init; }
    /// <summary><c>sent</c>, <c>retry</c>, <c>failed</c>, <c>missed</c> or <c>cancelled</c>.</summary>
    public required string Outcome { get; init; }
    public string? Error { get; init; }
    /// <summary>How long the channel took.</summary>
    public double LatencyMs { get; init; }
    /// <summary>Delivery minus trigger time.</summary>
    public double LatenessMs { get; init; }
    public string? ProviderResponseId { get; init; }
    public required string IdempotencyKey { get; init; }
    /// <summary>The replica (host/process) that made the attempt.</summary>
    public string? DispatchedBy { get; init; }
    public DateTimeOffset At { get; init; }
}

public static class LogOutcomes
{
    public const string Sent = "sent";
    public const string Retry = "retry";
    public const string Failed = "failed";
    public const string Missed = "missed";
    public const string Cancelled = "cancelled";
}
