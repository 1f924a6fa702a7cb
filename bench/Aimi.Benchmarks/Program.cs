using System.Net.Http.Json;
using System.Text.Json;
using Aimi.Benchmarks;

BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(BenchmarkOptions.Usage);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

// Without --url, the system runs from the AppHost in ephemeral mode, like the end-to-end tests, and is removed afterwards.
BenchmarkSystem? system = null;
try
{
    Uri gatewayUrl;
    string? postgres;
    if (options.Url is { } url)
    {
        gatewayUrl = url;
        postgres = options.Postgres;
    }
    else
    {
        Console.WriteLine("Starting the system: the AppHost in ephemeral mode (Aspire testing builder, no dashboard)…");
        system = await BenchmarkSystem.StartAsync(TimeSpan.FromMinutes(4), cancel.Token);
        gatewayUrl = system.Gateway;
        postgres = system.Postgres;
    }

    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
    {
        BaseAddress = gatewayUrl,
        Timeout = TimeSpan.FromSeconds(30),
    };
    var run = Guid.NewGuid().ToString("N")[..8];
    var subjects = Enumerable.Range(1, options.Users).Select(i => $"bench-{run}-{i}").ToList();
    var tokens = new List<string>();
    foreach (var subject in subjects)
    {
        tokens.Add(await DevTokenAsync(http, subject, cancel.Token));
    }

    return options.Scenario == BenchmarkOptions.Chat
        ? await ChatAsync(http, gatewayUrl, tokens, cancel.Token)
        : await EventsAsync(http, gatewayUrl, postgres, tokens, cancel.Token);
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("Benchmark cancelled.");
    return 130;
}
catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TimeoutException or System.Net.WebSockets.WebSocketException)
{
    Console.Error.WriteLine($"Benchmark failed: {e.Message}");
    return 1;
}
finally
{
    if (system is not null)
    {
        await system.DisposeAsync();
    }
}

async Task<int> EventsAsync(HttpClient http, Uri gatewayUrl, string? postgres, List<string> tokens, CancellationToken cancellationToken)
{
    if (options.Warmup > TimeSpan.Zero)
    {
        Console.WriteLine($"Warming up for {options.Warmup.TotalSeconds:0} s (not measured)…");
        await new LoadRun(http, options with { Duration = options.Warmup }, tokens).RunAsync(cancellationToken);
        await SettleAsync(cancellationToken);
    }
    await IdleAsync(cancellationToken);

    Console.WriteLine($"POST {gatewayUrl}events at {options.Rate:0.#}/s for {options.Duration.TotalSeconds:0} s as {options.Users} users, at most {options.Concurrency} in flight…");
    var load = new LoadRun(http, options, tokens);
    var ledger = postgres is null ? null : new DeliveryLedger(postgres);
    var statements = system is null ? null : await StatementStats.StartAsync(system.Postgres, cancellationToken);
    var cpu = ProcessCpu.Available ? ProcessCpu.Start(options.Url is null) : null;
    // The outbox rows of this run's events are among those written from here on (a second's margin for the clocks of the processes).
    var since = DateTimeOffset.UtcNow.AddSeconds(-1);
    await load.RunAsync(cancellationToken);

    // Give the outbox a moment to deliver what was committed last, and the consumers to handle it and plan its reminders: a consumer
    // running behind keeps the window open, so its work for these events counts in it.
    IReadOnlyList<EventDelivery> deliveries = [];
    if (ledger is not null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            await Task.Delay(250, cancellationToken);
            deliveries = await ledger.ReadAsync(load.Created.Keys, since, cancellationToken);
        }
        while (deliveries.Count(d => d.Complete) < load.Created.Count && DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested);
    }

    // The window closes when every created event's consumers had their chance: the delay above, plus a settle second.
    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
    var used = cpu?.Stop();
    var latencies = load.LatenciesMs.Order().ToArray();
    var handled = deliveries.Where(d => d.HandledAt is not null).Select(d => (d.HandledAt!.Value - d.CommittedAt).TotalMilliseconds).Order().ToArray();
    var planning = deliveries.Where(d => d.PlannedAt is not null).Select(d => (d.PlannedAt!.Value - d.CommittedAt).TotalMilliseconds).Order().ToArray();
    Console.WriteLine();
    Console.WriteLine($"requests   {latencies.Length} in {load.Elapsed.TotalSeconds:0.0} s = {latencies.Length / load.Elapsed.TotalSeconds:0.0}/s (target {options.Rate:0.#}/s)");
    Console.WriteLine($"outcomes   {string.Join(", ", load.Outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key}: {o.Value}"))}");
    Console.WriteLine($"latency    {Percentiles(latencies)}   (from each request's scheduled time)");
    if (ledger is null)
    {
        Console.WriteLine("outbox     not checked (give --postgres with --url)");
    }
    else
    {
        Console.WriteLine($"outbox     {handled.Length}/{load.Created.Count} created events' EventChanged handled by Notifications and Memory; from the commit to the later of the two {Percentiles(handled, p90: false)}");
        Console.WriteLine($"planned    {planning.Length}/{load.Created.Count} created events recorded as scheduled in Goals (RemindersScheduled handled); from the commit {Percentiles(planning, p90: false)}");
    }
    if (used is var (byRole, machineMs, _))
    {
        foreach (var line in ProcessCpu.Table(byRole, machineMs, load.Created.Count, "event"))
        {
            Console.WriteLine(line);
        }
    }
    await PrintStatementsAsync(statements, used?.ByProcess, load.Created.Count, "event", cancellationToken);
    return load.Created.Count == latencies.Length && (ledger is null || deliveries.Count(d => d.Complete) == load.Created.Count) ? 0 : 1;
}

