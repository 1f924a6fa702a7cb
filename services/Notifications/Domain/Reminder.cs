namespace Aimi.Notifications.Api.Domain;

/// <summary>
/// One row of <c>reminder_queue</c>: one reminder of one event (or habit occurrence) at one offset over one channel.
/// Status moves <c>scheduled → sending → sent | failed | missed</c> (or back to <c>scheduled</c> for a retry), and
/// <c>cancelled</c> from anywhere but <c>sent</c>; every move goes through a method here.
/// </summary>
public sealed class Reminder
{
    public Guid Id { get; init; }
    public required string UserId { get; init; }
    public Guid EventId { get; init; }
    public ReminderKind Kind { get; init; }
    /// <summary>The habit a habit reminder belongs to (its <see cref="EventId"/> names the occurrence).</summary>
    public Guid? HabitId { get; init; }
    /// <summary>How long before the anchor (the event's start) it is due; zero for habits, negative for follow-ups.</summary>
    public TimeSpan Offset { get; init; }
    public Channel Channel { get; init; }
    public required string Title { get; set; }
    /// <summary>The start the reminder was planned for: a re-timed event makes it a new reminder.</summary>
    public DateTimeOffset? EventStartsAt { get; set; }
    /// <summary>When it should reach the user (after quiet hours moved it).</summary>
    public DateTimeOffset TriggerAt { get; set; }
    /// <summary>When the dispatcher may next take it: the trigger, or a retry's back-off.</summary>
    public DateTimeOffset DueAt { get; set; }
    public ReminderStatus Status { get; set; }
    public int Attempts { get; set; }
    /// <summary>A claim holds the row until then; after it, another dispatcher may take it over.</summary>
    public DateTimeOffset? LeaseUntil { get; set; }
    /// <summary>Identifies one claim, so a dispatcher whose lease was taken over cannot complete the row.</summary>
    public Guid? LeaseToken { get; set; }
    /// <summary>Bumped when a sent reminder is re-armed for a new time, so the receiver sees a new notification.</summary>
    public int Generation { get; set; }
    public string? LastError { get; set; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; set; }
    public DateTimeOffset? SentAt { get; set; }

    /// <summary>
    /// Travels with every delivery of this reminder over its channel; the same on every retry, new when re-armed. The
    /// database computes it (a generated column of id and generation), so SQL and code always agree.
    /// </summary>
    public string IdempotencyKey { get; private set; } = "";

    public bool IsOpen => Status is ReminderStatus.Scheduled or ReminderStatus.Sending;

    /// <summary>
    /// Plans (or re-plans) it for <paramref name="triggerAt"/>. A row still waiting just moves; a row that is done with
    /// (sent, failed, missed, cancelled) is re-armed only when the event's time changed or it had not been sent.
    /// </summary>
    public bool Plan(DateTimeOffset triggerAt, DateTimeOffset? eventStartsAt, string title, DateTimeOffset now)
    {
        var retimed = eventStartsAt != EventStartsAt;
        if (Status == ReminderStatus.Sent && !retimed)
        {
            return false; // already reached the user for this very time
        }
        if (Status == ReminderStatus.Scheduled && TriggerAt == triggerAt && !retimed && Title == title)
        {
            return false;
        }
        if (Status == ReminderStatus.Sent)
        {
            Generation++;
        }
        Status = ReminderStatus.Scheduled;
        TriggerAt = triggerAt;
        DueAt = triggerAt;
        EventStartsAt = eventStartsAt;
        Title = title;
        Attempts = 0;
        LastError = null;
        LeaseUntil = null;
        LeaseToken = null; // a dispatcher still sending the old time cannot complete it
        UpdatedAt = now;
        return true;
    }

    public bool Cancel(DateTimeOffset now)
    {
        if (!IsOpen)
        {
            return false;
        }
        Status = ReminderStatus.Cancelled;
        LeaseUntil = null;
        LeaseToken = null;
        UpdatedAt = now;
        return true;
    }

    public void MarkSent(DateTimeOffset now)
    {
        Status = ReminderStatus.Sent;
        SentAt = now;
        LeaseUntil = null;
        LeaseToken = null;
        LastError = null;
        UpdatedAt = now;
    }

    public void MarkMissed(DateTimeOffset now)
    {
        Status = ReminderStatus.Missed;
        LeaseUntil = null;
        LeaseToken = null;
        UpdatedAt = now;
    }

    /// <summary>A failed attempt: back to <c>scheduled</c> at <paramref name="retryAt"/>, or <c>failed</c> when there is none.</summary>
    public void MarkAttemptFailed(string error, DateTimeOffset? retryAt, DateTimeOffset now)
    {
        LastError = error.Length <= 2000 ? error : error[..2000];
        Status = retryAt is null ? ReminderStatus.Failed : ReminderStatus.Scheduled;
        DueAt = retryAt ?? DueAt;
        LeaseUntil = null;
        LeaseToken = null;
        UpdatedAt = now;
    }
}
