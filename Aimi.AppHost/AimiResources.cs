using Aimi.AppHost.LocalServers;
using Aimi.ServiceDefaults.Auth;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>
/// The vocabulary of <c>Program.cs</c>. Infrastructure: in run mode the machine's own PostgreSQL (pgvector), Redis and RabbitMQ
/// as local executables (no container engine is needed, see <see cref="LocalServers"/>); in publish mode Aspire's standard
/// container resources under the same names, so the manifest is the one Aspire tooling expects. Services: a project with the
/// conventions every Aimi host shares (HTTP health check, quick OTLP flush at stop), and for those that validate tokens the signing key.
/// </summary>
public static class AimiResources
{
    public const string SigningKeyParameter = "auth-signing-key";
    public const string HealthPath = "/health";
    public const string GatewayPortKey = "Aimi:GatewayPort";

    // Run mode against an OpenID Connect provider instead of development tokens (see README, "Signing in").
    public const string AuthorityKey = "Aimi:Auth:Authority";
    public const string AudienceKey = "Aimi:Auth:Audience";
    public const string WebClientIdKey = "Aimi:Web:ClientId";
    public const string WebScopeKey = "Aimi:Web:Scope";
    public const int DefaultGatewayPort = 8080;

    /// <summary>The image of the PostgreSQL container in publish mode: the local major version, with pgvector.</summary>
    public const string PostgresImage = "pgvector/pgvector";
    public const string PostgresImageTag = "pg15";

    /// <summary>Set to <c>true</c> to keep DCP's per-process monitors (see <see cref="WithoutProcessMonitors"/>).</summary>
    public const string ProcessMonitorsKey = "Aimi:Dcp:ProcessMonitors";

    /// <summary>The variable DCP reads (from the AppHost's environment, which it inherits) to start no <c>dcp monitor-process</c>.</summary>
    public const string DcpDisableMonitorProcess = "DCP_DISABLE_MONITOR_PROCESS";

