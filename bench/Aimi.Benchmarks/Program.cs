using Aimi.AppHost.Hosting;
using Aimi.Infrastructure;
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

// Without --url, the system runs on its own instance and ports, like the end-to-end tests, and is removed afterwards.
LaunchOptions? instance = null;
AppHostProcess? system = null;
try
{
    Uri gatewayUrl;
    string amqp;
    if (options.Url is { } url)
    {
        gatewayUrl = url;
        amqp = options.RabbitMq ?? $"{LocalInfrastructure.RabbitMq.TrimEnd('/')}/{LaunchOptions.DefaultVirtualHost}";
    }
    else
    {
        string[] arguments = ["up", "--port-base", "18200", "--gateway-port", "18280", "--instance", $"bench{Guid.NewGuid():N}"[..13]];
        instance = LaunchOptions.Parse(arguments);
        Console.WriteLine($"Starting the system: dotnet {AppHostProcess.AssemblyPath} {string.Join(' ', arguments)}");
        system = await AppHostProcess.StartAsync(arguments, TimeSpan.FromMinutes(4));
        gatewayUrl = system.Gateway;
        amqp = system.RabbitMqConnectionString;
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
        tokens.Add(await GatewayDevTokens.RequestAsync(http, subject, cancel.Token));
    }
    await using var probe = await OutboxProbe.StartAsync(amqp, subjects.ToHashSet());

    if (options.Warmup > TimeSpan.Zero)
    {
        Console.WriteLine($"Warming up for {options.Warmup.TotalSeconds:0} s (not measured)…");
        await new LoadRun(http, options with { Duration = options.Warmup }, tokens).RunAsync(cancel.Token);
    }
    // Measure only events created from here on.
    probe.DelaysMs.Clear();

    Console.WriteLine($"POST {gatewayUrl}events at {options.Rate:0.#}/s for {options.Duration.TotalSeconds:0} s as {options.Users} users, at most {options.Concurrency} in flight…");
    var load = new LoadRun(http, options, tokens);
    await load.RunAsync(cancel.Token);

    // Give the outbox a moment to deliver what was committed last.
    var deadline = DateTime.UtcNow.AddSeconds(15);
    while (load.Created.Keys.Any(id => !probe.DelaysMs.ContainsKey(id)) && DateTime.UtcNow < deadline && !cancel.IsCancellationRequested)
    {
        await Task.Delay(100);
    }

    var latencies = load.LatenciesMs.Order().ToArray();
    var delays = load.Created.Keys.Where(probe.DelaysMs.ContainsKey).Select(id => probe.DelaysMs[id]).Order().ToArray();
    Console.WriteLine();
    Console.WriteLine($"requests   {latencies.Length} in {load.Elapsed.TotalSeconds:0.0} s = {latencies.Length / load.Elapsed.TotalSeconds:0.0}/s (target {options.Rate:0.#}/s)");
    Console.WriteLine($"outcomes   {string.Join(", ", load.Outcomes.OrderBy(o => o.Key).Select(o => $"{o.Key}: {o.Value}"))}");
    Console.WriteLine($"latency    {Percentiles(latencies)}   (from each request's scheduled time)");
    Console.WriteLine($"outbox     {delays.Length}/{load.Created.Count} created events arrived as EventChanged; delay {Percentiles(delays, p90: false)}");
    return load.Created.Count == latencies.Length && delays.Length == load.Created.Count ? 0 : 1;
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("Benchmark cancelled.");
    return 130;
}
catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TimeoutException)
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
    if (instance is not null)
    {
        await AppHostProcess.DeleteInstanceDataAsync(instance);
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
