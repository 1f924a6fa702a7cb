using System.Diagnostics;

namespace Aimi.Testing;

/// <summary>
/// A RabbitMQ node of a test's own, on free ports with its own data folder, so a test can stop and start the broker
/// without disturbing the shared node every other test uses. Needs the Debian rabbitmq-server package (run as root).
/// </summary>
public sealed class PrivateRabbitMqNode : IAsyncDisposable
{
    private readonly string _directory;
    private readonly Dictionary<string, string> _environment;

    private PrivateRabbitMqNode(string name, int port, int distributionPort, string directory)
    {
        NodeName = $"{name}@localhost";
        Port = port;
        _directory = directory;
        _environment = new()
        {
            ["RABBITMQ_NODENAME"] = NodeName,
            ["RABBITMQ_NODE_IP_ADDRESS"] = "127.0.0.1",
            ["RABBITMQ_NODE_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RABBITMQ_DIST_PORT"] = distributionPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RABBITMQ_MNESIA_BASE"] = Path.Combine(directory, "mnesia"),
            ["RABBITMQ_LOG_BASE"] = Path.Combine(directory, "log"),
            ["RABBITMQ_PID_FILE"] = Path.Combine(directory, "node.pid"),
            ["RABBITMQ_ENABLED_PLUGINS_FILE"] = Path.Combine(directory, "enabled_plugins"),
            ["RABBITMQ_CONFIG_FILE"] = Path.Combine(directory, "rabbitmq"),
            ["RABBITMQ_ADVANCED_CONFIG_FILE"] = Path.Combine(directory, "advanced.config"),
        };
    }

    public string NodeName { get; }
    public int Port { get; }
    public string ConnectionString => $"amqp://guest:guest@localhost:{Port}/";

    public static async Task<PrivateRabbitMqNode> StartAsync()
    {
        await TestInfrastructure.EnsureAsync(); // installs rabbitmq-server if this machine lacks it
        var name = $"aimi-test-{Guid.NewGuid():N}"[..24];
        var directory = Path.Combine(Path.GetTempPath(), name);
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "enabled_plugins"), "[].");
        await File.WriteAllTextAsync(Path.Combine(directory, "rabbitmq.conf"), "");
        await File.WriteAllTextAsync(Path.Combine(directory, "advanced.config"), "[].");
        await RunAsync("chown", ["-R", "rabbitmq:rabbitmq", directory], null);
        // A free port can be taken by another test's connection before the node binds it: then the node dies at once, and
        // the next attempt takes other ports.
        for (var attempt = 1; ; attempt++)
        {
            var node = new PrivateRabbitMqNode(name, Ports.Free(), Ports.Free(), directory);
            try
            {
                await node.StartAsync(TimeSpan.FromSeconds(90));
                return node;
            }
            catch (NodeCrashedException) when (attempt < 3)
            {
                File.Delete(node.CrashDump);
            }
        }
    }

    private string CrashDump => Path.Combine(_directory, "log", "erl_crash.dump");

    /// <summary>The node's Erlang VM stopped while starting (it wrote a crash dump), e.g. because its port was taken.</summary>
    private sealed class NodeCrashedException(string message) : Exception(message);

    /// <summary>Starts the node (again) and waits until it accepts clients.</summary>
    public async Task StartAsync(TimeSpan timeout)
    {
        await RunAsync("rabbitmq-server", ["-detached"], _environment);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var (exit, _) = await TryRunAsync("rabbitmqctl", ["-n", NodeName, "await_startup", "--timeout", "30"], _environment);
            if (exit == 0)
            {
                return;
            }
            if (File.Exists(CrashDump))
            {
                throw new NodeCrashedException($"Private RabbitMQ node {NodeName} stopped while starting; see {_directory}/log.");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Private RabbitMQ node {NodeName} did not start; see {_directory}/log.");
            }
            await Task.Delay(500);
        }
    }

    public Task StopAsync() => RunAsync("rabbitmqctl", ["-n", NodeName, "stop"], _environment);

    public async ValueTask DisposeAsync()
    {
        await TryRunAsync("rabbitmqctl", ["-n", NodeName, "stop"], _environment);
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }


    private static async Task RunAsync(string file, string[] args, Dictionary<string, string>? environment)
    {
        var (exit, output) = await TryRunAsync(file, args, environment);
        if (exit != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({exit}): {output}");
        }
    }

    private static async Task<(int Exit, string Output)> TryRunAsync(string file, string[] args, Dictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment ?? [])
        {
            start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
