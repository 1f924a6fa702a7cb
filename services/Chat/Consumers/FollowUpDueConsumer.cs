using System.Text.Json;
using Aimi.Chat.Api.Data;
using Aimi.Chat.Api.Domain;
using Aimi.Chat.Api.Sessions;
using Aimi.Contracts.Goals;
using Aimi.Contracts.Notifications;
using Aimi.Messaging;
using MassTransit;
using Microsoft.EntityFrameworkCore;

namespace Aimi.Chat.Api.Consumers;

/// <summary>
/// "How did it go?" becomes part of the conversation: stored as an assistant message (tagged <c>follow_up</c>) in the
/// user's active session or a new one, at most once per follow-up — redeliveries share a message id, and a copy sent
/// again under a new id finds the stored one by its <c>followUpId</c>. The message carries the event as an
/// <c>awaiting_feedback</c> item, so the next turn's pending list names it first.
/// </summary>
public sealed class FollowUpDueConsumer(ChatDbContext db, ChatSessions sessions, TimeProvider time, ILogger<FollowUpDueConsumer> logger)
    : IdempotentConsumer<FollowUpDue, ChatDbContext>(db, time, logger)
{
    public const string Kind = "follow_up";
    private static readonly string[] FollowUpTags = [Kind];

    protected override string ConsumerName => "chat-follow-up-due";

    protected override async Task HandleAsync(FollowUpDue message, ConsumeContext<FollowUpDue> context, CancellationToken cancellationToken)
    {
        if (!await Db.AdmitAsync(message.UserId, message.OccurredAt, cancellationToken))
        {
            return; // about an account erased after it was due
        }
        // Two copies under different message ids would both pass the check below: the second waits here for the first's commit.
        await Db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({message.FollowUpId.ToString()}, 0))", cancellationToken);
        var marker = JsonSerializer.Serialize(new { followUpId = message.FollowUpId }, JsonSerializerOptions.Web);
        if (await Db.Messages.AnyAsync(m => m.UserId == message.UserId && EF.Functions.JsonContains(m.Metadata, marker), cancellationToken))
        {
            return;
        }
        var metadata = JsonSerializer.Serialize(new
        {
            kind = Kind,
            followUpId = message.FollowUpId,
            linkedEventIds = new[] { message.EventId },
            tags = FollowUpTags,
            followUp = new { id = message.EventId, title = message.EventTitle, status = EventStatuses.AwaitingFeedback, when = message.EventStartsAt },
        }, JsonSerializerOptions.Web);
        await sessions.AppendToActiveAsync(message.UserId, MessageRole.Assistant, message.Question, metadata, cancellationToken);
    }

    protected override Task AfterCommitAsync(FollowUpDue message, CancellationToken cancellationToken) => sessions.FlushCacheAsync();
}

public sealed class FollowUpDueConsumerDefinition : RetryingConsumerDefinition<FollowUpDueConsumer>;
