using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Aimi.Messaging;

/// <summary>Wakes the relay right after a commit in this process, so events leave in milliseconds rather than at the next poll.</summary>
public sealed class OutboxSignal : WakeUpSignal;

/// <summary>
/// Notifies the relay when outbox rows were written: after a save outside a transaction, or when the transaction that saved
/// them commits. Saves that wrote none (a consumer that only records what it handled) leave the relay asleep; every wake-up
/// is a query and a transaction, and most consumers publish nothing (issue 17).
/// </summary>
public sealed class OutboxNotifyInterceptor(OutboxSignal signal) : SaveChangesInterceptor, IDbTransactionInterceptor
{
    private static readonly object Marked = new();

    // Contexts with outbox rows saved (or being saved) and not yet committed; a context is used by one caller at a time. The mark
    // is set before a save, since afterwards the rows no longer show as added.
    private readonly ConditionalWeakTable<DbContext, object> _unpublished = [];

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(
        DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Saving(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Saving(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Ended(eventData.Context, committed: true);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        Ended(eventData.Context, committed: true);
        return result;
    }

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Ended(eventData.Context, committed: false);
        return Task.CompletedTask;
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData) => Ended(eventData.Context, committed: false);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Committed(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Committed(eventData.Context);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Forget(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Forget(eventData.Context);

    /// <summary>
    /// An outbox row written by the caller's own SQL (<see cref="OutboxDbContextExtensions.OutboxRow"/>), not by a save: outside a
    /// transaction it committed with its statement and the relay wakes now; inside one it wakes when that commits.
    /// </summary>
    public void Wrote(DbContext context)
    {
        if (context.Database.CurrentTransaction is null)
        {
            signal.Notify();
        }
        else
        {
            _unpublished.AddOrUpdate(context, Marked);
        }
    }

    private void Saving(DbContext? context)
    {
        // An outbox row is always given to Add, so it shows as added without a detection of every tracked entity's changes
        // (the save detects them right after this).
        if (context is not null && context.ChangeTracker.AsTracked<OutboxMessage>().Exists(e => e.State == EntityState.Added))
        {
            _unpublished.AddOrUpdate(context, Marked);
        }
    }

    /// <summary>A save ended. Outside a transaction it was its own: committed (wake the relay) or not (nothing to publish).
    /// Inside one, the mark waits for the transaction's end.</summary>
    private void Ended(DbContext? context, bool committed)
    {
        if (context is null || context.Database.CurrentTransaction is not null)
        {
            return;
        }
        if (_unpublished.Remove(context) && committed)
        {
            signal.Notify();
        }
    }

    private void Committed(DbContext? context)
    {
        if (context is not null && _unpublished.Remove(context))
        {
            signal.Notify();
        }
    }

    private void Forget(DbContext? context)
    {
        if (context is not null)
        {
            _unpublished.Remove(context);
        }
    }
}
