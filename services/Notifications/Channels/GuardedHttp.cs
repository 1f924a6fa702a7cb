using System.Net;
using System.Net.Sockets;
using Aimi.ServiceDefaults.Targets;

namespace Aimi.Notifications.Api.Channels;

/// <summary>
/// Outbound HTTP to addresses users gave (webhooks, push endpoints). The address actually connected to is checked, not
/// only the name, so a DNS answer cannot point a request at loopback or the internal network (server-side request forgery);
/// the addresses are classified by <see cref="InternalAddresses"/>, as at registration.
/// </summary>
public static class GuardedHttp
{
    public static SocketsHttpHandler CreateHandler(bool allowPrivate) => new()
    {
        AllowAutoRedirect = false, // a redirect could lead anywhere
        ConnectCallback = (context, cancellationToken) => ConnectAsync(context, allowPrivate, cancellationToken),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    };

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, bool allowPrivate, CancellationToken cancellationToken)
    {
        var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, cancellationToken);
        var allowed = allowPrivate ? addresses : addresses.Where(a => !InternalAddresses.IsInternal(a)).ToArray();
        if (allowed.Length == 0)
        {
            throw new ChannelException($"The host {context.DnsEndPoint.Host} is on a loopback or private network; such targets are refused.", permanent: true);
        }
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
