using Aimi.Contracts.Goals;
using Aimi.Contracts.Notifications;
using Aimi.Messaging;
using Aimi.Testing;
using MassTransit;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using RabbitMQ.Client;
using Xunit;

namespace Aimi.Notifications.Tests;

/// <summary>
/// <c>EventChanged</c> is consumed in batches of what has queued up (issue 17). A test holds one user's planning lock, so
/// the consumer stalls on that user's message while the others queue up behind it; releasing the lock lets them through.
/// </summary>
public sealed class BatchConsumptionTests(ManualDispatchHost host) : IClassFixture<ManualDispatchHost>
{
    private const string Consumer = "notifications-event-changed";

    [Fact]
    public async Task The_users_lock_and_the_erasure_check_are_one_round_trip()
    {
        using var traced = new TracedCommands();
        var change = Events.Changed(TestAuth.NewUserId(), Guid.NewGuid(), host.Time.GetUtcNow().AddDays(2), title: "Traced");
        var trace = await traced.InTraceAsync("publish the change", () => host.PublishAsync(change));
        var commands = await traced.UnderConsumersAsync(trace);

        var locking = Assert.Single(commands, c => c.Contains("pg_advisory_xact_lock", StringComparison.Ordinal));
        Assert.Contains("erased_users", locking, StringComparison.Ordinal);
        Assert.Single(commands, c => c.Contains("erased_users", StringComparison.Ordinal));
    }

    [Fact]
    public async Task What_queued_up_is_planned_in_a_few_transactions_each_message_once_and_the_latest_version_wins()
    {
        var start = host.Time.GetUtcNow().AddDays(2);
        var users = Enumerable.Range(0, 10).Select(_ => TestAuth.NewUserId()).ToList();
        var events = users.ToDictionary(u => u, _ => Guid.NewGuid());
        // Each user's event as created and then postponed, in two bursts; one of the first delivered again in the second.
        var created = users.Select(u => (Id: Guid.NewGuid(), Message: Events.Changed(u, events[u], start))).ToList();
        var postponed = users.Select(u => (Id: Guid.NewGuid(), Message: Events.Changed(u, events[u], start.AddDays(1), version: 2, change: "updated"))).ToList();
        var ids = new List<Guid>();

        await using (await StallAsync())
        {
            await PublishAllAsync(created);
            await PublishAllAsync([.. postponed, created[0]]); // and the broker redelivers one
            ids.AddRange(created.Select(c => c.Id).Concat(postponed.Select(p => p.Id)));
        }

        foreach (var user in users)
        {
            await Eventually.GetAsync(() => host.RemindersAsync(events[user]), rows => rows.Count > 0 && rows.All(r => r.EventStartsAt == start.AddDays(1)),
                because: "the postponed version planned");
            // Planned rows commit before the outbox relays their announcement: wait for it too.
            await host.Bus.WaitForAsync<RemindersScheduled>(m => m.EventId == events[user]);
        }
        // Each version planned at most once (two batches handled at once may take a user's second version first, and then
        // the first is ignored as older).
        Assert.All(users, u => Assert.InRange(host.Bus.Received<RemindersScheduled>(m => m.EventId == events[u]).Count, 1, 2));
        var transactions = await host.WithDbAsync(db => db.Database.SqlQuery<long>(
            $"SELECT count(DISTINCT xmin::text)::bigint AS \"Value\" FROM processed_messages WHERE consumer = {Consumer} AND message_id = ANY({ids.ToArray()})").SingleAsync());
        var recorded = await host.WithDbAsync(db => db.Database.SqlQuery<long>(
            $"SELECT count(*)::bigint AS \"Value\" FROM processed_messages WHERE consumer = {Consumer} AND message_id = ANY({ids.ToArray()})").SingleAsync());
        Assert.Equal(ids.Count, recorded);
        // One message a transaction would take 20; two bursts queued behind the stall take a few batches.
        Assert.InRange(transactions, 1, ids.Count / 2);
    }

