using System.Text.Json;
using Aimi.Chat.Api.Data;
using Aimi.Contracts.Memory;
using Aimi.Messaging;
using MassTransit;

namespace Aimi.Chat.Api.Consumers;

/// <summary>
/// Memory's reading of a message (topics, mood, the goal or task it is about) is merged into that message's metadata,
/// scoped by the user: a classification naming another user's message changes nothing. Tags already there (a reminder's)
/// are kept; the merge is one statement, so it cannot lose a concurrent write of the turn's own metadata, and the same statement
/// records the message as handled (one round trip instead of three, issue 17).
/// </summary>
public sealed class MessageClassifiedConsumer(ChatDbContext db, TimeProvider time, ILogger<MessageClassifiedConsumer> logger)
    : IdempotentStatementConsumer<MessageClassified, ChatDbContext>(db, time, logger)
{
    protected override string ConsumerName => "chat-message-classified";

    protected override FormattableString Statement(MessageClassified message)
    {
        var tags = JsonSerializer.Serialize(message.Tags);
        return $"""
            UPDATE chat_messages SET metadata = metadata || jsonb_strip_nulls(jsonb_build_object(
                'tags', (SELECT COALESCE(jsonb_agg(DISTINCT tag), '[]'::jsonb)
                         FROM jsonb_array_elements_text(COALESCE(metadata->'tags', '[]'::jsonb) || {tags}::jsonb) AS tag),
                'mood', {message.Mood}::text,
                'goalId', {message.GoalId}::uuid,
                'taskId', {message.TaskId}::uuid))
            WHERE id = {message.MessageId} AND user_id = {message.UserId} AND EXISTS (SELECT 1 FROM fresh)
            """;
    }
}

public sealed class MessageClassifiedConsumerDefinition : RetryingConsumerDefinition<MessageClassifiedConsumer>;
