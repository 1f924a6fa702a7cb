using System.Diagnostics;
using System.Globalization;
using Aimi.Infrastructure;
using Aimi.Notifications.Benchmarks;
using Npgsql;

// Usage: dotnet run -c Release --project bench/Aimi.Notifications.Benchmarks [-- --reminders 100000 --users 10000 --spread 180 --burst 5000 --backlog 20000]
var settings = Args.Parse(args);
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
var ct = cancel.Token;

var configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/'))) ?? "Release";
var assembly = Path.Combine(RepositoryRoot.Find(), "services", "Notifications", "bin", configuration, "net10.0", "Aimi.Notifications.Api.dll");
if (!File.Exists(assembly))
{
    Console.Error.WriteLine($"Build the service first: {assembly} is missing.");
    return 2;
}

await LocalInfrastructure.EnsureAsync(ct);
var name = $"bench_notify_{Guid.NewGuid():N}"[..24];
var database = await LocalInfrastructure.EnsureDatabaseAsync(name, ct);
var amqp = await LocalInfrastructure.EnsureVirtualHostAsync(name, ct);
Console.WriteLine($"Database {name}, two replicas of {Path.GetFileName(assembly)} ({configuration}); {Environment.ProcessorCount} cores shared with PostgreSQL and RabbitMQ.");

