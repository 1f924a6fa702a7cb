using System.Net.Sockets;

namespace Aimi.Testing;

public static class Ports
{
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
