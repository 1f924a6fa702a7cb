using System.Text.Json;
using Aimi.Chat.Api.Data;
using Aimi.Contracts.Memory;
using Aimi.Messaging;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Chat.Api.Consumers;

/// <summary>
/// Memory's reading of a message (topics, mood, the goal or task it is about) is merged into that message's metadata,
/// scoped by the user: a classification naming another user's message changes nothing. Tags already there (a reminder's)
/// are kept; the merge is one statement, so it cannot lose a concurrent write of the turn's own metadata.
/// </summary>
public sealed class MessageClassifiedConsumer(ChatDbContext db, TimeProvider time, ILogger<MessageClassifiedConsumer> logger)
    : IdempotentConsumer<MessageClassified, ChatDbContext>(db, time, logger)
{
    private readonly ChatDbContext _db = db;

    protected override string ConsumerName => "chat-message-classified";

    protected override async Task HandleAsync(MessageClassified message, ConsumeContext<MessageClassified> context, CancellationToken cancellationToken)
    {
        var tags = JsonSerializer.Serialize(message.Tags);
        await _db.Database.ExecuteSqlAsync($"""
            UPDATE chat_messages SET metadata = metadata || jsonb_strip_nulls(jsonb_build_object(
                'tags', (SELECT COALESCE(jsonb_agg(DISTINCT tag), '[]'::jsonb)
                         FROM jsonb_array_elements_text(COALESCE(metadata->'tags', '[]'::jsonb) || {tags}::jsonb) AS tag),
                'mood', {message.Mood}::text,
                'goalId', {message.GoalId}::uuid,
                'taskId', {message.TaskId}::uuid))
            WHERE id = {message.MessageId} AND user_id = {message.UserId}
            """, cancellationToken);
    }
}

public sealed class MessageClassifiedConsumerDefinition : RetryingConsumerDefinition<MessageClassifiedConsumer>;
