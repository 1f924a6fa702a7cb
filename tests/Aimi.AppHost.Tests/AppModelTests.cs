using System.Text.Json;
using Aimi.AppHost.LocalServers;
using Aimi.ServiceDefaults;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Aimi.AppHost.Tests;

public class AppModelTests
{
    private static readonly string[] Services = [ResourceNames.GoalsApi, ResourceNames.MemoryApi, ResourceNames.ChatApi, ResourceNames.NotificationsApi, ResourceNames.Web, ResourceNames.Gateway];

    public static TheoryData<string> Modes => ["run", "publish"];

    private static Task<DistributedApplicationModel> ModelAsync(string mode) =>
        mode == "run" ? AppHostModels.RunModeAsync() : AppHostModels.PublishModeAsync();

    [Theory]
    [InlineData("run", new[] { "postgres", "goalsdb", "chatdb", "memorydb", "notificationsdb", "redis", "rabbitmq-epmd", "rabbitmq", "goals-api", "memory-api", "chat-api", "notifications-api", "web", "gateway" })]
    [InlineData("publish", new[] { "postgres", "goalsdb", "chatdb", "memorydb", "notificationsdb", "redis", "rabbitmq", "goals-api", "memory-api", "chat-api", "notifications-api", "web", "gateway" })]
    public async Task The_model_has_every_resource_of_the_topology(string mode, string[] expected)
    {
        var model = await ModelAsync(mode);

        // Parameters (passwords, the signing key) and Aspire's hidden project rebuilders (an internal type) are not part of the diagram.
        Assert.Equal(expected, model.Resources
            .Where(r => r is not ParameterResource && r.GetType().Name != "ProjectRebuilderResource")
            .Select(r => r.Name));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Every_service_references_and_waits_for_what_it_uses(string mode)
    {
        var model = await ModelAsync(mode);

        Assert.Equal([ResourceNames.GoalsDb, ResourceNames.RabbitMq], model.Resource(ResourceNames.GoalsApi).ReferencedNames().Order());
        Assert.Equal([ResourceNames.GoalsDb, ResourceNames.RabbitMq], model.Resource(ResourceNames.GoalsApi).WaitedForNames().Order());
        Assert.Equal([ResourceNames.MemoryDb, ResourceNames.RabbitMq], model.Resource(ResourceNames.MemoryApi).ReferencedNames().Order());
        Assert.Equal([ResourceNames.MemoryDb, ResourceNames.RabbitMq], model.Resource(ResourceNames.MemoryApi).WaitedForNames().Order());
        Assert.Equal([ResourceNames.ChatDb, ResourceNames.GoalsApi, ResourceNames.MemoryApi, ResourceNames.RabbitMq, ResourceNames.Redis], model.Resource(ResourceNames.ChatApi).ReferencedNames().Order());
        Assert.Equal([ResourceNames.ChatDb, ResourceNames.RabbitMq, ResourceNames.Redis], model.Resource(ResourceNames.ChatApi).WaitedForNames().Order());
        Assert.Equal([ResourceNames.NotificationsDb, ResourceNames.RabbitMq], model.Resource(ResourceNames.NotificationsApi).ReferencedNames().Order());
        Assert.Equal([ResourceNames.NotificationsDb, ResourceNames.RabbitMq], model.Resource(ResourceNames.NotificationsApi).WaitedForNames().Order());
        // The gateway opens only once the services it routes to are healthy (a 502 right after "up" was issue 7's defect 9).
        // The web client needs nothing but the gateway in front of it; the gateway waits for it like for any service it routes to.
        Assert.Empty(model.Resource(ResourceNames.Web).ReferencedNames());
        Assert.Empty(model.Resource(ResourceNames.Web).WaitedForNames());
        Assert.Equal([ResourceNames.ChatApi, ResourceNames.GoalsApi, ResourceNames.MemoryApi, ResourceNames.NotificationsApi, ResourceNames.Web], model.Resource(ResourceNames.Gateway).ReferencedNames().Order());
        Assert.Equal([ResourceNames.ChatApi, ResourceNames.GoalsApi, ResourceNames.MemoryApi, ResourceNames.NotificationsApi, ResourceNames.Web], model.Resource(ResourceNames.Gateway).WaitedForNames().Order());
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Every_service_is_a_project_with_an_http_health_check_and_only_the_gateway_is_external(string mode)
    {
        var model = await ModelAsync(mode);
        foreach (var name in Services)
        {
            var project = Assert.IsType<ProjectResource>(model.Resource(name));
            Assert.Contains(project.Annotations.OfType<HealthCheckAnnotation>(), _ => true);
        }
        var external = model.Resources.OfType<ProjectResource>().Where(p => p.Annotations.OfType<EndpointAnnotation>().Any(e => e.IsExternal)).Select(p => p.Name);
        Assert.Equal([ResourceNames.Gateway], external);
    }

    [Fact]
    public async Task Run_mode_starts_each_service_from_its_built_assembly_and_exports_metrics_every_ten_seconds_and_spans_and_logs_every_five()
    {
        var model = await AppHostModels.RunModeAsync();

        foreach (var name in Services)
        {
            // `dotnet <assembly>`, not `dotnet run --project`: no launcher process beside each service (issue 17, idle memory).
            var project = Assert.IsType<ProjectResource>(model.Resource(name));
            var launch = Assert.Single(project.Annotations.OfType<ExecutableAnnotation>());
            Assert.Equal("dotnet", launch.Command);
            var projectPath = project.GetProjectMetadata().ProjectPath;
            Assert.Equal(Path.GetDirectoryName(projectPath), launch.WorkingDirectory);
            var assembly = await project.StartedAssemblyAsync();
            Assert.Equal($"{Path.GetFileNameWithoutExtension(projectPath)}.dll", Path.GetFileName(assembly));
            Assert.True(File.Exists(assembly), $"{name}: {assembly} does not exist.");
            var environment = await project.EnvironmentAsync();
            Assert.Equal("10000", environment["OTEL_METRIC_EXPORT_INTERVAL"]);
            Assert.Equal("5000", environment["OTEL_BSP_SCHEDULE_DELAY"]);
            Assert.Equal("5000", environment["OTEL_BLRP_SCHEDULE_DELAY"]);
        }
    }

    /// <summary>Run mode: callers reach each host on the port it listens on, with no DCP proxy copying every request in between (issue 17).</summary>
    [Fact]
    public async Task Run_mode_has_each_service_listen_on_its_own_port_without_a_proxy()
    {
        var model = await AppHostModels.RunModeAsync();

        var ports = Services.Select(name =>
        {
            var endpoint = Assert.Single(model.Resource(name).Annotations.OfType<EndpointAnnotation>(), e => e.Name == "http");
            Assert.False(endpoint.IsProxied, name);
            Assert.NotNull(endpoint.Port);
            Assert.Equal(endpoint.Port, endpoint.TargetPort);
            return endpoint.Port.Value;
        }).ToList();
        Assert.Equal(ports.Count, ports.Distinct().Count());
    }

    /// <summary>
    /// Every web host is built with the runtime settings of <c>Directory.Build.targets</c> for a small box (issue 17): workstation GC
    /// without a background GC thread, thread-pool workers that block instead of spinning, and no profile-guided re-compiling.
    /// </summary>
    [Fact]
    public async Task Every_service_runs_with_the_runtime_settings_for_a_small_box()
    {
        var model = await AppHostModels.RunModeAsync();

        foreach (var name in Services)
        {
            var assembly = await Assert.IsType<ProjectResource>(model.Resource(name)).StartedAssemblyAsync();
            await AssertSmallBoxSettingsAsync(assembly, name);
        }
    }

    /// <summary>The AppHost itself, a console application of the Aspire SDK, runs with the same settings: it stays up beside the idle system.</summary>
    [Fact]
    public async Task The_apphost_runs_with_the_runtime_settings_for_a_small_box() =>
        await AssertSmallBoxSettingsAsync(typeof(AimiResources).Assembly.Location, "apphost");

    private static async Task AssertSmallBoxSettingsAsync(string assembly, string name)
    {
        using var config = JsonDocument.Parse(await File.ReadAllTextAsync(Path.ChangeExtension(assembly, ".runtimeconfig.json")));
        var settings = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.False(settings.GetProperty("System.GC.Server").GetBoolean(), name);
        Assert.False(settings.GetProperty("System.GC.Concurrent").GetBoolean(), name);
        Assert.Equal(0, settings.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
        // Tiered PGO is the runtime's default, and on: it costs less after a warm-up (Directory.Build.targets).
        Assert.False(settings.TryGetProperty("System.Runtime.TieredPGO", out var pgo) && !pgo.GetBoolean(), name);
    }

    [Fact]
    public async Task Publish_mode_keeps_the_projects_as_projects()
    {
        var model = await AppHostModels.PublishModeAsync();

        Assert.All(Services, name => Assert.Empty(model.Resource(name).Annotations.OfType<ExecutableAnnotation>()));
    }

    [Fact]
    public async Task Run_mode_maps_the_infrastructure_to_local_servers_with_readiness_checks()
    {
        var model = await AppHostModels.RunModeAsync();

        var postgres = Assert.IsType<LocalPostgresServerResource>(model.Resource("postgres"));
        Assert.All([ResourceNames.GoalsDb, ResourceNames.ChatDb, ResourceNames.MemoryDb, ResourceNames.NotificationsDb], name => Assert.Same(postgres, Assert.IsType<LocalPostgresDatabaseResource>(model.Resource(name)).Parent));
        Assert.IsType<LocalRedisResource>(model.Resource(ResourceNames.Redis));
        var rabbitMq = Assert.IsType<LocalRabbitMqResource>(model.Resource(ResourceNames.RabbitMq));
        // epmd is a resource of its own, so it stops with the AppHost instead of outliving it as a daemon.
        Assert.Equal([$"{ResourceNames.RabbitMq}-epmd"], rabbitMq.WaitedForNames());
        foreach (var name in new[] { "postgres", ResourceNames.GoalsDb, ResourceNames.ChatDb, ResourceNames.MemoryDb, ResourceNames.NotificationsDb, ResourceNames.Redis, ResourceNames.RabbitMq, $"{ResourceNames.RabbitMq}-epmd" })
        {
            Assert.Contains(model.Resource(name).Annotations.OfType<HealthCheckAnnotation>(), _ => true);
        }
        Assert.DoesNotContain(model.Resources, r => r is ContainerResource);
    }

    /// <summary>Run mode has DCP start no monitor process beside each process it runs (issue 17: 255 MiB and ~3 ms of CPU a second idle).</summary>
    [Fact]
    public async Task Run_mode_asks_dcp_to_run_no_monitor_process_beside_each_resource()
    {
        await AppHostModels.RunModeAsync();

        Assert.Equal("true", Environment.GetEnvironmentVariable(AimiResources.DcpDisableMonitorProcess));
    }

    /// <summary>The local Redis runs its background tasks once a second, not ten times (issue 17, idle CPU).</summary>
    [Fact]
    public async Task Run_mode_starts_redis_without_persistence_and_with_one_background_wake_up_a_second()
    {
        var model = await AppHostModels.RunModeAsync();

        var arguments = (await model.Resource(ResourceNames.Redis).ArgumentsAsync()).Select(a => a.ToString()).ToList();

        Assert.Equal("1", arguments[arguments.IndexOf("--hz") + 1]);
        Assert.Equal("", arguments[arguments.IndexOf("--save") + 1]);
        Assert.Equal("no", arguments[arguments.IndexOf("--appendonly") + 1]);
    }

    [Fact]
    public async Task Publish_mode_maps_the_same_names_to_aspires_container_resources()
    {
        var model = await AppHostModels.PublishModeAsync();

        var postgres = Assert.IsType<PostgresServerResource>(model.Resource("postgres"));
        Assert.True(postgres.TryGetLastAnnotation<ContainerImageAnnotation>(out var image));
        Assert.Equal(("pgvector/pgvector", "pg15"), (image.Image, image.Tag));
        Assert.All([ResourceNames.GoalsDb, ResourceNames.ChatDb, ResourceNames.MemoryDb, ResourceNames.NotificationsDb], name => Assert.Same(postgres, Assert.IsType<PostgresDatabaseResource>(model.Resource(name)).Parent));
        Assert.IsType<RedisResource>(model.Resource(ResourceNames.Redis));
        Assert.IsType<RabbitMQServerResource>(model.Resource(ResourceNames.RabbitMq));
        Assert.DoesNotContain(model.Resources, r => r is ExecutableResource);
    }

    [Fact]
    public async Task Ephemeral_mode_gives_each_apphost_its_own_ports_and_folder()
    {
        var first = await AppHostModels.RunModeAsync();
        var second = await AppHostModels.RunModeAsync();

        static int Port(DistributedApplicationModel model, string name) =>
            ((IResourceWithEndpoints)model.Resource(name)).Annotations.OfType<EndpointAnnotation>().Single().Port!.Value;
        static string Folder(DistributedApplicationModel model) => ((ExecutableResource)model.Resource("postgres")).WorkingDirectory;

        Assert.All(new[] { "postgres", ResourceNames.Redis, ResourceNames.RabbitMq }, name => Assert.NotEqual(Port(first, name), Port(second, name)));
        Assert.NotEqual(Folder(first), Folder(second));
        Assert.All(new[] { "postgres", ResourceNames.Redis, ResourceNames.RabbitMq }, name => Assert.NotEqual(5432, Port(first, name)));
    }

    [Fact]
    public void Persistent_mode_uses_fixed_ports_beside_the_standard_ones()
    {
        var options = LocalServerOptions.From(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());

        Assert.False(options.Ephemeral);
        Assert.Equal((5433, 6380, 5673, 25673, 4370), (options.PostgresPort, options.RedisPort, options.RabbitMqPort, options.RabbitMqDistributionPort, options.EpmdPort));
    }

    [Fact]
    public void A_free_port_is_never_handed_out_twice()
    {
        var ports = Enumerable.Range(0, 2000).Select(_ => LocalServerOptions.FreePort()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
    }

    [Fact]
    public void A_port_in_use_is_not_free()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;

        Assert.False(LocalServerOptions.IsFree(port));
        listener.Stop();
        Assert.True(LocalServerOptions.IsFree(port));
    }

    [Fact]
    public async Task With_an_identity_provider_every_service_validates_its_tokens_and_development_tokens_are_off()
    {
        var model = await AppHostModels.RunModeAsync("--Aimi:Auth:Authority=https://login.example.com", "--Aimi:Web:ClientId=aimi-spa");

        foreach (var name in Services.Where(s => s != ResourceNames.Web))
        {
            var environment = await model.Resource(name).EnvironmentAsync();
            Assert.Equal("https://login.example.com", environment["Auth__Authority"]);
            Assert.Equal("aimi", environment["Auth__Audience"]);
            Assert.False(environment.ContainsKey("Auth__SigningKey"), $"{name} still gets the development signing key.");
            Assert.False(environment.ContainsKey("Auth__DevTokens"), $"{name} still hands out development tokens.");
        }
        var web = await model.Resource(ResourceNames.Web).EnvironmentAsync();
        Assert.Equal("https://login.example.com", web["Web__Oidc__Authority"]);
        Assert.Equal("aimi-spa", web["Web__Oidc__ClientId"]);
        // The web client's host validates no token: it gets neither the authority nor the signing key.
        Assert.DoesNotContain(web.Keys, key => key.StartsWith("Auth__", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Without_one_the_gateway_hands_out_development_tokens_signed_with_the_shared_key()
    {
        var model = await AppHostModels.RunModeAsync();

        var gateway = await model.Resource(ResourceNames.Gateway).EnvironmentAsync();
        var web = await model.Resource(ResourceNames.Web).EnvironmentAsync();

        Assert.Equal("true", gateway["Auth__DevTokens"]);
        // The gateway refuses development tokens in any other environment (the testing builder runs the AppHost's launch profile).
        Assert.Equal("Development", gateway["ASPNETCORE_ENVIRONMENT"]);
        Assert.True(gateway.ContainsKey("Auth__SigningKey"));
        Assert.False(gateway.ContainsKey("Auth__Authority"));
        Assert.False(web.ContainsKey("Web__Oidc__Authority"));
        Assert.False(web.ContainsKey("Auth__SigningKey"), "The web client's host gets the signing key.");
    }
}
