using Aimi.AppHost.Hosting;
using Aimi.ServiceDefaults;

namespace Aimi.AppHost;

/// <summary>
/// Everything <c>dotnet run --project Aimi.AppHost</c> starts, and how the pieces reference each other.
/// Adding a service: one <c>AddDatabase</c> line if it owns a database, one <c>AddProject</c> line, and its name in the gateway's references.
/// </summary>
public static class Topology
{
    public static AppModel Build()
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

        return app.Build();
    }
}
