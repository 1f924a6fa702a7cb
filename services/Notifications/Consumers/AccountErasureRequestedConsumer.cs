using Aimi.Contracts.Accounts;
using Aimi.Messaging;
using Aimi.Notifications.Api.Data;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Notifications.Api.Consumers;

/// <summary>
/// Notifications' part of an account erasure: reminders (planned, sending or sent), their delivery log, the copies of the user's
/// events, habits, profile and channels, settings, the webhook secret and push subscriptions. Under the per-user lock the
/// consumers take, which then find the erased-user mark. The queue goes first: a reminder being sent holds its row until its
/// outcome is recorded, so its log is written before the log is deleted (or, once the row is gone, not at all).
/// </summary>
public sealed class AccountErasureRequestedConsumer(
    NotificationsDbContext db, ReminderScheduler scheduler, ErrorQueueScrubber errorQueues, TimeProvider time, ILogger<AccountErasureRequestedConsumer> logger)
    : AccountErasureConsumer<NotificationsDbContext>(db, errorQueues, time, logger)
{
    protected override string ConsumerName => "notifications-account-erasure-requested";

    protected override string Service => ErasureServices.Notifications;

    protected override async Task EraseAsync(string userId, CancellationToken cancellationToken)
    {
        await scheduler.LockUserAsync(userId, cancellationToken);
        await Db.Reminders.Where(r => r.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        await Db.ReminderLogs.Where(l => l.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        await Db.Events.Where(e => e.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        await Db.Habits.Where(h => h.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        await Db.Users.Where(u => u.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        await Db.Settings.Where(s => s.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        await Db.WebhookSecrets.Where(s => s.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        await Db.PushSubscriptions.Where(s => s.UserId == userId).ExecuteDeleteAsync(cancellationToken);
    }
}

public sealed class AccountErasureRequestedConsumerDefinition : RetryingConsumerDefinition<AccountErasureRequestedConsumer>;
