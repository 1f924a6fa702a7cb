using System.Text.Json;
using Aimi.Chat.Api.Data;
using Aimi.Chat.Api.Domain;
using Aimi.Chat.Api.Sessions;
using Aimi.Contracts.Notifications;
using Aimi.Messaging;
using MassTransit;

namespace Aimi.Chat.Api.Consumers;

/// <summary>
/// An in-app reminder becomes part of the conversation: stored as an assistant message (tagged <c>reminder</c>) in the
/// user's active session (a new session if none is open, or if it ended meanwhile), once per delivery however often
/// RabbitMQ redelivers it. The cache sees the message only after it committed.
/// </summary>
public sealed class ReminderDeliveredConsumer(ChatDbContext db, ChatSessions sessions, TimeProvider time, ILogger<ReminderDeliveredConsumer> logger)
    : IdempotentConsumer<ReminderDelivered, ChatDbContext>(db, time, logger)
{
    private static readonly string[] ReminderTags = ["reminder"];

    protected override string ConsumerName => "chat-reminder-delivered";

    protected override async Task HandleAsync(ReminderDelivered message, ConsumeContext<ReminderDelivered> context, CancellationToken cancellationToken)
    {
        if (message.Channel != ReminderChannels.InApp || !await Db.AdmitAsync(message.UserId, message.DeliveredAt, cancellationToken))
        {
            return; // another channel's, or about an account erased after it went out
        }
        var metadata = JsonSerializer.Serialize(new { kind = "reminder", reminderId = message.ReminderId, linkedEventIds = new[] { message.EventId }, tags = ReminderTags }, JsonSerializerOptions.Web);
        await sessions.AppendToActiveAsync(message.UserId, MessageRole.Assistant, message.Text, metadata, cancellationToken);
    }

    protected override Task AfterCommitAsync(ReminderDelivered message, CancellationToken cancellationToken) => sessions.FlushCacheAsync();
}

public sealed class ReminderDeliveredConsumerDefinition : RetryingConsumerDefinition<ReminderDeliveredConsumer>;
