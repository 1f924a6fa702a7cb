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

    /// <summary>
    /// The event's read model as <see cref="PrepareAsync"/> read it, or as an earlier message of this batch added or changed it, found by
    /// its key as <c>FindAsync</c> looks first. Without the
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

    /// <summary>The events' read models, tracked, compiled once as they are read for every batch (issue 17).</summary>
    private static readonly Func<NotificationsDbContext, Guid[], IAsyncEnumerable<EventSnapshot>> SnapshotsQuery = EF.CompileAsyncQuery(
        (NotificationsDbContext db, Guid[] eventIds) => db.Events.Where(e => eventIds.Contains(e.EventId)));

    /// <summary>The users and times of this attempt's changes that belong to an erased account, by <see cref="PrepareAsync"/>.</summary>
    private readonly HashSet<(string UserId, DateTimeOffset OccurredAt)> _erased = [];

    /// <summary>
    /// What every change of the batch reads, read for all of them at once (issue 17): the users' planning locks with their erasures
    /// (one round trip), the events' read models, the users as reminders see them, and the events' reminders; four round trips a
    /// batch instead of four a change. A batch that failed is handled again change by change, each prepared anew.
    /// </summary>
    protected override async Task PrepareAsync(IReadOnlyList<EventChanged> messages, CancellationToken cancellationToken)
    {
        _erased.Clear();
        var erased = await scheduler.LockUsersAndCheckErasedAsync(messages.Select(m => (m.UserId, m.OccurredAt)).ToList(), cancellationToken);
        var admitted = messages.Where((_, i) => !erased[i]).ToList();
        _erased.UnionWith(messages.Where((_, i) => erased[i]).Select(m => (m.UserId, m.OccurredAt)));
        if (admitted.Count == 0)
        {
            return;
        }
        var eventIds = admitted.Select(m => m.EventId).Distinct().ToArray();
        await SnapshotsQuery(Db, eventIds).ToListAsync(cancellationToken); // tracked: TrackedSnapshot finds each
        await scheduler.PrefetchAsync(admitted.Select(m => m.UserId).ToList(), eventIds, cancellationToken);
    }

    protected override async Task HandleAsync(EventChanged message, ConsumeContext<EventChanged> context, CancellationToken cancellationToken)
    {
        if (_erased.Contains((message.UserId, message.OccurredAt)))
        {
            return; // about an account erased after this happened
        }
        // PrepareAsync read the batch's events: one not tracked has no read model yet.
        var snapshot = TrackedSnapshot(message.EventId);
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
