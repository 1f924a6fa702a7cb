using Aimi.AppHost.Hosting;
using Aimi.ServiceDefaults;

namespace Aimi.AppHost.Tests;

public class LaunchPlanTests
{
    private static readonly LaunchEnvironment Machine = new(
        RepositoryRoot: "/repo",
        Configuration: "Release",
        PostgresServer: "Host=localhost;Port=5432;Username=aimi;Password=aimi",
        Redis: "localhost:6379",
        RabbitMq: "amqp://guest:guest@localhost:5672",
        SigningKey: "0123456789abcdef0123456789abcdef-signing",
        OtlpEndpoint: null);

    private static LaunchPlan Plan(LaunchOptions? options = null, LaunchEnvironment? machine = null) =>
        LaunchPlan.Create(Topology.Build(), options ?? LaunchOptions.Default, machine ?? Machine);

    private static ProjectLaunch Project(LaunchPlan plan, string name) => plan.Projects.Single(p => p.Resource.Name == name);

    [Fact]
    public void Goals_api_gets_its_database_the_broker_and_aspire_style_settings()
    {
        var goals = Project(Plan(), ResourceNames.GoalsApi);

        Assert.Equal(8101, goals.Port);
        Assert.Equal(new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_URLS"] = "http://localhost:8101",
            ["Auth__SigningKey"] = Machine.SigningKey,
            ["ConnectionStrings__goalsdb"] = "Host=localhost;Port=5432;Username=aimi;Password=aimi;Database=goalsdb",
            ["ConnectionStrings__rabbitmq"] = "amqp://guest:guest@localhost:5672/aimi",
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["OTEL_SERVICE_NAME"] = "goals-api",
        }, goals.Environment);
    }

    [Fact]
    public void Gateway_keeps_port_8080_issues_dev_tokens_and_discovers_every_api()
    {
        var plan = Plan();
        var gateway = Project(plan, ResourceNames.Gateway);

        Assert.Same(gateway, plan.Gateway);
        Assert.Equal(new Uri("http://localhost:8080"), gateway.Url);
        Assert.Equal("http://localhost:8080/health", gateway.HealthUrl.ToString());
        Assert.Equal("true", gateway.Environment["Auth__DevTokens"]);
        Assert.Equal("http://localhost:8101", gateway.Environment["services__goals-api__http__0"]);
        foreach (var api in plan.Projects.Where(p => !p.Resource.IsGateway))
        {
            Assert.Equal($"http://localhost:{api.Port}", gateway.Environment[$"services__{api.Resource.Name}__http__0"]);
            Assert.False(api.Environment.ContainsKey("Auth__DevTokens"));
        }
        Assert.DoesNotContain(gateway.Environment.Keys, k => k.StartsWith("ConnectionStrings__", StringComparison.Ordinal));
    }

    [Fact]
    public void Services_run_from_the_build_output_of_the_apphost_configuration()
    {
        var goals = Project(Plan(), ResourceNames.GoalsApi);

        Assert.Equal("/repo/services/Goals/Aimi.Goals.Api.csproj", goals.ProjectFile);
        Assert.Equal("/repo/services/Goals", goals.WorkingDirectory);
        Assert.Equal("/repo/services/Goals/bin/Release/net10.0/Aimi.Goals.Api.dll", goals.AssemblyPath);
    }

    [Fact]
    public void An_instance_prefixes_databases_and_virtual_host_and_moves_ports()
    {
        var options = LaunchOptions.Parse(["up", "--port-base", "18100", "--gateway-port", "18080", "--instance", "e2e42"]);
        var plan = Plan(options);
        var goals = Project(plan, ResourceNames.GoalsApi);

        Assert.Equal(new Dictionary<string, string> { [ResourceNames.GoalsDb] = "e2e42_goalsdb", [ResourceNames.ChatDb] = "e2e42_chatdb" }, plan.Databases);
        Assert.Equal("e2e42_aimi", plan.VirtualHost);
        Assert.Equal("Host=localhost;Port=5432;Username=aimi;Password=aimi;Database=e2e42_goalsdb", goals.Environment["ConnectionStrings__goalsdb"]);
        Assert.Equal("amqp://guest:guest@localhost:5672/e2e42_aimi", goals.Environment["ConnectionStrings__rabbitmq"]);
        Assert.Equal("http://localhost:18101", goals.Environment["ASPNETCORE_URLS"]);
        Assert.Equal("http://localhost:18080", Project(plan, ResourceNames.Gateway).Environment["ASPNETCORE_URLS"]);
        Assert.Equal("http://localhost:18101", Project(plan, ResourceNames.Gateway).Environment["services__goals-api__http__0"]);
    }

    [Fact]
    public void The_otlp_endpoint_is_passed_through_only_when_set()
    {
        var plan = Plan(machine: Machine with { OtlpEndpoint = "http://localhost:4317" });

        Assert.All(plan.Projects, p => Assert.Equal("http://localhost:4317", p.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"]));
        Assert.All(Plan().Projects, p => Assert.False(p.Environment.ContainsKey("OTEL_EXPORTER_OTLP_ENDPOINT")));
    }

    [Fact]
    public void Adding_a_service_is_two_lines_and_wires_databases_cache_broker_and_discovery()
    {
        var app = new AppModelBuilder();
        var postgres = app.AddPostgres("postgres");
        var goalsDb = postgres.AddDatabase(ResourceNames.GoalsDb);
        var chatDb = postgres.AddDatabase(ResourceNames.ChatDb);
        var redis = app.AddRedis(ResourceNames.Redis);
        var rabbitMq = app.AddRabbitMq(ResourceNames.RabbitMq);
        var goals = app.AddProject(ResourceNames.GoalsApi, "services/Goals/Aimi.Goals.Api.csproj").WithReference(goalsDb, rabbitMq);
        var chat = app.AddProject(ResourceNames.ChatApi, "services/Chat/Aimi.Chat.Api.csproj").WithReference(chatDb, redis, rabbitMq).WithReference(goals);
        app.AddProject(ResourceNames.Gateway, "gateway/Aimi.Gateway/Aimi.Gateway.csproj").AsGateway().WithReference(goals, chat);

        var plan = LaunchPlan.Create(app.Build(), LaunchOptions.Parse(["--instance", "t1"]), Machine);
        var chatLaunch = Project(plan, ResourceNames.ChatApi);

        Assert.Equal(8102, chatLaunch.Port);
        Assert.Equal("Host=localhost;Port=5432;Username=aimi;Password=aimi;Database=t1_chatdb", chatLaunch.Environment["ConnectionStrings__chatdb"]);
        Assert.Equal("localhost:6379", chatLaunch.Environment["ConnectionStrings__redis"]);
        Assert.Equal("amqp://guest:guest@localhost:5672/t1_aimi", chatLaunch.Environment["ConnectionStrings__rabbitmq"]);
        Assert.Equal("http://localhost:8101", chatLaunch.Environment["services__goals-api__http__0"]);
        Assert.False(chatLaunch.Environment.ContainsKey("ConnectionStrings__goalsdb"));
        Assert.Equal("http://localhost:8102", Project(plan, ResourceNames.Gateway).Environment["services__chat-api__http__0"]);
        Assert.Equal(["t1_goalsdb", "t1_chatdb"], plan.Databases.Values);
    }

    [Fact]
    public void A_project_can_carry_settings_of_its_own()
    {
        var app = new AppModelBuilder();
        app.AddProject(ResourceNames.GoalsApi, "services/Goals/Aimi.Goals.Api.csproj").WithEnvironment("Outbox__BatchSize", "50");
        app.AddProject(ResourceNames.Gateway, "gateway/Aimi.Gateway/Aimi.Gateway.csproj").AsGateway();

        var plan = LaunchPlan.Create(app.Build(), LaunchOptions.Default, Machine);

        Assert.Equal("50", Project(plan, ResourceNames.GoalsApi).Environment["Outbox__BatchSize"]);
        Assert.False(Project(plan, ResourceNames.Gateway).Environment.ContainsKey("Outbox__BatchSize"));
    }

    [Fact]
    public void A_port_collision_is_rejected_with_the_names_involved()
    {
        var error = Assert.Throws<ArgumentException>(() => Plan(LaunchOptions.Parse(["--port-base", "8079"])));

        Assert.Contains("8080", error.Message, StringComparison.Ordinal);
        Assert.Contains("goals-api", error.Message, StringComparison.Ordinal);
        Assert.Contains("gateway", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reference_to_a_project_outside_the_topology_is_rejected()
    {
        var app = new AppModelBuilder();
        var ghost = new AppModelBuilder().AddProject("ghost-api", "ghost/Ghost.csproj");
        app.AddProject(ResourceNames.Gateway, "gateway/Aimi.Gateway/Aimi.Gateway.csproj").AsGateway().WithReference(ghost);

        var error = Assert.Throws<ArgumentException>(() => LaunchPlan.Create(app.Build(), LaunchOptions.Default, Machine));

        Assert.Contains("ghost-api", error.Message, StringComparison.Ordinal);
    }
}
