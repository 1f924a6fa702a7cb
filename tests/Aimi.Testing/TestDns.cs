using System.Net;
using System.Net.Sockets;

namespace Aimi.Testing;

/// <summary>
/// The host names tests give as webhook and push URLs, answered from a table: test machines have no DNS server, and a
/// test decides whether a name is public or internal. Any other name has no answer, as a name that does not exist.
/// </summary>
public static class TestDns
{
    /// <summary>Resolves to a public address only.</summary>
    public const string PublicHost = "hooks.example.org";
    /// <summary>Resolves to a public IPv6 and a public IPv4 address.</summary>
    public const string PublicPushHost = "push.example.net";
    /// <summary>Resolves to a private address, as a name in the internal network's zone would.</summary>
    public const string InternalHost = "intranet.example.net";
    public const string InternalAddress = "10.0.0.5";
    /// <summary>Resolves to a public and a loopback address.</summary>
    public const string MixedHost = "mixed.example.net";
    /// <summary>Has no answer.</summary>
    public const string UnknownHost = "nowhere.example.net";

    /// <summary>
    /// URLs a server must not be made to call: internal addresses in every spelling (loopback, private, link-local, cloud
    /// metadata, carrier-grade NAT, unspecified, multicast, broadcast, unique-local, IPv4 inside IPv6), internal names,
    /// names that resolve to internal addresses or to nothing, and plain http to a public host.
    /// </summary>
    public static readonly string[] RefusedUrls =
    [
        "http://127.0.0.1:15672/api/overview", "http://169.254.169.254/latest/meta-data/", "http://[::ffff:127.0.0.1]/", "http://[::1]/",
        "http://10.0.0.1/", "http://0.0.0.0:5432/",
        "https://127.0.0.1:15672/", "https://2130706433/", "https://127.1/", "https://169.254.169.254/", "https://10.0.0.1/", "https://10.0.0.1./",
        "https://172.16.0.1/", "https://192.168.1.1/", "https://100.64.0.1/", "https://0.0.0.0:5432/", "https://224.0.0.1/", "https://255.255.255.255/",
        "https://[::1]/", "https://[::]/", "https://[::ffff:127.0.0.1]/", "https://[::ffff:a9fe:a9fe]/", "https://[::127.0.0.1]/",
        "https://[fe80::1]/", "https://[fd00::1]/", "https://[ff02::1]/",
        "https://[64:ff9b::a00:1]/", // NAT64 of 10.0.0.1
        "https://[2002:a9fe:a9fe::1]/", // 6to4 of 169.254.169.254
        "https://localhost/", "https://localhost./", "https://api.localhost/", "https://intranet/",
        $"https://{InternalHost}/hook", $"https://{MixedHost}/hook", $"https://{UnknownHost}/hook",
        $"http://{PublicHost}/hook",
    ];

    /// <summary>Public https targets: by name, by address, and a public IPv4 address through NAT64.</summary>
    public static readonly string[] PublicUrls =
        [$"https://{PublicHost}/aimi", $"https://{PublicPushHost}/wpush/v2/abc", "https://93.184.215.14/hook", "https://[64:ff9b::5db8:d70e]/hook"];

    private static readonly Dictionary<string, IPAddress[]> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        [PublicHost] = [IPAddress.Parse("93.184.215.14")],
        [PublicPushHost] = [IPAddress.Parse("2606:2800:21f:cb07:6820:80da:af6b:8b2c"), IPAddress.Parse("93.184.215.14")],
        [InternalHost] = [IPAddress.Parse(InternalAddress)],
        [MixedHost] = [IPAddress.Parse("93.184.215.14"), IPAddress.Loopback],
    };

    public static Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        Names.TryGetValue(host, out var addresses)
            ? Task.FromResult(addresses)
            : Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound));
}
