using System.Net;
using System.Net.Sockets;

namespace Aimi.Testing;

public static class Ports
{
    /// <summary>A loopback port nobody listens on right now (another process may still take it before the caller binds it).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Whether something accepts TCP connections on the loopback port (a service that should have stopped, say).</summary>
    public static async Task<bool> IsListeningAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync("localhost", port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
