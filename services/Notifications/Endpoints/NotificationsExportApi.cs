using System.Data;
using Aimi.Notifications.Api.Data;
using Aimi.Notifications.Api.Domain;
using Aimi.ServiceDefaults.Auth;
using Aimi.ServiceDefaults.Export;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Notifications.Api.Endpoints;

/// <summary>Notifications' copy of the profile Goals announced: where and when the user is reached.</summary>
public sealed record ProfileCopyExport(
    string? DisplayName, string TimeZone, string Locale, TimeOnly? QuietHoursStart, TimeOnly? QuietHoursEnd, bool InApp, string? Email, string? WebhookUrl,
    int Version, DateTimeOffset UpdatedAt);

public sealed record SettingsExport(int[] OffsetsMinutes, Channel[] Channels, bool FollowUpEnabled, int FollowUpAfterMinutes, DateTimeOffset UpdatedAt);

/// <summary>That a webhook signing key exists and since when; the key itself is not exported.</summary>
public sealed record WebhookSecretExport(DateTimeOffset CreatedAt);

public sealed record EventCopyExport(
    Guid EventId, string Type, string Title, string Status, DateTimeOffset? StartsAt, DateTimeOffset? EndsAt, DateTimeOffset? DueAt, bool AllDay,
    Guid? HabitId, bool Deleted, int Version, DateTimeOffset UpdatedAt);

public sealed record HabitCopyExport(Guid HabitId, string Title, string Cadence, string Status, string TimeZone, int Version, DateTimeOffset UpdatedAt);

public sealed record ReminderExport(
    Guid Id, Guid EventId, Guid? HabitId, ReminderKind Kind, Channel Channel, int OffsetMinutes, string Title, DateTimeOffset? EventStartsAt,
    DateTimeOffset TriggerAt, ReminderStatus Status, int Attempts, int Generation, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt,
    DateTimeOffset? SentAt);

/// <summary>
/// <c>GET /notifications/export</c>: the caller's reminder settings, Notifications' copies of their profile, events and habits,
/// every reminder and every delivery attempt, the webhook key's existence and the push subscriptions' endpoints, as one
/// streamed document.
/// </summary>
public static class NotificationsExportApi
{
    public static readonly IReadOnlyList<string> Omitted =
    [
        "The webhook signing key: a secret shown once when it was made; an archive holding it could sign webhooks to your receiver. " +
            "Its existence and age are exported; POST /notifications/webhook-secret makes a new one.",
        "Push subscriptions' keys (p256dh, auth): made by your browser, which keeps them; with them an archive could encrypt pushes to it.",
        "Outbox rows: events sent to other services (a reminder delivered in-app), deleted after sending.",
    ];

    public static IEndpointRouteBuilder MapNotificationsExportEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/notifications/export", Export).WithName("ExportNotifications").WithTags("Notifications")
            .Produces(StatusCodes.Status200OK, contentType: "application/json");
        return app;
    }

    public static JsonExport Export(HttpContext http, NotificationsDbContext db)
    {
        var userId = http.User.GetUserId();
        return new JsonExport("notifications", userId, Omitted, async export =>
        {
            var cancellationToken = export.CancellationToken;
            await using var snapshot = await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);

            var profile = await db.Users.AsNoTracking().SingleOrDefaultAsync(p => p.UserId == userId, cancellationToken);
            await export.ValueAsync("profile", profile is null ? null : new ProfileCopyExport(
                profile.DisplayName, profile.TimeZone, profile.Locale, profile.QuietHoursStart, profile.QuietHoursEnd, profile.InApp, profile.Email,
                profile.WebhookUrl, profile.Version, profile.UpdatedAt));
            var settings = await db.Settings.AsNoTracking().SingleOrDefaultAsync(s => s.UserId == userId, cancellationToken);
            await export.ValueAsync("settings", settings is null ? null : new SettingsExport(
                settings.OffsetsMinutes, settings.Channels, settings.FollowUpEnabled, settings.FollowUpAfterMinutes, settings.UpdatedAt));
            var secret = await db.WebhookSecrets.AsNoTracking().Where(s => s.UserId == userId).Select(s => new WebhookSecretExport(s.CreatedAt))
                .SingleOrDefaultAsync(cancellationToken);
            await export.ValueAsync("webhookSecret", secret);

            // A browser's push subscription: its endpoint, without the browser's keys.
            await export.ArrayAsync("pushSubscriptions",
                db.PushSubscriptions.AsNoTracking().Where(p => p.UserId == userId).OrderBy(p => p.CreatedAt).ThenBy(p => p.Id)
                    .Select(p => new PushSubscriptionResponse(p.Id, p.Endpoint, p.CreatedAt)).AsAsyncEnumerable(),
                p => p);
            await export.ArrayAsync("events",
                db.Events.AsNoTracking().Where(e => e.UserId == userId).OrderBy(e => e.UpdatedAt).ThenBy(e => e.EventId).AsAsyncEnumerable(),
                e => new EventCopyExport(e.EventId, e.Type, e.Title, e.Status, e.StartsAt, e.EndsAt, e.DueAt, e.AllDay, e.HabitId, e.Deleted, e.Version, e.UpdatedAt));
            await export.ArrayAsync("habits",
                db.Habits.AsNoTracking().Where(h => h.UserId == userId).OrderBy(h => h.UpdatedAt).ThenBy(h => h.HabitId).AsAsyncEnumerable(),
                h => new HabitCopyExport(h.HabitId, h.Title, h.Cadence, h.Status, h.TimeZone, h.Version, h.UpdatedAt));
            await export.ArrayAsync("reminders",
                db.Reminders.AsNoTracking().Where(r => r.UserId == userId).OrderBy(r => r.CreatedAt).ThenBy(r => r.Id).AsAsyncEnumerable(),
                r => new ReminderExport(r.Id, r.EventId, r.HabitId, r.Kind, r.Channel, (int)r.Offset.TotalMinutes, r.Title, r.EventStartsAt, r.TriggerAt, r.Status,
                    r.Attempts, r.Generation, r.LastError, r.CreatedAt, r.UpdatedAt, r.SentAt));
            await export.ArrayAsync("deliveries",
                db.ReminderLogs.AsNoTracking().Where(l => l.UserId == userId).OrderBy(l => l.At).ThenBy(l => l.Id).AsAsyncEnumerable(),
                LogResponse.From);
        });
    }
}
