using System.Globalization;
using System.Net.Http.Headers;
using Aimi.Contracts.Goals;
using Aimi.Contracts.Notifications;
using Aimi.ServiceDefaults;
using Aimi.Testing;
using Npgsql;
using Xunit.Abstractions;

namespace Aimi.FaultTests;

/// <summary>
/// Notifications killed with SIGKILL while it is sending a burst of due webhook reminders, then started again: the rows the
/// dead process had claimed come back when their lease runs out, and the receiver's idempotency key absorbs a re-send.
/// </summary>
[Trait("Category", "Faults")]
public sealed class NotificationsKillTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private const int Users = 4;
    private const int Reminders = 200;
    private TestDatabase _database = null!;
    private TestVirtualHost _virtualHost = null!;
    private BusRecorder _bus = null!;
    private HookCounter _hooks = null!;
    private ServiceProcess _notifications = null!;

    public async Task InitializeAsync()
    {
        _database = await TestInfrastructure.CreateDatabaseAsync(ResourceNames.NotificationsDb);
        _virtualHost = await TestInfrastructure.CreateVirtualHostAsync(ResourceNames.NotificationsDb);
        _bus = await BusRecorder.StartAsync(_virtualHost.ConnectionString, typeof(ReminderDelivered));
        _hooks = await HookCounter.StartAsync(answerAfter: TimeSpan.FromMilliseconds(200));
        _notifications = new ServiceProcess("Notifications", "Aimi.Notifications.Api",
        [
            new($"ConnectionStrings:{ResourceNames.NotificationsDb}", _database.ConnectionString),
            new($"ConnectionStrings:{ResourceNames.RabbitMq}", _virtualHost.ConnectionString),
            new("Database:MigrateOnStartup", "true"),
            new("Notifications:Webhook:AllowPrivateTargets", "true"), // the receiver is on loopback
            // A short lease, so the rows the killed process had claimed come back within the case's time.
            new("Notifications:Dispatcher:Lease", "00:00:10"),
            new("Notifications:Dispatcher:DeliveryTimeout", "00:00:05"),
            .. TestAuth.Settings,
        ]);
        await _notifications.StartAsync();
    }

    [Fact]
    public Task Notifications_killed_mid_dispatch_loses_no_reminder_and_the_key_absorbs_a_resend() =>
        _notifications.ShowingLogOnFailureAsync(output, KillMidDispatchAsync);

    private async Task KillMidDispatchAsync()
    {
        var users = Enumerable.Range(0, Users).Select(_ => TestAuth.NewUserId()).ToArray();
        using var http = new HttpClient { BaseAddress = _notifications.BaseAddress };
        foreach (var user in users)
        {
            await WebhookUsers.RegisterAsync(_bus, http, user, _hooks.Url);
        }
        await Eventually.GetAsync(() => ScalarAsync("SELECT count(*) FROM user_profiles WHERE user_id = ANY($1)", users), n => n == Users,
            TimeSpan.FromSeconds(60), "profiles received");

        // Events starting just over 15 minutes from now, a few tens of milliseconds apart: their T-15m reminders fall due
        // in a steady stream that starts in ~15 s.
        var start = DateTimeOffset.UtcNow.AddMinutes(15).AddSeconds(15);
        var eventIds = new List<Guid>();
        for (var i = 0; i < Reminders; i++)
        {
            var id = Guid.NewGuid();
            eventIds.Add(id);
            await _bus.Bus.Publish(new EventChanged
            {
                EventId = id, UserId = users[i % Users], Change = ChangeKinds.Created, Type = "event", Title = $"Fault {i}",
                Status = EventStatuses.Planned, StartsAt = start.AddMilliseconds(60 * i), AllDay = false, TimeZone = "UTC",
                Version = 1, OccurredAt = DateTimeOffset.UtcNow,
            });
        }
        var planned = await Eventually.GetAsync(() => ScalarAsync("SELECT count(*) FROM reminder_queue WHERE user_id = ANY($1) AND kind = 'event'", users),
            n => n == Reminders, TimeSpan.FromSeconds(60), "reminders planned");

        // Kill once about half have arrived, with more in flight.
        await Eventually.GetAsync(() => Task.FromResult(_hooks.Hits.Count), n => n >= Reminders / 2, TimeSpan.FromSeconds(90), "half the reminders sent");
        var killedAt = DateTime.UtcNow;
        var atKill = _hooks.Hits.Count;
        _notifications.Kill();
        await _notifications.StartAsync();
        // Recovered when a reminder not seen before arrives from the new process.
        var afterStart = _hooks.Hits.Count;
        await Eventually.GetAsync(() => Task.FromResult(_hooks.Hits.Count), n => n > afterStart || n == Reminders, TimeSpan.FromSeconds(90), "sending again");
        var recovery = DateTime.UtcNow - killedAt;

        // The database is the record: once every row is sent nothing can send again, so the counts below are final.
        var sent = await Eventually.GetAsync(() => ScalarAsync("SELECT count(*) FROM reminder_queue WHERE user_id = ANY($1) AND kind = 'event' AND status = 'sent'", users),
            n => n == Reminders, TimeSpan.FromSeconds(120), "every reminder sent");
        var delivered = await Eventually.GetAsync(
            () => Task.FromResult(_bus.Received<ReminderDelivered>(m => eventIds.Contains(m.EventId))), m => m.Select(x => x.ReminderId).Distinct().Count() >= Reminders,
            TimeSpan.FromSeconds(60), "every ReminderDelivered");

        // What the kill cost: how late the reminders due between the kill and the first new one after the restart were sent.
        var lateness = Latency.Of(await LatenessAsync(users, killedAt, killedAt + recovery));
        var keys = _hooks.Hits.Count;
        var hits = _hooks.Hits.Values.Sum();
        var distinctDelivered = delivered.Select(m => m.ReminderId).Distinct().Count();
        var messageIds = _bus.MessageIds<ReminderDelivered>(m => eventIds.Contains(m.EventId)).Distinct().Count();
        var counts = new FaultCounts("kill -9 Notifications mid-dispatch", (int)planned, (int)sent, keys,
            Reminders - keys + (Reminders - distinctDelivered), hits - keys, recovery,
            $"{atKill} reminders had arrived at the kill; webhook calls: {hits} for {keys} idempotency keys ({hits - keys} sent again after the kill, "
            + $"same key, which the receiver drops); ReminderDelivered: {delivered.Count} received, {distinctDelivered} distinct reminders under {messageIds} message ids; "
            + "latency column: how late the reminders due while the service was down were sent")
        {
            FaultLatency = $"{lateness} late",
        };
        counts.Print(output);

        Assert.Equal(Reminders, keys);
        Assert.Equal(Reminders, distinctDelivered);
        Assert.Equal(Reminders, messageIds); // a copy sent again by the outbox relay keeps its id, and consumers drop it
        Assert.Equal(Reminders, (int)sent);
    }

    private async Task<List<TimeSpan>> LatenessAsync(string[] users, DateTime from, DateTime to)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT sent_at - due_at FROM reminder_queue WHERE user_id = ANY($1) AND kind = 'event' AND sent_at IS NOT NULL AND due_at BETWEEN $2 AND $3", connection)
        {
            Parameters = { new() { Value = users }, new() { Value = from }, new() { Value = to } },
        };
        var lateness = new List<TimeSpan>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            lateness.Add(reader.GetTimeSpan(0));
        }
        return lateness;
    }

    private Task<long> ScalarAsync(string sql, string[] users) => UsersSql.ScalarAsync(_database.ConnectionString, sql, users);

    public Task DisposeAsync() => Resources.DisposeInOrderAsync(_notifications, _hooks, _bus, _virtualHost, _database);

    public void Dispose() => _notifications?.Dispose();
}
