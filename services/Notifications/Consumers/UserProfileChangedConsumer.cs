using Aimi.Contracts.Goals;
using Aimi.Messaging;
using Aimi.Notifications.Api.Data;
using Aimi.Notifications.Api.Domain;
using MassTransit;

namespace Aimi.Notifications.Api.Consumers;

/// <summary>Keeps where and when the user is reached; a change of zone, quiet hours or channels re-plans their reminders.</summary>
public sealed class UserProfileChangedConsumer(NotificationsDbContext db, ReminderScheduler scheduler, TimeProvider time, ILogger<UserProfileChangedConsumer> logger)
    : IdempotentConsumer<UserProfileChanged, NotificationsDbContext>(db, time, logger)
{
    protected override string ConsumerName => "notifications-user-profile-changed";

    protected override async Task HandleAsync(UserProfileChanged message, ConsumeContext<UserProfileChanged> context, CancellationToken cancellationToken)
    {
        if (await scheduler.LockUserAndCheckErasedAsync(message.UserId, message.OccurredAt, cancellationToken))
        {
            return; // about an account erased after this happened
        }
        var profile = await Db.Users.FindAsync([message.UserId], cancellationToken);
        if (profile is not null && profile.Version >= message.Version)
        {
            return;
        }
        if (profile is null)
        {
            profile = new UserProfile { UserId = message.UserId };
            Db.Users.Add(profile);
        }
        profile.DisplayName = message.DisplayName;
        profile.TimeZone = message.TimeZone;
        profile.Locale = message.Locale;
        profile.QuietHoursStart = message.QuietHoursStart;
        profile.QuietHoursEnd = message.QuietHoursEnd;
        profile.InApp = message.Channels.InApp;
        profile.Email = message.Channels.Email;
        profile.WebhookUrl = message.Channels.WebhookUrl;
        profile.Version = message.Version;
        profile.UpdatedAt = Time.GetUtcNow();
        await scheduler.ReplanUserAsync(message.UserId, cancellationToken);
    }
}

public sealed class UserProfileChangedConsumerDefinition : RetryingConsumerDefinition<UserProfileChangedConsumer>;
