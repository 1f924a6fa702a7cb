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
    // Contexts whose saved outbox rows wait for their transaction to commit; a context is used by one caller at a time.
    private readonly ConditionalWeakTable<DbContext, object> _waiting = [];
    private static readonly object Waiting = new();
    // Contexts saving outbox rows right now: set before the save, read after it (when the rows are no longer "added").
    private readonly ConditionalWeakTable<DbContext, object> _saving = [];

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
        Saved(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        Saved(eventData.Context);
        return result;
    }

    public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Forget(eventData.Context, _saving);
        return Task.CompletedTask;
    }

    public override void SaveChangesFailed(DbContextErrorEventData eventData) => Forget(eventData.Context, _saving);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Committed(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Committed(eventData.Context);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Forget(eventData.Context, _waiting);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Forget(eventData.Context, _waiting);

    private void Saving(DbContext? context)
    {
        if (context is not null && context.ChangeTracker.Entries<OutboxMessage>().Any(e => e.State == EntityState.Added))
        {
            _saving.AddOrUpdate(context, Waiting);
        }
    }

    private void Saved(DbContext? context)
    {
        if (context is null || !_saving.Remove(context))
        {
            return;
        }
        if (context.Database.CurrentTransaction is null)
        {
            signal.Notify();
        }
        else
        {
            _waiting.AddOrUpdate(context, Waiting);
        }
    }

    private void Committed(DbContext? context)
    {
        if (context is not null && _waiting.Remove(context))
        {
            signal.Notify();
        }
    }

    private static void Forget(DbContext? context, ConditionalWeakTable<DbContext, object> table)
    {
        if (context is not null)
        {
            table.Remove(context);
        }
    }
}
