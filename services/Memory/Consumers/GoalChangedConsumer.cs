using Aimi.Contracts.Goals;
using Aimi.Contracts.Memory;
using Aimi.Memory.Api.Data;
using Aimi.Memory.Api.Domain;
using Aimi.Messaging;
using MassTransit;

namespace Aimi.Memory.Api.Consumers;

/// <summary>Mirrors a goal as a Goal node (versions respected); a deleted goal keeps its node as <c>deleted</c>, off the active list.</summary>
public sealed class GoalChangedConsumer(MemoryDbContext db, GraphStore graph, UserStates states, TimeProvider time, ILogger<GoalChangedConsumer> logger)
    : IdempotentConsumer<GoalChanged, MemoryDbContext>(db, time, logger)
{
    protected override string ConsumerName => "memory-goal-changed";

    protected override async Task HandleAsync(GoalChanged message, ConsumeContext<GoalChanged> context, CancellationToken cancellationToken)
    {
        if (!await Db.AdmitAsync(message.UserId, message.OccurredAt, cancellationToken))
        {
            return; // about an account erased, or memory forgotten, after this happened
        }
        var now = Time.GetUtcNow();
        var status = message.Change == ChangeKinds.Deleted ? ChangeKinds.Deleted : message.Status;
        if (await graph.MirrorAsync(message.UserId, NodeKind.Goal, message.GoalId, message.Title, status, message.Version, now, cancellationToken) is null)
        {
            return;
        }
        await Db.SaveChangesAsync(cancellationToken);
        await states.RefreshAsync(message.UserId, UserStateReasons.OutcomeRecorded, now, cancellationToken, announceOnlyIfChanged: true);
    }
}

public sealed class GoalChangedConsumerDefinition : RetryingConsumerDefinition<GoalChangedConsumer>;
