using System.Collections.Concurrent;
using System.Diagnostics;
using Aimi.Infrastructure;

namespace Aimi.AppHost.Hosting;

/// <summary>
/// This AppHost started as a separate process the way a user starts it (<c>dotnet Aimi.AppHost.dll up …</c>), for the
/// end-to-end tests and the benchmark: waits for the ready line, and stops it with SIGINT like Ctrl-C.
/// </summary>
public sealed class AppHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<Uri> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AppHostProcess(Process process, LaunchOptions options)
    {
        _process = process;
        Options = options;
    }

    public LaunchOptions Options { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public IReadOnlyList<string> Output => _output.ToList();

    public string RabbitMqConnectionString => $"{LocalInfrastructure.RabbitMq.TrimEnd('/')}/{Uri.EscapeDataString(Options.VirtualHost)}";

    /// <summary>Drops the databases, virtual host and logs of a throw-away <c>--instance</c> (never the developer's own).</summary>
    public static async Task DeleteInstanceDataAsync(LaunchOptions options)
    {
        if (options.Instance is null)
        {
            throw new InvalidOperationException("Only an --instance's data may be deleted.");
        }
        foreach (var database in Topology.Build().Databases)
        {
            await LocalInfrastructure.DropDatabaseAsync(options.DatabaseName(database.Name));
        }
        await LocalInfrastructure.DeleteVirtualHostAsync(options.VirtualHost);
        var logs = UpCommand.LogDirectory(RepositoryRoot.Find(), options);
        if (Directory.Exists(logs))
        {
            Directory.Delete(logs, recursive: true);
        }
    }

    /// <summary>The built AppHost in this repository, in the configuration of the calling build.</summary>
    public static string AssemblyPath =>
        Path.Combine(RepositoryRoot.Find(), "Aimi.AppHost", "bin", UpCommand.BuildConfiguration, "net10.0", "Aimi.AppHost.dll");

    /// <summary>Starts <c>up</c> with <paramref name="arguments"/> (<c>--plain</c> is added) and waits until every service is healthy.</summary>
    public static async Task<AppHostProcess> StartAsync(IReadOnlyList<string> arguments, TimeSpan timeout, Action<string>? log = null)
    {
        var options = LaunchOptions.Parse(arguments);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot.Find(),
        };
        start.ArgumentList.Add(AssemblyPath);
        foreach (var argument in arguments.Append("--plain"))
        {
            start.ArgumentList.Add(argument);
        }
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var host = new AppHostProcess(process, options);
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }
            host._output.Enqueue(line);
            log?.Invoke(line);
            if (line.StartsWith(UpCommand.ReadyPrefix, StringComparison.Ordinal))
            {
                host._ready.TrySetResult(new Uri(line[UpCommand.ReadyPrefix.Length..].Trim()));
            }
        }
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Exited += (_, _) => host._ready.TrySetException(new InvalidOperationException(
            $"The AppHost exited (code {process.ExitCode}) before it was ready:{Environment.NewLine}{string.Join(Environment.NewLine, host._output.TakeLast(60))}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            host.Gateway = await host._ready.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            await host.DisposeAsync();
            throw new TimeoutException(
                $"The AppHost was not ready within {timeout.TotalSeconds:0} s:{Environment.NewLine}{string.Join(Environment.NewLine, host._output.TakeLast(60))}");
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
        return host;
    }

    public Uri Gateway { get; private set; } = new("http://localhost");

    /// <summary>Ctrl-C: SIGINT, then the exit code once the AppHost has stopped its services (killed after <paramref name="timeout"/>).</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            ProcessSupervisor.Interrupt(_process.Id);
            try
            {
                await _process.WaitForExitAsync().WaitAsync(timeout);
            }
            catch (TimeoutException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
                throw new TimeoutException($"The AppHost did not stop within {timeout.TotalSeconds:0} s after SIGINT; it was killed.");
            }
        }
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                await StopAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
                // killed by StopAsync
            }
        }
        _process.Dispose();
    }
}
