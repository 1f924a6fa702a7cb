using Aimi.Contracts.Accounts;
using Aimi.Goals.Api.Data;
using Aimi.Messaging;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Goals.Api.Consumers;

/// <summary>
/// A service erased the user: noted once; the last answer completes the erasure and announces <see cref="AccountErased"/>, after
/// which every service treats a new sign-in as a fresh account. The erasure row is locked, so two last answers arriving together
/// complete it once.
/// </summary>
public sealed class AccountErasureCompletedConsumer(GoalsDbContext db, TimeProvider time, ILogger<AccountErasureCompletedConsumer> logger)
    : IdempotentConsumer<AccountErasureCompleted, GoalsDbContext>(db, time, logger)
{
    protected override string ConsumerName => "goals-account-erasure-completed";

    protected override async Task HandleAsync(AccountErasureCompleted message, ConsumeContext<AccountErasureCompleted> context, CancellationToken cancellationToken)
    {
        // Locked first and read after, in two statements: a read that waited for the lock inside one statement would see the
        // row again but not the step the answer before it had just committed, and two last answers would each see one missing.
        await Db.Database.ExecuteSqlAsync($"SELECT 1 FROM account_erasures WHERE id = {message.ErasureId} FOR UPDATE", cancellationToken);
        var erasure = await Db.Erasures.Include(e => e.Steps)
            .SingleOrDefaultAsync(e => e.Id == message.ErasureId && e.Subject == message.UserId, cancellationToken);
        if (erasure is null || !ErasureServices.All.Contains(message.Service))
        {
            return;
        }
        var now = Time.GetUtcNow();
        if (erasure.Record(message.Service, message.CompletedAt, ErasureServices.All, now))
        {
            Db.AddOutboxMessage(new AccountErased { ErasureId = erasure.Id, UserId = erasure.Subject, CompletedAt = now }, now);
        }
    }
}

public sealed class AccountErasureCompletedConsumerDefinition : RetryingConsumerDefinition<AccountErasureCompletedConsumer>;
