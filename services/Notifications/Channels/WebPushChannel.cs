using System.Buffers.Text;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Aimi.Notifications.Api.Data;
using Aimi.Notifications.Api.Domain;
using Aimi.ServiceDefaults.Targets;
using Lib.Net.Http.WebPush;
using Lib.Net.Http.WebPush.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using WebPushSubscription = Lib.Net.Http.WebPush.PushSubscription;

namespace Aimi.Notifications.Api.Channels;

public sealed class WebPushOptions
{
    public const string Section = "Notifications:WebPush";

    /// <summary>The application server's VAPID key pair (P-256, base64url: the 65-byte public point and the 32-byte private scalar).</summary>
    public string? PublicKey { get; set; }
    public string? PrivateKey { get; set; }
    /// <summary>A <c>mailto:</c> or <c>https:</c> contact the push service may use (RFC 8292).</summary>
    public string Subject { get; set; } = "mailto:reminders@aimi.local";
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>
/// Web Push (RFC 8030) with VAPID (RFC 8292) and an aes128gcm-encrypted payload (RFC 8291) to each of the user's
/// subscriptions. A 404 or 410 means the browser unsubscribed: the subscription is removed. The Topic header is
/// derived from the idempotency key, so a retry replaces a still-undelivered copy at the push service. The subscriptions
/// are tried side by side; endpoints go through <see cref="GuardedHttp"/>, which reads at most 4 KiB of an answer.
/// </summary>
public sealed class WebPushChannel : IReminderChannel, IDisposable
{
    private const int ParallelPushes = 4;

    private readonly IServiceScopeFactory _scopes;
    private readonly WebPushOptions _options;
    private readonly HttpClient _http;
    private readonly PushServiceClient? _client;

    public WebPushChannel(IServiceScopeFactory scopes, IOptions<WebPushOptions> options, IOptions<UserTargetOptions> targets)
    {
        _scopes = scopes;
        _options = options.Value;
        // Push endpoints come from browsers, that is from users: the same guard as webhooks.
        _http = new HttpClient(GuardedHttp.CreateHandler(targets.Value.AllowPrivateTargets)) { Timeout = _options.Timeout };
        if (!string.IsNullOrWhiteSpace(_options.PublicKey) && !string.IsNullOrWhiteSpace(_options.PrivateKey))
        {
            _client = new PushServiceClient(_http)
            {
                DefaultAuthentication = new VapidAuthentication(_options.PublicKey, _options.PrivateKey) { Subject = _options.Subject },
                DefaultAuthenticationScheme = VapidAuthenticationScheme.Vapid,
                AutoRetryAfter = false, // the dispatcher retries, counted and logged, within its deadline
            };
        }
    }

    public Channel Channel => Channel.WebPush;

    public async Task<string?> SendAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        if (_client is null)
        {
            throw new ChannelException("Web push has no VAPID keys (Notifications:WebPush:PublicKey and PrivateKey).", permanent: true);
        }
        await using var scope = _scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<NotificationsDbContext>();
        var subscriptions = await db.PushSubscriptions.Where(s => s.UserId == delivery.Reminder.UserId).ToListAsync(cancellationToken);
        if (subscriptions.Count == 0)
        {
            throw new ChannelException("The user has no push subscription.", permanent: true);
        }

        var message = new PushMessage(Payload(delivery))
        {
            Topic = Topic(delivery.IdempotencyKey),
            Urgency = delivery.Reminder.Offset <= TimeSpan.FromMinutes(15) ? PushMessageUrgency.High : PushMessageUrgency.Normal,
            // Worth keeping at the push service only until the event starts.
            TimeToLive = delivery.Reminder.EventStartsAt is { } start ? (int)Math.Clamp((start - delivery.SentAt).TotalSeconds, 60, 86_400) : 3_600,
        };
        // Side by side, so a user's slow endpoint adds its time once, not once per subscription.
        var results = new (Pushed Result, string? Error)[subscriptions.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, subscriptions.Count), new ParallelOptions { MaxDegreeOfParallelism = ParallelPushes },
            async (i, _) => results[i] = await PushAsync(_client, subscriptions[i], message, cancellationToken));
        var delivered = results.Count(r => r.Result == Pushed.Delivered);
        var gone = subscriptions.Where((_, i) => results[i].Result == Pushed.Gone).ToList();
        if (gone.Count > 0)
        {
            db.PushSubscriptions.RemoveRange(gone);
            await db.SaveChangesAsync(CancellationToken.None); // one short write, even when the deadline has just passed
        }
        if (delivered > 0)
        {
            return $"{delivered} of {subscriptions.Count} subscription(s)";
        }
        cancellationToken.ThrowIfCancellationRequested(); // given up at the deadline: the dispatcher says so
        if (results.Where(r => r.Result == Pushed.Failed).Select(r => r.Error).LastOrDefault() is not { } lastError)
        {
            throw new ChannelException("Every push subscription is gone (404/410); they were removed.", permanent: true);
        }
        throw new ChannelException($"Web push failed: {lastError}", permanent: false);
    }

    private static async Task<(Pushed Result, string? Error)> PushAsync(PushServiceClient client, Domain.PushSubscription subscription, PushMessage message,
        CancellationToken cancellationToken)
    {
        var target = new WebPushSubscription { Endpoint = subscription.Endpoint };
        target.SetKey(PushEncryptionKeyName.P256DH, subscription.P256dh);
        target.SetKey(PushEncryptionKeyName.Auth, subscription.Auth);
        try
        {
            await client.RequestPushMessageDeliveryAsync(target, message, cancellationToken);
            return (Pushed.Delivered, null);
        }
        catch (PushServiceClientException ex) when (ex.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            return (Pushed.Gone, null);
        }
        catch (Exception ex) when (ex is PushServiceClientException or HttpRequestException or OperationCanceledException)
        {
            return (Pushed.Failed, ex.InnerException is ChannelException refused ? refused.Message : ex.Message);
        }
    }

    /// <summary>At most 32 URL-safe characters, as RFC 8030 allows for a topic.</summary>
    public static string Topic(string idempotencyKey) => Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(idempotencyKey)))[..32];

    private static string Payload(Delivery d) => JsonSerializer.Serialize(new
    {
        title = d.Text.Subject,
        body = d.Text.Text,
        tag = d.IdempotencyKey, // a service worker showing it with this tag shows a retry once
        reminderId = d.Reminder.Id,
        eventId = d.Reminder.EventId,
        eventStartsAt = d.Reminder.EventStartsAt,
    }, JsonSerializerOptions.Web);

    public void Dispose() => _http.Dispose();

    private enum Pushed
    {
        Delivered,
        Gone,
        Failed,
    }
}
