using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;

namespace Aimi.Messaging;

/// <summary>
/// The change tracker's entries of one type as they stand, without <see cref="ChangeTracker.Entries{TEntity}"/>' change detection:
/// that compares every property of every entity the context tracks, of every type, on each call. A batch consumer's context
/// tracks all the batch has written so far, and asking "is a profile added?", "is an outbox row added?" for each message went over
/// all of it each time: 14% of Notifications' CPU at 100 created events a second (a CPU profile, issue 17).
/// <para>
/// An entity given to <c>Add</c> is <see cref="EntityState.Added"/> at once, so these see it; a tracked entity whose properties
/// were set since the last detection still shows as it was (<see cref="EntityState.Unchanged"/>) until <see cref="EntityEntry.DetectChanges"/>
/// is called on its entry, which compares that entity alone.
/// </para>
/// </summary>
public static class TrackedEntries
{
    public static List<EntityEntry<TEntity>> AsTracked<TEntity>(this ChangeTracker tracker) where TEntity : class
    {
        var detects = tracker.AutoDetectChangesEnabled;
        tracker.AutoDetectChangesEnabled = false;
        try
        {
            return tracker.Entries<TEntity>().ToList();
        }
        finally
        {
            tracker.AutoDetectChangesEnabled = detects;
        }
    }
}
