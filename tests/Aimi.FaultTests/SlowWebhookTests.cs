using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using Aimi.Contracts.Goals;
using Aimi.Contracts.Notifications;
using Aimi.ServiceDefaults;
using Aimi.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Npgsql;
using Xunit.Abstractions;

namespace Aimi.FaultTests;

/// <summary>
/// Three users' webhook reminders falling due together: one receiver never answers, one answers 200 and streams its body
/// forever, one is a normal receiver. The normal user's reminders arrive on time and once; the streaming one's are sent once
/// (its answer is read only so far); the silent one's are given up at the delivery deadline and tried again under the same key.
/// </summary>
[Trait("Category", "Faults")]
public sealed class SlowWebhookTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private const int PerUser = 30;
    private const int MaxAttempts = 2;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<DateTimeOffset>> _arrivals = new();
    private TestDatabase _database = null!;
    private TestVirtualHost _virtualHost = null!;
    private BusRecorder _bus = null!;
    private WebApplication _receivers = null!;
    private ServiceProcess _notifications = null!;

    public async Task InitializeAsync()
    {
        _database = await TestInfrastructure.CreateDatabaseAsync(ResourceNames.NotificationsDb);
        _virtualHost = await TestInfrastructure.CreateVirtualHostAsync(ResourceNames.NotificationsDb);
        _bus = await BusRecorder.StartAsync(_virtualHost.ConnectionString, typeof(ReminderDelivered));
        _receivers = await LoopbackApp.StartAsync(app =>
        {
            app.MapPost("/normal", (HttpRequest request) =>
            {
                Arrived(request);
                return Results.Ok();
            });
            app.MapPost("/silent", async (HttpRequest request, CancellationToken aborted) =>
            {
                Arrived(request);
                await Task.Delay(Timeout.Infinite, aborted);
            });
            app.MapPost("/streaming", async (HttpContext context) =>
            {
                Arrived(context.Request);
                context.Response.StatusCode = StatusCodes.Status200OK;
                var chunk = new byte[1024];
                while (!context.RequestAborted.IsCancellationRequested)
                {
                    await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    await Task.Delay(10, context.RequestAborted);
                }
            });
        });
        _notifications = new ServiceProcess("Notifications", "Aimi.Notifications.Api",
        [
            new($"ConnectionStrings:{ResourceNames.NotificationsDb}", _database.ConnectionString),
            new($"ConnectionStrings:{ResourceNames.RabbitMq}", _virtualHost.ConnectionString),
            new("Database:MigrateOnStartup", "true"),
            new("Notifications:Webhook:AllowPrivateTargets", "true"), // the receivers are on loopback
            new("Notifications:Dispatcher:Lease", "00:00:10"),
            new("Notifications:Dispatcher:DeliveryTimeout", "00:00:05"),
            new("Notifications:Dispatcher:MaxAttempts", MaxAttempts.ToString(CultureInfo.InvariantCulture)),
            new("Notifications:Dispatcher:RetryBase", "00:00:02"),
            .. TestAuth.Settings,
        ]);
        await _notifications.StartAsync();
    }

    private void Arrived(HttpRequest request) =>
        _arrivals.GetOrAdd($"{request.Path.Value}|{request.Headers["Idempotency-Key"]}", _ => new()).Enqueue(DateTimeOffset.UtcNow);

    [Fact]
    public Task A_silent_and_a_streaming_receiver_do_not_delay_a_normal_users_reminders() =>
        _notifications.ShowingLogOnFailureAsync(output, SlowReceiversAsync);

    private async Task SlowReceiversAsync()
    {
        string[] receivers = ["normal", "silent", "streaming"];
        var users = receivers.ToDictionary(r => r, _ => TestAuth.NewUserId());
        using var http = new HttpClient { BaseAddress = _notifications.BaseAddress };
        foreach (var (receiver, user) in users)
        {
            await WebhookUsers.RegisterAsync(_bus, http, user, new Uri(_receivers.BaseAddress(), receiver));
        }
        string[] all = [.. users.Values];
        await Eventually.GetAsync(() => ScalarAsync("SELECT count(*) FROM user_profiles WHERE user_id = ANY($1)", all), n => n == all.Length,
            TimeSpan.FromSeconds(60), "profiles received");

        // Notifications leaves out a reminder planned after its time, so the lead before the reminders fall due must cover
        // planning all of them (three users' events plan one after another under each user's lock; 15 s did not at load 50).
        // It is scaled from one timed event of a user not counted, from publishing to its snapshot stored.
        var trip = System.Diagnostics.Stopwatch.StartNew();
        var timedUser = TestAuth.NewUserId();
        await _bus.Bus.Publish(new EventChanged
        {
            EventId = Guid.NewGuid(), UserId = timedUser, Change = ChangeKinds.Created, Type = "event", Title = "Timed trip",
            Status = EventStatuses.Planned, StartsAt = DateTimeOffset.UtcNow.AddDays(1), AllDay = false, TimeZone = "UTC",
            Version = 1, OccurredAt = DateTimeOffset.UtcNow,
        });
        await Eventually.GetAsync(() => ScalarAsync("SELECT count(*) FROM events WHERE user_id = ANY($1)", [timedUser]), n => n > 0,
            TimeSpan.FromMinutes(2), "the timed event stored");
        var tripTook = trip.Elapsed;
        var lead = TimeSpan.FromSeconds(20) + (tripTook * PerUser);
        lead = lead < TimeSpan.FromMinutes(4) ? lead : TimeSpan.FromMinutes(4);
        output.WriteLine($"Lead {lead.TotalSeconds:0} s after a {tripTook.TotalSeconds:0.0} s timed trip.");

        // The three users' T-15m reminders fall due interleaved, 100 ms apart, starting in a lead's time.
        var start = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(15) + lead;
        for (var i = 0; i < PerUser * receivers.Length; i++)
        {
            await _bus.Bus.Publish(new EventChanged
            {
                EventId = Guid.NewGuid(), UserId = users[receivers[i % receivers.Length]], Change = ChangeKinds.Created, Type = "event", Title = $"Slow {i}",
                Status = EventStatuses.Planned, StartsAt = start.AddMilliseconds(100 * i), AllDay = false, TimeZone = "UTC",
                Version = 1, OccurredAt = DateTimeOffset.UtcNow,
            });
        }
        var planned = await Eventually.GetAsync(() => ScalarAsync("SELECT count(*) FROM reminder_queue WHERE user_id = ANY($1)", all),
            n => n == PerUser * receivers.Length, lead + TimeSpan.FromSeconds(30), "reminders planned");

        // The database is the record: once no row can be sent again (sent, or failed after its last attempt), the counts are final.
        await Eventually.GetAsync(() => ScalarAsync("SELECT count(*) FROM reminder_queue WHERE user_id = ANY($1) AND status IN ('sent', 'failed')", all),
            n => n == planned, TimeSpan.FromSeconds(120), "every reminder sent or given up");
        var rows = await RowsAsync(all);

        var byReceiver = receivers.ToDictionary(r => r, r => rows.Where(row => row.UserId == users[r]).ToList());
        int Keys(string r) => byReceiver[r].Count(row => _arrivals.ContainsKey($"/{r}|{row.Key}"));
        int Hits(string r) => byReceiver[r].Sum(row => _arrivals.TryGetValue($"/{r}|{row.Key}", out var a) ? a.Count : 0);
        var lateness = Latency.Of(byReceiver["normal"].Where(row => _arrivals.ContainsKey($"/normal|{row.Key}"))
            .Select(row => _arrivals[$"/normal|{row.Key}"].Min() - row.DueAt).ToList());
        var sentOnce = new[] { "normal", "streaming" };
        var counts = new FaultCounts("webhook receivers silent and streaming, beside a normal one", (int)planned,
            rows.Count(r => r.Status is "sent" or "failed"), sentOnce.Sum(r => byReceiver[r].Count(row => row.Status == "sent")),
            sentOnce.Sum(r => PerUser - Keys(r)), sentOnce.Sum(r => Hits(r) - Keys(r)), TimeSpan.Zero,
            $"normal: {Keys("normal")} reminders, {Hits("normal")} calls, late by {lateness}; streaming: {Keys("streaming")} reminders, {Hits("streaming")} calls, "
            + $"{byReceiver["streaming"].Count(r => r.Status == "sent")} sent; silent: {Keys("silent")} reminders, {Hits("silent")} calls "
            + $"(at most {MaxAttempts} each, the same key), {byReceiver["silent"].Count(r => r.Status == "failed")} given up; latency column: the normal user's lateness")
        {
            FaultLatency = $"{lateness} late",
        };
        counts.Print(output);

        Assert.Equal(PerUser, Keys("normal"));
        Assert.Equal(PerUser, Hits("normal"));
        Assert.All(byReceiver["normal"], r => Assert.Equal("sent", r.Status));
        // Within a delivery deadline: no normal reminder waited behind a silent or streaming delivery (each holds its slot up to it).
        Assert.True(lateness.Max < TimeSpan.FromSeconds(5), $"the normal user's reminders were late by up to {lateness.Max}");
        Assert.Equal(PerUser, Keys("streaming"));
        Assert.Equal(PerUser, Hits("streaming"));
        Assert.All(byReceiver["streaming"], r => Assert.Equal("sent", r.Status));
        Assert.Equal(PerUser, Keys("silent"));
        Assert.All(byReceiver["silent"], r => Assert.Equal("failed", r.Status));
        Assert.True(Hits("silent") <= PerUser * MaxAttempts, $"{Hits("silent")} calls to the silent receiver");
    }

    private sealed record Row(string UserId, string Key, string Status, DateTimeOffset DueAt);

    private async Task<List<Row>> RowsAsync(string[] users)
    {
        await using var connection = new NpgsqlConnection(_database.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT user_id, idempotency_key, status, due_at FROM reminder_queue WHERE user_id = ANY($1)", connection)
        {
            Parameters = { new() { Value = users } },
        };
        var rows = new List<Row>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new Row(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }
        return rows;
    }

    private Task<long> ScalarAsync(string sql, string[] users) => UsersSql.ScalarAsync(_database.ConnectionString, sql, users);

    public Task DisposeAsync() => Resources.DisposeInOrderAsync(_notifications, _receivers, _bus, _virtualHost, _database);

    public void Dispose() => _notifications?.Dispose();
}
