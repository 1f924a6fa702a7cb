using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Aimi.Notifications.Api.Data;
using Aimi.Notifications.Api.Domain;
using Aimi.ServiceDefaults.Targets;
using Microsoft.Extensions.Options;

namespace Aimi.Notifications.Api.Channels;

public sealed class WebhookOptions
{
    public const string Section = "Notifications:Webhook";

    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>How long a new URL has to echo its verification challenge, body included.</summary>
    public TimeSpan VerificationTimeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// POSTs the reminder as JSON to the user's URL, signed with HMAC-SHA256 over <c>{timestamp}.{body}</c> with the user's
/// secret, and an <c>Idempotency-Key</c> the receiver deduplicates retries on. Targets go through <see cref="GuardedHttp"/>,
/// which reads at most 4 KiB of the answer; the client's timeout and the dispatcher's deadline bound the whole exchange.
/// </summary>
public sealed class WebhookChannel : IReminderChannel, IDisposable
{
    public const string SignatureHeader = "X-Aimi-Signature";
    public const string TimestampHeader = "X-Aimi-Timestamp";
    public const string IdempotencyHeader = "Idempotency-Key";
    private const int MaxExplanation = 500;

    private readonly IServiceScopeFactory _scopes;
    private readonly HttpClient _http;

    public WebhookChannel(IServiceScopeFactory scopes, IOptions<WebhookOptions> options, IOptions<UserTargetOptions> targets)
    {
        _scopes = scopes;
        var allowPrivate = targets.Value.AllowPrivateTargets;
        // Own client: a resilience pipeline would retry on its own, beneath the dispatcher's counted, logged attempts.
        _http = new HttpClient(GuardedHttp.CreateHandler(allowPrivate)) { Timeout = options.Value.Timeout };
    }

    public Channel Channel => Channel.Webhook;

    public async Task<string?> SendAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(delivery.Profile.WebhookUrl, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            throw new ChannelException("The profile has no valid webhook URL.", permanent: true);
        }
        string secret;
        await using (var scope = _scopes.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>();
            secret = (await db.WebhookSecrets.FindAsync([delivery.Reminder.UserId], cancellationToken))?.Secret
                ?? throw new ChannelException("No webhook secret exists yet: create one with POST /notifications/webhook-secret.", permanent: true);
        }

        var body = JsonSerializer.Serialize(Payload(delivery), JsonSerializerOptions.Web);
        var timestamp = delivery.SentAt.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add(TimestampHeader, timestamp);
        request.Headers.Add(SignatureHeader, $"v1={Sign(secret, timestamp, body)}");
        request.Headers.Add(IdempotencyHeader, delivery.IdempotencyKey);

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex) when (ex.InnerException is ChannelException refused)
        {
            throw refused;
        }
        catch (HttpRequestException ex)
        {
            throw new ChannelException($"The webhook could not be reached: {ex.Message}", permanent: false, ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ChannelException("The webhook did not answer in time.", permanent: false, ex);
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return response.Headers.TryGetValues("X-Request-Id", out var ids) ? ids.FirstOrDefault() : status.ToString(CultureInfo.InvariantCulture);
            }
            // Only a server-side trouble or a throttle is worth another try; any other refusal will not change.
            var transient = status >= 500 || status is 408 or 429;
            var explanation = Explanation(await response.Content.ReadAsStringAsync(CancellationToken.None));
            throw new ChannelException($"The webhook answered {status} {response.ReasonPhrase}.{explanation}", permanent: !transient);
        }
    }

    /// <summary>The start of what the receiver said (already cut to <see cref="GuardedHttp.MaxResponseBody"/>), for the delivery log.</summary>
    private static string Explanation(string body)
    {
        var text = body.ReplaceLineEndings(" ").Trim();
        return text.Length == 0 ? "" : $" {(text.Length <= MaxExplanation ? text : text[..MaxExplanation] + "…")}";
    }

    public static string Sign(string secret, string timestamp, string body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{timestamp}.{body}")));

    private static object Payload(Delivery d) => new
    {
        id = d.IdempotencyKey,
        type = d.Reminder.Kind == ReminderKind.FollowUp ? "follow_up" : "reminder",
        reminderId = d.Reminder.Id,
        eventId = d.Reminder.EventId,
        title = d.Reminder.Title,
        subject = d.Text.Subject,
        text = d.Text.Text,
        offsetMinutes = d.Reminder.Offset.TotalMinutes,
        eventStartsAt = d.Reminder.EventStartsAt,
        sentAt = d.SentAt,
    };

    public void Dispose() => _http.Dispose();
}
