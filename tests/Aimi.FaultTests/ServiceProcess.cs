using System.Diagnostics;
using System.Net;
using System.Reflection;
using System.Text;
using Aimi.Infrastructure;
using Aimi.Testing;

namespace Aimi.FaultTests;

/// <summary>
/// A service's own build output run as a child process (<c>dotnet Aimi.X.Api.dll</c>) on a loopback port, so a case can
/// kill it with SIGKILL mid-request and start it again on the same port, settings and database.
/// </summary>
public sealed class ServiceProcess : IDisposable
{
    private static readonly string Configuration =
        typeof(ServiceProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";

    private readonly string _dll;
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly StringBuilder _log = new();
    private Process? _process;

    public ServiceProcess(string serviceFolder, string assemblyName, IEnumerable<KeyValuePair<string, string?>> settings)
        : this(BuildOutput(Path.Combine("services", serviceFolder), assemblyName), settings)
    {
    }

    private ServiceProcess(string dll, IEnumerable<KeyValuePair<string, string?>> settings)
    {
        _dll = dll;
        Port = Ports.Free();
        BaseAddress = new Uri($"http://127.0.0.1:{Port}/");
        _settings = settings.ToDictionary(s => s.Key, s => s.Value);
    }

    /// <summary>The gateway (<c>gateway/Aimi.Gateway</c>), routing to the services whose addresses the settings give.</summary>
    public static ServiceProcess Gateway(IEnumerable<KeyValuePair<string, string?>> settings) =>
        new(BuildOutput(Path.Combine("gateway", "Aimi.Gateway"), "Aimi.Gateway"), settings);

    private static string BuildOutput(string projectFolder, string assemblyName) =>
        Path.Combine(RepositoryRoot.Find(), projectFolder, "bin", Configuration, "net10.0", $"{assemblyName}.dll");

    public int Port { get; }
    public Uri BaseAddress { get; }

    /// <summary>Everything the process wrote, across restarts (shown when a case fails).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts the process and waits until <c>/health</c> answers 200 (database migrated, bus connected).</summary>
    public async Task StartAsync(TimeSpan? timeout = null)
    {
        if (!File.Exists(_dll))
        {
            throw new FileNotFoundException($"Build the service first: {_dll} is missing.");
        }
        var start = new ProcessStartInfo("dotnet", [_dll])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(_dll)!,
        };
        start.Environment["ASPNETCORE_URLS"] = BaseAddress.ToString().TrimEnd('/');
        start.Environment["ASPNETCORE_ENVIRONMENT"] = Microsoft.Extensions.Hosting.AimiEnvironments.Testing;
        start.Environment["DOTNET_ENVIRONMENT"] = Microsoft.Extensions.Hosting.AimiEnvironments.Testing;
        start.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"] = null;
        foreach (var (key, value) in _settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }
        var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        Append($"--- started pid {process.Id} ---");

        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(120));
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{Path.GetFileName(_dll)} exited ({process.ExitCode}) while starting:{Environment.NewLine}{Log}");
            }
            try
            {
                if ((await http.GetAsync("health")).StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Path.GetFileName(_dll)} was not healthy in time:{Environment.NewLine}{Log}");
            }
            await Task.Delay(200);
        }
    }

    /// <summary>Runs a case's body; if it fails, the process's log (the end of it) goes to the test output.</summary>
    public async Task ShowingLogOnFailureAsync(Xunit.Abstractions.ITestOutputHelper output, Func<Task> body)
    {
        try
        {
            await body();
        }
        catch
        {
            var lines = Log.Split(Environment.NewLine);
            output.WriteLine($"--- {Path.GetFileName(_dll)}, last {Math.Min(lines.Length, 300)} lines ---");
            output.WriteLine(string.Join(Environment.NewLine, lines.TakeLast(300)));
            throw;
        }
    }

    /// <summary>kill -9: no shutdown hooks, no flush, requests in flight cut.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Append($"--- killed pid {process.Id} ---");
            process.Dispose();
            _process = null;
        }
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
        _process = null;
    }

    private void Append(string? line)
    {
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

}