    /// <summary>
    /// What each change reads (its user's lock and erasure, its event's read model, the user's profile and settings, the event's
    /// reminders) is read once for a batch (issue 17). Seven changes of seven users, six queued behind the stalled one: one read a
    /// change, as before, is seven of each; batches read each at most once, and the consumer runs at most four batches at once.
    /// </summary>
    [Fact]
    public async Task What_queued_up_is_read_once_a_batch_not_once_a_message()
    {
        var start = host.Time.GetUtcNow().AddDays(2);
        var changes = Enumerable.Range(0, 6).Select(_ => (Id: Guid.NewGuid(), Message: Events.Changed(TestAuth.NewUserId(), Guid.NewGuid(), start))).ToList();
        // Users whose profiles Goals announced, as every user of the system has: one without is read the long way, as before.
        await StoreProfilesAsync(changes.Select(c => c.Message.UserId));
        using var traced = new TracedCommands();

        await using (await StallAsync(withProfile: true))
        {
            await PublishAllAsync(changes);
        }
        // Waited for on the bus, not by reading the reminders: the test's own reads would be counted with the consumer's.
        foreach (var (_, message) in changes)
        {
            await host.Bus.WaitForAsync<RemindersScheduled>(m => m.EventId == message.EventId);
        }

        var commands = traced.CommandsOn(host.Database.Name);
        var batches = BatchingConsumerDefinition<Api.Consumers.EventChangedConsumer>.ConcurrencyLimit;
        foreach (var read in new[] { "pg_advisory_xact_lock", "FROM events", "FROM reminder_queue", "FROM user_profiles" })
        {
            var reads = commands.Where(c => c.Contains(read, StringComparison.Ordinal) && c.StartsWith("SELECT", StringComparison.Ordinal)).ToList();
            Assert.True(reads.Count >= 1 && reads.Count <= batches, $"{reads.Count} reads with \"{read}\":\n{string.Join("\n", reads)}");
        }
    }

    [Fact]
    public async Task A_message_that_cannot_be_stored_fails_alone_and_the_rest_of_its_batch_is_planned_once()
    {
        var start = host.Time.GetUtcNow().AddDays(2);
        var good = Enumerable.Range(0, 6).Select(_ => (Id: Guid.NewGuid(), Message: Events.Changed(TestAuth.NewUserId(), Guid.NewGuid(), start))).ToList();
        // PostgreSQL refuses a NUL character in text: this message fails on every attempt.
        var poison = (Id: Guid.NewGuid(), Message: Events.Changed(TestAuth.NewUserId(), Guid.NewGuid(), start, title: "Dentist\0"));

        await using (await StallAsync())
        {
            await PublishAllAsync([.. good.Take(3), poison, .. good.Skip(3)]);
        }

        foreach (var (_, message) in good)
        {
            await Eventually.GetAsync(() => host.RemindersAsync(message.EventId), rows => rows.Count > 0, because: $"{message.EventId} planned despite the poison");
            await host.Bus.WaitForAsync<RemindersScheduled>(m => m.EventId == message.EventId);
        }
        // After its retries the poison goes to the error queue, with the others of its batch (MassTransit faults a batch as a
        // whole); those are recorded as handled, so the retries and a later move back change nothing: each planned once.
        await Eventually.GetAsync(ErrorQueueCountAsync, count => count >= 1, TimeSpan.FromSeconds(90), because: "the poison in the error queue after its retries");
        Assert.All(good, g => Assert.Single(host.Bus.Received<RemindersScheduled>(m => m.EventId == g.Message.EventId)));
        Assert.Empty(await host.RemindersAsync(poison.Message.EventId));
    }

    /// <summary>
    /// Holds a user's planning lock and publishes that user's event, which the consumer then waits on; the batch behind it
    /// forms while the lock is held. Disposing releases the lock.
    /// </summary>
    private async Task<IAsyncDisposable> StallAsync(bool withProfile = false)
    {
        var blocker = TestAuth.NewUserId();
        if (withProfile)
        {
            await StoreProfilesAsync([blocker]);
        }
        // Not pooled: closing ends the session, and with it the lock.
        var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(host.Database.ConnectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_lock(hashtextextended($1, 0))", connection) { Parameters = { new() { Value = blocker } } })
        {
            await command.ExecuteNonQueryAsync();
        }
        await host.Bus.Bus.Publish(Events.Changed(blocker, Guid.NewGuid(), host.Time.GetUtcNow().AddDays(2)));
        await Eventually.GetAsync(() => WaitingOnLockAsync(connection), waiting => waiting, because: "the consumer waits on the stalled user's lock");
        return connection; // closing the session releases its advisory lock
    }

    private Task<int> StoreProfilesAsync(IEnumerable<string> users) => host.WithDbAsync(db =>
    {
        db.Users.AddRange(users.Select(u => new Api.Domain.UserProfile { UserId = u, TimeZone = "UTC", Version = 1, UpdatedAt = host.Time.GetUtcNow() }));
        return db.SaveChangesAsync();
    });

    private static async Task<bool> WaitingOnLockAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))", connection);
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    private Task PublishAllAsync(IEnumerable<(Guid Id, EventChanged Message)> messages) =>
        Task.WhenAll(messages.Select(m => host.Bus.Bus.Publish(m.Message, c => c.MessageId = m.Id)));

    private async Task<uint> ErrorQueueCountAsync()
    {
        await using var connection = await RabbitMqAddress.Parse(host.VirtualHost.ConnectionString).ConnectionFactory().CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync($"{Consumer}_error")).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0; // not declared yet: nothing has failed for good
        }
    }
}
