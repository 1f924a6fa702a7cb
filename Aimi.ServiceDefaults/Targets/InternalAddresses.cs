using System.Net;

namespace Aimi.ServiceDefaults.Targets;

/// <summary>
/// Which addresses and host names belong to the machine or to the network it stands in rather than to the public
/// internet. A URL a user gives (a webhook, a push endpoint) must not make the server call them: server-side request
/// forgery. The one classification for the check at registration and for the check of the connected address at send time.
/// </summary>
public static class InternalAddresses
{
    private static readonly IPNetwork[] Internal =
    [
        IPNetwork.Parse("0.0.0.0/8"), // "this network": 0.0.0.0 reaches the local host
        IPNetwork.Parse("10.0.0.0/8"), // private (RFC 1918)
        IPNetwork.Parse("100.64.0.0/10"), // carrier-grade NAT
        IPNetwork.Parse("127.0.0.0/8"), // loopback
        IPNetwork.Parse("169.254.0.0/16"), // link-local, where cloud metadata services answer
        IPNetwork.Parse("172.16.0.0/12"), // private
        IPNetwork.Parse("192.0.0.0/24"), // IETF protocol assignments
        IPNetwork.Parse("192.168.0.0/16"), // private
        IPNetwork.Parse("198.18.0.0/15"), // network benchmarking
        IPNetwork.Parse("224.0.0.0/4"), // multicast
        IPNetwork.Parse("240.0.0.0/4"), // reserved, with the broadcast address
        IPNetwork.Parse("::/128"), // unspecified
        IPNetwork.Parse("::1/128"), // loopback
        IPNetwork.Parse("64:ff9b:1::/48"), // local-use NAT64 (RFC 8215)
        IPNetwork.Parse("fc00::/7"), // unique-local
        IPNetwork.Parse("fe80::/10"), // link-local
        IPNetwork.Parse("fec0::/10"), // site-local (deprecated, still routed by some stacks)
        IPNetwork.Parse("ff00::/8"), // multicast
    ];

    // IPv6 prefixes that carry an IPv4 address, and where its four bytes sit: that address decides.
    private static readonly (IPNetwork Prefix, int Offset)[] Embedding =
    [
        (IPNetwork.Parse("::ffff:0:0/96"), 12), // IPv4-mapped
        (IPNetwork.Parse("::/96"), 12), // IPv4-compatible (deprecated)
        (IPNetwork.Parse("64:ff9b::/96"), 12), // NAT64 (RFC 6052): the gateway connects to the IPv4 address
        (IPNetwork.Parse("2002::/16"), 2), // 6to4: the relay tunnels to the IPv4 address
    ];

    /// <summary>Loopback, private, link-local, carrier-grade NAT, unspecified, multicast, broadcast and reserved addresses,
    /// and IPv6 addresses that embed such an IPv4 address (mapped, compatible, NAT64, 6to4).</summary>
    public static bool IsInternal(IPAddress address)
    {
        if (Internal.Any(network => network.Contains(address)))
        {
            return true;
        }
        foreach (var (prefix, offset) in Embedding)
        {
            if (prefix.Contains(address))
            {
                return IsInternal(new IPAddress(address.GetAddressBytes().AsSpan(offset, 4)));
            }
        }
        return false;
    }

    /// <summary>Names that lead to the machine or its network without a public DNS answer: <c>localhost</c>,
    /// <c>*.localhost</c>, and single labels (resolved through the internal network's search domains).</summary>
    public static bool IsInternalName(string host)
    {
        var name = host.TrimEnd('.');
        return !name.Contains('.', StringComparison.Ordinal)
               || name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
               || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
    }
}
