using Aimi.Chat.Api.Data;
using Aimi.Chat.Api.Domain;
using Aimi.Chat.Api.Sessions;
using Aimi.Contracts.Notifications;
using Aimi.Messaging;
using MassTransit;
using System.Text.Json;

namespace Aimi.Chat.Api.Consumers;

/// <summary>
/// An in-app reminder becomes part of the conversation: stored as an assistant message (tagged <c>reminder</c>) in the
/// user's active session (a new session if none is open), once per delivery however often RabbitMQ redelivers it.
/// </summary>
public sealed class ReminderDeliveredConsumer(ChatDbContext db, ChatSessions sessions, TimeProvider time, ILogger<ReminderDeliveredConsumer> logger)
    : IdempotentConsumer<ReminderDelivered, ChatDbContext>(db, time, logger)
{
    public const string InAppChannel = "in_app";
    private static readonly string[] ReminderTags = ["reminder"];

    protected override async Task HandleAsync(ReminderDelivered message, ConsumeContext<ReminderDelivered> context, CancellationToken cancellationToken)
    {
        if (message.Channel != InAppChannel)
        {
            return;
        }
        var (session, _) = await sessions.GetOrStartAsync(message.UserId, cancellationToken);
        var metadata = JsonSerializer.Serialize(new { kind = "reminder", reminderId = message.ReminderId, linkedEventIds = new[] { message.EventId }, tags = ReminderTags }, JsonSerializerOptions.Web);
        await sessions.AppendAsync(session, MessageRole.Assistant, message.Text, null, null, metadata, cancellationToken);
    }
}

/// <summary>
/// Pushes an in-app reminder to the user's open sockets on this replica. Runs on a temporary queue per replica, so
/// every replica sees every reminder (the user may be connected to any of them); the durable copy is the stored message.
/// </summary>
public sealed class ReminderPushConsumer(ConnectionRegistry connections) : IConsumer<ReminderDelivered>
{
    public async Task Consume(ConsumeContext<ReminderDelivered> context)
    {
        var m = context.Message;
        if (m.Channel != ReminderDeliveredConsumer.InAppChannel)
        {
            return;
        }
        await connections.PushAsync(m.UserId, new
        {
            type = "reminder", reminderId = m.ReminderId, eventId = m.EventId, title = m.Title, text = m.Text, eventStartsAt = m.EventStartsAt, deliveredAt = m.DeliveredAt,
        }, context.CancellationToken);
    }
}

public sealed class ReminderDeliveredConsumerDefinition : RetryingConsumerDefinition<ReminderDeliveredConsumer>;

/// <summary>Tells the user's open sockets on this replica that their session ended (goodbye, idle sweep, limit), whoever ended it.</summary>
public sealed class SessionEndedPushConsumer(ConnectionRegistry connections) : IConsumer<Aimi.Contracts.Chat.ChatSessionEnded>
{
    public Task Consume(ConsumeContext<Aimi.Contracts.Chat.ChatSessionEnded> context) =>
        connections.PushAsync(context.Message.UserId, new { type = "session_ended", sessionId = context.Message.SessionId, reason = context.Message.Reason }, context.CancellationToken);
}
