using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Aimi.AppHost.LocalServers;

/// <summary>A Redis server the AppHost runs from the machine's installation: a cache, so nothing is saved to disk.</summary>
public sealed class LocalRedisResource(string name, string workingDirectory)
    : ExecutableResource(name, "redis-server", workingDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    public EndpointReference Endpoint => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"{Endpoint.Property(EndpointProperty.Host)}:{Endpoint.Property(EndpointProperty.Port)}");
}

public static class LocalRedisExtensions
{
    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(this IDistributedApplicationBuilder builder, string name)
    {
        var options = LocalServerHost.For(builder).Options;
        return builder.AddResource(new LocalRedisResource(name, options.DataDirectory))
            // Its background tasks (expiring keys whose time is up, closing idle clients) once a second instead of ten times: a key's
            // expiry is checked when it is read anyway, and ten wake-ups a second were 1.0–1.5 ms of CPU a second of an idle system
            // (issue 17, bench/footprint.sh).
            .WithArgs("--port", options.RedisPort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "-::1", "--save", "", "--appendonly", "no",
                "--hz", "1")
            .WithEndpoint(LocalRedisResource.EndpointName, e =>
            {
                e.Port = options.RedisPort;
                e.TargetPort = options.RedisPort;
                e.IsProxied = false;
                e.UriScheme = "tcp";
            })
            .WithReadinessProbe((_, cancellationToken) => PingAsync(options.RedisPort, cancellationToken));
    }

    /// <summary>A RESP <c>PING</c>: Redis answers <c>+PONG</c> once it accepts commands (not only connections).</summary>
    private static async Task PingAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, cancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync("PING\r\n"u8.ToArray(), cancellationToken);
        var buffer = new byte[64];
        var read = await stream.ReadAsync(buffer, cancellationToken);
        var answer = Encoding.ASCII.GetString(buffer, 0, read);
        if (!answer.StartsWith("+PONG", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Redis answered '{answer.Trim()}' to PING.");
        }
    }
}
