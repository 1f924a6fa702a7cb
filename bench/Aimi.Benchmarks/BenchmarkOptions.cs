using System.Globalization;

namespace Aimi.Benchmarks;

/// <summary><c>[--scenario events|chat] [--rate N] [--duration SECONDS] [--warmup SECONDS] [--concurrency N] [--users N] [--url GATEWAY] [--postgres CONNECTION-STRING]</c>.</summary>
public sealed record BenchmarkOptions(
    string Scenario, double Rate, TimeSpan Duration, TimeSpan Warmup, int Concurrency, int Users, Uri? Url, string? Postgres, TimeSpan Idle = default)
{
    public const string Events = "events";
    public const string Chat = "chat";

    /// <summary>The chat service answers at most this many messages a minute per user (Chat:Limits:TurnsPerMinute).</summary>
    public const int TurnsPerUserMinute = 20;

    public const string Usage = """
        Usage: dotnet run -c Release --project bench/Aimi.Benchmarks -- [options]
          --scenario NAME      events (default): POST /events; chat: chat messages over WebSockets with the local model
          --rate N             requests (events) or messages (chat) per second, sent on a fixed schedule (default 100 events, 50 chat)
          --duration SECONDS   how long to send (default 30)
          --warmup SECONDS     send at the same rate for this long first, not measured (JIT, connection pools; default 5, 0 = none)
          --concurrency N      events: most requests in flight; later ones wait and their wait counts as latency (default 64)
          --users N            spread the load round-robin over N users, each with its own token (default 10 events, 150 chat):
                               the gateway limits each user to 20 requests/s, and chat has one socket per user, and the chat
                               service answers at most 20 messages a minute per user (the run refuses a rate/users mix above);
                               a session ends at 30 stored messages (15 exchanges), so with fewer users (e.g. 100) every
                               session rolls over inside the measured window and session starts show in the figures
          --idle SECONDS       after the warm-up, measure the CPU of the idle system for this long first (default 0 = not)
          --url URL            a running gateway, e.g. http://localhost:8080 (default: start the system from the AppHost in ephemeral mode)
          --postgres STRING    with --url, events: a connection string of the services' PostgreSQL server (a role that reads goalsdb,
                               notificationsdb and memorydb), to check that every created event was handled and planned;
                               without it only the requests are measured
        """;

    public static BenchmarkOptions Parse(IReadOnlyList<string> args)
    {
        var scenarioAt = args.ToList().IndexOf("--scenario");
        var scenario = scenarioAt < 0 ? Events
            : scenarioAt + 1 < args.Count && args[scenarioAt + 1] is Events or Chat ? args[scenarioAt + 1]
            : throw new ArgumentException($"--scenario must be '{Events}' or '{Chat}'.");
        var options = scenario == Chat
            ? new BenchmarkOptions(Chat, 50, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), 64, 150, null, null)
            : new BenchmarkOptions(Events, 100, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), 64, 10, null, null);
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => ++i < args.Count ? args[i] : throw new ArgumentException($"{name} needs a value.");
            options = name switch
            {
                "--scenario" => options with { Scenario = Value() },
                "--rate" => options with { Rate = Positive(name, Value()) },
                "--duration" => options with { Duration = TimeSpan.FromSeconds(Positive(name, Value())) },
                "--warmup" => options with { Warmup = TimeSpan.FromSeconds(NonNegative(name, Value())) },
                "--idle" => options with { Idle = TimeSpan.FromSeconds(NonNegative(name, Value())) },
                "--concurrency" => options with { Concurrency = (int)Positive(name, Value()) },
                "--users" => options with { Users = (int)Positive(name, Value()) },
                "--url" => options with
                {
                    Url = Uri.TryCreate(Value(), UriKind.Absolute, out var url) ? url : throw new ArgumentException($"--url '{args[i]}' is not an absolute URL."),
                },
                "--postgres" => options with { Postgres = Value() },
                _ => throw new ArgumentException($"Unknown argument '{name}'."),
            };
        }
        if (options.Scenario == Chat && options.MostFramesPerSocketMinute > TurnsPerUserMinute - 2)
        {
            throw new ArgumentException(
                $"{options.Rate:0.#} messages/s over {options.Users} sockets is up to {options.MostFramesPerSocketMinute} messages a minute for one user; " +
                $"the chat service answers at most {TurnsPerUserMinute}. Use more --users.");
        }
        return options;
    }

    /// <summary>Chat: the most messages one socket carries in any minute of warm-up plus measurement (round-robin, one socket per user).</summary>
    public int MostFramesPerSocketMinute =>
        (int)Math.Ceiling(Rate * Math.Min(60, (Warmup + Duration).TotalSeconds) / Users);

    private static double NonNegative(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new ArgumentException($"{name} '{text}' must be zero or a positive number.");

    private static double Positive(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"{name} '{text}' must be a positive number.");
}
