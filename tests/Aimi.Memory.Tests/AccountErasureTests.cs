using System.Net;
using Aimi.Contracts.Accounts;
using Aimi.Contracts.Chat;
using Aimi.Memory.Api.Data;
using Aimi.Messaging;
using Aimi.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Xunit;

namespace Aimi.Memory.Tests;

public sealed class AccountErasureTests(MemoryHost host) : IClassFixture<MemoryHost>, IAsyncLifetime
{
    private BusRecorder _accounts = null!;

    public async Task InitializeAsync() => _accounts = await BusRecorder.StartAsync(host.VirtualHost.ConnectionString, typeof(AccountErasureCompleted));

    public async Task DisposeAsync() => await _accounts.DisposeAsync();

    [Fact]
    public async Task An_erasure_deletes_everything_of_the_user_and_nothing_of_another_once_however_often_it_arrives()
    {
        var user = TestAuth.NewUserId();
        var other = TestAuth.NewUserId();
        var client = host.ClientFor(user);
        await host.PublishAsync(Contracts.Goal(user, Guid.NewGuid(), "Climb Kilimanjaro", 1));
        await host.RememberAsync(user, "I live in Nairobi. I'm training for Kilimanjaro. My brother Sam joins me.");
        await (await client.PostJsonAsync("/memory/conversations", new
        {
            conversationId = "whatsapp",
            messages = new[] { new { id = "w1", role = "user", content = "My locker code is 4711.", createdAt = DateTimeOffset.UtcNow.AddDays(-1) } },
        })).ReadAsync<System.Text.Json.JsonElement>(HttpStatusCode.Accepted);
        await Eventually.GetAsync(() => client.GetJsonAsync("/memory/conversations/whatsapp"), s => s.Str("status") == "processed");
        (await client.DeleteAsync("/memory/messages/forget-this")).EnsureSuccessStatusCode();
        await host.RememberAsync(other, "I live in Lisbon.");
        Assert.True(await OutboxRowsAboutAsync(user) > 0);

        var request = new AccountErasureRequested { ErasureId = Guid.NewGuid(), UserId = user, RequestedAt = host.Time.GetUtcNow() };
        var messageId = Guid.NewGuid();
        await host.Bus.Bus.Publish(request, c => c.MessageId = messageId);
        var completed = (await _accounts.WaitForAsync<AccountErasureCompleted>(c => c.UserId == user)).Single();

        Assert.Equal((request.ErasureId, ErasureServices.Memory), (completed.ErasureId, completed.Service));
        Assert.Equal(0, await host.WithDbAsync(async db =>
            await db.Memories.CountAsync(m => m.UserId == user) + await db.MemoryTexts.CountAsync(t => t.UserId == user)
            + await db.Summaries.CountAsync(s => s.UserId == user) + await db.Nodes.CountAsync(n => n.UserId == user)
            + await db.Edges.CountAsync(e => e.UserId == user) + await db.States.CountAsync(s => s.UserId == user)
            + await db.Imports.CountAsync(i => i.UserId == user) + await db.Stats.CountAsync(s => s.UserId == user)
            + await db.ForgottenMessages.CountAsync(f => f.UserId == user)));
        Assert.Equal(0, await OutboxRowsAboutAsync(user));
        Assert.True(await host.WithDbAsync(db => db.Memories.AnyAsync(m => m.UserId == other)));
        Assert.True(await host.WithDbAsync(db => db.States.AnyAsync(s => s.UserId == other)));

        // The same delivery again changes nothing and answers nothing; the marker, another user's erasure, went the same way after it.
        await host.Bus.Bus.Publish(request, c => c.MessageId = messageId);
        var marker = TestAuth.NewUserId();
        await host.Bus.Bus.Publish(request with { ErasureId = Guid.NewGuid(), UserId = marker });
        await _accounts.WaitForAsync<AccountErasureCompleted>(c => c.UserId == marker);
        Assert.Single(_accounts.Received<AccountErasureCompleted>(c => c.UserId == user));
    }

