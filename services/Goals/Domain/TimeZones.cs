namespace Aimi.Goals.Api.Domain;

/// <summary>IANA timezones: times are stored in UTC and converted with the user's zone only at the edges.</summary>
public static class TimeZones
{
    public static bool IsValid(string id) =>
        !string.IsNullOrWhiteSpace(id) && id.Length <= 64 && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) && zone.HasIanaId;

    public static string Canonical(string id) => TimeZoneInfo.FindSystemTimeZoneById(id).Id;

    public static TimeZoneInfo Find(string id) =>
        TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;

    /// <summary>The UTC instant at which local midnight of <paramref name="date"/> begins (the first valid instant if midnight is skipped).</summary>
    public static DateTimeOffset StartOfDay(DateOnly date, TimeZoneInfo zone)
    {
        var local = date.ToDateTime(TimeOnly.MinValue);
        while (zone.IsInvalidTime(local))
        {
            local = local.AddMinutes(30);
        }
        return new DateTimeOffset(local, zone.GetUtcOffset(local)).ToUniversalTime();
    }

    public static DateOnly Today(DateTimeOffset now, TimeZoneInfo zone) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, zone).DateTime);
}

public static class Instants
{
    /// <summary>UTC, truncated to the microsecond PostgreSQL keeps (event times, query bounds).</summary>
    public static DateTimeOffset ToStored(this DateTimeOffset instant)
    {
        var utc = instant.ToUniversalTime();
        return utc.AddTicks(-(utc.Ticks % 10));
    }

    public static DateTimeOffset? ToStored(this DateTimeOffset? instant) => instant?.ToStored();
}
