using Aimi.ServiceDefaults;
using Aimi.Contracts.Goals;
using Aimi.Goals.Api.Domain;

namespace Aimi.Goals.Api.Data;

/// <summary>Maps records to the integration events that announce their changes; each carries the full current state.</summary>
public static class IntegrationEvents
{
    public static EventChanged ToContract(this EventItem e, User user, string change, EventStatus? previousStatus, DateTimeOffset now) => new()
    {
        EventId = e.Id,
        UserId = user.ExternalSubject,
        Change = change,
        Type = WireName.Of(e.Type),
        Title = e.Title,
        Notes = e.Notes,
        Status = WireName.Of(e.Status),
        PreviousStatus = previousStatus is { } p ? WireName.Of(p) : null,
        StartsAt = e.StartsAt,
        EndsAt = e.EndsAt,
        DueAt = e.DueAt,
        AllDay = e.AllDay,
        GoalId = e.GoalId,
        HabitId = e.HabitId,
        TimeZone = user.TimeZone,
        Version = e.Version,
        OccurredAt = now,
    };

    public static GoalChanged ToContract(this Goal g, User user, string change, DateTimeOffset now) => new()
    {
        GoalId = g.Id,
        UserId = user.ExternalSubject,
        Change = change,
        Title = g.Title,
        Description = g.Description,
        Status = WireName.Of(g.Status),
        DueDate = g.DueDate,
        Importance = g.Importance,
        Version = g.Version,
        OccurredAt = now,
    };

    public static HabitChanged ToContract(this Habit h, User user, string change, DateTimeOffset now) => new()
    {
        HabitId = h.Id,
        UserId = user.ExternalSubject,
        Change = change,
        Title = h.Title,
        Cadence = h.Cadence,
        GoalId = h.GoalId,
        Status = WireName.Of(h.Status),
        Streak = h.Streak,
        TimeZone = user.TimeZone,
        Version = h.Version,
        OccurredAt = now,
    };

    public static UserProfileChanged ToContract(this User u, DateTimeOffset now) => new()
    {
        UserId = u.ExternalSubject,
        DisplayName = u.DisplayName,
        TimeZone = u.TimeZone,
        Locale = u.Locale,
        QuietHoursStart = u.QuietHoursStart,
        QuietHoursEnd = u.QuietHoursEnd,
        // An address is announced, and so used, only once its owner proved it.
        Channels = new NotificationChannels
        {
            InApp = u.NotifyInApp,
            Email = u.EmailStatus == ContactStatus.Verified ? u.NotifyEmail : null,
            WebhookUrl = u.WebhookStatus == ContactStatus.Verified ? u.NotifyWebhookUrl : null,
        },
        Version = u.Version,
        OccurredAt = now,
    };
}