    /// <summary>
    /// Run mode without DCP's per-process monitors. For every process it runs DCP starts a <c>dcp monitor-process</c> whose only
    /// task is to stop that process should DCP itself die: here eleven Go processes, 255 MiB PSS and ~3.3 ms of CPU a second of an
    /// idle system (issue 17, <c>bench/footprint.sh</c>). DCP still stops everything it ran when the AppHost stops or is killed (it
    /// watches the AppHost's process); only a DCP killed on its own leaves them running. <c>--Aimi:Dcp:ProcessMonitors=true</c> keeps them.
    /// </summary>
    public static IDistributedApplicationBuilder WithoutProcessMonitors(this IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsRunMode && !builder.Configuration.GetValue(ProcessMonitorsKey, false))
        {
            Environment.SetEnvironmentVariable(DcpDisableMonitorProcess, "true");
        }
        return builder;
    }

    public static PostgresServer AddPostgresServer(this IDistributedApplicationBuilder builder, string name)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            var container = builder.AddPostgres(name).WithImage(PostgresImage, PostgresImageTag).WithDataVolume($"aimi-{name}-data");
            return new PostgresServer(container, database => container.AddDatabase(database));
        }
        var local = builder.AddLocalPostgres(name);
        return new PostgresServer(local, database => local.AddDatabase(database));
    }

    public static IResourceBuilder<IResourceWithConnectionString> AddRedisServer(this IDistributedApplicationBuilder builder, string name) =>
        builder.ExecutionContext.IsPublishMode ? builder.AddRedis(name) : builder.AddLocalRedis(name);

    public static IResourceBuilder<IResourceWithConnectionString> AddRabbitMqServer(this IDistributedApplicationBuilder builder, string name) =>
        builder.ExecutionContext.IsPublishMode ? builder.AddRabbitMQ(name).WithManagementPlugin().WithDataVolume($"aimi-{name}-data") : builder.AddLocalRabbitMq(name);

    /// <summary>An Aimi service that validates bearer tokens: an Aimi host (<see cref="AddHost{TProject}"/>) with the signing key or the authority.</summary>
    public static IResourceBuilder<ProjectResource> AddService<TProject>(this IDistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new()
    {
        var service = builder.AddHost<TProject>(name);
        if (Authority(builder) is { } authority)
        {
            service.WithEnvironment("Auth__Authority", authority)
                .WithEnvironment("Auth__Audience", builder.Configuration[AudienceKey] ?? AuthOptions.DefaultAudience);
        }
        else
        {
            service.WithEnvironment("Auth__SigningKey", SigningKey(builder));
        }
        return service;
    }

    /// <summary>
    /// The runtime's switch that runs what waits on a socket (an HTTP request, a proxied answer) on the socket event thread that saw it
    /// complete, instead of handing it to a thread-pool thread. Each hand-off wakes a thread; on these two virtual cores a wake-up is
    /// expensive (in paired benchmark runs the switch took 12–15% off the CPU per created event of Goals and Notifications). The event
    /// thread must then never wait for another socket, which the hosts that use PostgreSQL cannot promise
    /// (<see cref="WithInlineSocketCompletions"/>); hosts keep the runtime's default unless they ask for it.
    /// </summary>
    public const string InlineSocketCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>
    /// Runs a host's socket completions on the event thread (<see cref="InlineSocketCompletions"/>): only for hosts that do not use
    /// Npgsql. When a query's cancellation token fires (a client gone, Chat's deadline for <c>/memory/context</c>), Npgsql sends
    /// PostgreSQL a cancel request over a new connection, synchronously, on the thread that cancelled; the query's own completion,
    /// on the event thread, waits for that callback to finish (<c>NestedCancellableScope.Dispose</c>). A synchronous read of a
    /// non-blocking socket is woken by the event thread, which is the one waiting: both stand until Npgsql's cancellation timeout
    /// (2 s), and every socket of the process with them. Thread stacks of Memory under the chat benchmark showed exactly that, on
    /// both event threads; with the switch its replies' p99 was 2.0 s and its CPU per turn 85 ms against 17.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithInlineSocketCompletions(this IResourceBuilder<ProjectResource> host) =>
        host.WithAnnotation(new InlineSocketCompletionsAnnotation(), ResourceAnnotationMutationBehavior.Replace);

    /// <summary>
    /// Marks a host that runs socket completions inline (<see cref="InlineSocketCompletions"/>): the one place it is said, read by the
    /// host's environment and by the Kubernetes generator.
    /// </summary>
    public sealed record InlineSocketCompletionsAnnotation : IResourceAnnotation
    {
        public static bool Of(IResource resource) => resource.TryGetLastAnnotation<InlineSocketCompletionsAnnotation>(out _);
    }

    /// <summary>An Aimi host: ready when <c>/health</c> answers 200; it stops within a second of SIGTERM.</summary>
    private static IResourceBuilder<ProjectResource> AddHost<TProject>(this IDistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new()
    {
        var host = builder.AddProject<TProject>(name, launchProfileName: null)
            .WithHttpEndpoint()
            .WithHttpHealthCheck(HealthPath)
            // The exporter would otherwise wait ~10 s at stop for the dashboard, which DCP stops at the same moment.
            .WithEnvironment("OTEL_EXPORTER_OTLP_TIMEOUT", "1000")
            .WithEnvironment(context =>
                context.EnvironmentVariables[InlineSocketCompletions] = InlineSocketCompletionsAnnotation.Of(context.Resource) ? "1" : "0");
        if (builder.ExecutionContext.IsRunMode)
        {
            host.WithEndpoint("http", e => ListenDirectly(e, LocalServerOptions.FreePort()))
                .WithEnvironment("ASPNETCORE_ENVIRONMENT", builder.Environment.EnvironmentName)
                // Aspire has every host export metrics, and look for spans and logs to export, every second: for six idle hosts that
                // was the dashboard's and the hosts' main work (issue 17). Metrics every 10 s still move the dashboard's charts; spans
                // and logs every 5 s (OpenTelemetry's default), a full batch (512) at once.
                .WithEnvironment("OTEL_METRIC_EXPORT_INTERVAL", "10000")
                .WithEnvironment("OTEL_BSP_SCHEDULE_DELAY", "5000")
                .WithEnvironment("OTEL_BLRP_SCHEDULE_DELAY", "5000")
                .RunBuiltAssembly();
        }
        return host;
    }

    /// <summary>
    /// A host's HTTP endpoint in run mode: the host listens on <paramref name="port"/> itself and callers connect to it there,
    /// as they do to the servers. Aspire's default puts a DCP proxy in front of each endpoint, which copies every request and
    /// answer between two sockets: in the chat benchmark DCP took 4–5 ms of CPU per turn, one of the larger shares (issue 17).
    /// The proxy's other uses (replicas behind one address, a restart on a new port) are not needed here: a host has one
    /// replica, and DCP restarts it on the same port.
    /// </summary>
    private static void ListenDirectly(EndpointAnnotation endpoint, int port)
    {
        endpoint.Port = port;
        endpoint.TargetPort = port;
        endpoint.IsProxied = false;
    }

    /// <summary>
    /// The web client's host; with an identity provider configured, the page signs users in there. It serves public files and
    /// validates no token, so it gets neither the signing key nor the authority.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddWebClient<TProject>(this IDistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new()
    {
        var web = builder.AddHost<TProject>(name);
        if (Authority(builder) is { } authority)
        {
            // Client id and scope only when given: the web host has their defaults (WebClientOptions).
            web.WithEnvironment("Web__Oidc__Authority", authority);
            if (builder.Configuration[WebClientIdKey] is { } clientId)
            {
                web.WithEnvironment("Web__Oidc__ClientId", clientId);
            }
            if (builder.Configuration[WebScopeKey] is { } scope)
            {
                web.WithEnvironment("Web__Oidc__Scope", scope);
            }
        }
        return web;
    }

    // Only in run mode: the published manifests keep their own settings (the signing key secret, or an authority set there).
    private static string? Authority(IDistributedApplicationBuilder builder) =>
        builder.ExecutionContext.IsRunMode ? builder.Configuration[AuthorityKey] : null;

    /// <summary>
    /// The public entry point: external, and in run mode on <c>http://localhost:8080</c> (<c>Aimi:GatewayPort</c>; a free port in
    /// ephemeral mode unless set) with development tokens on. A port already taken ends the run before anything starts.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddGateway<TProject>(this IDistributedApplicationBuilder builder, string name)
        where TProject : IProjectMetadata, new()
    {
        var gateway = builder.AddService<TProject>(name).WithExternalHttpEndpoints();
        if (builder.ExecutionContext.IsPublishMode)
        {
            return gateway;
        }
        var ephemeral = LocalServerHost.For(builder).Options.Ephemeral;
        int? port = builder.Configuration.GetSection(GatewayPortKey).Get<int?>() ?? (ephemeral ? null : DefaultGatewayPort);
        if (port is { } pinned && !LocalServerOptions.IsFree(pinned))
        {
            // DCP would only note this in its own temporary log, and something else would answer on the gateway's address.
            Console.Error.WriteLine($"Port {pinned} (the gateway, http://localhost:{pinned}) is already in use. Stop whatever listens there " +
                $"(`ss -ltnp 'sport = :{pinned}'`), or choose another port: dotnet run --project Aimi.AppHost -- --{GatewayPortKey}=8081");
            Environment.Exit(2);
        }
        if (port is { } chosen)
        {
            gateway.WithEndpoint("http", e => ListenDirectly(e, chosen));
        }
        if (Authority(builder) is null)
        {
            gateway.WithEnvironment("Auth__DevTokens", "true");
        }
        return gateway
            .OnResourceReady((resource, @event, _) =>
            {
                var log = @event.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Aimi.AppHost");
                var url = resource.GetEndpoint("http").Url;
                LocalLog.Up(log, url);
                return Task.CompletedTask;
            });
    }

    /// <summary>One HMAC key for the whole system: generated once and kept in the AppHost's user secrets; a secret input in the manifest.</summary>
    private static IResourceBuilder<ParameterResource> SigningKey(IDistributedApplicationBuilder builder) =>
        builder.Resources.OfType<ParameterResource>().FirstOrDefault(p => p.Name == SigningKeyParameter) is { } existing
            ? builder.CreateResourceBuilder(existing)
            // HMAC-SHA256 keys must be at least 32 bytes; no special characters, so the key is safe in any env file.
            : builder.AddParameter(SigningKeyParameter, new GenerateParameterDefault { MinLength = 48, Special = false }, secret: true, persist: true);
}

/// <summary>A PostgreSQL server of the topology; its databases are added the same way in run and publish mode.</summary>
public sealed class PostgresServer(IResourceBuilder<IResourceWithConnectionString> server, Func<string, IResourceBuilder<IResourceWithConnectionString>> addDatabase)
{
    public IResourceBuilder<IResourceWithConnectionString> Resource => server;

    public IResourceBuilder<IResourceWithConnectionString> AddDatabase(string name) => addDatabase(name);
}
