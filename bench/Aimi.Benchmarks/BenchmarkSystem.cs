using Aimi.ServiceDefaults;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aimi.Benchmarks;

/// <summary>
/// The whole system from the real AppHost in ephemeral mode (its own servers on free ports, data deleted at stop), started in this
/// process through Aspire's testing builder and stopped with it; the dashboard is off, so only the system itself is measured.
/// </summary>
public sealed class BenchmarkSystem(DistributedApplication app, Uri gateway, string postgres) : IAsyncDisposable
{
    public Uri Gateway => gateway;

    /// <summary>The PostgreSQL server's superuser connection string; the server has <c>pg_stat_statements</c> loaded.</summary>
    public string Postgres => postgres;

    public static async Task<BenchmarkSystem> StartAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Aimi_AppHost>(
            ["--Aimi:LocalServers:Ephemeral=true", "--Aimi:LocalServers:StatementStatistics=true"],
            (options, _) => options.DisableDashboard = true,
            deadline.Token);
        // The testing builder forwards every resource's console to this process's log: keep only problems, off the measured path.
        builder.Services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        // Without the dashboard nothing receives telemetry, yet Aspire still gives each project an OTLP endpoint: its exporters
        // would connect, fail and retry every second (a CPU profile of an idle service showed them as its largest share). The
        // services export only when an endpoint is set, so without one the figures are the system's own work.
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            project.Annotations.Add(new EnvironmentCallbackAnnotation(context => context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT")));
        }
        var app = await builder.BuildAsync(deadline.Token);
        await app.StartAsync(deadline.Token);
        await app.ResourceNotifications.WaitForResourceHealthyAsync(ResourceNames.Gateway, deadline.Token);
        var postgres = await app.GetConnectionStringAsync(ResourceNames.Postgres, deadline.Token)
            ?? throw new InvalidOperationException("PostgreSQL has no connection string.");
        return new BenchmarkSystem(app, app.GetEndpoint(ResourceNames.Gateway, "http"), postgres);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
