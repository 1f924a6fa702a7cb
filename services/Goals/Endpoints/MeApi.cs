using Aimi.ServiceDefaults.Errors;
using Aimi.ServiceDefaults.Targets;
using System.Globalization;
using System.Net.Mail;
using Aimi.Goals.Api.Data;
using Aimi.Goals.Api.Domain;
using Aimi.Messaging;
using Aimi.ServiceDefaults;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Aimi.Goals.Api.Endpoints;

public sealed record ChannelsDto(bool InApp, string? Email, string? WebhookUrl);

/// <summary>The channels with where each address stands (<c>pending</c>, <c>verified</c>, <c>failed</c>; null without one): reminders go only to a verified one.</summary>
public sealed record ChannelsResponse(bool InApp, string? Email, string? EmailStatus, string? WebhookUrl, string? WebhookStatus);

public sealed record MeResponse(
    string Id, string? DisplayName, string TimeZone, string Locale, string? QuietHoursStart, string? QuietHoursEnd, ChannelsResponse Channels, int Version);

/// <summary>Fields left out stay as they are; send an empty string to clear an optional one. <c>expectedVersion</c> follows <see cref="ExpectedVersion"/>.</summary>
public sealed record UpdateMeRequest(
    string? DisplayName, string? TimeZone, string? Locale, string? QuietHoursStart, string? QuietHoursEnd, ChannelsDto? Channels, int? ExpectedVersion = null);

public static class MeApi
{
    private static readonly string[] TimeFormats = ["HH:mm", "HH:mm:ss"];

    public static IEndpointRouteBuilder MapMeEndpoints(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/me").WithTags("Profile").WithIdempotencyKeys();
        me.MapGet("/", GetMe).WithName("GetProfile");
        me.MapPut("/", UpdateMe).WithName("UpdateProfile");
        return app;
    }

    public static async Task<Ok<MeResponse>> GetMe([AsParameters] GoalsApiServices services) =>
        TypedResults.Ok(ToResponse(await services.CurrentUserAsync()));

    /// <summary>The webhook URL is checked as the Notification service will call it (<see cref="UserTargets"/>).</summary>
    public static async Task<Results<Ok<MeResponse>, ValidationProblem, ProblemHttpResult>> UpdateMe(
        UpdateMeRequest request, UserTargets targets, ContactChannels contacts, [AsParameters] GoalsApiServices services)
    {
        var validation = new Validation();
        if (request.DisplayName is { Length: > 100 })
        {
            validation.Add("displayName", "'displayName' must be at most 100 characters.");
        }
        if (request.TimeZone is not null && !TimeZones.IsValid(request.TimeZone))
        {
            validation.Add("timeZone", $"'{request.TimeZone}' is not a known IANA timezone (e.g. Europe/Berlin).");
        }
        if (request.Locale is not null && !IsCulture(request.Locale))
        {
            validation.Add("locale", $"'{request.Locale}' is not a known locale (e.g. en, ru-RU).");
        }
        var quietStart = ParseTime(request.QuietHoursStart, "quietHoursStart", validation);
        var quietEnd = ParseTime(request.QuietHoursEnd, "quietHoursEnd", validation);
        if (request.Channels is { } channels)
        {
            if (!string.IsNullOrEmpty(channels.Email) && !MailAddress.TryCreate(channels.Email, out _))
            {
                validation.Add("channels.email", "'channels.email' is not an e-mail address.");
            }
            if (Validation.Clean(channels.WebhookUrl) is { } webhookUrl && !await targets.AcceptsAsync(webhookUrl, services.CancellationToken))
            {
                validation.Add("channels.webhookUrl", targets.Rule("channels.webhookUrl"));
            }
        }
        if (!validation.IsValid)
        {
            return validation.ToProblem();
        }

        var user = await services.CurrentUserAsync();
        if (ExpectedVersion.Check(request.ExpectedVersion, user.Version) is { } stale)
        {
            return stale;
        }
        if (request.DisplayName is not null) user.DisplayName = Validation.Clean(request.DisplayName);
        if (request.TimeZone is not null) user.TimeZone = TimeZones.Canonical(request.TimeZone);
        if (request.Locale is not null) user.Locale = CultureInfo.GetCultureInfo(request.Locale).Name;
        if (request.QuietHoursStart is not null) user.QuietHoursStart = quietStart;
        if (request.QuietHoursEnd is not null) user.QuietHoursEnd = quietEnd;
        if ((user.QuietHoursStart is null) != (user.QuietHoursEnd is null))
        {
            return new Validation().Add("quietHours", "Give both quietHoursStart and quietHoursEnd, or clear both.").ToProblem();
        }
        if (request.Channels is { } c)
        {
            user.NotifyInApp = c.InApp;
            try
            {
                // A new address is pending until proven; a code or a challenge goes out with this save.
                await contacts.SetEmailAsync(user, Validation.Clean(c.Email), services.CancellationToken);
                await contacts.SetWebhookAsync(user, Validation.Clean(c.WebhookUrl), services.CancellationToken);
            }
            catch (RequestException e)
            {
                return e.ToProblem(services.Http);
            }
        }

        services.Changes.Updated(user);
        return await services.SaveAsync(user, u => u.Version) is { } conflict ? conflict : TypedResults.Ok(ToResponse(user));
    }

    private static TimeOnly? ParseTime(string? value, string field, Validation validation)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        if (TimeOnly.TryParseExact(value, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
        {
            return time;
        }
        validation.Add(field, $"'{field}' must be a time of day like 22:00.");
        return null;
    }

    private static bool IsCulture(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 35)
        {
            return false;
        }
        try
        {
            return CultureInfo.GetCultureInfo(name, predefinedOnly: true) is not null;
        }
        catch (CultureNotFoundException)
        {
            return false;
        }
    }

    public static MeResponse ToResponse(User u) => new(
        u.ExternalSubject, u.DisplayName, u.TimeZone, u.Locale,
        u.QuietHoursStart?.ToString("HH:mm", CultureInfo.InvariantCulture), u.QuietHoursEnd?.ToString("HH:mm", CultureInfo.InvariantCulture),
        new ChannelsResponse(u.NotifyInApp, u.NotifyEmail, Status(u.EmailStatus), u.NotifyWebhookUrl, Status(u.WebhookStatus)), u.Version);

    private static string? Status(ContactStatus? status) => status is { } s ? WireName.Of(s) : null;
}