async Task<int> ChatAsync(HttpClient http, Uri gatewayUrl, List<string> tokens, CancellationToken cancellationToken)
{
    await using var chat = await ChatLoadRun.ConnectAsync(http, options, tokens, cancellationToken);
    var drain = TimeSpan.FromSeconds(30);
    if (options.Warmup > TimeSpan.Zero)
    {
        Console.WriteLine($"Warming up for {options.Warmup.TotalSeconds:0} s (not measured)…");
        await chat.RunAsync("warmup", options.Warmup, drain, cancellationToken);
        // A cold start shows here. Chat's deadline for Memory's context (MemoryClient.Deadline): a reply later than that mostly went without it.
        const double ContextDeadlineMs = 1500;
        var warm = chat.Samples("warmup").ToList();
        var warmReplies = SortedReplies(warm);
        var warmStart = warm.Select(s => s.DueMs).DefaultIfEmpty(0).Min();
        var late = warm.Where(s => s.ReplyMs > ContextDeadlineMs).Select(s => (int)((s.DueMs - warmStart) / 1000)).ToList();
        Console.WriteLine($"warm-up    {warm.Count} sent, {warmReplies.Length} replies: {Percentiles(warmReplies)}; {late.Count} after more than {ContextDeadlineMs / 1000:0.#} s"
            + (late.Count == 0 ? "" : $" (sent in seconds {late.Min()}–{late.Max()} of the warm-up)"));
        await SettleAsync(cancellationToken);
    }

    await IdleAsync(cancellationToken);
    Console.WriteLine($"WebSocket {gatewayUrl}ws/chat: {options.Rate:0.#} messages/s for {options.Duration.TotalSeconds:0} s over {options.Users} users (one socket each, at most {options.MostFramesPerSocketMinute} messages a minute per socket)…");
    var statements = system is null ? null : await StatementStats.StartAsync(system.Postgres, cancellationToken);
    var cpu = ProcessCpu.Available ? ProcessCpu.Start(options.Url is null) : null;
    var sent = await chat.RunAsync("measured", options.Duration, drain, cancellationToken);
    // What each turn leaves to the consumers (Memory's episodes, classifications) finishes within a couple of seconds.
    await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
    var used = cpu?.Stop();

    var samples = chat.Samples("measured").ToList();
    var accepted = samples.Where(s => s.AckMs is not null).Select(s => s.AckMs!.Value).Order().ToArray();
    var replied = SortedReplies(samples);
    var errors = samples.Where(s => s.Error is not null).GroupBy(s => s.Error!).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}").ToList();
    var replyWindow = samples.Where(s => s.ReplyMs is not null).Select(s => s.DueMs + s.ReplyMs!.Value).DefaultIfEmpty(0).Max()
        - samples.Select(s => s.DueMs).DefaultIfEmpty(0).Min();
    Console.WriteLine();
    Console.WriteLine($"messages   {samples.Count} sent in {sent.TotalSeconds:0.0} s = {samples.Count / sent.TotalSeconds:0.0}/s (target {options.Rate:0.#}/s); {replied.Length} replies in {replyWindow / 1000:0.0} s = {replied.Length / (replyWindow / 1000):0.0}/s");
    Console.WriteLine($"errors     {(errors.Count == 0 ? "none" : string.Join(", ", errors))}");
    Console.WriteLine($"accept     {Percentiles(accepted)}   (ack frame, from each message's scheduled time)");
    Console.WriteLine($"reply      {Percentiles(replied)}   (reply frame, from each message's scheduled time)");
    foreach (var group in samples.Where(s => s.ReplyMs is not null).GroupBy(s => s.OpenedSession ? "new session" : s.Kind).OrderBy(g => g.Key))
    {
        Console.WriteLine($"  {group.Key,-12} {group.Count(),5}  accept {Percentiles(group.Where(s => s.AckMs is not null).Select(s => s.AckMs!.Value).Order().ToArray(), p90: false)}");
        Console.WriteLine($"  {"",-12} {"",5}  reply  {Percentiles(group.Select(s => s.ReplyMs!.Value).Order().ToArray(), p90: false)}");
    }
    // Slow messages bunched in a few seconds point at a stall (GC, CPU, a burst of session starts), spread out at a slow path.
    var start = samples.Select(s => s.DueMs).DefaultIfEmpty(0).Min();
    var slowSeconds = samples.Where(s => s.AckMs > 100).GroupBy(s => (int)((s.DueMs - start) / 1000)).OrderBy(g => g.Key)
        .Select(g => $"{g.Key}s:{g.Count()}×≤{g.Max(s => s.AckMs!.Value):0}ms").ToList();
    Console.WriteLine($"slow acks  {(slowSeconds.Count == 0 ? "none over 100 ms" : $"over 100 ms by second of the run: {string.Join(" ", slowSeconds)}")}");
    if (used is var (byRole, machineMs, _))
    {
        foreach (var line in ProcessCpu.Table(byRole, machineMs, samples.Count, "turn"))
        {
            Console.WriteLine(line);
        }
    }
    await PrintStatementsAsync(statements, used?.ByProcess, samples.Count, "turn", cancellationToken);
    Console.WriteLine($"other      {string.Join(", ", chat.Unmatched.OrderBy(u => u.Key).Select(u => $"{u.Key}: {u.Value}").DefaultIfEmpty("none"))}");
    if (chat.ClosedSockets.ToList() is { Count: > 0 } closed)
    {
        Console.WriteLine($"closed     {closed.Count} sockets: {string.Join("; ", closed.Distinct())}");
    }
    return errors.Count == 0 && replied.Length == samples.Count ? 0 : 1;
}

