using System.Globalization;
using System.Text.RegularExpressions;

namespace Aimi.AppHost.Hosting;

/// <summary>The command line of the AppHost: <c>[up] [--port-base N] [--gateway-port N] [--instance NAME] [--health-timeout SECONDS] [--plain]</c>.</summary>
public sealed partial record LaunchOptions(
    string Command,
    int PortBase,
    int GatewayPort,
    string? Instance,
    TimeSpan HealthTimeout,
    bool Plain)
{
    public const int DefaultPortBase = 8100;
    public const int DefaultGatewayPort = 8080;
    public const string DefaultVirtualHost = "aimi";

    public static LaunchOptions Default { get; } = new("up", DefaultPortBase, DefaultGatewayPort, null, TimeSpan.FromSeconds(90), Plain: false);

    public const string Usage = """
        Usage: dotnet run --project Aimi.AppHost -- [up] [options]
          up                       start infrastructure and every service (default)
          --port-base N            services listen on N+1, N+2, ... in topology order (default 8100)
          --gateway-port N         the gateway's port (default 8080)
          --instance NAME          prefix database names and the RabbitMQ virtual host (lowercase letters, digits, '-'),
                                   so a test instance never touches the developer's data
          --health-timeout SECONDS how long to wait for each service's /health (default 90)
          --plain                  plain prefixed log lines instead of the live status table
        """;

    /// <summary>Parses the arguments; an <see cref="ArgumentException"/> carries a message meant for the user.</summary>
    public static LaunchOptions Parse(IReadOnlyList<string> args)
    {
        var options = Default;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            switch (arg)
            {
                case "up" when i == 0:
                    break;
                case "help" when i == 0:
                case "--help":
                case "-h":
                    options = options with { Command = "help" };
                    break;
                case "--port-base":
                    options = options with { PortBase = Port(arg, Value(args, ref i)) };
                    break;
                case "--gateway-port":
                    options = options with { GatewayPort = Port(arg, Value(args, ref i)) };
                    break;
                case "--instance":
                    var instance = Value(args, ref i);
                    options = InstanceName().IsMatch(instance)
                        ? options with { Instance = instance }
                        : throw new ArgumentException($"--instance '{instance}': use 1-30 lowercase letters, digits or '-', starting with a letter.");
                    break;
                case "--health-timeout":
                    var text = Value(args, ref i);
                    options = int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0
                        ? options with { HealthTimeout = TimeSpan.FromSeconds(seconds) }
                        : throw new ArgumentException($"--health-timeout '{text}' is not a positive number of seconds.");
                    break;
                case "--plain":
                    options = options with { Plain = true };
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{arg}'.");
            }
        }
        return options;
    }

    /// <summary>The physical database name behind the connection-string name <paramref name="database"/>.</summary>
    public string DatabaseName(string database) => Instance is null ? database : $"{Instance}_{database}";

    public string VirtualHost => Instance is null ? DefaultVirtualHost : $"{Instance}_{DefaultVirtualHost}";

    private static string Value(IReadOnlyList<string> args, ref int i) =>
        ++i < args.Count ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value.");

    private static int Port(string name, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : throw new ArgumentException($"{name} '{text}' is not a port number.");

    [GeneratedRegex("^[a-z][a-z0-9-]{0,29}$")]
    private static partial Regex InstanceName();
}
