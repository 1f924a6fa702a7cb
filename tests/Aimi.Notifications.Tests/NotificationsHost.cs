using Aimi.Contracts.Goals;
using Aimi.Contracts.Notifications;
using Aimi.Notifications.Api.Data;
using Aimi.Notifications.Api.Domain;
using Aimi.Notifications.Api.Workers;
using Aimi.ServiceDefaults;
using Aimi.Testing;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Aimi.Notifications.Tests;

/// <summary>
/// The Notification service on its own database and RabbitMQ vhost with a clock the tests move, and a recorder of what
/// it publishes. The background dispatcher runs unless a derived host turns it off to drive dispatchers by hand.
/// </summary>
public class NotificationsHost() : ServiceHost<Program>(ResourceNames.NotificationsDb)
{
    // A whole second, so times derived from it survive PostgreSQL's microsecond precision.
    public FakeTimeProvider Time { get; } = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
    public BusRecorder Bus { get; private set; } = null!;

    protected virtual bool DispatcherEnabled => true;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Bus = await BusRecorder.StartAsync(VirtualHost.ConnectionString, typeof(RemindersScheduled), typeof(ReminderDelivered), typeof(FollowUpDue),
            typeof(WebhookVerificationCompleted));
        _ = Server;
    }

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
    [
        new($"{DispatcherOptions.Section}:Enabled", DispatcherEnabled ? "true" : "false"),
        new("Notifications:Webhook:AllowPrivateTargets", "true"),
        .. HostSettings(),
    ];

    protected virtual IEnumerable<KeyValuePair<string, string?>> HostSettings() => [];

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<TimeProvider>(Time));
    }

    public async Task<T> WithDbAsync<T>(Func<NotificationsDbContext, Task<T>> query)
    {
        await using var scope = Services.CreateAsyncScope();
        return await query(scope.ServiceProvider.GetRequiredService<NotificationsDbContext>());
    }

    public Task<List<Reminder>> RemindersAsync(Guid eventId) =>
        WithDbAsync(db => db.Reminders.AsNoTracking().Where(r => r.EventId == eventId).OrderBy(r => r.TriggerAt).ThenBy(r => r.Channel).ToListAsync());

    /// <summary>Publishes as Goals would and waits until the service applied that version.</summary>
    public async Task PublishAsync(EventChanged change, Guid? messageId = null)
    {
        await Bus.Bus.Publish(change, c => c.MessageId = messageId ?? Guid.NewGuid());
        await Eventually.GetAsync(() => WithDbAsync(db => db.Events.AsNoTracking().SingleOrDefaultAsync(e => e.EventId == change.EventId)),
            e => e is not null && e.Version >= change.Version, because: $"event {change.EventId} v{change.Version} applied");
    }

    public async Task PublishAsync(UserProfileChanged profile)
    {
        await Bus.Bus.Publish(profile);
        await Eventually.GetAsync(() => WithDbAsync(db => db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.UserId == profile.UserId)),
            u => u is not null && u.Version >= profile.Version, because: $"profile of {profile.UserId} v{profile.Version} applied");
    }

    /// <summary>A dispatcher of its own, as another replica would run (same database, same channels).</summary>
    public ReminderDispatcher NewDispatcher() => ActivatorUtilities.CreateInstance<ReminderDispatcher>(Services);

    protected override async Task BeforeDisposeAsync() => await Bus.DisposeAsync();
}

/// <summary>A host whose dispatcher is off: the tests run dispatchers by hand, as replicas.</summary>
public sealed class ManualDispatchHost : NotificationsHost
{
    protected override bool DispatcherEnabled => false;
}

public static class Events
{
    public static EventChanged Changed(string userId, Guid eventId, DateTimeOffset startsAt, int version = 1, string status = "planned",
        string change = "created", string title = "Dentist", DateTimeOffset? endsAt = null, string timeZone = "UTC", DateTimeOffset? occurredAt = null) => new()
    {
        EventId = eventId,
        UserId = userId,
        Change = change,
        Type = "event",
        Title = title,
        Status = status,
        StartsAt = startsAt,
        EndsAt = endsAt,
        AllDay = false,
        TimeZone = timeZone,
        Version = version,
        OccurredAt = occurredAt ?? DateTimeOffset.UtcNow,
    };

    public static UserProfileChanged Profile(string userId, int version = 1, string timeZone = "UTC", string locale = "en", string? email = null,
        string? webhookUrl = null, bool inApp = true, TimeOnly? quietStart = null, TimeOnly? quietEnd = null) => new()
    {
        UserId = userId,
        TimeZone = timeZone,
        Locale = locale,
        QuietHoursStart = quietStart,
        QuietHoursEnd = quietEnd,
        Channels = new NotificationChannels { InApp = inApp, Email = email, WebhookUrl = webhookUrl },
        Version = version,
        OccurredAt = DateTimeOffset.UtcNow,
    };
}
