using Aimi.Contracts.Chat;
using Aimi.Contracts.Memory;
using Aimi.Memory.Api.Data;
using Aimi.Memory.Api.Domain;
using Aimi.Messaging;
using MassTransit;

namespace Aimi.Memory.Api.Consumers;

/// <summary>Summary &amp; Embedding: a finished chat session becomes a summary, facts, notes, graph links and a new <c>user_state</c>.</summary>
public sealed class ChatSessionEndedConsumer(MemoryDbContext db, MemoryWriter writer, TimeProvider time, ILogger<ChatSessionEndedConsumer> logger)
    : IdempotentConsumer<ChatSessionEnded, MemoryDbContext>(db, time, logger)
{
    protected override string ConsumerName => "memory-chat-session-ended";

    protected override async Task HandleAsync(ChatSessionEnded message, ConsumeContext<ChatSessionEnded> context, CancellationToken cancellationToken)
    {
        if (!await Db.AdmitAsync(message.UserId, message.StartedAt, cancellationToken))
        {
            return; // about an account erased, or memory forgotten, after this happened
        }
        var lines = message.Transcript
            .Select(l => new ConversationLine(l.MessageId.ToString(), l.Role, null, l.Content, l.At) { Remember = l.Remember })
            .ToList();
        await writer.RememberConversationAsync(message.UserId, message.SessionId, lines, UserStateReasons.SessionSummarised, Time.GetUtcNow(), cancellationToken);
    }
}

public sealed class ChatSessionEndedConsumerDefinition : RetryingConsumerDefinition<ChatSessionEndedConsumer>
{
    // A queue belongs to one service: the prefix keeps Memory's consumer off another service's queue of the same message.
    public ChatSessionEndedConsumerDefinition() => EndpointName = "memory-chat-session-ended";
}