// Waits for what the warm-up left queued to be done. A cold start under load falls behind (everything still being compiled,
// pools growing) and works off its backlog for tens of seconds after the warm-up ends; measured from the warm-up's end, the
// chat scenario at 12/s charged that backlog to the measured turns (160-180 ms of machine CPU a turn against 80-92 settled).
async Task SettleAsync(CancellationToken cancellationToken)
{
    if (!ProcessCpu.Available)
    {
        return;
    }
    // Quiet: under 30% of the machine busy over a window (the idle system uses about 9% of two cores).
    const double quiet = 0.3;
    var window = TimeSpan.FromSeconds(2);
    var waited = System.Diagnostics.Stopwatch.StartNew();
    double busy;
    do
    {
        var before = ProcessCpu.MachineBusy();
        await Task.Delay(window, cancellationToken);
        busy = (ProcessCpu.MachineBusy() - before) / (window * Environment.ProcessorCount);
    }
    while (busy > quiet && waited.Elapsed < TimeSpan.FromSeconds(90));
    Console.WriteLine($"{(busy > quiet ? "not quiet" : "settled  ")}  {waited.Elapsed.TotalSeconds:0} s after the warm-up ({busy:0%} of the machine over the last {window.TotalSeconds:0} s)");
}

static double[] SortedReplies(IEnumerable<ChatSample> samples) =>
    samples.Where(s => s.ReplyMs is not null).Select(s => s.ReplyMs!.Value).Order().ToArray();

