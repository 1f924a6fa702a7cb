using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Aimi.Testing;

namespace Aimi.FaultTests;

/// <summary>
/// A redis-server of a case's own on a fixed free loopback port, without persistence, that can be killed and started again
/// on the same port (the Chat tests' PrivateRedisServer picks a new port each start, so it cannot come back for a client).
/// </summary>
public sealed class RestartableRedis : IDisposable
{
    private Process? _process;

    public int Port { get; } = FreePort();
    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false";

    public async Task StartAsync()
    {
        await TestInfrastructure.EnsureAsync(); // installs redis-server if this machine lacks it
        var process = Process.Start(new ProcessStartInfo("redis-server",
            ["--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _ = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        _process = process;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await Ports.IsListeningAsync(Port))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"redis-server did not start on port {Port}.");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>kill -9: every client cut, everything it held gone (no persistence).</summary>
    public void Kill()
    {
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
            process.Dispose();
            _process = null;
        }
    }

    public void Dispose() => Kill();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
