using Aimi.Chat.Api.Data;
using Aimi.Chat.Api.Sessions;
using Aimi.Contracts.Accounts;
using Aimi.Messaging;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Chat.Api.Consumers;

/// <summary>
/// Chat's part of an account erasure: every session (with its starting context, a copy of the portrait) and every message, then,
/// once that committed, the cached history of each session in Redis. Consumers that write into the conversation take the same
/// per-user lock and then find the erased-user mark.
/// </summary>
public sealed class AccountErasureRequestedConsumer(
    ChatDbContext db, SessionCache cache, ErrorQueueScrubber errorQueues, TimeProvider time, ILogger<AccountErasureRequestedConsumer> logger)
    : AccountErasureConsumer<ChatDbContext>(db, errorQueues, time, logger)
{
    private List<Guid> _sessions = [];

    protected override string ConsumerName => "chat-account-erasure-requested";

    protected override string Service => ErasureServices.Chat;

    protected override async Task EraseAsync(string userId, CancellationToken cancellationToken)
    {
        await Db.LockUserAsync(userId, cancellationToken);
        _sessions = await Db.Sessions.Where(s => s.UserId == userId).Select(s => s.Id).ToListAsync(cancellationToken);
        // Messages go with their sessions (ON DELETE CASCADE); by user as well, in case one outlived its session.
        await Db.Sessions.Where(s => s.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        await Db.Messages.Where(m => m.UserId == userId).ExecuteDeleteAsync(cancellationToken);
    }

    // The cache follows the commit (a rolled-back attempt must not have emptied it).
    protected override async Task AfterCommitAsync(AccountErasureRequested message, CancellationToken cancellationToken)
    {
        foreach (var session in _sessions)
        {
            await cache.ClearAsync(session);
        }
        await base.AfterCommitAsync(message, cancellationToken);
    }
}

public sealed class AccountErasureRequestedConsumerDefinition : RetryingConsumerDefinition<AccountErasureRequestedConsumer>;
