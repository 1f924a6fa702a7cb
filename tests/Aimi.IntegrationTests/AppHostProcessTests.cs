using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using Aimi.Infrastructure;
using Xunit.Abstractions;

namespace Aimi.IntegrationTests;

/// <summary>
/// The AppHost as a person runs it (<c>dotnet run --project Aimi.AppHost</c>, here its build output in ephemeral mode): a taken
/// gateway port ends the run with a message before anything starts, and SIGTERM stops the whole system, leaving no process behind.
/// </summary>
[Collection(WholeSystem.Name)]
public class AppHostProcessTests(ITestOutputHelper output)
{
    private static readonly string AppHost = Path.Combine(
        RepositoryRoot.Find(), "Aimi.AppHost", "bin",
        typeof(AppHostProcessTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug",
        "net10.0", "Aimi.AppHost.dll");

    [Fact]
    public async Task A_taken_gateway_port_is_reported_and_the_run_exits()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((IPEndPoint)squatter.LocalEndpoint).Port;

        using var process = Start(out var log, "--Aimi:LocalServers:Ephemeral=true", $"--Aimi:GatewayPort={port}");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        Assert.Equal(2, process.ExitCode);
        Assert.Contains($"Port {port} (the gateway, http://localhost:{port}) is already in use", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigterm_stops_every_process_of_the_system_within_seconds()
    {
        // Every process DCP starts inherits the AppHost's environment, so this marker finds them all, wherever they were re-parented.
        var marker = $"aimi-e2e-{Guid.NewGuid():N}";
        using var process = Start(out var log, marker, "--Aimi:LocalServers:Ephemeral=true");
        try
        {
            var up = await WaitForAsync(() => log.ToString().Contains("Aimi is up: gateway", StringComparison.Ordinal) || process.HasExited, TimeSpan.FromMinutes(4));
            Assert.True(up && !process.HasExited, $"the AppHost did not come up:{Environment.NewLine}{log}");
            var running = Marked(marker);
            output.WriteLine($"{running.Count} processes of the system are running");
            // DCP, the AppHost, three services with their `dotnet run` wrappers, PostgreSQL, Redis, RabbitMQ and epmd at least.
            Assert.True(running.Count >= 10, $"only {running.Count} marked processes: {string.Join(", ", running)}");

            var stopwatch = Stopwatch.StartNew();
            Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]).WaitForExit();
            var gone = await WaitForAsync(() => Marked(marker).Count == 0, TimeSpan.FromSeconds(30));
            output.WriteLine($"stopped in {stopwatch.Elapsed.TotalSeconds:0.0} s");
            Assert.True(gone, $"still running 30 s after SIGTERM: {string.Join(", ", Marked(marker))}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static Process Start(out StringBuilder log, params string[] args) => Start(out log, null, args);

    private static Process Start(out StringBuilder log, string? marker, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [AppHost, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(AppHost)!,
        };
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["ASPIRE_DASHBOARD_OTLP_HTTP_ENDPOINT_URL"] = "http://127.0.0.1:0";
        start.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = "http://127.0.0.1:0";
        start.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        if (marker is not null)
        {
            start.Environment["AIMI_TEST_MARKER"] = marker;
        }
        var text = new StringBuilder();
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { lock (text) { text.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (text) { text.AppendLine(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        log = text;
        return process;
    }

    private static List<string> Marked(string marker)
    {
        var needle = Encoding.UTF8.GetBytes($"AIMI_TEST_MARKER={marker}\0");
        var found = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _)))
        {
            try
            {
                if (File.ReadAllBytes(Path.Combine(dir, "environ")).AsSpan().IndexOf(needle) >= 0
                    && File.ReadAllText(Path.Combine(dir, "stat")).Split(' ')[2] != "Z")
                {
                    found.Add($"{Path.GetFileName(dir)} {File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim()}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while it was being read.
            }
        }
        return found;
    }

    private static async Task<bool> WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }
            await Task.Delay(100);
        }
        return true;
    }
}
