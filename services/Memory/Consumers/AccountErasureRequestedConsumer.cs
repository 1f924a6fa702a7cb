using Aimi.Contracts.Accounts;
using Aimi.Memory.Api.Data;
using Aimi.Messaging;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Memory.Api.Consumers;

/// <summary>
/// Memory's part of an account erasure: every memory, episode, summary, graph node and edge, import (queued ones too), figure,
/// forgotten-message mark and the portrait itself. It waits for writes in flight as forget-me does; those waiting behind it then
/// find the erased-user mark and write nothing.
/// </summary>
public sealed class AccountErasureRequestedConsumer(MemoryDbContext db, ErrorQueueScrubber errorQueues, TimeProvider time, ILogger<AccountErasureRequestedConsumer> logger)
    : AccountErasureConsumer<MemoryDbContext>(db, errorQueues, time, logger)
{
    protected override string ConsumerName => "memory-account-erasure-requested";

    protected override string Service => ErasureServices.Memory;

    protected override async Task EraseAsync(string userId, CancellationToken cancellationToken)
    {
        await Db.LockForForgettingAsync(userId, cancellationToken);
        await Db.DeleteEverythingOfAsync(userId, cancellationToken);
        await Db.States.Where(s => s.UserId == userId).ExecuteDeleteAsync(cancellationToken);
    }
}

public sealed class AccountErasureRequestedConsumerDefinition : RetryingConsumerDefinition<AccountErasureRequestedConsumer>;