var replicas = new List<Replica>();
try
{
    async Task StartReplicasAsync()
    {
        replicas.Clear();
        // One after the other: two replicas creating the EF history table at the same moment race (see the report).
        replicas.Add(await Replica.StartAsync("a", assembly, settings.Port, database, amqp, ct));
        replicas.Add(await Replica.StartAsync("b", assembly, settings.Port + 1, database, amqp, ct));
    }
    await StartReplicasAsync();
    await using var probe = await ArrivalProbe.StartAsync(amqp, ct);
    await using var db = NpgsqlDataSource.Create(database);
    var queue = new QueueTable(db);

    // 1. Steady state: 100k reminders of 10k users, due spread over the next `spread` seconds.
    // The first ones fall due well after the insert committed (100k rows take seconds here), or they would start late.
    var steadyStart = DateTimeOffset.UtcNow.AddSeconds(30);
    var inserting = Stopwatch.StartNew();
    var steady = await queue.InsertAsync("steady", settings.Reminders, settings.Users, steadyStart, TimeSpan.FromSeconds(settings.Spread), ct);
    Console.WriteLine($"Queued {settings.Reminders:N0} reminders for {settings.Users:N0} users in {inserting.Elapsed.TotalSeconds:0.0} s, due from +30 s over {settings.Spread} s.");
    var steadyDone = await queue.WaitUntilSentAsync("steady", settings.Reminders, steadyStart + TimeSpan.FromSeconds(settings.Spread) + TimeSpan.FromSeconds(120), ct);
    Report("steady", await queue.LatenessAsync("steady", ct), steadyDone);
    await ReportArrivalsAsync("steady", ct);

    // 2. Burst: 5k due in the same second.
    var burstAt = DateTimeOffset.UtcNow.AddSeconds(10);
    await queue.InsertAsync("burst", settings.Burst, settings.Users, burstAt, TimeSpan.Zero, ct);
    var burstDone = await queue.WaitUntilSentAsync("burst", settings.Burst, burstAt.AddSeconds(120), ct);
    var burstLateness = await queue.LatenessAsync("burst", ct);
    Report("burst", burstLateness, burstDone);
    await ReportArrivalsAsync("burst", ct);
    Console.WriteLine($"  burst: all {settings.Burst:N0} sent {burstLateness.Max / 1000:0.00} s after their due time (target ≤ 10 s)");

    // 3. Catch-up: both replicas down; what fell due in the last 5 minutes waits; then they come back.
    foreach (var replica in replicas)
    {
        await replica.KillAsync();
    }
    await queue.InsertAsync("backlog", settings.Backlog, settings.Users, DateTimeOffset.UtcNow.AddMinutes(-5), TimeSpan.FromMinutes(5), ct);
    var restart = Stopwatch.StartNew();
    replicas.Clear();
    replicas.Add(await Replica.StartAsync("a", assembly, settings.Port, database, amqp, ct));
    var firstHealthy = restart.Elapsed;
    var second = Replica.StartAsync("b", assembly, settings.Port + 1, database, amqp, ct);
    await queue.WaitUntilSentAsync("backlog", settings.Backlog, DateTimeOffset.UtcNow.AddMinutes(5), ct);
    var cleared = restart.Elapsed;
    replicas.Add(await second);
    var backlog = await queue.LatenessAsync("backlog", ct);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  catch-up: {backlog.Count:N0} reminders that fell due during 5 min of downtime cleared {(cleared - firstHealthy).TotalSeconds:0.0} s after the first replica was healthy "
        + $"({cleared.TotalSeconds:0.0} s after the restart began, process start included; target ≤ 30 s)"));

    // 4. Duplicates: more than one sent log or more than one ReminderDelivered per reminder.
    var (duplicateLogs, duplicateEvents, sentBy) = await queue.DuplicatesAsync(ct);
    var arrivedTwice = probe.Arrivals.Values.Count(a => a.Count > 1);
    Console.WriteLine($"  duplicates: {duplicateLogs} reminder(s) sent twice, {duplicateEvents} with two ReminderDelivered in the outbox, {arrivedTwice} arrived twice on the bus (target 0); total {steady + settings.Burst + settings.Backlog:N0}");
    Console.WriteLine($"  shared between replicas: {sentBy}");
    return duplicateLogs + duplicateEvents + arrivedTwice == 0 ? 0 : 1;

    // In-app delivery is the event reaching the broker's consumers: measured here, after the outbox relay.
    async Task ReportArrivalsAsync(string scenario, CancellationToken token)
    {
        var due = await queue.DueTimesAsync(scenario, token);
        var deadline = DateTimeOffset.UtcNow.AddMinutes(3);
        while (due.Keys.Count(probe.Arrivals.ContainsKey) < due.Count && DateTimeOffset.UtcNow < deadline)
        {
            await Task.Delay(250, token);
        }
        var lateness = due.Where(d => probe.Arrivals.ContainsKey(d.Key))
            .Select(d => (probe.Arrivals[d.Key].Arrived - d.Value).TotalMilliseconds).Order().ToList();
        if (lateness.Count == 0)
        {
            Console.WriteLine($"  {scenario}: no ReminderDelivered arrived on the bus");
            return;
        }
        double At(double q) => lateness[(int)Math.Min(lateness.Count - 1, Math.Ceiling(q * lateness.Count) - 1)];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {scenario} on the bus: {lateness.Count:N0} of {due.Count:N0} ReminderDelivered arrived; lateness p50 {At(0.5):0} ms, p99 {At(0.99):0} ms, max {lateness[^1]:0} ms"));
    }
}
finally
{
    foreach (var replica in replicas)
    {
        await replica.DisposeAsync();
    }
    await LocalInfrastructure.DeleteVirtualHostAsync(name);
    await LocalInfrastructure.DropDatabaseAsync(name);
}

static void Report(string scenario, Lateness l, TimeSpan waited) =>
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  {scenario}: {l.Count:N0} sent; lateness p50 {l.P50:0} ms, p99 {l.P99:0} ms, max {l.Max:0} ms, early {l.Early} (target p99 ≤ 1000 ms); waited {waited.TotalSeconds:0.0} s"));

internal sealed record Args(int Reminders, int Users, int Spread, int Burst, int Backlog, int Port)
{
    public static Args Parse(string[] args)
    {
        int Get(string name, int fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        }
        return new Args(Get("--reminders", 100_000), Get("--users", 10_000), Get("--spread", 180), Get("--burst", 5_000), Get("--backlog", 20_000), Get("--port", 18_400));
    }
}
