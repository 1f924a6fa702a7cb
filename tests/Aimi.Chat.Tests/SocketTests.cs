using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Aimi.Contracts.Notifications;
using Aimi.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Chat.Tests;

public sealed class SocketTests(ChatHost host) : IClassFixture<ChatHost>
{
    private Task<WebSocket> ConnectAsync(string userId) => host.ConnectSocketAsync(userId);

    [Fact]
    public async Task A_message_is_acknowledged_streamed_and_answered_and_the_socket_takes_more()
    {
        using var socket = await ConnectAsync(TestAuth.NewUserId());

        await socket.SendTextAsync("""{"type":"message","content":"remind me to buy milk tomorrow at 10am","clientMessageId":"c1"}""");
        var frames = new List<JsonElement>();
        var reply = await socket.ReceiveUntilAsync("reply", frames);

        Assert.Equal("ack", frames[0].GetProperty("type").GetString());
        Assert.Equal("c1", frames[0].GetProperty("clientMessageId").GetString());
        var deltas = frames.Where(f => f.GetProperty("type").GetString() == "delta").Select(f => f.GetProperty("text").GetString()).ToList();
        Assert.NotEmpty(deltas);
        Assert.Equal(reply.GetProperty("content").GetString(), string.Concat(deltas).Trim());
        Assert.Equal("create_event", reply.GetProperty("metadata").GetProperty("toolCalls")[0].GetProperty("name").GetString());

        await socket.SendTextAsync("""{"type":"message","content":"what's on today?","clientMessageId":"c2"}""");
        var second = await socket.ReceiveUntilAsync("reply");
        Assert.Equal("c2", second.GetProperty("clientMessageId").GetString());
        Assert.Equal(reply.GetProperty("sessionId").GetString(), second.GetProperty("sessionId").GetString());
    }

    [Fact]
    public async Task Malformed_frames_get_error_frames_and_the_connection_stays_usable()
    {
        var userId = TestAuth.NewUserId();
        using var socket = await ConnectAsync(userId);

        await socket.SendTextAsync("this is not json");
        Assert.Equal("bad_frame", (await socket.ReceiveUntilAsync("error")).GetProperty("code").GetString());
        await socket.SendTextAsync("""{"type":"dance"}""");
        Assert.Equal("bad_frame", (await socket.ReceiveUntilAsync("error")).GetProperty("code").GetString());
        await socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        Assert.Equal("bad_frame", (await socket.ReceiveUntilAsync("error")).GetProperty("code").GetString());
        await socket.SendTextAsync("""{"type":"message","content":"  "}""");
        Assert.Equal("invalid", (await socket.ReceiveUntilAsync("error")).GetProperty("code").GetString());
        await socket.SendTextAsync($$"""{"type":"message","content":"{{new string('x', 4001)}}"}""");
        Assert.Equal("too_large", (await socket.ReceiveUntilAsync("error")).GetProperty("code").GetString());
        await socket.SendTextAsync($$"""{"type":"message","content":"{{new string('x', 40_000)}}"}""");
        Assert.Equal("too_large", (await socket.ReceiveUntilAsync("error")).GetProperty("code").GetString());

        await socket.SendTextAsync("""{"type":"ping"}""");
        Assert.Equal("pong", (await socket.ReceiveFrameAsync()).GetProperty("type").GetString());
        await socket.SendTextAsync("""{"type":"message","content":"hello"}""");
        await socket.ReceiveUntilAsync("reply");
        Assert.Equal(2, await host.WithDbAsync(db => db.Messages.CountAsync(m => m.UserId == userId)));
    }

    [Theory]
    [InlineData("ping")]
    [InlineData("binary")]
    [InlineData("oversized")]
    public async Task A_flood_of_any_frame_closes_the_socket_politely_with_a_reason(string kind)
    {
        using var socket = await ConnectAsync(TestAuth.NewUserId());

        for (var i = 0; i < 61; i++)
        {
            var sent = kind switch
            {
                "ping" => socket.SendTextAsync("""{"type":"ping"}"""),
                "binary" => socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None),
                _ => socket.SendTextAsync(new string('x', 33 * 1024)),
            };
            await sent;
        }
        var closed = await socket.ReceiveUntilAsync("closed");

