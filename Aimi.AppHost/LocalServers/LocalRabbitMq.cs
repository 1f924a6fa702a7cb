using System.Globalization;
using System.Net.Sockets;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;

namespace Aimi.AppHost.LocalServers;

/// <summary>A private RabbitMQ node the AppHost runs from the machine's installation, with its own folder, ports, cookie and epmd.</summary>
public sealed class LocalRabbitMqResource(string name, string command, string workingDirectory)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    public EndpointReference Endpoint => new(this, EndpointName);

    // guest may connect over loopback only, which is all a local node needs.
    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"amqp://guest:guest@{Endpoint.Property(EndpointProperty.Host)}:{Endpoint.Property(EndpointProperty.Port)}");
}

/// <summary>The Erlang port mapper of one private RabbitMQ node; as a resource of its own it stops with the AppHost (a daemon would not).</summary>
public sealed class LocalEpmdResource(string name, string workingDirectory) : ExecutableResource(name, "epmd", workingDirectory);

public static class LocalRabbitMqExtensions
{
    public static IResourceBuilder<LocalRabbitMqResource> AddLocalRabbitMq(this IDistributedApplicationBuilder builder, string name)
    {
        var host = LocalServerHost.For(builder);
        var options = host.Options;
        var home = host.DataPath(name);

        builder.Services.AddKeyedSingleton<AmqpReadiness>(name);

        var epmd = builder.AddResource(new LocalEpmdResource($"{name}-epmd", options.DataDirectory))
            .WithArgs("-port", options.EpmdPort.ToString(CultureInfo.InvariantCulture), "-address", "127.0.0.1")
            .WithReadinessProbe(async (_, cancellationToken) =>
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", options.EpmdPort, cancellationToken);
            });

        return builder.AddResource(new LocalRabbitMqResource(name, ServerScript, options.DataDirectory))
            .WithEndpoint(LocalRabbitMqResource.EndpointName, e =>
            {
                e.Port = options.RabbitMqPort;
                e.TargetPort = options.RabbitMqPort;
                e.IsProxied = false;
                e.UriScheme = "tcp";
            })
            .WithEnvironment("RABBITMQ_NODENAME", $"{options.Instance}@localhost")
            .WithEnvironment("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
            .WithEnvironment("RABBITMQ_NODE_PORT", options.RabbitMqPort.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("RABBITMQ_DIST_PORT", options.RabbitMqDistributionPort.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("ERL_EPMD_PORT", options.EpmdPort.ToString(CultureInfo.InvariantCulture))
            // For every erl the scripts run, the node included: it uses the epmd above, and an erl started while the node stops
            // would otherwise spawn an `epmd -daemon` that outlives the AppHost.
            .WithEnvironment("ERL_AFLAGS", "-start_epmd false")
            // Everything of the node in its own folder, HOME included (the Erlang cookie), and nothing read from /etc/rabbitmq.
            .WithEnvironment("HOME", home)
            .WithEnvironment("RABBITMQ_MNESIA_BASE", Path.Combine(home, "mnesia"))
            .WithEnvironment("RABBITMQ_LOG_BASE", Path.Combine(home, "log"))
            .WithEnvironment("RABBITMQ_CONFIG_FILE", Path.Combine(home, "rabbitmq.conf"))
            .WithEnvironment("RABBITMQ_CONF_ENV_FILE", Path.Combine(home, "rabbitmq-env.conf"))
            .WithEnvironment("RABBITMQ_ENABLED_PLUGINS_FILE", Path.Combine(home, "enabled_plugins"))
            .WithEnvironment("RABBITMQ_PID_FILE", Path.Combine(home, "rabbitmq.pid"))
            // Logs to the console, which is the dashboard's; and the script execs beam.smp so DCP's SIGTERM reaches the node.
            .WithEnvironment("RABBITMQ_LOGS", "-")
            .WithEnvironment("RUNNING_UNDER_SYSTEMD", "true")
            .OnBeforeResourceStarted((_, _, cancellationToken) => WriteConfigurationAsync(home, cancellationToken))
            .WithReadinessProbe(async (resource, services, cancellationToken) =>
                await services.GetRequiredKeyedService<AmqpReadiness>(name).ProbeAsync(
                    new Uri(await resource.ConnectionStringExpression.GetValueAsync(cancellationToken) ?? ""), cancellationToken))
            .WithReferenceRelationship(epmd)
            .WaitFor(epmd);
    }

    private static async Task WriteConfigurationAsync(string home, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.Combine(home, "mnesia"));
        Directory.CreateDirectory(Path.Combine(home, "log"));
        await File.WriteAllTextAsync(Path.Combine(home, "rabbitmq.conf"), "log.console = true\nlog.file = false\n", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(home, "rabbitmq-env.conf"), "", cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(home, "enabled_plugins"), "[].\n", cancellationToken);
    }

    /// <summary>The server script itself, not Debian's /usr/sbin wrapper (which switches to the rabbitmq user and drops the environment).</summary>
    private const string ServerScript = "/usr/lib/rabbitmq/bin/rabbitmq-server";
}

/// <summary>
/// Whether a RabbitMQ node accepts AMQP clients. The first success is a real connection and channel (the node answers pings seconds
/// before AMQP accepts clients); that connection is then kept, and while it is open the node is ready. The AppHost asks every 30 s
/// for as long as it runs, and a new connection each time (TCP, handshake, login, channel, close) was work for the idle AppHost and
/// node alike (issue 17). A connection that closed (the node stopped or restarted) is replaced by a new one at the next probe.
/// </summary>
public sealed class AmqpReadiness : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private IConnection? _connection;

    /// <summary>The connection the last successful probe kept, if it is still open.</summary>
    public IConnection? Connection => _connection is { IsOpen: true } open ? open : null;

    public async Task ProbeAsync(Uri node, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (Connection is not null)
            {
                return;
            }
            await CloseAsync();
            // No automatic recovery: a closed connection is the answer the next probe needs, not something to repair behind it.
            var factory = new ConnectionFactory { Uri = node, AutomaticRecoveryEnabled = false, ClientProvidedName = "aimi-apphost-readiness" };
            var connection = await factory.CreateConnectionAsync(cancellationToken);
            try
            {
                await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
            }
            catch
            {
                await connection.DisposeAsync();
                throw;
            }
            _connection = connection;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _gate.WaitAsync();
        try
        {
            await CloseAsync();
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task CloseAsync()
    {
        if (_connection is { } connection)
        {
            _connection = null;
            await connection.DisposeAsync();
        }
    }
}
