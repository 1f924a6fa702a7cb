using Aimi.ServiceDefaults.Errors;
using Aimi.Goals.Api.Domain;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Goals.Api.Endpoints;

public sealed record AgendaItem(EventResponse Event, string? LocalStart, string? LocalEnd, string? LocalDue);

/// <summary>
/// The user's plan for a window in their timezone, and the items that wait on them (unconfirmed proposals and
/// events awaiting feedback, whenever they are): the assistant asks about those first.
/// </summary>
public sealed record AgendaResponse(string TimeZone, DateTimeOffset From, DateTimeOffset To, List<AgendaItem> Items, List<AgendaItem> Pending);

public static class AgendaApi
{
    private static readonly TimeSpan MaxWindow = TimeSpan.FromDays(62);
    private static readonly EventStatus[] WaitingOnUser = [EventStatus.PendingConfirmation, EventStatus.AwaitingFeedback];

    public static IEndpointRouteBuilder MapAgendaEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/agenda", GetAgenda).WithTags("Agenda").WithName("GetAgenda");
        return app;
    }

    /// <summary><c>?date=YYYY-MM-DD</c> (a local day, default today) or <c>?from&amp;to</c> (instants, at most 62 days apart).</summary>
    public static async Task<Results<Ok<AgendaResponse>, ValidationProblem>> GetAgenda(
        DateOnly? date, DateTimeOffset? from, DateTimeOffset? to, [AsParameters] GoalsApiServices services)
    {
        var validation = new Validation();
        if (date is not null && (from is not null || to is not null))
        {
            validation.Add("date", "Give either 'date' or 'from'/'to', not both.");
        }
        if ((from is null) != (to is null))
        {
            validation.Add("from", "Give both 'from' and 'to'.");
        }
        else if (to <= from || to - from > MaxWindow)
        {
            validation.Add("to", "'to' must be after 'from', at most 62 days later.");
        }
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var user = await services.CurrentUserAsync();
        var zone = TimeZones.Find(user.TimeZone);
        DateTimeOffset windowStart, windowEnd;
        if (from is { } f && to is { } t)
        {
            (windowStart, windowEnd) = (f.ToStored(), t.ToStored());
        }
        else
        {
            var day = date ?? TimeZones.Today(services.Time.GetUtcNow(), zone);
            (windowStart, windowEnd) = (TimeZones.StartOfDay(day, zone), TimeZones.StartOfDay(day.AddDays(1), zone));
        }

        var items = await services.Db.Events.AsNoTracking()
            .Where(e => e.UserId == user.Id && e.Status != EventStatus.Cancelled)
            .Where(e => (e.StartsAt ?? e.DueAt) >= windowStart && (e.StartsAt ?? e.DueAt) < windowEnd)
            .OrderBy(e => e.StartsAt ?? e.DueAt)
            .Take(EventsApi.MaxListLimit)
            .ToListAsync(services.CancellationToken);
        var pending = await services.Db.Events.AsNoTracking()
            .Where(e => e.UserId == user.Id && WaitingOnUser.Contains(e.Status))
            .OrderBy(e => e.StartsAt ?? e.DueAt ?? e.CreatedAt)
            .Take(50)
            .ToListAsync(services.CancellationToken);

        return TypedResults.Ok(new AgendaResponse(
            zone.Id, windowStart, windowEnd, items.Select(e => ToItem(e, zone)).ToList(), pending.Select(e => ToItem(e, zone)).ToList()));
    }

    private static AgendaItem ToItem(EventItem e, TimeZoneInfo zone) =>
        new(EventsApi.ToResponse(e), Local(e.StartsAt, zone), Local(e.EndsAt, zone), Local(e.DueAt, zone));

    private static string? Local(DateTimeOffset? instant, TimeZoneInfo zone) =>
        instant is { } i ? TimeZoneInfo.ConvertTime(i, zone).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture) : null;
}