        Assert.Equal((int)WebSocketCloseStatus.PolicyViolation, closed.GetProperty("status").GetInt32());
        Assert.Contains("Too many frames", closed.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task An_in_app_reminder_is_pushed_to_the_open_socket_and_stored_once()
    {
        var userId = TestAuth.NewUserId();
        using var socket = await ConnectAsync(userId);
        var reminder = new ReminderDelivered
        {
            ReminderId = Guid.NewGuid(), EventId = Guid.NewGuid(), UserId = userId, Channel = "in_app", Offset = TimeSpan.FromMinutes(15),
            Title = "Dentist", Text = "Dentist in 15 minutes", EventStartsAt = host.Time.GetUtcNow().AddMinutes(15), DeliveredAt = host.Time.GetUtcNow(),
        };
        var messageId = Guid.NewGuid();

        await host.Bus.Bus.Publish(reminder, c => c.MessageId = messageId);
        var pushed = await socket.ReceiveUntilAsync("reminder");
        await host.Bus.Bus.Publish(reminder, c => c.MessageId = messageId); // redelivered

        Assert.Equal("Dentist in 15 minutes", pushed.GetProperty("text").GetString());
        await socket.ReceiveUntilAsync("reminder"); // the push is at-most-once per delivery, the stored copy exactly once
        // A marker behind the redelivered copy on the same queue: once it is stored, the copy has had its chance.
        await host.Bus.Bus.Publish(reminder with { ReminderId = Guid.NewGuid(), Text = "Marker" });
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Messages.AnyAsync(m => m.UserId == userId && m.Content == "Marker")), stored => stored);
        var stored = await host.WithDbAsync(db => db.Messages.Where(m => m.UserId == userId && m.Content != "Marker").ToListAsync());
        Assert.Single(stored);
        Assert.Equal(Aimi.Chat.Api.Domain.MessageRole.Assistant, stored[0].Role);
        Assert.Contains(reminder.EventId.ToString(), stored[0].Metadata);
        Assert.Equal("reminder", JsonDocument.Parse(stored[0].Metadata).RootElement.GetProperty("kind").GetString());
    }

    [Fact]
    public async Task A_follow_up_is_pushed_to_the_open_socket_as_its_own_frame()
    {
        var userId = TestAuth.NewUserId();
        using var socket = await ConnectAsync(userId);
        var followUp = new FollowUpDue
        {
            FollowUpId = Guid.NewGuid(), EventId = Guid.NewGuid(), UserId = userId, EventTitle = "Dentist", Question = "How did the dentist go?", Locale = "en",
            EventStartsAt = host.Time.GetUtcNow().AddHours(-2), EventEndsAt = host.Time.GetUtcNow().AddHours(-1), DueAt = host.Time.GetUtcNow(), OccurredAt = host.Time.GetUtcNow(),
        };

        await host.Bus.Bus.Publish(followUp);
        var pushed = await socket.ReceiveUntilAsync("follow_up");

        Assert.Equal((followUp.FollowUpId, followUp.EventId, "How did the dentist go?"),
            (pushed.GetProperty("followUpId").GetGuid(), pushed.GetProperty("eventId").GetGuid(), pushed.GetProperty("text").GetString()));
    }

    [Fact]
    public async Task Saying_goodbye_on_the_socket_ends_the_session_with_a_frame()
    {
        using var socket = await ConnectAsync(TestAuth.NewUserId());

        await socket.SendTextAsync("""{"type":"message","content":"hello"}""");
        await socket.ReceiveUntilAsync("reply");
        await socket.SendTextAsync("""{"type":"message","content":"пока"}""");
        // The session_ended push comes over the bus and may overtake the reply frame: take both in either order.
        var frames = new List<JsonElement>();
        while (!frames.Any(f => f.GetProperty("type").GetString() == "reply") || !frames.Any(f => f.GetProperty("type").GetString() == "session_ended"))
        {
            frames.Add(await socket.ReceiveFrameAsync());
        }
        var reply = frames.Single(f => f.GetProperty("type").GetString() == "reply");
        var ended = frames.Single(f => f.GetProperty("type").GetString() == "session_ended");

        Assert.True(reply.GetProperty("sessionEnded").GetBoolean());
        Assert.Equal("goodbye", ended.GetProperty("reason").GetString());
        Assert.Equal(reply.GetProperty("sessionId").GetString(), ended.GetProperty("sessionId").GetString());
    }
}