    [Fact]
    public async Task A_message_about_the_erased_account_is_dropped_and_after_the_erasure_a_new_one_makes_a_fresh_account()
    {
        var user = TestAuth.NewUserId();
        var erasureId = Guid.NewGuid();
        await host.Bus.Bus.Publish(new AccountErasureRequested { ErasureId = erasureId, UserId = user, RequestedAt = host.Time.GetUtcNow() });
        await _accounts.WaitForAsync<AccountErasureCompleted>(c => c.UserId == user);

        // In flight from before: a session end and a message. While the erasure is under way anywhere, nothing about the user is kept.
        var session = Guid.NewGuid();
        await PublishAndWaitAsync(Recorded(user, session, "I live in Nairobi.", DateTimeOffset.UtcNow), "memory-chat-message-recorded");
        await PublishAndWaitAsync(Ended(user, session, "My brother Sam lives in Nairobi.", DateTimeOffset.UtcNow), "memory-chat-session-ended");
        await PublishAndWaitAsync(Contracts.Goal(user, Guid.NewGuid(), "Climb Kilimanjaro", 1), "memory-goal-changed");
        Assert.False(await AnythingOfAsync(user));

        // Every service is done: what happened before stays dropped, what happens after belongs to a fresh account.
        var completedAt = DateTimeOffset.UtcNow;
        await host.Bus.Bus.Publish(new AccountErased { ErasureId = erasureId, UserId = user, CompletedAt = completedAt });
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Set<ErasedUser>().AnyAsync(u => u.UserId == user && u.ReleasedAt != null)), released => released);
        await PublishAndWaitAsync(Recorded(user, session, "My locker code is 4711.", completedAt.AddSeconds(-5)), "memory-chat-message-recorded");
        Assert.False(await AnythingOfAsync(user));
        var fresh = Recorded(user, Guid.NewGuid(), "I just moved to Lisbon.", completedAt.AddSeconds(5));
        await PublishAndWaitAsync(fresh, "memory-chat-message-recorded");
        Assert.Equal([fresh.MessageId.ToString()], await host.WithDbAsync(db => db.Memories.Where(m => m.UserId == user).SelectMany(m => m.SourceMessageIds).ToListAsync()));
    }

    /// <summary>
    /// An import whose transaction is open while the user asks to forget everything: the forget waits for it and deletes what it
    /// wrote, instead of deleting what was there and letting the import's memories in afterwards. The import is held at the last
    /// step of its transaction (the portrait's row, locked here) with its memories written, when the forget arrives.
    /// </summary>
    [Fact]
    public async Task Forget_me_leaves_nothing_of_an_import_that_commits_while_it_runs()
    {
        var user = TestAuth.NewUserId();
        var client = host.ClientFor(user);
        await host.RememberAsync(user, "I live in Nairobi.");

        await using var holder = new NpgsqlConnection(host.Database.ConnectionString);
        await holder.OpenAsync();
        await using var hold = await holder.BeginTransactionAsync();
        await using (var lockState = new NpgsqlCommand("SELECT 1 FROM user_state WHERE user_id = @user FOR UPDATE", holder, hold))
        {
            lockState.Parameters.AddWithValue("user", user);
            await lockState.ExecuteScalarAsync();
        }
        await (await client.PostJsonAsync("/memory/conversations", new
        {
            conversationId = "racing",
            messages = new[] { new { id = "r1", role = "user", content = "My locker code is 4711. I work at Northwind.", createdAt = DateTimeOffset.UtcNow.AddDays(-1) } },
        })).ReadAsync<System.Text.Json.JsonElement>(HttpStatusCode.Accepted);
        await WaitersAsync(1); // the import, its memories written, waits for the portrait

        var forget = client.DeleteAsync("/memory");
        await WaitersAsync(2); // the forget waits too
        await hold.CommitAsync();
        (await forget).EnsureSuccessStatusCode();

        Assert.Empty(await host.WithDbAsync(db => db.Memories.Where(m => m.UserId == user).Select(m => m.Content).ToListAsync()));
        Assert.False(await host.WithDbAsync(db => db.Imports.AnyAsync(i => i.UserId == user)));
        Assert.False(await host.WithDbAsync(db => db.Summaries.AnyAsync(s => s.UserId == user)));
    }

    private async Task WaitersAsync(int count)
    {
        var database = new NpgsqlConnectionStringBuilder(host.Database.ConnectionString).Database;
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Database.SqlQuery<int>(
            $"SELECT count(*)::int AS \"Value\" FROM pg_stat_activity WHERE datname = {database} AND wait_event_type = 'Lock'").SingleAsync()), n => n >= count,
            because: $"{count} transaction(s) waiting for a lock");
    }

    private Task<bool> AnythingOfAsync(string user) => host.WithDbAsync(async db =>
        await db.Memories.AnyAsync(m => m.UserId == user) || await db.Summaries.AnyAsync(s => s.UserId == user)
        || await db.Nodes.AnyAsync(n => n.UserId == user) || await db.States.AnyAsync(s => s.UserId == user));

    private Task<int> OutboxRowsAboutAsync(string user) => host.WithDbAsync(db => db.Database.SqlQuery<int>($"""
        SELECT count(*)::int AS "Value" FROM outbox_messages WHERE payload::text LIKE {"%" + user + "%"} AND message_type NOT LIKE 'Aimi.Contracts.Accounts.%'
        """).SingleAsync());

    private async Task PublishAndWaitAsync<T>(T message, string consumer) where T : class
    {
        var brokerId = Guid.NewGuid();
        await host.Bus.Bus.Publish(message, context => context.MessageId = brokerId);
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Set<ProcessedMessage>().AnyAsync(p => p.Consumer == consumer && p.MessageId == brokerId)),
            handled => handled, because: $"{typeof(T).Name} handled");
    }

    private static ChatMessageRecorded Recorded(string user, Guid session, string content, DateTimeOffset at) => new()
    {
        MessageId = Guid.NewGuid(), SessionId = session, UserId = user, Role = "user", Content = content, At = at, OccurredAt = at,
    };

    private static ChatSessionEnded Ended(string user, Guid session, string content, DateTimeOffset at) => new()
    {
        SessionId = session, UserId = user, Reason = "goodbye", StartedAt = at, EndedAt = at, MessageCount = 1, OccurredAt = at,
        Transcript = [new TranscriptLine { MessageId = Guid.NewGuid(), Role = "user", Content = content, At = at }],
    };
}
