using Microsoft.EntityFrameworkCore.Diagnostics;
using System.Data.Common;

namespace Aimi.Messaging;

/// <summary>Wakes the relay right after a commit in this process, so events leave in milliseconds rather than at the next poll.</summary>
public sealed class OutboxSignal : WakeUpSignal;

/// <summary>Notifies the relay after every save outside a transaction and after every committed transaction.</summary>
internal sealed class OutboxNotifyInterceptor(OutboxSignal signal) : SaveChangesInterceptor, IDbTransactionInterceptor
{
    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        if (eventData.Context?.Database.CurrentTransaction is null)
        {
            signal.Notify();
        }
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        if (eventData.Context?.Database.CurrentTransaction is null)
        {
            signal.Notify();
        }
        return result;
    }

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        signal.Notify();
        return Task.CompletedTask;
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => signal.Notify();
}
