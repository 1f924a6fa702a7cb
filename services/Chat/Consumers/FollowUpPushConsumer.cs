using Aimi.Chat.Api.Sessions;
using Aimi.Contracts.Notifications;
using MassTransit;

namespace Aimi.Chat.Api.Consumers;

/// <summary>
/// Pushes a follow-up question to the user's open sockets on this replica, on a temporary queue per replica like the
/// reminder push; the durable copy is the message <see cref="FollowUpDueConsumer"/> stored.
/// </summary>
public sealed class FollowUpPushConsumer(ConnectionRegistry connections) : IConsumer<FollowUpDue>
{
    public async Task Consume(ConsumeContext<FollowUpDue> context)
    {
        var m = context.Message;
        await connections.PushAsync(m.UserId, new
        {
            type = "follow_up", followUpId = m.FollowUpId, eventId = m.EventId, title = m.EventTitle, text = m.Question,
            eventStartsAt = m.EventStartsAt, eventEndsAt = m.EventEndsAt, dueAt = m.DueAt,
        }, context.CancellationToken);
    }
}

/// <summary>A temporary queue per replica (see <see cref="FollowUpPushConsumer"/>).</summary>
public sealed class FollowUpPushConsumerDefinition : ConsumerDefinition<FollowUpPushConsumer>
{
    public FollowUpPushConsumerDefinition() => Endpoint(e => { e.Temporary = true; e.InstanceId = ReplicaInstance.Id; });
}
