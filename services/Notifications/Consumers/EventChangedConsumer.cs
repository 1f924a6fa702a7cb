using Aimi.Contracts.Goals;
using Aimi.Messaging;
using Aimi.Notifications.Api.Data;
using Aimi.Notifications.Api.Domain;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Notifications.Api.Consumers;

/// <summary>Keeps the event's read model and re-plans its reminders; a version older than the one applied changes nothing.</summary>
public sealed class EventChangedConsumer(NotificationsDbContext db, ReminderScheduler scheduler, TimeProvider time, ILogger<EventChangedConsumer> logger)
    : IdempotentBatchConsumer<EventChanged, NotificationsDbContext>(db, time, logger)
{
    protected override string ConsumerName => "notifications-event-changed";

    protected override string PartitionOf(EventChanged message) => message.UserId;

    /// <summary>The event's read model, compiled once as it runs for every event change (issue 17).</summary>
    private static readonly Func<NotificationsDbContext, Guid, CancellationToken, Task<EventSnapshot?>> SnapshotQuery = EF.CompileAsyncQuery(
        (NotificationsDbContext db, Guid eventId, CancellationToken _) => db.Events.SingleOrDefault(e => e.EventId == eventId));

    /// <summary>
    /// The snapshot an earlier message of this batch added or changed, found by its key as <c>FindAsync</c> looks first. Without the
    /// change detection <c>DbSet.Local</c> runs whenever it is read, which would go over all the batch has tracked, for each message.
    /// </summary>
    private EventSnapshot? TrackedSnapshot(Guid eventId)
    {
        var tracker = Db.ChangeTracker;
        var detects = tracker.AutoDetectChangesEnabled;
        tracker.AutoDetectChangesEnabled = false;
        try
        {
            return Db.Events.Local.FindEntry(eventId)?.Entity;
        }
        finally
        {
            tracker.AutoDetectChangesEnabled = detects;
        }
    }

    protected override async Task HandleAsync(EventChanged message, ConsumeContext<EventChanged> context, CancellationToken cancellationToken)
    {
        if (await scheduler.LockUserAndCheckErasedAsync(message.UserId, message.OccurredAt, cancellationToken))
        {
            return; // about an account erased after this happened
        }
        var snapshot = TrackedSnapshot(message.EventId) ?? await SnapshotQuery(Db, message.EventId, cancellationToken);
        if (snapshot is not null && (snapshot.Version >= message.Version || snapshot.UserId != message.UserId))
        {
            return; // out of order (an older state), or not the owner's: the newer state was planned already
        }
        if (snapshot is null)
        {
            snapshot = new EventSnapshot { EventId = message.EventId, UserId = message.UserId, Type = message.Type, Title = message.Title, Status = message.Status };
            Db.Events.Add(snapshot);
        }
        snapshot.Type = message.Type;
        snapshot.Title = Truncate(message.Title, NotificationsDbContext.TitleMaxLength);
        snapshot.Status = message.Status;
        snapshot.StartsAt = message.StartsAt?.ToStored();
        snapshot.EndsAt = message.EndsAt?.ToStored();
        snapshot.DueAt = message.DueAt?.ToStored();
        snapshot.AllDay = message.AllDay;
        snapshot.HabitId = message.HabitId;
        snapshot.Deleted = message.Change == ChangeKinds.Deleted;
        snapshot.Version = message.Version;
        snapshot.UpdatedAt = Time.GetUtcNow();
        // Until Goals announces the profile, the event's own zone is the best known; version 0 yields to any profile.
        var recipient = await scheduler.RecipientAsync(message.UserId, cancellationToken,
            () => new UserProfile { UserId = message.UserId, TimeZone = message.TimeZone, Version = 0, UpdatedAt = Time.GetUtcNow() });
        await scheduler.ReplanEventAsync(snapshot, cancellationToken, recipient, changedAt: message.OccurredAt);
    }

    private static string Truncate(string value, int length) => value.Length <= length ? value : value[..length];
}

public sealed class EventChangedConsumerDefinition : BatchingConsumerDefinition<EventChangedConsumer>;
