using System.Globalization;

namespace Aimi.Benchmarks;

/// <summary><c>[--rate N] [--duration SECONDS] [--warmup SECONDS] [--concurrency N] [--users N] [--url GATEWAY] [--rabbitmq AMQP-URI]</c>.</summary>
public sealed record BenchmarkOptions(double Rate, TimeSpan Duration, TimeSpan Warmup, int Concurrency, int Users, Uri? Url, string? RabbitMq)
{
    public const string Usage = """
        Usage: dotnet run -c Release --project bench/Aimi.Benchmarks -- [options]
          --rate N             create-event requests per second, sent on a fixed schedule (default 100)
          --duration SECONDS   how long to send (default 30)
          --warmup SECONDS     send at the same rate for this long first, not measured (JIT, connection pools; default 5, 0 = none)
          --concurrency N      most requests in flight; later ones wait and their wait counts as latency (default 64)
          --users N            spread requests round-robin over N users, each with its own token (default 10): the
                               gateway limits each user to 20 requests/s, and a single user would measure that limit
          --url URL            a running gateway (default: start the system with the AppHost on its own instance)
          --rabbitmq URI       with --url: the broker's amqp:// URI including the virtual host (default amqp://guest:guest@localhost:5672/aimi)
        """;

    public static BenchmarkOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchmarkOptions(100, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), 64, 10, null, null);
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => ++i < args.Count ? args[i] : throw new ArgumentException($"{name} needs a value.");
            options = name switch
            {
                "--rate" => options with { Rate = Positive(name, Value()) },
                "--duration" => options with { Duration = TimeSpan.FromSeconds(Positive(name, Value())) },
                "--warmup" => options with { Warmup = TimeSpan.FromSeconds(NonNegative(name, Value())) },
                "--concurrency" => options with { Concurrency = (int)Positive(name, Value()) },
                "--users" => options with { Users = (int)Positive(name, Value()) },
                "--url" => options with
                {
                    Url = Uri.TryCreate(Value(), UriKind.Absolute, out var url) ? url : throw new ArgumentException($"--url '{args[i]}' is not an absolute URL."),
                },
                "--rabbitmq" => options with { RabbitMq = Value() },
                _ => throw new ArgumentException($"Unknown argument '{name}'."),
            };
        }
        return options;
    }

    private static double NonNegative(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new ArgumentException($"{name} '{text}' must be zero or a positive number.");

    private static double Positive(string name, string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : throw new ArgumentException($"{name} '{text}' must be a positive number.");
}
