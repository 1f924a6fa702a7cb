using System.Net;
using System.Text.Json;
using Aimi.Chat.Api.Sessions;
using Aimi.Contracts.Chat;
using Aimi.Contracts.Memory;
using Aimi.Messaging;
using Aimi.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Chat.Tests;

/// <summary>Every stored message goes to Memory (through the outbox), and Memory's reading of it comes back into its metadata.</summary>
public sealed class MessageMemoryTests(ChatHost host) : IClassFixture<ChatHost>
{
    [Fact]
    public async Task Every_user_and_assistant_message_is_announced_with_its_id()
    {
        var userId = TestAuth.NewUserId();
        var sent = await (await host.ClientFor(userId).SendAsync("I'm preparing for an interview at Contoso")).ReadAsync<SendResult>(HttpStatusCode.OK);

        var recorded = await host.Bus.WaitForAsync<ChatMessageRecorded>(m => m.SessionId == sent.SessionId, count: 2);
        var user = Assert.Single(recorded, m => m.MessageId == sent.Message.Id);
        Assert.Equal((userId, TranscriptRoles.User, "I'm preparing for an interview at Contoso"), (user.UserId, user.Role, user.Content));
        var reply = Assert.Single(recorded, m => m.MessageId == sent.Reply.Id);
        Assert.Equal((userId, TranscriptRoles.Assistant, sent.Reply.Content), (reply.UserId, reply.Role, reply.Content));
        // Announced in the message's transaction: the outbox holds exactly one row per message.
        var rows = await host.WithDbAsync(db => db.Set<OutboxMessage>().AsNoTracking()
            .Where(m => m.MessageType.Contains(nameof(ChatMessageRecorded))).Select(m => m.Payload).ToListAsync());
        Assert.Equal(2, rows.Count(p => p.Contains(sent.SessionId.ToString(), StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_classification_is_merged_into_the_messages_metadata_once()
    {
        var userId = TestAuth.NewUserId();
        var sent = await (await host.ClientFor(userId).SendAsync("so tired after work")).ReadAsync<SendResult>(HttpStatusCode.OK);
        var goalId = Guid.NewGuid();
        var classified = Classified(userId, sent, [Topics.Work], Moods.Tired, goalId);
        var id = Guid.NewGuid();

        await host.Bus.Bus.Publish(classified, c => c.MessageId = id);
        await MetadataWhenAsync(sent.Message.Id, m => m.TryGetProperty("mood", out _));
        // A redelivery of the applied message changes nothing; a later classification of the reply on the same path is the marker.
        await host.Bus.Bus.Publish(classified with { Tags = [Topics.Health] }, c => c.MessageId = id);
        await host.Bus.Bus.Publish(Classified(userId, sent, [Topics.Social], null, null) with { MessageId = sent.Reply.Id });
        await MetadataWhenAsync(sent.Reply.Id, m => m.TryGetProperty("tags", out _));

        var metadata = await MetadataWhenAsync(sent.Message.Id, _ => true);
        Assert.Equal(["work"], metadata.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(Moods.Tired, metadata.GetProperty("mood").GetString());
        Assert.Equal(goalId, metadata.GetProperty("goalId").GetGuid());
        Assert.False(metadata.TryGetProperty("taskId", out _));
        var processed = await host.WithDbAsync(db => db.Set<ProcessedMessage>().AsNoTracking()
            .CountAsync(m => m.MessageId == id && m.Consumer == "chat-message-classified"));
        Assert.Equal(1, processed);
    }

    [Fact]
    public async Task A_classification_naming_another_users_message_changes_nothing()
    {
        var owner = TestAuth.NewUserId();
        var sent = await (await host.ClientFor(owner).SendAsync("hello there")).ReadAsync<SendResult>(HttpStatusCode.OK);

        await host.Bus.Bus.Publish(Classified(TestAuth.NewUserId(), sent, [Topics.Finance], Moods.Negative, null));
        // Marker: the owner's own classification on the same path, published after.
        await host.Bus.Bus.Publish(Classified(owner, sent, [Topics.Social], null, null) with { MessageId = sent.Reply.Id });

        await MetadataWhenAsync(sent.Reply.Id, m => m.TryGetProperty("tags", out _));
        var metadata = await MetadataWhenAsync(sent.Message.Id, _ => true);
        Assert.False(metadata.TryGetProperty("tags", out _));
        Assert.False(metadata.TryGetProperty("mood", out _));
    }

    private MessageClassified Classified(string userId, SendResult sent, string[] tags, string? mood, Guid? goalId) => new()
    {
        MessageId = sent.Message.Id, SessionId = sent.SessionId, UserId = userId, Tags = tags, Mood = mood, GoalId = goalId,
        OccurredAt = host.Time.GetUtcNow(),
    };

    private Task<JsonElement> MetadataWhenAsync(Guid messageId, Func<JsonElement, bool> until) =>
        Eventually.GetAsync(
            async () => JsonDocument.Parse(await host.WithDbAsync(db => db.Messages.AsNoTracking().Where(m => m.Id == messageId).Select(m => m.Metadata).SingleAsync())).RootElement.Clone(),
            until, because: $"the metadata of {messageId}");
}
