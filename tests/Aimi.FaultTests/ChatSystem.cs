using Aimi.ServiceDefaults;
using Aimi.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Aimi.FaultTests;

/// <summary>
/// Chat as a child process on its own database, vhost and redis-server, behind the gateway (another child process). Goals
/// answers nothing (a turn's context is best-effort); Memory is a real Memory process when the case starts one, else absent too.
/// </summary>
public sealed class ChatSystem : IAsyncDisposable
{
    private WebApplication _absent = null!;

    private ChatSystem()
    {
    }

    public TestDatabase Database { get; private set; } = null!;
    public TestVirtualHost VirtualHost { get; private set; } = null!;
    public PrivateRedisServer Redis { get; private set; } = null!;
    public ServiceProcess Chat { get; private set; } = null!;
    public ServiceProcess Gateway { get; private set; } = null!;

    /// <param name="memory">Memory's address for Chat and the gateway, or null for none.</param>
    /// <param name="virtualHost">The vhost to share with the case's other services, or null for one of Chat's own.</param>
    public static async Task<ChatSystem> StartAsync(Uri? memory = null, TestVirtualHost? virtualHost = null)
    {
        var system = new ChatSystem
        {
            Database = await TestInfrastructure.CreateDatabaseAsync(ResourceNames.ChatDb),
            VirtualHost = virtualHost ?? await TestInfrastructure.CreateVirtualHostAsync(ResourceNames.ChatDb),
            Redis = await PrivateRedisServer.StartAsync(),
        };
        system._absent = await LoopbackApp.StartAsync(app => app.Run(context =>
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }));
        var absent = system._absent.BaseAddress().ToString().TrimEnd('/');
        var memoryAddress = memory?.ToString().TrimEnd('/') ?? absent;
        system.Chat = new ServiceProcess("Chat", "Aimi.Chat.Api",
            Settings(system.Database.ConnectionString, system.VirtualHost.ConnectionString, system.Redis.ConnectionString, absent, memoryAddress));
        await system.Chat.StartAsync();
        system.Gateway = ServiceProcess.Gateway(GatewaySettings.For(
            (ResourceNames.ChatApi, [system.Chat.BaseAddress]),
            (ResourceNames.MemoryApi, memory is null ? [] : [memory])));
        await system.Gateway.StartAsync();
        return system;
    }

    /// <summary>The settings a Chat child process runs with; Goals' and Memory's addresses may point where nothing answers.</summary>
    public static IEnumerable<KeyValuePair<string, string?>> Settings(string database, string rabbitMq, string redis, string goals, string memory) =>
    [
        new($"ConnectionStrings:{ResourceNames.ChatDb}", database),
        new($"ConnectionStrings:{ResourceNames.RabbitMq}", rabbitMq),
        new($"ConnectionStrings:{ResourceNames.Redis}", redis),
        new($"services:{ResourceNames.GoalsApi}:http:0", goals),
        new($"services:{ResourceNames.MemoryApi}:http:0", memory),
        new("AI:Chat:Provider", "local"),
        new("Chat:Limits:TurnsPerMinute", "1000"), // the burst is many turns per user on purpose
        new("Database:MigrateOnStartup", "true"),
        .. TestAuth.Settings,
    ];

    public async ValueTask DisposeAsync() =>
        await Resources.DisposeInOrderAsync(Gateway, Chat, Redis, _absent, VirtualHost, Database);
}

/// <summary>The settings a gateway child process runs with: each service's addresses (several: replicas), the test signing key.</summary>
public static class GatewaySettings
{
    public static IEnumerable<KeyValuePair<string, string?>> For(params (string Service, Uri[] Addresses)[] services) =>
    [
        .. services.SelectMany(s => s.Addresses.Select((address, i) =>
            new KeyValuePair<string, string?>($"services:{s.Service}:http:{i}", address.ToString().TrimEnd('/')))),
        // The burst is many requests per user on purpose; the per-user limit has its own tests.
        new("Gateway:RateLimit:PermitsPerSecond", "10000"),
        new("Gateway:RateLimit:Burst", "10000"),
        new("Auth:DevTokens", "false"),
        .. TestAuth.Settings,
    ];
}
