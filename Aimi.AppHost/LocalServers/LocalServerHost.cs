using System.Runtime.CompilerServices;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aimi.AppHost.LocalServers;

/// <summary>
/// What the local servers of one AppHost share: their <see cref="LocalServerOptions"/> (one set of ports per run), the
/// install-if-missing step (<c>deploy/local/setup.sh --install-only</c>: idempotent, a no-op when everything is there) that runs
/// once before any resource starts, and in ephemeral mode the removal of the private data folder when the AppHost stops.
/// </summary>
internal sealed class LocalServerHost
{
    private static readonly ConditionalWeakTable<IDistributedApplicationBuilder, LocalServerHost> Hosts = [];

    private LocalServerHost(LocalServerOptions options) => Options = options;

    public LocalServerOptions Options { get; }

    public static LocalServerHost For(IDistributedApplicationBuilder builder) =>
        Hosts.GetValue(builder, b =>
        {
            var host = new LocalServerHost(LocalServerOptions.From(b.Configuration));
            host.Register(b);
            return host;
        });

    public string DataPath(params string[] parts) => Path.Combine([Options.DataDirectory, .. parts]);

    private void Register(IDistributedApplicationBuilder builder)
    {
        var script = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, "..", "deploy", "local", "setup.sh"));
        builder.Eventing.Subscribe<BeforeStartEvent>(async (@event, cancellationToken) =>
        {
            var log = @event.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Aimi.LocalServers");
            Directory.CreateDirectory(Options.DataDirectory);
            if (Environment.GetEnvironmentVariable("AIMI_SKIP_SETUP") != "1")
            {
                await LocalProcesses.RunAsync("bash", [script, "--install-only"], log, cancellationToken);
            }
            if (Options.Ephemeral)
            {
                var lifetime = @event.Services.GetRequiredService<IHostApplicationLifetime>();
                lifetime.ApplicationStopped.Register(() => DeleteData(log));
            }
        });
    }

    // DCP has stopped the servers by now; a file still held open only delays the delete by a retry.
    private void DeleteData(ILogger log)
    {
        for (var attempt = 0; attempt < 10 && Directory.Exists(Options.DataDirectory); attempt++)
        {
            try
            {
                Directory.Delete(Options.DataDirectory, recursive: true);
            }
            catch (IOException) when (attempt < 9)
            {
                Thread.Sleep(200);
            }
            catch (IOException e)
            {
                LocalLog.DeleteFailed(log, Options.DataDirectory, e.Message);
            }
        }
    }
}
