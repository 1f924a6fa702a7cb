using System.Data;
using Aimi.Goals.Api.Data;
using Aimi.Goals.Api.Domain;
using Aimi.ServiceDefaults.Auth;
using Aimi.ServiceDefaults.Export;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Goals.Api.Endpoints;

public sealed record ProfileExport(
    string Id, string? DisplayName, string TimeZone, string Locale, TimeOnly? QuietHoursStart, TimeOnly? QuietHoursEnd, ChannelsResponse Channels,
    RawJson Settings, int Version, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>Where the proof of an e-mail address or webhook URL stands (the code itself is kept only as a hash, and left out).</summary>
public sealed record ContactVerificationExport(
    ContactChannel Channel, string? Target, DateTimeOffset? ExpiresAt, int Attempts, string? LastError, DateTimeOffset WindowStartedAt, int SentInWindow);

/// <summary>An earlier erasure of an account with this sign-in subject: when it was asked for and when every service had finished.</summary>
public sealed record ErasureExport(Guid Id, DateTimeOffset RequestedAt, DateTimeOffset? CompletedAt);

/// <summary>One status change of an event; <c>reason</c> and <c>payload</c> carry the user's feedback (outcome and note).</summary>
public sealed record EventHistoryExport(
    long Id, Guid EventId, EventStatus? FromStatus, EventStatus ToStatus, DateTimeOffset At, string Actor, string? Reason, RawJson? Payload);

/// <summary>
/// <c>GET /goals/export</c>: the caller's profile, goals, habits, events and every event's history (the feedback given on it
/// included), as one streamed document. A user Goals never saw gets <c>profile: null</c> and empty lists (the export creates no one).
/// </summary>
public static class GoalsExportApi
{
    public static readonly IReadOnlyList<string> Omitted =
    [
        "Idempotency records: the stored responses to the user's own writes of the last 24 hours, copies of the records below.",
        "The hash of an e-mail confirmation code: a secret that proves the address, useless to anyone but Aimi.",
        "Outbox rows: events sent to other services, copies of the records below, deleted after sending.",
    ];

    public static IEndpointRouteBuilder MapGoalsExportEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/goals/export", Export).WithName("ExportGoals").WithTags("Goals").Produces(StatusCodes.Status200OK, contentType: "application/json");
        return app;
    }

    public static JsonExport Export(HttpContext http, GoalsDbContext db)
    {
        var subject = http.User.GetUserId();
        return new JsonExport("goals", subject, Omitted, async export =>
        {
            var cancellationToken = export.CancellationToken;
            await using var snapshot = await db.Database.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);

            var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.ExternalSubject == subject, cancellationToken);
            await export.ValueAsync("profile", user is null ? null : new ProfileExport(
                user.ExternalSubject, user.DisplayName, user.TimeZone, user.Locale, user.QuietHoursStart, user.QuietHoursEnd,
                MeApi.ToResponse(user).Channels, new RawJson(user.Settings), user.Version, user.CreatedAt, user.UpdatedAt));

            // A user Goals never saw has no rows: Guid.Empty matches none.
            var userId = user?.Id ?? Guid.Empty;
            await export.ArrayAsync("goals",
                db.Goals.AsNoTracking().Where(g => g.UserId == userId).OrderBy(g => g.CreatedAt).ThenBy(g => g.Id).AsAsyncEnumerable(),
                GoalsApi.ToResponse);
            await export.ArrayAsync("habits",
                db.Habits.AsNoTracking().Where(h => h.UserId == userId).OrderBy(h => h.CreatedAt).ThenBy(h => h.Id).AsAsyncEnumerable(),
                HabitsApi.ToResponse);
            await export.ArrayAsync("events",
                db.Events.AsNoTracking().Where(e => e.UserId == userId).OrderBy(e => e.CreatedAt).ThenBy(e => e.Id).AsAsyncEnumerable(),
                EventsApi.ToResponse);

            await export.ArrayAsync("contactVerifications",
                db.ContactVerifications.AsNoTracking().Where(v => v.UserId == userId).OrderBy(v => v.Channel).AsAsyncEnumerable(),
                v => new ContactVerificationExport(v.Channel, v.Target, v.ExpiresAt, v.Attempts, v.LastError, v.WindowStartedAt, v.SentInWindow));
            await export.ArrayAsync("erasures",
                db.Erasures.AsNoTracking().Where(x => x.Subject == subject).OrderBy(x => x.RequestedAt).AsAsyncEnumerable(),
                x => new ErasureExport(x.Id, x.RequestedAt, x.CompletedAt));

            var history =
                from h in db.EventHistory.AsNoTracking()
                join e in db.Events on h.EventId equals e.Id
                where e.UserId == userId && h.UserId == userId
                orderby h.EventId, h.Id
                select h;
            await export.ArrayAsync("eventHistory", history.AsAsyncEnumerable(),
                h => new EventHistoryExport(h.Id, h.EventId, h.FromStatus, h.ToStatus, h.At, h.Actor, h.Reason, RawJson.Of(h.Payload)));
        });
    }
}
