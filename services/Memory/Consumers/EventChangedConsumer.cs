using Aimi.Contracts.Goals;
using Aimi.Contracts.Memory;
using Aimi.Memory.Api.Data;
using Aimi.Memory.Api.Domain;
using Aimi.Messaging;
using MassTransit;
using Microsoft.Extensions.AI;

namespace Aimi.Memory.Api.Consumers;

/// <summary>
/// Mirrors a task or event as a Task node (older versions ignored), links it to its goal, and records the outcome when it
/// becomes done or missed: a note memory, a stronger (done) task→goal edge, and a new <c>user_state</c> (only then: the
/// portrait follows what is learnt, not every change of the plan).
/// </summary>
public sealed class EventChangedConsumer(
    MemoryDbContext db, GraphStore graph, UserStates states, IEmbeddingGenerator<string, Embedding<float>> embedder, MemoryWriter writer,
    TimeProvider time, ILogger<EventChangedConsumer> logger)
    : IdempotentBatchConsumer<EventChanged, MemoryDbContext>(db, time, logger)
{
    protected override string ConsumerName => "memory-event-changed";

    protected override string PartitionOf(EventChanged message) => message.UserId;

    public const string Done = "done";
    public const string Missed = "missed";
    public const string AwaitingFeedback = "awaiting_feedback";

    protected override async Task HandleAsync(EventChanged message, ConsumeContext<EventChanged> context, CancellationToken cancellationToken)
    {
        if (!await Db.AdmitAsync(message.UserId, message.OccurredAt, cancellationToken))
        {
            return; // about an account erased, or memory forgotten, after this happened
        }
        var now = Time.GetUtcNow();
        var node = await graph.MirrorAsync(message.UserId, NodeKind.Task, message.EventId, message.Title, message.Status, message.Version, now, cancellationToken);
        if (node is null)
        {
            return; // an older version than one already applied
        }
        node.FeedbackRequested |= message.Status == AwaitingFeedback || message.PreviousStatus == AwaitingFeedback;
        var outcome = message.Status is Done or Missed && message.PreviousStatus != message.Status;
        if (message.GoalId is { } goalId)
        {
            var goal = await graph.MirroredAsync(message.UserId, NodeKind.Goal, goalId, now, cancellationToken);
            await graph.ConnectAsync(message.UserId, node, goal, EdgeLabels.Supports, now, cancellationToken, by: outcome && message.Status == Done ? 1 : 0);
        }
        await Db.SaveChangesAsync(cancellationToken);

        if (outcome)
        {
            var text = message.Status == Done ? $"Done: {message.Title}" : $"Missed: {message.Title}";
            var vector = (await embedder.GenerateAsync([text], cancellationToken: cancellationToken))[0].Vector.ToArray();
            var note = await writer.AddOrReinforceNoteAsync(message.UserId, text, vector, null, [message.EventId.ToString()], message.OccurredAt, now, cancellationToken);
            note.GraphNodeId = node.Id;
            await Db.SaveChangesAsync(cancellationToken);
            // The portrait is rebuilt when something is learnt (an outcome here, a session's end), not on every change of an
            // event: its pending items may trail Goals by a few changes in between (Chat reads those from Goals itself).
            await states.RefreshAsync(message.UserId, UserStateReasons.OutcomeRecorded, now, cancellationToken);
        }
    }
}

public sealed class EventChangedConsumerDefinition : BatchingConsumerDefinition<EventChangedConsumer>;
