using Aimi.Goals.Api.Data;
using Aimi.Goals.Api.Domain;
using Aimi.ServiceDefaults;
using Aimi.ServiceDefaults.Errors;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Aimi.Goals.Api.Endpoints;

public sealed record ConfirmEmailRequest(string? Code);

/// <summary>
/// Where the profile's addresses stand, in more detail than <c>GET /me</c>: when the code expires, how many tries are
/// left, when another code or check may be asked for, and why the last webhook check failed.
/// </summary>
public sealed record ContactChannelsResponse(EmailChannelState? Email, WebhookChannelState? Webhook);

public sealed record EmailChannelState(string Address, string Status, DateTimeOffset? CodeExpiresAt, int? TriesLeft, int NextCodeInSeconds);

public sealed record WebhookChannelState(string Url, string Status, string? Error, int NextCheckInSeconds);

/// <summary>
/// Proving the profile's addresses: an e-mail address is used once its owner types back the code mailed to it, a
/// webhook URL once it echoed a challenge. No idempotency keys here: a refused request rolls its transaction back, and a
/// wrong code must count whatever the answer.
/// </summary>
public static class ContactsApi
{
    public static IEndpointRouteBuilder MapContactEndpoints(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/me").WithTags("Profile");
        me.MapGet("/channels", GetChannels).WithName("GetContactChannels");
        me.MapPost("/email/confirm", ConfirmEmail).WithName("ConfirmEmail");
        me.MapPost("/email/resend", ResendCode).WithName("ResendEmailCode");
        me.MapPost("/webhook/verify", VerifyWebhook).WithName("VerifyWebhook");
        return app;
    }

    public static async Task<Ok<ContactChannelsResponse>> GetChannels(ContactChannels contacts, [AsParameters] GoalsApiServices services)
    {
        var user = await services.CurrentUserAsync();
        var now = services.Time.GetUtcNow();
        var email = await contacts.FindAsync(user, ContactChannel.Email, services.CancellationToken);
        var webhook = await contacts.FindAsync(user, ContactChannel.Webhook, services.CancellationToken);
        var pendingCode = user.EmailStatus == ContactStatus.Pending && email is not null && email.AwaitsCodeFor(user.NotifyEmail);
        return TypedResults.Ok(new ContactChannelsResponse(
            user is { NotifyEmail: { } address, EmailStatus: { } emailStatus }
                ? new EmailChannelState(address, WireName.Of(emailStatus),
                    pendingCode ? email!.ExpiresAt : null,
                    pendingCode ? Math.Max(0, ContactVerification.MaxAttempts - email!.Attempts) : null,
                    Seconds(email?.NextSendIn(now)))
                : null,
            user is { NotifyWebhookUrl: { } url, WebhookStatus: { } webhookStatus }
                ? new WebhookChannelState(url, WireName.Of(webhookStatus), webhookStatus == ContactStatus.Failed ? webhook?.LastError : null, Seconds(webhook?.NextSendIn(now)))
                : null));
    }

    /// <summary>400 for a wrong or expired code, 409 when no code is waiting, 429 after too many tries with one code.</summary>
    public static async Task<Results<Ok<MeResponse>, ProblemHttpResult>> ConfirmEmail(
        ConfirmEmailRequest request, ContactChannels contacts, [AsParameters] GoalsApiServices services)
    {
        var code = request.Code?.Trim();
        if (code is not { Length: 6 } || !code.All(char.IsAsciiDigit))
        {
            return RequestException.Invalid("code", "'code' is the six digits from the confirmation mail.").ToProblem();
        }
        var user = await services.CurrentUserAsync();
        try
        {
            await contacts.ConfirmEmailAsync(user, code, services.CancellationToken);
        }
        catch (RequestException e)
        {
            return e.ToProblem(services.Http);
        }
        return TypedResults.Ok(MeApi.ToResponse(user));
    }

    /// <summary>A new code to the pending address (at most three an hour, counting the one the address was set with).</summary>
    public static Task<Results<Accepted<MeResponse>, ProblemHttpResult>> ResendCode(ContactChannels contacts, [AsParameters] GoalsApiServices services) =>
        SendAsync(contacts.ResendCodeAsync, contacts, services);

    /// <summary>Another challenge to the profile's webhook URL (at most five an hour, counting the one it was set with).</summary>
    public static Task<Results<Accepted<MeResponse>, ProblemHttpResult>> VerifyWebhook(ContactChannels contacts, [AsParameters] GoalsApiServices services) =>
        SendAsync(contacts.RecheckWebhookAsync, contacts, services);

    private static async Task<Results<Accepted<MeResponse>, ProblemHttpResult>> SendAsync(
        Func<User, CancellationToken, Task> send, ContactChannels contacts, GoalsApiServices services)
    {
        var user = await services.CurrentUserAsync();
        try
        {
            await send(user, services.CancellationToken);
            await contacts.SaveAsync(services.CancellationToken);
        }
        catch (RequestException e)
        {
            return e.ToProblem(services.Http);
        }
        return TypedResults.Accepted("/me/channels", MeApi.ToResponse(user));
    }

    private static int Seconds(TimeSpan? wait) => wait is { } w ? (int)Math.Ceiling(w.TotalSeconds) : 0;
}
