using System.Buffers.Text;
using Aimi.Notifications.Api.Channels;
using Aimi.Notifications.Api.Data;
using Aimi.Notifications.Api.Domain;
using Aimi.ServiceDefaults;
using Aimi.ServiceDefaults.Auth;
using Aimi.ServiceDefaults.Errors;
using Aimi.ServiceDefaults.Targets;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace Aimi.Notifications.Api.Endpoints;

public sealed record ReminderResponse(
    Guid Id, Guid EventId, ReminderKind Kind, Channel Channel, int OffsetMinutes, string Title, DateTimeOffset? EventStartsAt,
    DateTimeOffset TriggerAt, ReminderStatus Status, int Attempts, string? LastError, DateTimeOffset? SentAt);

public sealed record LogResponse(
    long Id, Guid ReminderId, Guid EventId, ReminderKind Kind, Channel Channel, int Attempt, string Outcome, string? Error,
    double LatencyMs, double LatenessMs, string? ProviderResponseId, string IdempotencyKey, DateTimeOffset At)
{
    public static LogResponse From(ReminderLog l) =>
        new(l.Id, l.ReminderId, l.EventId, l.Kind, l.Channel, l.Attempt, l.Outcome, l.Error, l.LatencyMs, l.LatenessMs, l.ProviderResponseId, l.IdempotencyKey, l.At);
}

public sealed record SettingsResponse(
    int[] OffsetsMinutes, Channel[] Channels, Channel[] ReachableChannels, bool FollowUpEnabled, int FollowUpAfterMinutes,
    bool HasWebhookSecret, int PushSubscriptions);

public sealed record SettingsRequest(int[]? OffsetsMinutes, Channel[]? Channels, bool? FollowUpEnabled, int? FollowUpAfterMinutes);

public sealed record WebhookSecretResponse(string Secret, string SignatureHeader, string TimestampHeader, string Scheme);

public sealed record PushKeys(string? P256dh, string? Auth);

public sealed record PushSubscriptionRequest(string? Endpoint, PushKeys? Keys);

public sealed record PushSubscriptionResponse(Guid Id, string Endpoint, DateTimeOffset CreatedAt);

public sealed record VapidKeyResponse(string PublicKey);

public sealed record TestResponse(IReadOnlyList<ReminderResponse> Reminders);

/// <summary>The user's reminders, delivery log, settings, push subscriptions and a test send; every query scoped by the token's user.</summary>
public static class NotificationsApi
{
    public const int MaxOffsets = 10;
    public static readonly int MaxOffsetMinutes = (int)TimeSpan.FromDays(30).TotalMinutes;
    public static readonly int MaxFollowUpMinutes = (int)TimeSpan.FromDays(2).TotalMinutes;
    /// <summary>Browsers a user may subscribe; a new one beyond it replaces the oldest (a browser that went away is only
    /// noticed when a push to it fails, so the oldest is the likeliest to be stale).</summary>
    public const int MaxPushSubscriptions = 10;
    /// <summary>Test notifications per user in any hour: each one goes out on every channel, to addresses the user chose.</summary>
    public const int MaxTestsPerHour = 5;

