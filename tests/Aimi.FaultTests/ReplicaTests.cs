using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text.Json;
using Aimi.Contracts.Chat;
using Aimi.Contracts.Notifications;
using Aimi.ServiceDefaults;
using Aimi.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Npgsql;
using Xunit.Abstractions;

namespace Aimi.FaultTests;

/// <summary>
/// Two replicas of Goals, Chat and Notifications behind one gateway (<c>services__x__http__0</c> and <c>__1</c>), each pair on
/// one database: events created through the gateway, their in-app reminders sent once, pushed to the socket of their own user
/// (wherever it is connected), and idle sessions ended once although both Chat replicas sweep.
/// </summary>
[Trait("Category", "Faults")]
public sealed class ReplicaTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private const int Users = 6;
    private const int EventsPerUser = 5;
    private readonly List<IAsyncDisposable> _resources = [];
    private readonly List<ServiceProcess> _processes = [];
    private TestDatabase _goalsDb = null!;
    private TestDatabase _chatDb = null!;
    private TestDatabase _notificationsDb = null!;
    private TestVirtualHost _virtualHost = null!;
    private BusRecorder _bus = null!;
    private ServiceProcess _gateway = null!;

    public async Task InitializeAsync()
    {
        _goalsDb = Keep(await TestInfrastructure.CreateDatabaseAsync(ResourceNames.GoalsDb));
        _chatDb = Keep(await TestInfrastructure.CreateDatabaseAsync(ResourceNames.ChatDb));
        _notificationsDb = Keep(await TestInfrastructure.CreateDatabaseAsync(ResourceNames.NotificationsDb));
        _virtualHost = Keep(await TestInfrastructure.CreateVirtualHostAsync("replicas"));
        _bus = Keep(await BusRecorder.StartAsync(_virtualHost.ConnectionString, typeof(ReminderDelivered), typeof(ChatSessionEnded)));
        var redis = Keep(await PrivateRedisServer.StartAsync());
        var absent = Keep(await LoopbackApp.StartAsync(app => app.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        })));

        ServiceProcess[] Pair(string folder, string assembly, IEnumerable<KeyValuePair<string, string?>> settings) =>
            [new(folder, assembly, settings), new(folder, assembly, settings)];
        var goals = Pair("Goals", "Aimi.Goals.Api", GoalsSettings.For(_goalsDb.ConnectionString, _virtualHost.ConnectionString));
        var chat = Pair("Chat", "Aimi.Chat.Api",
        [
            .. ChatSystem.Settings(_chatDb.ConnectionString, _virtualHost.ConnectionString, redis.ConnectionString,
                goals[0].BaseAddress.ToString().TrimEnd('/'), absent.BaseAddress().ToString().TrimEnd('/')),
            new("Chat:IdleSweep:Interval", "00:00:01"),
        ]);
        var notifications = Pair("Notifications", "Aimi.Notifications.Api",
        [
            new($"ConnectionStrings:{ResourceNames.NotificationsDb}", _notificationsDb.ConnectionString),
            new($"ConnectionStrings:{ResourceNames.RabbitMq}", _virtualHost.ConnectionString),
            new("Database:MigrateOnStartup", "true"),
            .. TestAuth.Settings,
        ]);
        _processes.AddRange([.. goals, .. chat, .. notifications]);
        // One after another (the first of a pair migrates its database), with time to spare: seven processes start on two cores.
        foreach (var process in (ServiceProcess[])[.. goals, .. chat, .. notifications])
        {
            await process.StartAsync(TimeSpan.FromMinutes(4));
        }
        _gateway = ServiceProcess.Gateway(GatewaySettings.For(
            (ResourceNames.GoalsApi, [.. goals.Select(p => p.BaseAddress)]),
            (ResourceNames.ChatApi, [.. chat.Select(p => p.BaseAddress)]),
            (ResourceNames.NotificationsApi, [.. notifications.Select(p => p.BaseAddress)])));
        _processes.Add(_gateway);
        await _gateway.StartAsync(TimeSpan.FromMinutes(4));
    }

    private T Keep<T>(T resource) where T : IAsyncDisposable
    {
        _resources.Insert(0, resource);
        return resource;
    }

    [Fact]
    public Task Two_replicas_send_each_reminder_once_push_it_to_its_own_socket_and_end_each_idle_session_once() =>
        _gateway.ShowingLogOnFailureAsync(output, ReplicasAsync);

    private async Task ReplicasAsync()
    {
        var users = Enumerable.Range(0, Users).Select(_ => TestAuth.NewUserId()).ToArray();
        using var http = new HttpClient { BaseAddress = _gateway.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var frames = users.ToDictionary(u => u, _ => new ConcurrentQueue<(JsonElement Frame, DateTimeOffset At)>());
        using var stop = new CancellationTokenSource();
        var sockets = new List<(ClientWebSocket Socket, Task Reading)>();
        foreach (var user in users)
        {
            await SendAsync(http, user, HttpMethod.Put, "notifications/settings",
                new { offsetsMinutes = (int[])[15], channels = (string[])[ReminderChannels.InApp], followUpEnabled = false });
            // A session per user (the idle sweep's work later), then the user's socket, through the gateway to either replica.
            await SendAsync(http, user, HttpMethod.Post, "chat/send", new { content = "hello", clientMessageId = $"{user}-hello" });
            // As a browser does: a single-use ticket from either Chat replica, redeemed by whichever one the upgrade reaches.
            using var issued = await SendAsync(http, user, HttpMethod.Post, "chat/socket-tickets", new { });
            var ticket = JsonSerializer.Deserialize<SocketTicket>(await issued.Content.ReadAsStringAsync(), TestJson.Options)!.Ticket;
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{_gateway.Port}/ws/chat?ticket={Uri.EscapeDataString(ticket)}"), CancellationToken.None);
            sockets.Add((socket, ReadAsync(socket, frames[user], stop.Token)));
        }

        // Notifications leaves out a reminder whose time has passed when it plans it, so the lead before the reminders fall due
        // must cover creating the events and their EventChanged trip. It is scaled from one timed trip (an event a day ahead,
        // of a user not counted, from the request to its reminder planned): a loaded machine gets the time it needs.
        var warmUser = TestAuth.NewUserId();
        await SendAsync(http, warmUser, HttpMethod.Put, "notifications/settings",
            new { offsetsMinutes = (int[])[15], channels = (string[])[ReminderChannels.InApp], followUpEnabled = false });
        var trip = Stopwatch.StartNew();
        using (await SendAsync(http, warmUser, HttpMethod.Post, "events", new { title = "Timed trip", startsAt = DateTimeOffset.UtcNow.AddDays(1) }))
        {
            await Eventually.GetAsync(() => ScalarAsync(_notificationsDb, "SELECT count(*) FROM reminder_queue WHERE user_id = ANY($1)", [warmUser]),
                n => n > 0, TimeSpan.FromMinutes(2), "the timed event's reminder planned");
        }
        var tripTook = trip.Elapsed;
        var lead = LeadFor(tripTook);

        // Events through the gateway (either Goals replica), starting in 15 min + lead: their T-15m reminders fall due together.
        var creating = Stopwatch.StartNew();
        var start = DateTimeOffset.UtcNow + TimeSpan.FromMinutes(15) + lead;
        var eventOwner = new Dictionary<Guid, string>();
        for (var i = 0; i < Users * EventsPerUser; i++)
        {
            var user = users[i % Users];
            using var created = await SendAsync(http, user, HttpMethod.Post, "events", new { title = $"Replica {i}", startsAt = start.AddMilliseconds(200 * i) });
            using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
            eventOwner[body.RootElement.GetProperty("id").GetGuid()] = user;
        }
        var createdIn = creating.Elapsed;
        var expected = eventOwner.Count;
        var lastDue = start.AddMilliseconds(200 * (expected - 1)) - TimeSpan.FromMinutes(15);

        // Until every reminder is sent, or two minutes after the last fell due: a shortfall is counted below, split into
        // reminders never planned (their EventChanged planned after their time) and planned ones not sent.
        var (planned, sent) = await UntilAsync(async () => (
                Planned: await ScalarAsync(_notificationsDb, "SELECT count(*) FROM reminder_queue WHERE user_id = ANY($1)", users),
                Sent: await ScalarAsync(_notificationsDb, "SELECT count(*) FROM reminder_queue WHERE user_id = ANY($1) AND status = 'sent'", users)),
            counts => counts.Sent >= expected, lastDue + TimeSpan.FromMinutes(2));
        await UntilAsync(() => Task.FromResult(frames.Values.Sum(f => f.Count(x => Type(x.Frame) == "reminder"))), n => n >= sent,
            DateTimeOffset.UtcNow + TimeSpan.FromSeconds(60));
        var delivered = _bus.Received<ReminderDelivered>(m => eventOwner.ContainsKey(m.EventId));
        var deliveredIds = _bus.MessageIds<ReminderDelivered>(m => eventOwner.ContainsKey(m.EventId)).Distinct().Count();
        var dues = await DuesAsync(users);
        var pushes = users.SelectMany(u => frames[u].Where(f => Type(f.Frame) == "reminder")
            .Select(f => (Socket: u, EventId: f.Frame.GetProperty("eventId").GetGuid(), ReminderId: f.Frame.GetProperty("reminderId").GetGuid(), f.At))).ToList();
        var rightSocket = pushes.Count(p => eventOwner.TryGetValue(p.EventId, out var owner) && owner == p.Socket);
        var distinctPushes = pushes.Select(p => (p.Socket, p.ReminderId)).Distinct().Count();
        var lateness = Latency.Of(pushes.Where(p => dues.ContainsKey(p.ReminderId)).GroupBy(p => p.ReminderId).Select(g => g.Min(p => p.At) - dues[g.Key]).ToList());

        // Idle: every user's session last active 11 minutes ago; both Chat replicas sweep every second.
        var sessions = await ExecuteAsync(_chatDb, "UPDATE chat_sessions SET last_activity_at = now() - interval '11 minutes' WHERE user_id = ANY($1) AND status = 'active'", users);
        var endedRows = await Eventually.GetAsync(() => ScalarAsync(_chatDb, "SELECT count(*) FROM chat_sessions WHERE user_id = ANY($1) AND end_reason = 'idle'", users),
            n => n >= sessions, TimeSpan.FromSeconds(60), "every idle session ended");
        await Eventually.GetAsync(() => Task.FromResult(frames.Values.Sum(f => f.Count(x => Type(x.Frame) == "session_ended"))), n => n >= sessions,
            TimeSpan.FromSeconds(60), "every session end pushed");
        var ended = await Eventually.GetAsync(() => Task.FromResult(_bus.Received<ChatSessionEnded>(m => users.Contains(m.UserId))), m => m.Count >= sessions,
            TimeSpan.FromSeconds(60), "every ChatSessionEnded");
        var endedIds = _bus.MessageIds<ChatSessionEnded>(m => users.Contains(m.UserId)).Distinct().Count();
        var endPushes = users.Sum(u => frames[u].Count(f => Type(f.Frame) == "session_ended"));

        await stop.CancelAsync();
        foreach (var (socket, reading) in sockets)
        {
            socket.Abort();
            await reading;
            socket.Dispose();
        }

        var rows = new[]
        {
            new FaultCounts("two replicas each: reminders", expected, (int)sent, delivered.Select(m => m.ReminderId).Distinct().Count(),
                expected - delivered.Select(m => m.ReminderId).Distinct().Count(), deliveredIds - delivered.Select(m => m.ReminderId).Distinct().Count(), TimeSpan.Zero,
                $"{expected} events created through the gateway in {createdIn.TotalSeconds:0.0} s (lead {lead.TotalSeconds:0} s after a {tripTook.TotalSeconds:0.0} s timed trip); {planned} reminders planned, {sent} sent; ReminderDelivered: {delivered.Count} received under {deliveredIds} message ids")
            {
                FaultLatency = $"{lateness} late (push at the socket)",
            },
            new FaultCounts("two replicas each: socket pushes", expected, pushes.Count, rightSocket, expected - rightSocket, pushes.Count - distinctPushes, TimeSpan.Zero,
                $"{Users} sockets through the gateway; {pushes.Count} reminder frames, {rightSocket} on their own user's socket, {pushes.Count - rightSocket} on another's"),
            new FaultCounts("two replicas each: idle sweep", (int)sessions, (int)endedRows, endPushes, (int)sessions - ended.Select(e => e.SessionId).Distinct().Count(),
                endedIds - (int)sessions + (endPushes - (int)sessions), TimeSpan.Zero,
                $"{sessions} sessions made idle; {endedRows} ended as idle; ChatSessionEnded: {ended.Count} received under {endedIds} message ids; {endPushes} session_ended frames"),
        };
        foreach (var row in rows)
        {
            row.Print(output);
        }

        Assert.True(planned == expected, $"{planned} of {expected} reminders planned: the events took {createdIn.TotalSeconds:0.0} s to create, "
            + $"and a reminder planned after its time (lead {lead.TotalSeconds:0} s after a {tripTook.TotalSeconds:0.0} s timed trip) is left out");
        Assert.Equal(expected, (int)sent);
        Assert.Equal(expected, delivered.Select(m => m.ReminderId).Distinct().Count());
        Assert.Equal(expected, deliveredIds);
        Assert.Equal(expected, pushes.Count);
        Assert.Equal(expected, rightSocket);
        Assert.Equal(Users, (int)sessions);
        Assert.Equal(sessions, endedRows);
        Assert.Equal(Users, endedIds);
        Assert.Equal(Users, ended.Select(e => e.SessionId).Distinct().Count());
        Assert.Equal(Users, endPushes);
    }

    /// <summary>
    /// From the first event created to its T-15m reminder falling due: room for the events' requests and trips, one after
    /// another (a run at load ~20: a 17.6 s trip, 20.7 s of requests), with room to spare (at least 20 s, at most 4 min).
    /// </summary>
    internal static TimeSpan LeadFor(TimeSpan trip)
    {
        var lead = TimeSpan.FromSeconds(20) + (trip * 4);
        return lead < TimeSpan.FromMinutes(4) ? lead : TimeSpan.FromMinutes(4);
    }

    /// <summary>Polls until <paramref name="done"/> or <paramref name="deadline"/>; returns the last value either way, for the counts.</summary>
    private static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, DateTimeOffset deadline)
    {
        while (true)
        {
            var value = await probe();
            if (done(value) || DateTimeOffset.UtcNow > deadline)
            {
                return value;
            }
            await Task.Delay(100);
        }
    }

    private static string? Type(JsonElement frame) => frame.TryGetProperty("type", out var type) ? type.GetString() : null;

    private static async Task ReadAsync(ClientWebSocket socket, ConcurrentQueue<(JsonElement, DateTimeOffset)> frames, CancellationToken stop)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (!stop.IsCancellationRequested)
            {
                using var message = new MemoryStream();
                WebSocketReceiveResult received;
                do
                {
                    received = await socket.ReceiveAsync(buffer, stop);
                    message.Write(buffer, 0, received.Count);
                }
                while (!received.EndOfMessage);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }
                frames.Enqueue((JsonDocument.Parse(message.ToArray()).RootElement.Clone(), DateTimeOffset.UtcNow));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
    }

    private async Task<Dictionary<Guid, DateTimeOffset>> DuesAsync(string[] users)
    {
        await using var connection = new NpgsqlConnection(_notificationsDb.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id, due_at FROM reminder_queue WHERE user_id = ANY($1)", connection) { Parameters = { new() { Value = users } } };
        var dues = new Dictionary<Guid, DateTimeOffset>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            dues[reader.GetGuid(0)] = reader.GetFieldValue<DateTimeOffset>(1);
        }
        return dues;
    }

    private sealed record SocketTicket(string Ticket);

    private static Task<long> ScalarAsync(TestDatabase database, string sql, string[] users) => UsersSql.ScalarAsync(database.ConnectionString, sql, users);

    private static Task<long> ExecuteAsync(TestDatabase database, string sql, string[] users) => UsersSql.ExecuteAsync(database.ConnectionString, sql, users);

    private static Task<HttpResponseMessage> SendAsync(HttpClient http, string user, HttpMethod method, string url, object body) =>
        http.SendAsUserAsync(user, method, url, body);

    public async Task DisposeAsync()
    {
        foreach (var process in Enumerable.Reverse(_processes))
        {
            process.Dispose();
        }
        foreach (var resource in _resources)
        {
            await resource.DisposeAsync();
        }
    }

    public void Dispose()
    {
        foreach (var process in _processes)
        {
            process.Dispose();
        }
    }
}
