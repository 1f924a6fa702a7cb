using Aimi.Chat.Api.Sessions;
using Aimi.Contracts.Notifications;
using MassTransit;

namespace Aimi.Chat.Api.Consumers;

/// <summary>
/// Pushes an in-app reminder to the user's open sockets on this replica. Runs on a temporary queue per replica, so
/// every replica sees every reminder (the user may be connected to any of them); the durable copy is the stored message.
/// </summary>
public sealed class ReminderPushConsumer(ConnectionRegistry connections) : IConsumer<ReminderDelivered>
{
    public async Task Consume(ConsumeContext<ReminderDelivered> context)
    {
        var m = context.Message;
        if (m.Channel != ReminderChannels.InApp)
        {
            return;
        }
        await connections.PushAsync(m.UserId, new
        {
            type = "reminder", reminderId = m.ReminderId, eventId = m.EventId, title = m.Title, text = m.Text, eventStartsAt = m.EventStartsAt, deliveredAt = m.DeliveredAt,
        }, context.CancellationToken);
    }
}

/// <summary>A temporary queue per replica (see <see cref="ReminderPushConsumer"/>).</summary>
public sealed class ReminderPushConsumerDefinition : ConsumerDefinition<ReminderPushConsumer>
{
    public ReminderPushConsumerDefinition() => Endpoint(e => { e.Temporary = true; e.InstanceId = ReplicaInstance.Id; });
}
