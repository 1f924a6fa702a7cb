using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Aimi.Testing;
using StackExchange.Redis;

namespace Aimi.Chat.Tests;

/// <summary>
/// A redis-server of a test's own, on a free loopback port and without persistence, so a test can stall or cut its
/// clients (<c>CLIENT PAUSE</c>, <c>CLIENT KILL</c>) without touching the shared server every other test run uses.
/// A child process, killed on dispose. Needs the Debian redis-server package (installed by the test set-up).
/// </summary>
public sealed class PrivateRedisServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConnectionMultiplexer _admin;

    private PrivateRedisServer(Process process, int port, ConnectionMultiplexer admin)
    {
        _process = process;
        Port = port;
        _admin = admin;
    }

    public int Port { get; }

    public static async Task<PrivateRedisServer> StartAsync()
    {
        await TestInfrastructure.EnsureAsync(); // installs redis-server if this machine lacks it
        // A free port can be taken by another test before the server binds it: then it exits at once, and the next
        // attempt takes another port.
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var process = Process.Start(new ProcessStartInfo("redis-server",
                ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (await AcceptsClientsAsync(process, port, TimeSpan.FromSeconds(30)))
            {
                var admin = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},allowAdmin=true");
                return new PrivateRedisServer(process, port, admin);
            }
            Stop(process);
            if (attempt == 3)
            {
                throw new InvalidOperationException($"A private redis-server did not start (last port {port}).");
            }
        }
    }

    /// <summary>Write commands from every client wait in the server until <see cref="UnpauseAsync"/> (reads go on).</summary>
    public Task PauseWritesAsync() => ClientAsync("PAUSE", "600000", "WRITE");

    public Task UnpauseAsync() => ClientAsync("UNPAUSE");

    /// <summary>Cuts every ordinary client's connection but this one's; what a cut client had waiting is dropped unrun.</summary>
    public Task KillClientsAsync() => ClientAsync("KILL", "TYPE", "normal", "SKIPME", "yes");

    private async Task ClientAsync(params object[] args) => await _admin.GetServer("127.0.0.1", Port).ExecuteAsync("CLIENT", args);

    public async ValueTask DisposeAsync()
    {
        await _admin.DisposeAsync();
        Stop(_process);
    }

    private static void Stop(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        process.Dispose();
    }

    private static async Task<bool> AcceptsClientsAsync(Process process, int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!process.HasExited && DateTime.UtcNow < deadline)
        {
            if (await Ports.IsListeningAsync(port))
            {
                return !process.HasExited; // not another process's port
            }
            await Task.Delay(50);
        }
        return false;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
