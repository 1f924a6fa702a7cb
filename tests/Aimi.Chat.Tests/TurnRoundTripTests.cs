using System.Net;
using System.Net.Http.Json;
using Aimi.Chat.Api.Sessions;
using Aimi.Contracts.Chat;
using Aimi.Contracts.Memory;
using Aimi.Testing;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Chat.Tests;

/// <summary>What a chat turn costs Chat's database (issue 17), counted from the Npgsql commands traced under the request or the consumer.</summary>
public sealed class TurnRoundTripTests(ChatHost host) : IClassFixture<ChatHost>
{
    [Fact]
    public async Task A_turn_stores_and_announces_the_message_and_its_reply_in_one_statement_each()
    {
        var user = TestAuth.NewUserId();
        var chat = host.ClientFor(user);
        (await chat.SendAsync("Good morning!")).EnsureSuccessStatusCode(); // the session and its starting context exist

        using var traced = new TracedCommands();
        // The request joins a trace of the test's own, so only this turn's commands are counted (other tests run beside it).
        var (trace, traceParent) = TracedCommands.NewTraceParent();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/chat/send")
        {
            Content = JsonContent.Create(new { content = "I walked to the lake after work and it was lovely.", clientMessageId = "walk-1" }),
        };
        request.Headers.Add("traceparent", traceParent);
        var result = await (await chat.SendAsync(request)).ReadAsync<SendResult>(HttpStatusCode.OK);

        var texts = traced.Commands(trace);
        var writes = texts.Where(t => t.Contains("INSERT INTO chat_messages", StringComparison.Ordinal)
            || t.Contains("INSERT INTO outbox_messages", StringComparison.Ordinal)).ToList();
        // Each append: the session counted, the message inserted and its ChatMessageRecorded written to the outbox, in one command.
        Assert.True(writes.Count == 2, $"{writes.Count} commands write messages or the outbox: {string.Join(" | ", writes)}");
        Assert.All(writes, t => Assert.Contains("INSERT INTO outbox_messages", t, StringComparison.Ordinal));
        Assert.DoesNotContain(texts, t => t.Trim().StartsWith("COMMIT", StringComparison.OrdinalIgnoreCase));

        // Both still reach the broker, each once, and say who said it.
        var recorded = await host.Bus.WaitForAsync<ChatMessageRecorded>(m => m.MessageId == result.Message.Id || m.MessageId == result.Reply.Id, count: 2);
        Assert.Equal(["assistant", "user"], recorded.Select(m => m.Role).Order().ToArray());
        Assert.All(recorded, m => Assert.Equal(result.SessionId, m.SessionId));
    }

    [Fact]
    public async Task Memorys_reading_of_a_message_is_recorded_and_merged_in_one_statement()
    {
        var user = TestAuth.NewUserId();
        var sent = await (await host.ClientFor(user).SendAsync("so tired after work")).ReadAsync<SendResult>(HttpStatusCode.OK);

        using var traced = new TracedCommands();
        var trace = await traced.InTraceAsync("publish the reading", () => host.Bus.Bus.Publish(new MessageClassified
        {
            MessageId = sent.Message.Id, SessionId = sent.SessionId, UserId = user, Tags = [Topics.Work], Mood = Moods.Tired,
            OccurredAt = host.Time.GetUtcNow(),
        }));
        var commands = await traced.UnderConsumersAsync(trace);

        var command = Assert.Single(commands);
        Assert.Contains("INSERT INTO processed_messages", command, StringComparison.Ordinal);
        Assert.Contains("UPDATE chat_messages", command, StringComparison.Ordinal);
        var metadata = await host.WithDbAsync(db => db.Messages.AsNoTracking().Where(m => m.Id == sent.Message.Id).Select(m => m.Metadata).SingleAsync());
        Assert.Contains(Moods.Tired, metadata, StringComparison.Ordinal);
    }
}
