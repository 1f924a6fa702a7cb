namespace Aimi.Contracts.Notifications;

/// <summary>The reminders of an event were planned: the event is now <c>scheduled</c>.</summary>
public sealed record RemindersScheduled
{
    public required Guid EventId { get; init; }
    public required string UserId { get; init; }
    public required int ReminderCount { get; init; }
    public required DateTimeOffset FirstTriggerAt { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}

/// <summary>A reminder reached the user over one channel.</summary>
public sealed record ReminderDelivered
{
    public required Guid ReminderId { get; init; }
    public required Guid EventId { get; init; }
    public required string UserId { get; init; }
    /// <summary><c>in_app</c>, <c>email</c>, <c>web_push</c> or <c>webhook</c>.</summary>
    public required string Channel { get; init; }
    /// <summary>How long before the event's start the reminder was due (24 h, 2 h, 15 min).</summary>
    public required TimeSpan Offset { get; init; }
    public required string Title { get; init; }
    public required string Text { get; init; }
    public DateTimeOffset? EventStartsAt { get; init; }
    public required DateTimeOffset DeliveredAt { get; init; }
}

/// <summary>The words of <see cref="ReminderDelivered.Channel"/>.</summary>
public static class ReminderChannels
{
    public const string InApp = "in_app";
    public const string Email = "email";
    public const string WebPush = "web_push";
    public const string Webhook = "webhook";
}

/// <summary>
/// An event is over and no feedback was recorded: the assistant should ask how it went, once, first thing in the
/// user's next chat session (or at once on an open socket). A separate type from <see cref="ReminderDelivered"/>, so
/// consumers that react to reminders (Goals moves the event to <c>awaiting_feedback</c>) never mistake it for one.
/// </summary>
public sealed record FollowUpDue
{
    /// <summary>Unique per event: a consumer stores at most one follow-up per id.</summary>
    public required Guid FollowUpId { get; init; }
    public required Guid EventId { get; init; }
    public required string UserId { get; init; }
    public required string EventTitle { get; init; }
    public DateTimeOffset? EventStartsAt { get; init; }
    public DateTimeOffset? EventEndsAt { get; init; }
    /// <summary>The question in the user's language ("How did the dentist go?").</summary>
    public required string Question { get; init; }
    /// <summary>The user's locale the question was written in.</summary>
    public required string Locale { get; init; }
    public required DateTimeOffset DueAt { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}


/// <summary>
/// The answer to <see cref="Aimi.Contracts.Goals.WebhookVerificationRequested"/>: whether the URL echoed the challenge
/// in time, and if not, why.
/// </summary>
public sealed record WebhookVerificationCompleted
{
    public required Guid VerificationId { get; init; }
    public required string UserId { get; init; }
    public required string WebhookUrl { get; init; }
    public required bool Verified { get; init; }
    public string? Error { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
}

/// <summary>
/// The words of the verification request a webhook receives: <c>{"type":"aimi.webhook.verification","challenge":"…"}</c>;
/// the receiver answers 2xx with the challenge as its body, or as <c>{"challenge":"…"}</c>.
/// </summary>
public static class WebhookVerificationWords
{
    public const string Type = "aimi.webhook.verification";
}
