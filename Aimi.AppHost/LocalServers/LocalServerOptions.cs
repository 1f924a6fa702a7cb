using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;

namespace Aimi.AppHost.LocalServers;

/// <summary>
/// Where the local servers keep their data and which ports they listen on (configuration section <c>Aimi:LocalServers</c>).
/// Persistent (the default): data survives a restart, in <see cref="DataDirectory"/>, on fixed ports one above the standard
/// ones so they live beside machine-wide servers. Ephemeral (<c>Aimi:LocalServers:Ephemeral=true</c>, used by the tests):
/// a private folder deleted at stop, free ports and a private RabbitMQ node name, so several AppHosts run side by side.
/// <c>Aimi:LocalServers:StatementStatistics=true</c> loads PostgreSQL's <c>pg_stat_statements</c> (the benchmark reads what each
/// operation costs in statements from it, and the time PostgreSQL spends planning them); off by default, as it costs a little on
/// every statement.
/// </summary>
public sealed record LocalServerOptions(
    bool Ephemeral,
    string Instance,
    string DataDirectory,
    int PostgresPort,
    int RedisPort,
    int RabbitMqPort,
    int RabbitMqDistributionPort,
    int EpmdPort,
    bool StatementStatistics = false)
{
    public const string Section = "Aimi:LocalServers";

    public static LocalServerOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var ephemeral = section.GetValue<bool>("Ephemeral");
        var statements = section.GetValue<bool>("StatementStatistics");
        if (ephemeral)
        {
            var instance = $"aimi-{Guid.NewGuid():N}"[..13];
            return new LocalServerOptions(
                true,
                instance,
                section["DataDirectory"] ?? Path.Combine(Path.GetTempPath(), instance),
                FreePort(), FreePort(), FreePort(), FreePort(), FreePort(),
                statements);
        }
        var amqp = section.GetValue("RabbitMqPort", 5673);
        return new LocalServerOptions(
            false,
            "aimi",
            section["DataDirectory"] ?? DefaultDataDirectory(),
            section.GetValue("PostgresPort", 5433),
            section.GetValue("RedisPort", 6380),
            amqp,
            // RabbitMQ's default distribution port is the AMQP port + 20000; named here so it is never a surprise.
            section.GetValue("RabbitMqDistributionPort", amqp + 20000),
            section.GetValue("EpmdPort", 4370),
            statements);
    }

    /// <summary>Root keeps data where the postgres user can reach it (a home folder is often closed to other users).</summary>
    private static string DefaultDataDirectory() =>
        Environment.UserName == "root"
            ? "/var/lib/aimi"
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "aimi");

    /// <summary>
    /// A port nobody listens on right now (the OS picks it; the short window until a server binds it is accepted), and one this
    /// process has not handed out before: the OS may offer a port again once its probe closed, and an AppHost asks for a dozen
    /// (its servers and every host) before anything binds them.
    /// </summary>
    public static int FreePort()
    {
        lock (HandedOut)
        {
            while (true)
            {
                using var listener = new TcpListener(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }

    private static readonly HashSet<int> HandedOut = [];

    /// <summary>True when nothing accepts connections on <paramref name="port"/> and it can be bound on the loopback addresses.</summary>
    public static bool IsFree(int port)
    {
        foreach (var address in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
        {
            try
            {
                using var listener = new TcpListener(address, port);
                listener.Start();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                return false;
            }
            catch (SocketException)
            {
                // The address family is unavailable here (no IPv6): nothing can listen on it either.
            }
        }
        return true;
    }
}
