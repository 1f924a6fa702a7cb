using Aimi.AppHost.Hosting;
using Aimi.ServiceDefaults;

namespace Aimi.AppHost.Tests;

public class TopologyTests
{
    [Fact]
    public void Declares_the_servers_databases_and_projects_with_shared_resource_names()
    {
        var model = Topology.Build();

        Assert.Equal(
            [("postgres", "postgres"), (ResourceNames.GoalsDb, "database"), (ResourceNames.ChatDb, "database"), (ResourceNames.Redis, "redis"),
             (ResourceNames.RabbitMq, "rabbitmq"), (ResourceNames.GoalsApi, "project"), (ResourceNames.ChatApi, "project"), (ResourceNames.Gateway, "project")],
            model.Resources.Select(r => (r.Name, r.Kind)));
    }

    [Fact]
    public void The_gateway_references_every_api_and_only_the_gateway_is_public()
    {
        var model = Topology.Build();
        var gateway = Assert.Single(model.Projects, p => p.IsGateway);

        Assert.Equal(ResourceNames.Gateway, gateway.Name);
        Assert.Equal(
            model.Projects.Where(p => !p.IsGateway).Select(p => p.Name).Order(),
            gateway.References.OfType<ProjectReferenceResource>().Select(r => r.Name).Order());
    }

    [Fact]
    public void Goals_api_references_its_database_and_the_broker()
    {
        var goals = Topology.Build().Projects.Single(p => p.Name == ResourceNames.GoalsApi);

        Assert.Equal([ResourceNames.GoalsDb, ResourceNames.RabbitMq], goals.References.Select(r => r.Name));
        Assert.Equal("Aimi.Goals.Api", goals.AssemblyName);
    }

    [Fact]
    public void Chat_api_references_its_database_the_session_cache_the_broker_and_goals()
    {
        var chat = Topology.Build().Projects.Single(p => p.Name == ResourceNames.ChatApi);

        Assert.Equal([ResourceNames.ChatDb, ResourceNames.Redis, ResourceNames.RabbitMq, ResourceNames.GoalsApi], chat.References.Select(r => r.Name));
    }

    [Fact]
    public void Every_project_in_the_topology_is_built_with_the_apphost()
    {
        // The AppHost project file must list each topology project (ReferenceOutputAssembly=false), or `dotnet run` would start stale builds.
        var root = Aimi.Infrastructure.RepositoryRoot.Find();
        var appHostProject = File.ReadAllText(Path.Combine(root, "Aimi.AppHost", "Aimi.AppHost.csproj"));

        Assert.All(Topology.Build().Projects, p =>
            Assert.Contains($"Include=\"..\\{p.ProjectPath.Replace('/', '\\')}\" ReferenceOutputAssembly=\"false\"", appHostProject, StringComparison.Ordinal));
    }

    [Fact]
    public void Duplicate_names_are_rejected()
    {
        var app = new AppModelBuilder();
        app.AddRedis("cache");

        Assert.Throws<InvalidOperationException>(() => app.AddRabbitMq("cache"));
    }
}
