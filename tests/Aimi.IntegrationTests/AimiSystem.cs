using Aimi.ServiceDefaults;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;

namespace Aimi.IntegrationTests;

/// <summary>
/// The whole system from the real AppHost (Aspire's testing builder), in ephemeral mode: its own PostgreSQL, Redis and RabbitMQ
/// processes on free ports with private data folders, so it never touches a developer's data and runs beside another AppHost.
/// Every project exports its telemetry to an <see cref="OtlpCollector"/>. Started once for the test class: starting is the slow part.
/// </summary>
public class AimiSystem : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(4);

    private DistributedApplication? _app;

    public OtlpCollector Telemetry { get; private set; } = null!;

    public Uri Gateway { get; private set; } = null!;

    public string RabbitMq { get; private set; } = null!;

    /// <summary>The AppHost's command line; a subclass adds settings (e.g. an identity provider).</summary>
    protected virtual IEnumerable<string> Arguments() => ["--Aimi:LocalServers:Ephemeral=true"];

    public virtual async Task InitializeAsync()
    {
        Telemetry = await OtlpCollector.StartAsync();
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Aimi_AppHost>(
            [.. Arguments()],
            (options, _) => options.DisableDashboard = true);
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            // Applied after Aspire's own OTLP settings, so these win; a short batch delay lets spans arrive within the test.
            builder.CreateResourceBuilder(project)
                .WithEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", Telemetry.Endpoint.ToString().TrimEnd('/'))
                .WithEnvironment("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
                .WithEnvironment("OTEL_BSP_SCHEDULE_DELAY", "200");
        }
        // A scripted conversation talks faster than a person: the per-user turn budget (20 a minute) is tested in Chat's own tests.
        builder.CreateResourceBuilder(builder.Resources.OfType<ProjectResource>().Single(p => p.Name == ResourceNames.ChatApi))
            .WithEnvironment("Chat__Limits__TurnsPerMinute", "600");

        using var timeout = new CancellationTokenSource(StartTimeout);
        _app = await builder.BuildAsync(timeout.Token);
        await _app.StartAsync(timeout.Token);
        // Healthy means: the gateway answers /health, and it started only after Goals and Chat (and their servers) were healthy.
        await _app.ResourceNotifications.WaitForResourceHealthyAsync(ResourceNames.Gateway, timeout.Token);

        Gateway = _app.GetEndpoint(ResourceNames.Gateway, "http");
        RabbitMq = await _app.GetConnectionStringAsync(ResourceNames.RabbitMq, timeout.Token)
            ?? throw new InvalidOperationException("RabbitMQ has no connection string.");
    }

    public virtual async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        await Telemetry.DisposeAsync();
    }
}
