using System.Net;
using Aimi.Chat.Api.Sessions;
using Aimi.Contracts.Accounts;
using Aimi.Contracts.Notifications;
using Aimi.Messaging;
using Aimi.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Aimi.Chat.Tests;

public sealed class AccountErasureTests(ChatHost host) : IClassFixture<ChatHost>, IAsyncLifetime
{
    private BusRecorder _accounts = null!;

    public async Task InitializeAsync() => _accounts = await BusRecorder.StartAsync(host.VirtualHost.ConnectionString, typeof(AccountErasureCompleted));

    public async Task DisposeAsync() => await _accounts.DisposeAsync();

    [Fact]
    public async Task An_erasure_deletes_the_conversations_their_cache_and_outbox_copies_of_the_user_only_once()
    {
        var user = TestAuth.NewUserId();
        var other = TestAuth.NewUserId();
        var first = await (await host.ClientFor(user).SendAsync("My locker code is 4711.")).ReadAsync<SendResult>(HttpStatusCode.OK);
        await (await host.ClientFor(user).SendAsync("And I live in Nairobi.")).ReadAsync<SendResult>(HttpStatusCode.OK);
        var theirs = await (await host.ClientFor(other).SendAsync("Hello there.")).ReadAsync<SendResult>(HttpStatusCode.OK);
        Assert.NotNull(await Cache.GetAsync(first.SessionId));
        Assert.True(await OutboxRowsAboutAsync(user) > 0);

        var request = new AccountErasureRequested { ErasureId = Guid.NewGuid(), UserId = user, RequestedAt = host.Time.GetUtcNow() };
        var messageId = Guid.NewGuid();
        await host.Bus.Bus.Publish(request, c => c.MessageId = messageId);
        var completed = (await _accounts.WaitForAsync<AccountErasureCompleted>(c => c.UserId == user)).Single();

        Assert.Equal((request.ErasureId, ErasureServices.Chat), (completed.ErasureId, completed.Service));
        Assert.False(await host.WithDbAsync(db => db.Sessions.AnyAsync(s => s.UserId == user))); // and with them each starting context
        Assert.False(await host.WithDbAsync(db => db.Messages.AnyAsync(m => m.UserId == user)));
        Assert.Equal(0, await OutboxRowsAboutAsync(user));
        await Eventually.GetAsync(() => Cache.GetAsync(first.SessionId), cached => cached is null, because: "the cached history cleared after the commit");
        Assert.True(await host.WithDbAsync(db => db.Messages.AnyAsync(m => m.SessionId == theirs.SessionId)));
        Assert.NotNull(await Cache.GetAsync(theirs.SessionId));

        // The same delivery again answers nothing; the marker, another user's erasure, went the same way after it.
        await host.Bus.Bus.Publish(request, c => c.MessageId = messageId);
        var marker = TestAuth.NewUserId();
        await host.Bus.Bus.Publish(request with { ErasureId = Guid.NewGuid(), UserId = marker });
        await _accounts.WaitForAsync<AccountErasureCompleted>(c => c.UserId == marker);
        Assert.Single(_accounts.Received<AccountErasureCompleted>(c => c.UserId == user));
    }

    [Fact]
    public async Task A_reminder_or_follow_up_about_the_erased_account_does_not_start_a_conversation_again()
    {
        var user = TestAuth.NewUserId();
        var erasureId = Guid.NewGuid();
        await host.Bus.Bus.Publish(new AccountErasureRequested { ErasureId = erasureId, UserId = user, RequestedAt = host.Time.GetUtcNow() });
        await _accounts.WaitForAsync<AccountErasureCompleted>(c => c.UserId == user);

        await PublishAndWaitAsync(Reminder(user, "Dentist in 15 minutes", host.Time.GetUtcNow()), "chat-reminder-delivered");
        await PublishAndWaitAsync(new FollowUpDue
        {
            FollowUpId = Guid.NewGuid(), EventId = Guid.NewGuid(), UserId = user, EventTitle = "Dentist", Question = "How did the dentist go?", Locale = "en",
            DueAt = host.Time.GetUtcNow(), OccurredAt = host.Time.GetUtcNow(),
        }, "chat-follow-up-due");
        Assert.False(await host.WithDbAsync(db => db.Sessions.AnyAsync(s => s.UserId == user)));
        // Nor does the user start one while the other services are still erasing.
        await (await host.ClientFor(user).SendAsync("hello again")).ProblemAsync(HttpStatusCode.Conflict);

        // Every service is done: a reminder from before stays dropped, a later one is the fresh account's.
        var completedAt = host.Time.GetUtcNow().AddMinutes(-1);
        await host.Bus.Bus.Publish(new AccountErased { ErasureId = erasureId, UserId = user, CompletedAt = completedAt });
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Set<ErasedUser>().AnyAsync(u => u.UserId == user && u.ReleasedAt != null)), released => released);
        await PublishAndWaitAsync(Reminder(user, "Old: gym in 15 minutes", completedAt.AddSeconds(-5)), "chat-reminder-delivered");
        await PublishAndWaitAsync(Reminder(user, "New: yoga in 15 minutes", completedAt.AddSeconds(5)), "chat-reminder-delivered");
        Assert.Equal(["New: yoga in 15 minutes"], await host.WithDbAsync(db => db.Messages.Where(m => m.UserId == user).Select(m => m.Content).ToListAsync()));
    }

    private SessionCache Cache => host.Services.GetRequiredService<SessionCache>();

    private static ReminderDelivered Reminder(string user, string text, DateTimeOffset at) => new()
    {
        ReminderId = Guid.NewGuid(), EventId = Guid.NewGuid(), UserId = user, Channel = ReminderChannels.InApp, Offset = TimeSpan.FromMinutes(15),
        Title = text, Text = text, EventStartsAt = at.AddMinutes(15), DeliveredAt = at,
    };

    private async Task PublishAndWaitAsync<T>(T message, string consumer) where T : class
    {
        var brokerId = Guid.NewGuid();
        await host.Bus.Bus.Publish(message, context => context.MessageId = brokerId);
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Set<ProcessedMessage>().AnyAsync(p => p.Consumer == consumer && p.MessageId == brokerId)),
            handled => handled, because: $"{typeof(T).Name} handled");
    }

    private Task<int> OutboxRowsAboutAsync(string user) => host.WithDbAsync(db => db.Database.SqlQuery<int>($"""
        SELECT count(*)::int AS "Value" FROM outbox_messages WHERE payload::text LIKE {"%" + user + "%"} AND message_type NOT LIKE 'Aimi.Contracts.Accounts.%'
        """).SingleAsync());
}
