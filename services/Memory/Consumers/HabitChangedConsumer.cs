using Aimi.Contracts.Goals;
using Aimi.Memory.Api.Data;
using Aimi.Memory.Api.Domain;
using Aimi.Messaging;
using MassTransit;

namespace Aimi.Memory.Api.Consumers;

/// <summary>Mirrors a habit as a Habit node (versions respected) with a habit→goal <c>supports</c> edge when it serves a goal.</summary>
public sealed class HabitChangedConsumer(MemoryDbContext db, GraphStore graph, TimeProvider time, ILogger<HabitChangedConsumer> logger)
    : IdempotentConsumer<HabitChanged, MemoryDbContext>(db, time, logger)
{
    protected override string ConsumerName => "memory-habit-changed";

    protected override async Task HandleAsync(HabitChanged message, ConsumeContext<HabitChanged> context, CancellationToken cancellationToken)
    {
        if (!await Db.AdmitAsync(message.UserId, message.OccurredAt, cancellationToken))
        {
            return; // about an account erased, or memory forgotten, after this happened
        }
        var now = Time.GetUtcNow();
        var status = message.Change == ChangeKinds.Deleted ? ChangeKinds.Deleted : message.Status;
        var node = await graph.MirrorAsync(message.UserId, NodeKind.Habit, message.HabitId, message.Title, status, message.Version, now, cancellationToken);
        if (node is not null && message.GoalId is { } goalId)
        {
            var goal = await graph.MirroredAsync(message.UserId, NodeKind.Goal, goalId, now, cancellationToken);
            await graph.ConnectAsync(message.UserId, node, goal, EdgeLabels.Supports, now, cancellationToken, by: 0);
        }
    }
}

public sealed class HabitChangedConsumerDefinition : RetryingConsumerDefinition<HabitChangedConsumer>;