// What the system costs doing nothing (after the warm-up: JIT and pools settled), per second of idleness.
async Task IdleAsync(CancellationToken cancellationToken)
{
    if (options.Idle <= TimeSpan.Zero || !ProcessCpu.Available)
    {
        return;
    }
    // After the settle (under 30% busy), 15 s more: idle is measured at about 9%, so the consumers' last work must be done.
    Console.WriteLine($"Idle for {options.Idle.TotalSeconds:0} s (nothing sent), after 15 s more for the warm-up's last messages…");
    await Task.Delay(TimeSpan.FromSeconds(15), cancellationToken);
    var cpu = ProcessCpu.Start(options.Url is null);
    await Task.Delay(options.Idle, cancellationToken);
    var (byRole, machineMs, _) = cpu.Stop();
    foreach (var line in ProcessCpu.Table(byRole, machineMs, (int)Math.Round(options.Idle.TotalSeconds), "idle second"))
    {
        Console.WriteLine(line);
    }
}

// Only when the benchmark started the system: a running one (--url) may not have pg_stat_statements loaded.
static async Task PrintStatementsAsync(StatementStats? statements, IReadOnlyDictionary<int, double>? cpuByProcess, int operations, string operation,
    CancellationToken cancellationToken)
{
    if (statements is null)
    {
        return;
    }
    foreach (var line in await statements.StopAsync(operations, operation, cpuByProcess, cancellationToken))
    {
        Console.WriteLine(line);
    }
}

// The gateway limits anonymous callers (these token requests) per IP, so a run with many users waits its turn.
static async Task<string> DevTokenAsync(HttpClient http, string subject, CancellationToken cancellationToken)
{
    for (var attempt = 1; ; attempt++)
    {
        try
        {
            using var response = await http.PostAsJsonAsync(new Uri("/auth/dev-token", UriKind.Relative), new { subject }, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.IsSuccessStatusCode)
            {
                return JsonDocument.Parse(body).RootElement.GetProperty("accessToken").GetString()!;
            }
            throw new HttpRequestException($"POST /auth/dev-token answered {(int)response.StatusCode}: {body}", null, response.StatusCode);
        }
        catch (HttpRequestException e) when (e.StatusCode == System.Net.HttpStatusCode.TooManyRequests && attempt < 20)
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }
}

static string Percentiles(double[] sorted, bool p90 = true)
{
    if (sorted.Length == 0)
    {
        return "n/a";
    }
    double At(double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
    return p90
        ? $"p50 {At(0.50):0.0} ms  p90 {At(0.90):0.0} ms  p99 {At(0.99):0.0} ms  max {sorted[^1]:0.0} ms"
        : $"p50 {At(0.50):0.0} ms  p99 {At(0.99):0.0} ms  max {sorted[^1]:0.0} ms";
}