    public static IEndpointRouteBuilder MapNotificationEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/notifications").WithTags("Notifications");
        api.MapGet("/reminders", ListReminders).WithName("ListReminders");
        api.MapGet("/log", ListLog).WithName("ListDeliveryLog");
        api.MapGet("/settings", GetSettings).WithName("GetNotificationSettings");
        api.MapPut("/settings", PutSettings).WithName("PutNotificationSettings");
        api.MapPost("/webhook-secret", CreateWebhookSecret).WithName("CreateWebhookSecret");
        api.MapGet("/push-subscriptions", ListPushSubscriptions).WithName("ListPushSubscriptions");
        api.MapGet("/push-subscriptions/public-key", GetVapidPublicKey).WithName("GetVapidPublicKey");
        api.MapPost("/push-subscriptions", AddPushSubscription).WithName("AddPushSubscription");
        api.MapDelete("/push-subscriptions/{id:guid}", DeletePushSubscription).WithName("DeletePushSubscription");
        api.MapPost("/test", SendTest).WithName("SendTestNotification");
        return app;
    }

    public static async Task<Results<Ok<List<ReminderResponse>>, ValidationProblem, ProblemHttpResult>> ListReminders(
        Guid? eventId, string? status, int? limit, [AsParameters] NotificationsApiServices services)
    {
        ReminderStatus? filter = null;
        if (status is not null)
        {
            if (!WireName.TryParse<ReminderStatus>(status, out var parsed))
            {
                return Invalid("status", $"Unknown status '{status}'; one of: {string.Join(", ", WireName.All<ReminderStatus>())}.");
            }
            filter = parsed;
        }
        if (LimitProblem(limit) is { } problem)
        {
            return problem;
        }
        if (eventId is { } id
            && !await services.Db.Events.AnyAsync(e => e.EventId == id && e.UserId == services.UserId, services.CancellationToken)
            && !await services.Db.Reminders.AnyAsync(r => r.EventId == id && r.UserId == services.UserId, services.CancellationToken))
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not found", detail: $"No event {id} of yours is known here.");
        }
        var rows = await services.Db.Reminders.AsNoTracking()
            .Where(r => r.UserId == services.UserId && (eventId == null || r.EventId == eventId) && (filter == null || r.Status == filter))
            .OrderByDescending(r => r.TriggerAt).Take(limit ?? 100)
            .ToListAsync(services.CancellationToken);
        return TypedResults.Ok(rows.Select(ToResponse).ToList());
    }

    public static async Task<Results<Ok<List<LogResponse>>, ValidationProblem>> ListLog(
        Guid? reminderId, Guid? eventId, int? limit, [AsParameters] NotificationsApiServices services)
    {
        if (LimitProblem(limit) is { } problem)
        {
            return problem;
        }
        var logs = await services.Db.ReminderLogs.AsNoTracking()
            .Where(l => l.UserId == services.UserId && (reminderId == null || l.ReminderId == reminderId) && (eventId == null || l.EventId == eventId))
            .OrderByDescending(l => l.Id).Take(limit ?? 100)
            .ToListAsync(services.CancellationToken);
        return TypedResults.Ok(logs.Select(LogResponse.From).ToList());
    }

    public static async Task<Ok<SettingsResponse>> GetSettings([AsParameters] NotificationsApiServices services) =>
        TypedResults.Ok(await SettingsOfAsync(services));

    /// <summary>Fields left out stay as they are; the user's upcoming reminders are re-planned with the new settings.</summary>
    public static async Task<Results<Ok<SettingsResponse>, ValidationProblem>> PutSettings(SettingsRequest request, [AsParameters] NotificationsApiServices services)
    {
        var errors = new Dictionary<string, string[]>();
        if (request.OffsetsMinutes is { } offsets
            && (offsets.Length > MaxOffsets || offsets.Any(m => m <= 0 || m > MaxOffsetMinutes)))
        {
            errors["offsetsMinutes"] = [$"At most {MaxOffsets} offsets, each from 1 to {MaxOffsetMinutes} minutes before the start."];
        }
        if (request.FollowUpAfterMinutes is { } after && (after < 0 || after > MaxFollowUpMinutes))
        {
            errors["followUpAfterMinutes"] = [$"From 0 to {MaxFollowUpMinutes} minutes."];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var settings = await services.Db.Settings.FindAsync([services.UserId], services.CancellationToken);
        if (settings is null)
        {
            settings = NotificationSettings.Default(services.UserId);
            services.Db.Settings.Add(settings);
        }
        settings.OffsetsMinutes = request.OffsetsMinutes?.Distinct().OrderDescending().ToArray() ?? settings.OffsetsMinutes;
        settings.Channels = request.Channels?.Distinct().Order().ToArray() ?? settings.Channels;
        settings.FollowUpEnabled = request.FollowUpEnabled ?? settings.FollowUpEnabled;
        settings.FollowUpAfterMinutes = request.FollowUpAfterMinutes ?? settings.FollowUpAfterMinutes;
        settings.UpdatedAt = services.Time.GetUtcNow();
        await services.ReplanAndSaveAsync();
        return TypedResults.Ok(await SettingsOfAsync(services));
    }

    /// <summary>Creates (or rotates) the key webhooks are signed with; it is shown in this answer only.</summary>
    public static async Task<Created<WebhookSecretResponse>> CreateWebhookSecret([AsParameters] NotificationsApiServices services)
    {
        var secret = $"whsec_{Base64Url.EncodeToString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))}";
        var now = services.Time.GetUtcNow();
        // One statement, so two concurrent rotations cannot fail on the key: the last one wins.
        await services.Db.Database.ExecuteSqlAsync(
            $"INSERT INTO webhook_secrets (user_id, secret, created_at) VALUES ({services.UserId}, {secret}, {now}) ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at",
            services.CancellationToken);
        return TypedResults.Created("/notifications/settings",
            new WebhookSecretResponse(secret, WebhookChannel.SignatureHeader, WebhookChannel.TimestampHeader, "v1=hex(HMAC-SHA256(secret, timestamp + \".\" + body))"));
    }

    public static async Task<Ok<List<PushSubscriptionResponse>>> ListPushSubscriptions([AsParameters] NotificationsApiServices services) =>
        TypedResults.Ok(await services.Db.PushSubscriptions.AsNoTracking().Where(s => s.UserId == services.UserId).OrderBy(s => s.CreatedAt)
            .Select(s => new PushSubscriptionResponse(s.Id, s.Endpoint, s.CreatedAt)).ToListAsync(services.CancellationToken));

    /// <summary>The <c>applicationServerKey</c> a browser subscribes with.</summary>
    public static Results<Ok<VapidKeyResponse>, ProblemHttpResult> GetVapidPublicKey(IOptions<WebPushOptions> options) =>
        string.IsNullOrWhiteSpace(options.Value.PublicKey)
            ? TypedResults.Problem(statusCode: StatusCodes.Status404NotFound, title: "Not configured", detail: "Web push has no VAPID key on this server.")
            : TypedResults.Ok(new VapidKeyResponse(options.Value.PublicKey));

    /// <summary>Adds the browser's subscription, or renews the keys of one already known; beyond
    /// <see cref="MaxPushSubscriptions"/> the oldest subscriptions make room.</summary>
    public static async Task<Results<Created<PushSubscriptionResponse>, Ok<PushSubscriptionResponse>, ValidationProblem>> AddPushSubscription(
        PushSubscriptionRequest request, UserTargets targets, [AsParameters] NotificationsApiServices services)
    {
        var errors = new Dictionary<string, string[]>();
        if (!await targets.AcceptsAsync(request.Endpoint, services.CancellationToken))
        {
            errors["endpoint"] = [targets.Rule("endpoint")];
        }
        if (!IsKey(request.Keys?.P256dh, 65, 0x04))
        {
            errors["keys.p256dh"] = ["The browser's P-256 public key: 65 bytes (uncompressed point), base64url."];
        }
        if (!IsKey(request.Keys?.Auth, 16, null))
        {
            errors["keys.auth"] = ["The 16-byte authentication secret, base64url."];
        }
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var now = services.Time.GetUtcNow();
        var subscription = new PushSubscription
        {
            Id = Guid.CreateVersion7(now), UserId = services.UserId, Endpoint = request.Endpoint!, P256dh = request.Keys!.P256dh!, Auth = request.Keys.Auth!, CreatedAt = now,
        };
        PushSubscription? existing = null;
        // Under the user's lock, so two browsers subscribing at once on two replicas cannot pass the cap together.
        await services.ReplanAndSaveAsync(async () => // the first subscription makes web push reachable for upcoming reminders
        {
            var mine = await services.Db.PushSubscriptions.Where(s => s.UserId == services.UserId)
                .OrderBy(s => s.CreatedAt).ThenBy(s => s.Id).ToListAsync(services.CancellationToken);
            existing = mine.SingleOrDefault(s => s.Endpoint == subscription.Endpoint);
            if (existing is not null)
            {
                existing.P256dh = subscription.P256dh;
                existing.Auth = subscription.Auth;
                return;
            }
            services.Db.PushSubscriptions.RemoveRange(mine.SkipLast(MaxPushSubscriptions - 1));
            services.Db.PushSubscriptions.Add(subscription);
        });
        return existing is not null
            ? TypedResults.Ok(new PushSubscriptionResponse(existing.Id, existing.Endpoint, existing.CreatedAt))
            : TypedResults.Created($"/notifications/push-subscriptions/{subscription.Id}", new PushSubscriptionResponse(subscription.Id, subscription.Endpoint, now));
    }

    public static async Task<Results<NoContent, NotFound>> DeletePushSubscription(Guid id, [AsParameters] NotificationsApiServices services)
    {
        var subscription = await services.Db.PushSubscriptions.SingleOrDefaultAsync(s => s.Id == id && s.UserId == services.UserId, services.CancellationToken);
        if (subscription is null)
        {
            return TypedResults.NotFound();
        }
        services.Db.PushSubscriptions.Remove(subscription);
        await services.ReplanAndSaveAsync();
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Queues a test notification over each of the user's reachable channels, due now; the dispatcher sends it at once.
    /// At most <see cref="MaxTestsPerHour"/> in any hour, counted in the queue itself so the cap holds across replicas.
    /// </summary>
    public static async Task<Results<Accepted<TestResponse>, ValidationProblem, ProblemHttpResult>> SendTest([AsParameters] NotificationsApiServices services)
    {
        var now = services.Time.GetUtcNow().ToStored();
        await using var transaction = await services.Db.Database.BeginTransactionAsync(services.CancellationToken);
        // Two requests of one user count one after the other, so both cannot pass the cap on the last free place.
        await services.Scheduler.LockUserAsync(services.UserId, services.CancellationToken);
        var since = now - TimeSpan.FromHours(1);
        var recent = await services.Db.Reminders.Where(r => r.UserId == services.UserId && r.Kind == ReminderKind.Test && r.CreatedAt > since)
            .GroupBy(r => r.EventId).Select(test => test.Min(r => r.CreatedAt))
            .OrderByDescending(at => at).Take(MaxTestsPerHour).ToListAsync(services.CancellationToken);
        if (recent.Count == MaxTestsPerHour)
        {
            // A place frees when the oldest of those leaves the hour.
            return RequestException.TooManyRequests("Too many test notifications",
                $"At most {MaxTestsPerHour} test notifications an hour.", recent[^1] + TimeSpan.FromHours(1) - now).ToProblem(services.Http);
        }
        var recipient = await services.Scheduler.RecipientAsync(services.UserId, services.CancellationToken);
        if (recipient.Channels.Count == 0)
        {
            return Invalid("channels", "None of your channels can be reached: turn on in-app, or add an e-mail, a webhook or a push subscription.");
        }
        var testId = Guid.CreateVersion7(now);
        var rows = recipient.Channels.Select(channel => new Reminder
        {
            Id = Guid.CreateVersion7(now), UserId = services.UserId, EventId = testId, Kind = ReminderKind.Test, Offset = TimeSpan.Zero, Channel = channel,
            Title = "Test", TriggerAt = now, DueAt = now, Status = ReminderStatus.Scheduled, CreatedAt = now, UpdatedAt = now,
        }).ToList();
        services.Db.Reminders.AddRange(rows);
        await services.Scheduler.NotifyDispatchersAsync(services.CancellationToken); // before the save, while the rows show as added; delivered at commit
        await services.Db.SaveChangesAsync(services.CancellationToken);
        await transaction.CommitAsync(services.CancellationToken);
        return TypedResults.Accepted($"/notifications/reminders?eventId={testId}", new TestResponse(rows.Select(ToResponse).ToList()));
    }

    private static async Task<SettingsResponse> SettingsOfAsync(NotificationsApiServices services)
    {
        var recipient = await services.Scheduler.RecipientAsync(services.UserId, services.CancellationToken);
        var s = recipient.Settings;
        var hasSecret = await services.Db.WebhookSecrets.AnyAsync(w => w.UserId == services.UserId, services.CancellationToken);
        var subscriptions = await services.Db.PushSubscriptions.CountAsync(p => p.UserId == services.UserId, services.CancellationToken);
        return new SettingsResponse(s.OffsetsMinutes, s.Channels, recipient.Channels.ToArray(), s.FollowUpEnabled, s.FollowUpAfterMinutes, hasSecret, subscriptions);
    }

    private static bool IsKey(string? value, int length, byte? first)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 200)
        {
            return false;
        }
        var bytes = new byte[Base64Url.GetMaxDecodedLength(value.Length)];
        return Base64Url.TryDecodeFromChars(value.TrimEnd('='), bytes, out var written) && written == length && (first is null || bytes[0] == first);
    }

    private static ValidationProblem? LimitProblem(int? limit) =>
        limit is < 1 or > 500 ? Invalid("limit", "From 1 to 500.") : null;

    private static ValidationProblem Invalid(string field, string message) => TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });

    public static ReminderResponse ToResponse(Reminder r) => new(
        r.Id, r.EventId, r.Kind, r.Channel, (int)r.Offset.TotalMinutes, r.Title, r.EventStartsAt, r.TriggerAt, r.Status, r.Attempts, r.LastError, r.SentAt);
}

/// <summary>What every notifications endpoint needs, bound with <c>[AsParameters]</c>.</summary>
public sealed record NotificationsApiServices(HttpContext Http, NotificationsDbContext Db, ReminderScheduler Scheduler, TimeProvider Time, CancellationToken CancellationToken)
{
    public string UserId => Http.User.GetUserId();

    /// <summary>Saves the change and the re-plan it causes in one transaction; <paramref name="underLock"/> reads and
    /// changes what must be decided under the user's planning lock.</summary>
    public async Task ReplanAndSaveAsync(Func<Task>? underLock = null)
    {
        await using var transaction = await Db.Database.BeginTransactionAsync(CancellationToken);
        await Scheduler.LockUserAsync(UserId, CancellationToken);
        if (underLock is not null)
        {
            await underLock();
        }
        await Db.SaveChangesAsync(CancellationToken);
        await Scheduler.ReplanUserAsync(UserId, CancellationToken);
        await Db.SaveChangesAsync(CancellationToken);
        await transaction.CommitAsync(CancellationToken);
    }
}
