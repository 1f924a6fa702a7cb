using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace Aimi.Testing;

/// <summary>
/// A redis-server of a test's own, on a free loopback port and without persistence, so a test can stall or cut its clients
/// (<c>CLIENT PAUSE</c>, <c>CLIENT KILL</c>) or kill the server and start it again on the same port, without touching the
/// shared server every other test uses. A child process, killed on dispose. Needs the Debian redis-server package
/// (installed by the test set-up).
/// </summary>
public sealed class PrivateRedisServer : IAsyncDisposable
{
    private Process? _process;
    private ConnectionMultiplexer? _admin;

    private PrivateRedisServer(int port) => Port = port;

    public int Port { get; }

    /// <summary>For the service under test: it keeps trying while the server is away.</summary>
    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false";

    public static async Task<PrivateRedisServer> StartAsync()
    {
        await TestInfrastructure.EnsureAsync(); // installs redis-server if this machine lacks it
        // A free port can be taken by another test before the server binds it: then it exits at once, and the next
        // attempt takes another port.
        for (var attempt = 1; ; attempt++)
        {
            var server = new PrivateRedisServer(Ports.Free());
            if (await server.TryStartAsync())
            {
                return server;
            }
            if (attempt == 3)
            {
                throw new InvalidOperationException($"A private redis-server did not start (last port {server.Port}).");
            }
        }
    }

    /// <summary>Starts the server again on its port after <see cref="Kill"/>, empty.</summary>
    public async Task StartAgainAsync()
    {
        if (!await TryStartAsync())
        {
            throw new InvalidOperationException($"redis-server did not start again on port {Port}.");
        }
    }

    /// <summary>kill -9: every client cut, everything the server held gone (no persistence).</summary>
    public void Kill()
    {
        _admin?.Dispose();
        _admin = null;
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

    /// <summary>Write commands from every client wait in the server until <see cref="UnpauseAsync"/> (reads go on).</summary>
    public Task PauseWritesAsync() => ClientAsync("PAUSE", "600000", "WRITE");

    /// <summary>
    /// Every command from every client (reads too, and this one's UNPAUSE) waits in the server for <paramref name="duration"/>;
    /// the server lifts the pause by itself.
    /// </summary>
    public Task PauseAllAsync(TimeSpan duration) => ClientAsync("PAUSE", ((long)duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture), "ALL");

    public Task UnpauseAsync() => ClientAsync("UNPAUSE");

    /// <summary>Cuts every ordinary client's connection but this one's; what a cut client had waiting is dropped unrun.</summary>
    public Task KillClientsAsync() => ClientAsync("KILL", "TYPE", "normal", "SKIPME", "yes");

    private async Task ClientAsync(params object[] args)
    {
        _admin ??= await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Port},allowAdmin=true");
        await _admin.GetServer("127.0.0.1", Port).ExecuteAsync("CLIENT", args);
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        return ValueTask.CompletedTask;
    }

    private async Task<bool> TryStartAsync()
    {
        _process = Process.Start(new ProcessStartInfo("redis-server",
            ["--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        _ = _process.StandardOutput.ReadToEndAsync();
        _ = _process.StandardError.ReadToEndAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!_process.HasExited && DateTime.UtcNow < deadline)
        {
            if (await Ports.IsListeningAsync(Port))
            {
                if (!_process.HasExited)
                {
                    return true; // ours, not another process's port
                }
                break;
            }
            await Task.Delay(50);
        }
        Kill();
        return false;
    }
}
