using NodaTime;
using NodaTime.TimeZones;

namespace Aimi.Notifications.Api.Domain;

/// <summary>
/// A user's nightly window (local wall-clock times, possibly across midnight) in which nothing is delivered. A reminder
/// that falls inside is moved earlier, to just before the window began, so it is never late for the event.
/// </summary>
public static class QuietHours
{
    /// <summary>How far before the window a moved reminder lands: the window's first minute is already quiet.</summary>
    public static readonly TimeSpan Margin = TimeSpan.FromMinutes(1);

    // A window that starts in a skipped hour begins when the clock reaches it (the end of the gap); in a repeated
    // hour it begins at the first of the two.
    private static readonly ZoneLocalMappingResolver WindowStart =
        Resolvers.CreateMappingResolver(Resolvers.ReturnEarlier, Resolvers.ReturnStartOfIntervalAfter);

    public static bool IsQuiet(DateTimeOffset instant, TimeOnly? start, TimeOnly? end, DateTimeZone zone) =>
        WindowStartOf(instant, start, end, zone) is not null;

    public static DateTimeOffset MoveOutOf(DateTimeOffset instant, TimeOnly? start, TimeOnly? end, DateTimeZone zone) =>
        WindowStartOf(instant, start, end, zone) is { } windowStart ? windowStart - Margin : instant;

    /// <summary>The instant the quiet window containing <paramref name="instant"/> began, or null when it is not quiet.</summary>
    private static DateTimeOffset? WindowStartOf(DateTimeOffset instant, TimeOnly? start, TimeOnly? end, DateTimeZone zone)
    {
        if (start is not { } s || end is not { } e || s == e)
        {
            return null;
        }
        var local = Instant.FromDateTimeOffset(instant).InZone(zone).LocalDateTime;
        var time = local.TimeOfDay;
        var from = LocalTime.FromTimeOnly(s);
        var until = LocalTime.FromTimeOnly(e);
        var acrossMidnight = from > until;
        var quiet = acrossMidnight ? time >= from || time < until : time >= from && time < until;
        if (!quiet)
        {
            return null;
        }
        // After midnight in a window that began the evening before.
        var date = acrossMidnight && time < until ? local.Date.PlusDays(-1) : local.Date;
        return zone.ResolveLocal(date.At(from), WindowStart).ToDateTimeOffset().ToUniversalTime();
    }
}

public static class TimeZones
{
    /// <summary>The user's IANA zone; an unknown id (never accepted by Goals) falls back to UTC rather than failing a plan.</summary>
    public static DateTimeZone Find(string? id) =>
        id is not null && DateTimeZoneProviders.Tzdb.GetZoneOrNull(id) is { } zone ? zone : DateTimeZone.Utc;

    public static TimeZoneInfo FindInfo(string? id) =>
        id is not null && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;

    /// <summary>UTC, truncated to the microsecond PostgreSQL keeps, so a re-plan compares equal to what was stored.</summary>
    public static DateTimeOffset ToStored(this DateTimeOffset instant)
    {
        var utc = instant.ToUniversalTime();
        return utc.AddTicks(-(utc.Ticks % 10));
    }
}
