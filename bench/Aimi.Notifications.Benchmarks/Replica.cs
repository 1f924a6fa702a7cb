using System.Diagnostics;

namespace Aimi.Notifications.Benchmarks;

/// <summary>One Notification service process (a replica), started from its build output with the benchmark's database and vhost.</summary>
public sealed class Replica : IAsyncDisposable
{
    private readonly Process _process;

    private Replica(Process process, Uri url, string name)
    {
        _process = process;
        Url = url;
        Name = name;
    }

    public Uri Url { get; }
    public string Name { get; }

    public static async Task<Replica> StartAsync(string name, string assembly, int port, string database, string amqp, CancellationToken cancellationToken)
    {
        var url = new Uri($"http://127.0.0.1:{port}");
        var start = new ProcessStartInfo("dotnet", [assembly])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment =
            {
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["ASPNETCORE_URLS"] = url.ToString(),
                ["ConnectionStrings__notificationsdb"] = database,
                ["ConnectionStrings__rabbitmq"] = amqp,
                ["Database__MigrateOnStartup"] = "true",
                ["Auth__SigningKey"] = "aimi-benchmark-signing-key-0123456789abcdef",
                ["Logging__LogLevel__Default"] = "Warning",
                ["Logging__LogLevel__Aimi.Notifications.Api.Workers.ReminderDispatcher"] = Environment.GetEnvironmentVariable("AIMI_BENCH_DISPATCH_LOG") ?? "Warning",
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "",
            },
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException("The replica did not start.");
        process.OutputDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) { Console.WriteLine($"  [{name}] {line}"); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line) { Console.WriteLine($"  [{name}!] {line}"); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Replica {name} exited with {process.ExitCode}.");
            }
            try
            {
                if ((await http.GetAsync(new Uri(url, "/health"), cancellationToken)).IsSuccessStatusCode)
                {
                    return new Replica(process, url, name);
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
            await Task.Delay(200, cancellationToken);
        }
        process.Kill(entireProcessTree: true);
        throw new TimeoutException($"Replica {name} was not healthy within 90 s.");
    }

    /// <summary>Ends the process at once, as a crash or a node loss would.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
