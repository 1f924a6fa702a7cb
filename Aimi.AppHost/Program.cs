using Aimi.ServiceDefaults;
using Aimi.AppHost.Publishing;

// The system as it runs: infrastructure, then every service with what it references and waits for. Run mode starts the
// machine's own servers as processes (Aimi.AppHost/LocalServers); publish mode maps the same names to Aspire's containers.
var builder = DistributedApplication.CreateBuilder(args)
    .WithoutProcessMonitors();

var postgres = builder.AddPostgresServer(ResourceNames.Postgres);
var goalsDb = postgres.AddDatabase(ResourceNames.GoalsDb);
var chatDb = postgres.AddDatabase(ResourceNames.ChatDb);
var memoryDb = postgres.AddDatabase(ResourceNames.MemoryDb);
var notificationsDb = postgres.AddDatabase(ResourceNames.NotificationsDb);
var redis = builder.AddRedisServer(ResourceNames.Redis);
var rabbitMq = builder.AddRabbitMqServer(ResourceNames.RabbitMq);

var goals = builder.AddService<Projects.Aimi_Goals_Api>(ResourceNames.GoalsApi)
    .WithReference(goalsDb).WaitFor(goalsDb)
    .WithReference(rabbitMq).WaitFor(rabbitMq);

var memory = builder.AddService<Projects.Aimi_Memory_Api>(ResourceNames.MemoryApi)
    .WithReference(memoryDb).WaitFor(memoryDb)
    .WithReference(rabbitMq).WaitFor(rabbitMq);

var chat = builder.AddService<Projects.Aimi_Chat_Api>(ResourceNames.ChatApi)
    .WithReference(chatDb).WaitFor(chatDb)
    .WithReference(redis).WaitFor(redis)
    .WithReference(rabbitMq).WaitFor(rabbitMq)
    .WithReference(goals)
    .WithReference(memory);

var notifications = builder.AddService<Projects.Aimi_Notifications_Api>(ResourceNames.NotificationsApi)
    .WithReference(notificationsDb).WaitFor(notificationsDb)
    .WithReference(rabbitMq).WaitFor(rabbitMq);

// The web client's files; the gateway serves them at "/", beside the API, so the page and the API share one origin.
var web = builder.AddWebClient<Projects.Aimi_Web>(ResourceNames.Web)
    .WithInlineSocketCompletions();

// The gateway opens only when the services it routes to answer their health checks.
builder.AddGateway<Projects.Aimi_Gateway>(ResourceNames.Gateway)
    .WithInlineSocketCompletions()
    .WithReference(goals).WaitFor(goals)
    .WithReference(chat).WaitFor(chat)
    .WithReference(memory).WaitFor(memory)
    .WithReference(notifications).WaitFor(notifications)
    .WithReference(web).WaitFor(web);

// Publishing the manifest also writes deploy/kubernetes from the same model.
builder.AddKubernetesManifests();

builder.Build().Run();
