using System.Net;
using Aimi.Contracts.Accounts;
using Aimi.Contracts.Goals;
using Aimi.Messaging;
using Aimi.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Xunit;

namespace Aimi.Notifications.Tests;

public sealed class AccountErasureTests(ManualDispatchHost host) : IClassFixture<ManualDispatchHost>, IAsyncLifetime
{
    private BusRecorder _accounts = null!;

    public async Task InitializeAsync() => _accounts = await BusRecorder.StartAsync(host.VirtualHost.ConnectionString, typeof(AccountErasureCompleted));

    public async Task DisposeAsync() => await _accounts.DisposeAsync();

    [Fact]
    public async Task An_erasure_deletes_reminders_their_log_and_every_copy_of_the_user_only_once()
    {
        var user = TestAuth.NewUserId();
        var other = TestAuth.NewUserId();
        var client = host.ClientFor(user);
        await host.PublishAsync(Events.Profile(user, email: "ada@example.com"));
        var soon = Guid.NewGuid();
        await host.PublishAsync(Events.Changed(user, soon, host.Time.GetUtcNow().AddMinutes(125), title: "Dentist"));
        await host.PublishAsync(Events.Changed(other, Guid.NewGuid(), host.Time.GetUtcNow().AddDays(1), title: "Their dentist"));
        (await client.PutJsonAsync("/notifications/settings", new { followUpEnabled = false })).EnsureSuccessStatusCode();
        (await client.PostAsync("/notifications/webhook-secret", null)).EnsureSuccessStatusCode();
        host.Time.Advance(TimeSpan.FromMinutes(6)); // the T-2h reminder is due: sent, logged and announced
        await host.NewDispatcher().DispatchDueAsync(CancellationToken.None);
        Assert.True(await host.WithDbAsync(db => db.ReminderLogs.AnyAsync(l => l.UserId == user)));
        Assert.True(await OutboxRowsAboutAsync(user) > 0);

        var request = new AccountErasureRequested { ErasureId = Guid.NewGuid(), UserId = user, RequestedAt = host.Time.GetUtcNow() };
        var messageId = Guid.NewGuid();
        await host.Bus.Bus.Publish(request, c => c.MessageId = messageId);
        var completed = (await _accounts.WaitForAsync<AccountErasureCompleted>(c => c.UserId == user)).Single();

        Assert.Equal((request.ErasureId, ErasureServices.Notifications), (completed.ErasureId, completed.Service));
        Assert.Equal(0, await host.WithDbAsync(async db =>
            await db.Reminders.CountAsync(r => r.UserId == user) + await db.ReminderLogs.CountAsync(l => l.UserId == user)
            + await db.Events.CountAsync(e => e.UserId == user) + await db.Habits.CountAsync(h => h.UserId == user)
            + await db.Users.CountAsync(u => u.UserId == user) + await db.Settings.CountAsync(s => s.UserId == user)
            + await db.WebhookSecrets.CountAsync(s => s.UserId == user) + await db.PushSubscriptions.CountAsync(s => s.UserId == user)));
        Assert.Equal(0, await OutboxRowsAboutAsync(user));
        Assert.True(await host.WithDbAsync(db => db.Reminders.AnyAsync(r => r.UserId == other)));

        // The same delivery again answers nothing; the marker, another user's erasure, went the same way after it.
        await host.Bus.Bus.Publish(request, c => c.MessageId = messageId);
        var marker = TestAuth.NewUserId();
        await host.Bus.Bus.Publish(request with { ErasureId = Guid.NewGuid(), UserId = marker });
        await _accounts.WaitForAsync<AccountErasureCompleted>(c => c.UserId == marker);
        Assert.Single(_accounts.Received<AccountErasureCompleted>(c => c.UserId == user));
    }

    [Fact]
    public async Task An_event_change_about_the_erased_account_plans_no_reminder_again()
    {
        var user = TestAuth.NewUserId();
        var erasureId = Guid.NewGuid();
        await host.Bus.Bus.Publish(new AccountErasureRequested { ErasureId = erasureId, UserId = user, RequestedAt = host.Time.GetUtcNow() });
        await _accounts.WaitForAsync<AccountErasureCompleted>(c => c.UserId == user);

        await PublishAndWaitAsync(Events.Changed(user, Guid.NewGuid(), host.Time.GetUtcNow().AddDays(1)), "notifications-event-changed");
        await PublishAndWaitAsync(Events.Profile(user, email: "ada@example.com"), "notifications-user-profile-changed");
        Assert.False(await host.WithDbAsync(db => db.Events.AnyAsync(e => e.UserId == user)));
        Assert.False(await host.WithDbAsync(db => db.Users.AnyAsync(u => u.UserId == user)));

        // Every service is done: a change from before stays dropped, a later one is the fresh account's.
        var completedAt = DateTimeOffset.UtcNow;
        await host.Bus.Bus.Publish(new AccountErased { ErasureId = erasureId, UserId = user, CompletedAt = completedAt });
        await Eventually.GetAsync(() => host.WithDbAsync(db => db.Set<ErasedUser>().AnyAsync(u => u.UserId == user && u.ReleasedAt != null)), released => released);
        var old = Guid.NewGuid();
        var fresh = Guid.NewGuid();
        await PublishAndWaitAsync(Events.Changed(user, old, host.Time.GetUtcNow().AddDays(1), occurredAt: completedAt.AddSeconds(-5)), "notifications-event-changed");
        await host.PublishAsync(Events.Changed(user, fresh, host.Time.GetUtcNow().AddDays(1), occurredAt: completedAt.AddSeconds(5)));
        Assert.Equal([fresh], await host.WithDbAsync(db => db.Reminders.Where(r => r.UserId == user).Select(r => r.EventId).Distinct().ToListAsync()));
    }

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
